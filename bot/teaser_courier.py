"""How an admin's ``/teaser`` went, in the admin's words: answered at once by the bot, or reported later by the worker
that posted it (``ChatTeaserCourier``, for a bot whose workers render everything: ``scheduler.teaser_requests``)."""

from __future__ import annotations

import html

from bot.texts import Texts
from scheduler.outbox import Outbox
from scheduler.teaser import TeaserResult
from storage import UserRepository


def teaser_report(texts: Texts, language: str | None, result: TeaserResult) -> str:
    """How posting went, for the admin (HTML)."""
    teaser = result.teaser
    if result.outcome in ("no_channel", "queued"):
        return texts.get(language, f"teaser.admin_{result.outcome}")
    if result.outcome != "posted" or teaser is None:
        return texts.get(language, "teaser.admin_failed", outcome=result.outcome)
    source = texts.get(language, "teaser.source_house" if teaser.house else "teaser.source_shared")
    return texts.get(
        language,
        "teaser.admin_posted",
        channel=html.escape(teaser.channel),
        id=teaser.id,
        source=source,
        prompt=html.escape(teaser.prompt or ""),
    )


class ChatTeaserCourier:
    """Sends the admin's report through the outbox, in the admin's language."""

    def __init__(self, outbox: Outbox, texts: Texts, users: UserRepository) -> None:
        self._outbox, self._texts, self._users = outbox, texts, users

    async def teaser_done(self, chat_id: int, admin_id: int, result: TeaserResult) -> None:
        """Report ``result`` in ``chat_id``; the outbox's errors propagate (the caller logs them)."""
        user = await self._users.get(admin_id)
        language = user.language if user is not None else None
        await self._outbox.send_text(chat_id, teaser_report(self._texts, language, result), html=True)
