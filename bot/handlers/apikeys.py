"""Admin command /apikey: issue (``new <user id> <name>``), revoke (``revoke <key id>``) and list API keys."""

from __future__ import annotations

import html

from telegram import Update

from bot.admin_args import IssueKey, RevokeKey, apikey_args
from bot.context import BotContext
from bot.handlers.admin import _reply, answers_usage, audit
from storage.apikeys import ApiKey


@answers_usage
async def apikey_command(update: Update, context: BotContext) -> None:
    """Issue, revoke or list a user's API keys; each use is audited (the key itself is never written down)."""
    await audit(update, context, "apikey")
    command, desk = apikey_args(context.args or []), context.services.admin
    if isinstance(command, IssueKey):
        assert update.effective_user is not None
        key_id, key = await desk.issue_api_key(command.owner_id, command.name, by=update.effective_user.id)
        name = html.escape(command.name)
        await _reply(update, context, "apikey.issued", id=key_id, name=name, owner=command.owner_id, secret=key)
    elif isinstance(command, RevokeKey):
        revoked = await desk.revoke_api_key(command.key_id)
        await _reply(update, context, "apikey.revoked" if revoked else "apikey.unknown", id=command.key_id)
    else:
        keys = await desk.api_keys(command.owner_id)
        key = "apikey.list" if keys else "apikey.none"
        await _reply(update, context, key, owner=command.owner_id, keys="\n".join(map(key_line, keys)))


def key_line(key: ApiKey) -> str:
    """One line of ``/apikey list``: id, name and whether it still works."""
    return f"{key.id} · {html.escape(key.name)} · {'revoked' if key.revoked_at else 'active'}"
