"""People send files: each kind parses in PTB as the Bot API types define it, and getFile + download give the bytes
back — refusing, like the Bot API, files over the 20 MB a bot may download."""

from __future__ import annotations

import pytest
from telegram import Bot
from telegram.error import BadRequest

from standin import TelegramStandIn
from tests.sandbox.conftest import ADA


# PTB 22 warns on every read of a media ``duration`` until its timedelta switch; reading it is the point here.
@pytest.mark.filterwarnings("ignore:.*attribute `duration` will be of type")
async def test_each_kind_of_file_arrives_as_its_bot_api_type_and_downloads_intact(
    bot: Bot, standin: TelegramStandIn
) -> None:
    payload = b"RIFF" + bytes(range(256)) * 40
    await standin.send_file(ADA, "audio", payload, file_name="idea.mp3", mime_type="audio/mpeg", duration=7)
    await standin.send_file(ADA, "voice", payload, duration=3)
    await standin.send_file(ADA, "video", payload, file_name="clip.mp4", duration=11, size=(1280, 720))
    await standin.send_file(ADA, "video_note", payload, duration=5, size=(240, 240))
    await standin.send_file(ADA, "document", payload, file_name="take.wav", mime_type="audio/wav")
    messages = [update.message for update in await bot.get_updates(timeout=0)]
    assert all(message is not None for message in messages)
    audio, voice, video, note, document = (m for m in messages if m is not None)
    assert audio.audio is not None and audio.audio.duration == 7 and audio.audio.file_name == "idea.mp3"
    assert voice.voice is not None and voice.voice.duration == 3 and voice.voice.mime_type == "audio/ogg"
    assert video.video is not None and (video.video.width, video.video.height, video.video.duration) == (1280, 720, 11)
    assert note.video_note is not None and note.video_note.length == 240 and note.video_note.duration == 5
    assert document.document is not None and document.document.mime_type == "audio/wav"
    for media in (audio.audio, voice.voice, video.video, note.video_note, document.document):
        file = await bot.get_file(media.file_id)
        assert file.file_size == len(payload) and file.file_path
        assert bytes(await file.download_as_bytearray()) == payload


async def test_get_file_refuses_a_file_over_20_mb_as_the_bot_api_does(bot: Bot, standin: TelegramStandIn) -> None:
    sent = await standin.send_file(ADA, "document", bytes(20 * 2**20 + 1), file_name="big.mp4", declare_size=False)
    assert "file_size" not in sent["document"]
    with pytest.raises(BadRequest, match=r"(?i)file is too big"):
        await bot.get_file(sent["document"]["file_id"])
