"""The page's 📎 button, server side: a clip posted as a form reaches the bot as a message with a file, and the
bot's analysis comes back into the chat; bad forms and oversized files are refused before reaching anybody."""

from __future__ import annotations

import aiohttp

from bot.__main__ import Runtime
from engines import audio
from engines.base import GenerationRequest
from engines.synth import render
from standin.web.guard import TOKEN_HEADER

ADA = 1001


async def upload(runtime: Runtime, fields: dict[str, str], file: tuple[str, bytes, str] | None) -> tuple[int, str]:
    """POST a multipart form to the upload route; return the status and the body."""
    form = aiohttp.FormData()
    for name, value in fields.items():
        form.add_field(name, value)
    if file is not None:
        form.add_field("file", file[1], filename=file[0], content_type=file[2])
    assert runtime.sandbox_token is not None
    async with (
        aiohttp.ClientSession(headers={TOKEN_HEADER: runtime.sandbox_token}) as session,
        session.post(f"{runtime.http.url}/sandbox/api/send_file", data=form) as response,
    ):
        return response.status, await response.text()


async def test_an_attached_clip_is_sent_as_the_person_and_gets_the_analysis(sandbox_bot: Runtime) -> None:
    track = render(GenerationRequest(prompt="techno", duration=6.0, bpm=128.0, key="F minor", seed=2))
    status, body = await upload(sandbox_bot, {"user_id": str(ADA)}, ("loop.wav", audio.encode_wav(track), "audio/wav"))
    assert status == 200 and '"kind": "audio"' in body
    assert sandbox_bot.standin is not None
    sent = [m for m in sandbox_bot.standin.transcript(ADA) if not m.from_bot]
    assert sent[-1].kind == "audio" and sent[-1].file is not None and sent[-1].file.file_name == "loop.wav"
    analysis = await sandbox_bot.standin.wait_for(ADA, lambda m: "What I heard" in m.content, timeout=20.0)
    assert analysis.kind == "photo" and "F minor" in analysis.content


async def test_bad_forms_and_oversized_files_are_refused_and_reach_nobody(sandbox_bot: Runtime) -> None:
    clip = ("a.mp3", b"ID3" + bytes(100), "audio/mpeg")
    assert (await upload(sandbox_bot, {"user_id": "999"}, clip))[0] == 400
    assert (await upload(sandbox_bot, {"user_id": "ada"}, clip))[0] == 400
    assert (await upload(sandbox_bot, {"user_id": str(ADA)}, None))[0] == 400
    assert (await upload(sandbox_bot, {"user_id": str(ADA)}, ("big.mp4", bytes(25 * 2**20), "video/mp4")))[0] == 413
    assert sandbox_bot.standin is not None
    assert not [m for m in sandbox_bot.standin.transcript(ADA) if not m.from_bot]
