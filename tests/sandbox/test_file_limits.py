"""Telegram's file rules in the stand-in: 413 over the 50 MB upload limit, and file_ids Telegram has forgotten."""

from __future__ import annotations

import pytest
from telegram import Bot, InputFile
from telegram.error import BadRequest, NetworkError

from standin import TelegramStandIn
from standin.limits import MAX_UPLOAD
from tests.sandbox.conftest import ADA


async def test_an_upload_over_50_mb_is_answered_413_and_one_at_the_limit_is_kept(
    bot: Bot, standin: TelegramStandIn
) -> None:
    limit = MAX_UPLOAD["document"]
    with pytest.raises(NetworkError, match="Request Entity Too Large"):  # PTB maps 413 to a NetworkError
        await bot.send_document(ADA, InputFile(bytes(limit + 1), filename="big.wav"), write_timeout=60)
    assert [c.status for c in standin.calls if c.method == "sendDocument"] == [413]
    sent = await bot.send_document(ADA, InputFile(bytes(limit), filename="fits.wav"), write_timeout=60)
    assert sent.document is not None and sent.document.file_size == limit
    assert [m.kind for m in standin.transcript(ADA)] == ["document"], "nothing was posted for the refused upload"


async def test_a_forgotten_file_id_is_refused_as_a_wrong_file_identifier(bot: Bot, standin: TelegramStandIn) -> None:
    sent = await bot.send_audio(ADA, InputFile(b"ID3" + bytes(1000), filename="song.mp3"), title="Song")
    assert sent.audio is not None
    assert standin.forget_file(sent.audio.file_id)
    with pytest.raises(BadRequest, match="Wrong file identifier/http url specified"):
        await bot.send_audio(ADA, sent.audio.file_id)
    failed = [c for c in standin.calls if c.method == "sendAudio"][-1]
    assert (failed.status, failed.description) == (400, "Bad Request: wrong file identifier/HTTP URL specified")
    assert not standin.forget_file(sent.audio.file_id), "already forgotten"
