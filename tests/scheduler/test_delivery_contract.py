"""The ``Delivery`` contract, run against every implementation: ``TelegramDelivery`` over a real PTB ``Bot`` on the
Telegram stand-in (with a real SQLite file for the person's language) and the in-memory ``MemoryDelivery``.

What the queue relies on: ``queued`` gives the status message's id (or None) and later status calls accept a job
carrying it; ``deliver`` returns a receipt naming the sent file and message; a track whose files are gone, or a
recipient who cannot be reached, is a ``DeliveryError`` (never another exception); failure and cancel notes go out for
every reason.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from telegram import Bot

from bot.delivery import TelegramDelivery
from bot.texts import Texts
from engines import GenerationRequest, get_engine
from scheduler.delivery import Delivery, DeliveryError, FailureReason, TrackFiles
from scheduler.tracks import write_track_files
from standin import TelegramStandIn
from storage import Database, Job, UserRepository
from storage.audio import LocalAudioStore
from tests.scheduler.deliveries import MemoryDelivery

PERSON = 4242
TOKEN = "123456:TEST-delivery-contract-token"
NOW = datetime(2026, 11, 21, 12, tzinfo=UTC)


@dataclass
class Case:
    """One implementation under test, and how to make its next send fail as an unreachable recipient would."""

    delivery: Delivery
    refuse_next_send: Callable[[], None]
    sent_audio: Callable[[], int]  # how many tracks reached the person


async def _telegram_case(stack: AsyncExitStack, tmp_path: Path) -> Case:
    standin = await stack.enter_async_context(TelegramStandIn(token=TOKEN))
    standin.add_user(PERSON, "Ada", language_code="en")
    db = await stack.enter_async_context(await Database.open(tmp_path / "contract.db"))
    await UserRepository(db).seen(
        telegram_id=PERSON, fingerprint="fp", first_name="Ada", username=None, language="en", now=NOW
    )
    bot = await stack.enter_async_context(Bot(TOKEN, base_url=standin.base_url, base_file_url=standin.file_base_url))
    delivery = TelegramDelivery(bot, Texts.load(), UserRepository(db), can_extend=lambda engine, model: False)

    def refuse() -> None:
        standin.inject_fault(None, "403", chat_id=PERSON)

    def sent() -> int:
        return sum(1 for m in standin.transcript(PERSON) if m.from_bot and m.kind == "audio")

    stack.callback(lambda: _no_violations(standin))
    return Case(delivery, refuse, sent)


def _no_violations(standin: TelegramStandIn) -> None:
    assert not standin.violations, f"invalid Bot API calls: {standin.violations}"


def _memory_case() -> Case:
    memory = MemoryDelivery()

    def refuse() -> None:
        memory.refuse += 1

    return Case(memory, refuse, lambda: len(memory.tracks))


@pytest.fixture(params=["telegram", "memory"])
async def case(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Case]:
    """Each implementation in turn, set up and torn down completely inside this fixture."""
    async with AsyncExitStack() as stack:
        if request.param == "telegram":
            yield await _telegram_case(stack, tmp_path)
        else:
            yield _memory_case()


@pytest.fixture
async def files(tmp_path: Path) -> TrackFiles:
    """A real two-second track (mock engine, real ffmpeg) in a local audio store."""
    track = await get_engine("mock").generate(GenerationRequest(prompt="calm piano", duration=2))
    return await write_track_files(track, LocalAudioStore(tmp_path / "audio"), "job-1", prompt="calm piano")


def job(**values: object) -> Job:
    """A running job of the person's."""
    base = Job(
        id=1, telegram_id=PERSON, fingerprint="fp", chat_id=PERSON, prompt="calm piano", engine="mock",
        funding="free", status="running", created_at=NOW, model="mock-1", seed=7, attempts=1,
    )  # fmt: skip
    return replace(base, **values)  # type: ignore[arg-type]


async def test_a_job_goes_from_queued_to_delivered_to_done(case: Case, files: TrackFiles) -> None:
    status = await case.delivery.queued(job(), 2)
    assert status is None or status > 0
    running = job(status_message_id=status)
    await case.delivery.started(running)
    await case.delivery.working(running)
    receipt = await case.delivery.deliver(running, files)
    assert receipt.file_id and receipt.message_id > 0
    await case.delivery.finished(running)
    assert case.sent_audio() == 1


async def test_two_tracks_get_two_messages(case: Case, files: TrackFiles) -> None:
    first = await case.delivery.deliver(job(), files)
    second = await case.delivery.deliver(job(id=2), files)
    assert first.message_id != second.message_id and case.sent_audio() == 2


async def test_a_track_whose_files_are_gone_is_a_delivery_error_and_nothing_is_sent(
    case: Case, files: TrackFiles
) -> None:
    await files.store.delete(files.mp3)
    with pytest.raises(DeliveryError):
        await case.delivery.deliver(job(), files)
    assert case.sent_audio() == 0


async def test_an_unreachable_recipient_is_a_delivery_error(case: Case, files: TrackFiles) -> None:
    case.refuse_next_send()
    with pytest.raises(DeliveryError):
        await case.delivery.deliver(job(), files)
    assert case.sent_audio() == 0
    assert (await case.delivery.deliver(job(), files)).file_id, "the next send goes through again"


@pytest.mark.parametrize("reason", list(FailureReason))
async def test_every_failure_reason_and_a_cancel_can_be_told(case: Case, reason: FailureReason) -> None:
    status = await case.delivery.queued(job(), 1)
    await case.delivery.failed(job(status_message_id=status), reason)
    other = await case.delivery.queued(job(id=2), 0)
    await case.delivery.canceled(job(id=2, status_message_id=other))
