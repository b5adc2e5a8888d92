"""Admin command /apikey: issue (``new <user id> <name>``), revoke (``revoke <key id>``) and list API keys."""

from __future__ import annotations

import html

from telegram import Update

from bot.context import BotContext
from bot.handlers.admin import _reply, audit
from bot.studio.keys import issue_key


async def apikey_command(update: Update, context: BotContext) -> None:
    """Issue, revoke or list a user's API keys; each use is audited (the key itself is never written down)."""
    await audit(update, context, "apikey")
    args, services = context.args or [], context.services
    repo, now = services.api_keys, services.clock()
    action, number = (args[0].lower() if args else ""), (args[1] if len(args) > 1 else "")
    if action == "new" and number.isdigit() and len(args) > 2:
        assert update.effective_user is not None
        name = " ".join(args[2:])[:64]
        key_id, key = await issue_key(repo, owner_id=int(number), name=name, admin_id=update.effective_user.id, now=now)
        await _reply(update, context, "apikey.issued", id=key_id, name=html.escape(name), owner=number, secret=key)
    elif action == "revoke" and number.isdigit():
        revoked = await repo.revoke(int(number), now)
        await _reply(update, context, "apikey.revoked" if revoked else "apikey.unknown", id=number)
    elif action == "list" and number.isdigit():
        keys = await repo.for_owner(int(number))
        lines = [f"{k.id} · {html.escape(k.name)} · {'revoked' if k.revoked_at else 'active'}" for k in keys]
        await _reply(update, context, "apikey.list" if keys else "apikey.none", owner=number, keys="\n".join(lines))
    else:
        await _reply(update, context, "apikey.usage")
