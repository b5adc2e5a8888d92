"""The ``Outbox`` contract, run against every implementation: ``TelegramOutbox`` over a real PTB ``Bot`` on the
Telegram stand-in, ``MemoryOutbox`` and ``FolderOutbox``.

What the teaser desk and broadcasts rely on: each call sends exactly once and returns a receipt with a new message id;
an audio post arrives with its caption and link buttons, a text as written, to a channel ``@username`` or a person's
chat id. (How each implementation fails is tested beside it: tests/bot/test_outbox_errors.py for Telegram.)
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from telegram import Bot

from bot.outbox import TelegramOutbox
from scheduler.outbox import AudioPost, LinkButton, Outbox
from standin import TelegramStandIn
from tests.scheduler.outboxes import FolderOutbox, MemoryOutbox

TOKEN = "123456:TEST-outbox-contract-token"
CHANNEL_ID, CHANNEL = -1001234500001, "@contract_teasers"
PERSON = 5151
POST = AudioPost(
    audio=b"ID3" + bytes(2000),
    filename="teaser.mp3",
    title="Calm piano",
    performer="CloudMusic · mock",
    duration=3,
    caption_html="calm piano · mock",
    links=(LinkButton("Make yours", "https://t.me/CloudMusicBot?start=teaser_1"),),
)


@dataclass
class Case:
    """One implementation, and what arrived where: ``arrived(destination)`` → [{"text", "links"}], oldest first."""

    outbox: Outbox
    arrived: Callable[[int | str], list[dict[str, Any]]]


async def _telegram(stack: AsyncExitStack) -> Case:
    standin = await stack.enter_async_context(TelegramStandIn(token=TOKEN))
    standin.add_channel(CHANNEL_ID, CHANNEL.removeprefix("@"))
    standin.add_user(PERSON, "Ada")
    bot = await stack.enter_async_context(Bot(TOKEN, base_url=standin.base_url, base_file_url=standin.file_base_url))
    stack.callback(lambda: _no_violations(standin))

    def arrived(destination: int | str) -> list[dict[str, Any]]:
        chat = CHANNEL_ID if destination == CHANNEL else int(destination)
        return [
            {"text": m.content, "links": [[b.text, b.url] for b in m.buttons]}
            for m in standin.transcript(chat)
            if m.from_bot
        ]

    return Case(TelegramOutbox(bot), arrived)


def _no_violations(standin: TelegramStandIn) -> None:
    assert not standin.violations, f"invalid Bot API calls: {standin.violations}"


def _memory() -> Case:
    memory = MemoryOutbox()

    def arrived(destination: int | str) -> list[dict[str, Any]]:
        found = [(d, {"text": p.caption_html, "links": [[b.text, b.url] for b in p.links]}) for d, p in memory.posts]
        found += [(c, {"text": t, "links": []}) for c, t, _ in memory.texts]
        return [message for d, message in found if d == destination]

    return Case(memory, arrived)


def _folder(root: Path) -> Case:
    folder = FolderOutbox(root)

    def arrived(destination: int | str) -> list[dict[str, Any]]:
        return [
            {"text": m.get("caption", m.get("text")), "links": m.get("links", [])} for m in folder.posts(destination)
        ]

    return Case(folder, arrived)


@pytest.fixture(params=["telegram", "memory", "folder"])
async def case(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Case]:
    """Each implementation in turn, set up and torn down completely inside this fixture."""
    async with AsyncExitStack() as stack:
        if request.param == "telegram":
            yield await _telegram(stack)
        elif request.param == "memory":
            yield _memory()
        else:
            yield _folder(tmp_path / "outbox")


async def test_an_audio_post_arrives_once_with_its_caption_and_link(case: Case) -> None:
    receipt = await case.outbox.publish(CHANNEL, POST)
    assert receipt.message_id > 0
    assert case.arrived(CHANNEL) == [
        {"text": "calm piano · mock", "links": [["Make yours", "https://t.me/CloudMusicBot?start=teaser_1"]]}
    ]


async def test_each_call_is_a_new_message(case: Case) -> None:
    first = await case.outbox.publish(CHANNEL, POST)
    second = await case.outbox.publish(CHANNEL, POST)
    assert first.message_id != second.message_id and len(case.arrived(CHANNEL)) == 2


async def test_a_text_reaches_a_person_as_written(case: Case) -> None:
    receipt = await case.outbox.send_text(PERSON, "📢 new engine is live")
    assert receipt.message_id > 0
    assert case.arrived(PERSON) == [{"text": "📢 new engine is live", "links": []}]
    assert case.arrived(CHANNEL) == [], "nothing went anywhere else"


async def test_an_html_text_is_sent_as_html(case: Case) -> None:
    await case.outbox.send_text(PERSON, "<b>Your track</b> is in the channel", html=True)
    [message] = case.arrived(PERSON)
    assert "Your track" in message["text"] and "is in the channel" in message["text"]
