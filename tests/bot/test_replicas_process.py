"""Bot replicas as real processes on one PostgreSQL database: nothing a conversation needs lives in one process.

Two ``python -m bot`` processes in webhook mode serve one bot; the test posts each Update to them alternately, as a
load balancer would, and a guided-mode walk started on one replica is finished on the other. A broadcast whose
process is killed half-way is resumed by the next start without sending anyone twice.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import signal
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp

from bot.webhook_mode import SECRET_HEADER
from standin import TelegramStandIn
from standin.world import ChatMessage
from storage import BroadcastRepository, UserRepository
from storage.backends import connect
from tests.bot.test_process import bot_env, bot_process
from tests.conftest import ADA, TOKEN

SECRET = "replicas-webhook-secret"
HOOK_URL = "https://bot.example.com/telegram/hook"
ADMIN = 1
PEOPLE = list(range(2000, 2030))


class Log:
    """Drains a process's output into a string as it comes (a full pipe would stall the process)."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.text = ""
        self._changed = asyncio.Event()
        self._task = asyncio.create_task(self._drain(process))

    async def _drain(self, process: asyncio.subprocess.Process) -> None:
        assert process.stdout is not None
        while line := await process.stdout.readline():
            self.text += line.decode()
            self._changed.set()

    async def until(self, pattern: str, within: float = 60.0) -> re.Match[str]:
        """The first match of ``pattern`` in the log, waiting for it."""
        async with asyncio.timeout(within):
            while (match := re.search(pattern, self.text)) is None:
                if self._task.done():
                    raise AssertionError(f"the bot exited before logging {pattern!r}:\n{self.text}")
                self._changed.clear()
                await self._changed.wait()
        return match


@asynccontextmanager
async def replica(env: dict[str, str]) -> AsyncIterator[tuple[asyncio.subprocess.Process, Log]]:
    async with bot_process(env) as process:
        yield process, Log(process)


def _now() -> datetime:
    return datetime.now(UTC)


def button(message: ChatMessage, prefix: str) -> str:
    return next(b.callback_data for b in message.buttons if b.callback_data and b.callback_data.startswith(prefix))


async def test_two_webhook_replicas_serve_alternate_updates_and_guided_mode_walks_across_them(
    tmp_path: Path, postgres_url: str
) -> None:
    async with TelegramStandIn(token=TOKEN, bot_username="CloudMusicBot") as standin:
        standin.add_user(ADA, first_name="Ada")
        shared: dict[str, Any] = dict(
            ENGINE="mock",
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_API_BASE_URL=standin.base_url,
            DATABASE_URL=postgres_url,
            WEBHOOK_URL=HOOK_URL,
            WEBHOOK_SECRET=SECRET,
            TELEGRAM_RATE_SHARE="0.5",
        )
        async with (
            replica(bot_env(tmp_path / "a", **shared)) as (first, first_log),
            replica(bot_env(tmp_path / "b", **shared)) as (second, second_log),
        ):
            urls = []
            for log in (first_log, second_log):
                urls.append((await log.until(r"HTTP server listening on (\S+)"))[1])
                await log.until("CloudMusic is running")
            assert [c.method for c in standin.calls].count("setWebhook") == 2
            assert standin.messaging.webhook["url"] == HOOK_URL, "the second setWebhook changed nothing"
            targets = itertools.cycle(urls)
            served: list[str] = []

            async def deliver() -> None:
                """POST the latest Update to the next replica, as Telegram behind a load balancer would."""
                url = next(targets)
                served.append(url)
                update = standin.pending_updates[-1]
                async with (
                    aiohttp.ClientSession() as session,
                    session.post(url + "/telegram/hook", json=update, headers={SECRET_HEADER: SECRET}) as response,
                ):
                    assert response.status == 200

            await standin.send_text(ADA, "/generate")
            await deliver()  # replica a
            menu = await standin.wait_for(ADA, lambda m: "Pick a genre" in m.content, timeout=20)
            await standin.press_button(ADA, menu.message_id, button(menu, "gm:m:1"))  # house
            await deliver()  # replica b
            mood = await standin.wait_for(ADA, lambda m: "pick a mood" in m.content, timeout=20)
            await standin.press_button(ADA, mood.message_id, button(mood, "gm:l:1:2"))  # calm
            await deliver()  # replica a
            length = await standin.wait_for(ADA, lambda m: "How long" in m.content, timeout=20)
            await standin.press_button(ADA, length.message_id, "gm:c:1:2:15")
            await deliver()  # replica b
            audio = await standin.wait_for(ADA, lambda m: m.kind == "audio", timeout=60)
            assert audio.duration == 15 and "calm house" in audio.content
            assert served == [urls[0], urls[1], urls[0], urls[1]] and urls[0] != urls[1]

            for process in (first, second):
                process.send_signal(signal.SIGTERM)
            async with asyncio.timeout(30):
                assert [await first.wait(), await second.wait()] == [0, 0]
        assert len([m for m in standin.transcript(ADA) if m.from_bot and m.kind == "audio"]) == 1
        assert not standin.violations


async def test_a_broadcast_killed_half_way_resumes_at_the_next_start_and_reaches_everyone_once(
    tmp_path: Path, postgres_url: str
) -> None:
    db = await connect(postgres_url, tmp_path)
    try:
        users = UserRepository(db)
        for uid in PEOPLE:
            await users.seen(
                telegram_id=uid, fingerprint=f"fp-{uid}", first_name="P", username=None, language="en", now=_now()
            )
    finally:
        await db.close()
    text = "Broadcast: new genres are live"
    async with TelegramStandIn(token=TOKEN, bot_username="CloudMusicBot") as standin:
        standin.add_user(ADMIN, first_name="Admin")
        standin.add_users(PEOPLE)
        env = bot_env(
            tmp_path / "data",
            ENGINE="mock",
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_API_BASE_URL=standin.base_url,
            DATABASE_URL=postgres_url,
            ADMIN_IDS=str(ADMIN),
            TELEGRAM_RATE_SHARE="0.1",  # 3 messages a second: slow enough to be killed half-way
        )

        def received() -> Counter[int]:
            chats = [ADMIN, *PEOPLE]
            return Counter(uid for uid in chats for m in standin.transcript(uid) if m.from_bot and m.content == text)

        async with replica(env) as (first, first_log):
            await first_log.until("CloudMusic is running")
            await standin.send_text(ADMIN, f"/broadcast {text}")
            prompt = await standin.wait_for(ADMIN, lambda m: "Send this message" in m.content, timeout=20)
            await standin.press_button(ADMIN, prompt.message_id, button(prompt, "bc:ok"))
            async with asyncio.timeout(30):
                while len(received()) < 5:  # a few people have it
                    await asyncio.sleep(0.05)
            first.kill()
            await first.wait()
        before = received()
        assert 5 <= len(before) < len(PEOPLE) - 3, "killed half-way"

        # The resuming start needs no slowness: Telegram's full pace (rate share 1) finishes the rest at once.
        async with replica({**env, "TELEGRAM_RATE_SHARE": "1"}) as (second, second_log):
            await second_log.until("resuming broadcast")
            report = await standin.wait_for(ADMIN, lambda m: "Broadcast finished" in m.content, timeout=60, since=0)
            second.send_signal(signal.SIGTERM)
            async with asyncio.timeout(30):
                assert await second.wait() == 0
        after = received()
        assert max(after.values()) == 1, "nobody got the broadcast twice"
        missed = len(PEOPLE) + (ADMIN in after) - len(after)
        assert missed <= 2, "at most the sends in flight at the kill are lost"
        numbers = re.search(r"(\d+) sent, (\d+) blocked.*?(\d+) failed", report.content)
        assert numbers is not None, report.content
        sent, blocked, failed = (int(n) for n in numbers.groups())
        db = await connect(postgres_url, tmp_path)
        try:
            recorded = await BroadcastRepository(db).outcomes(1)
        finally:
            await db.close()
        assert set(recorded) <= {"sent", "failed", "sending"}, "everyone was tried"
        assert sent + blocked + failed == sum(recorded.values()) >= len(PEOPLE)
        # Sends the kill caught count as failed (each may or may not have gone out); none was repeated.
        assert blocked == 0 and sent <= len(after) <= sent + failed and failed <= 2
        reports = [m for m in standin.transcript(ADMIN) if m.from_bot and "Broadcast finished" in m.content]
        assert len(reports) == 1
