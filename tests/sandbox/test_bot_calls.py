"""A real PTB ``Bot`` against the stand-in: its own requests validate cleanly and get Telegram-shaped answers."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from telegram import Bot, BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, LabeledPrice
from telegram.error import BadRequest, Forbidden

from standin import TelegramStandIn
from tests.sandbox.conftest import ADA

KEYBOARD = InlineKeyboardMarkup([[InlineKeyboardButton("More", callback_data="more")]])


def _jpeg(size: tuple[int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 90)).save(buffer, format="JPEG")
    return buffer.getvalue()


async def test_get_me_describes_the_bot(bot: Bot, standin: TelegramStandIn) -> None:
    me = await bot.get_me()

    assert (me.id, me.is_bot, me.username, me.can_join_groups) == (123456, True, "CloudMusicBot", True)
    assert [c.method for c in standin.calls] == ["getMe", "getMe"]  # Bot.initialize() asks first
    assert standin.violations == []


async def test_audio_upload_with_thumbnail_downloads_back_identical(bot: Bot, standin: TelegramStandIn) -> None:
    track, cover = b"ID3" + bytes(range(256)) * 40, _jpeg((64, 48))

    sent = await bot.send_audio(
        ADA,
        InputFile(track, filename="song.mp3"),
        title="Night Drive",
        performer="CloudMusic",
        duration=42,
        caption="Your track",
        thumbnail=InputFile(cover, filename="cover.jpg"),
        reply_markup=KEYBOARD,
    )
    assert sent.audio is not None and sent.audio.thumbnail is not None
    downloaded = await (await bot.get_file(sent.audio.file_id)).download_as_bytearray()
    thumb = await (await bot.get_file(sent.audio.thumbnail.file_id)).download_as_bytearray()

    assert bytes(downloaded) == track and bytes(thumb) == cover
    stored = standin.file(sent.audio.file_id)
    assert stored is not None and stored.data == track and stored.file_name == "song.mp3"
    assert (sent.audio.title, sent.audio.performer, sent.audio.api_kwargs) == ("Night Drive", "CloudMusic", {})
    assert (sent.audio.mime_type, sent.audio.thumbnail.width, sent.audio.thumbnail.height) == ("audio/mpeg", 64, 48)
    resent = await bot.send_audio(ADA, sent.audio.file_id)
    assert resent.audio is not None and resent.audio.title == "Night Drive" and resent.audio.thumbnail is not None
    message = standin.transcript(ADA)[0]
    assert (message.kind, message.caption, message.title, message.duration) == (
        "audio",
        "Your track",
        "Night Drive",
        42,
    )
    assert message.file is not None and message.file.data == track
    assert message.thumbnail is not None and message.thumbnail.data == cover
    assert standin.violations == []


async def test_a_file_id_is_resent_without_upload_and_a_bad_one_is_refused(bot: Bot, standin: TelegramStandIn) -> None:
    first = await bot.send_document(ADA, InputFile(b"%PDF-1.4 tiny", filename="terms.pdf"))
    assert first.document is not None

    again = await bot.send_document(ADA, first.document.file_id, caption="again")
    photo = await bot.send_photo(ADA, InputFile(_jpeg((320, 200)), filename="p.jpg"))
    with pytest.raises(BadRequest, match=r"(?i)wrong file identifier"):
        await bot.send_document(ADA, "no-such-file-id")

    assert again.document is not None and again.document.file_unique_id == first.document.file_unique_id
    assert (photo.photo[-1].width, photo.photo[-1].height) == (320, 200)
    assert [v.problem for v in standin.violations] == ["wrong file identifier/HTTP URL specified"]


async def test_edits_apply_to_the_transcript_and_identical_edits_are_refused(
    bot: Bot, standin: TelegramStandIn
) -> None:
    sent = await bot.send_message(ADA, "Generating…", reply_markup=KEYBOARD)
    await bot.edit_message_text("Done!", chat_id=ADA, message_id=sent.message_id, reply_markup=KEYBOARD)
    await bot.edit_message_reply_markup(chat_id=ADA, message_id=sent.message_id, reply_markup=None)
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text("Done!", chat_id=ADA, message_id=sent.message_id)
    doomed = await bot.send_message(ADA, "temporary")
    assert await bot.delete_message(ADA, doomed.message_id)

    first, second = standin.transcript(ADA)
    assert (first.text, first.edited, first.buttons) == ("Done!", True, [])
    assert second.deleted and second.message_id == sent.message_id + 1
    assert len(standin.violations) == 1 and standin.violations[0].method == "editMessageText"


async def test_stars_invoice_commands_and_chat_action_validate(bot: Bot, standin: TelegramStandIn) -> None:
    await bot.set_my_commands([BotCommand("start", "Start"), BotCommand("paysupport", "Payment help")])
    await bot.send_chat_action(ADA, "upload_document")
    invoice = await bot.send_invoice(
        ADA, "10 tracks", "Ten generations", "pack:10:1001", "XTR", [LabeledPrice("10 tracks", 50)]
    )
    link = await bot.create_invoice_link("10 tracks", "Ten", "pack:10", "XTR", [LabeledPrice("10", 50)])

    assert [c.command for c in await bot.get_my_commands()] == ["start", "paysupport"]
    assert invoice.invoice is not None and invoice.invoice.total_amount == 50
    assert link.startswith("https://t.me/$")
    assert standin.violations == []


async def test_telegram_limits_are_enforced(bot: Bot, standin: TelegramStandIn) -> None:
    price = [LabeledPrice("x", 5)]
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(ADA, "x" * 4097)
    with pytest.raises(BadRequest, match=r"(?i)caption is too long"):
        await bot.send_document(ADA, InputFile(b"x", filename="a.txt"), caption="c" * 1025)
    with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
        await bot.send_message(
            ADA, "hi", reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("b", callback_data="d" * 65)]])
        )
    with pytest.raises(BadRequest, match=r"(?i)1-32"):
        await bot.send_invoice(ADA, "t" * 33, "d", "p", "XTR", price)
    with pytest.raises(BadRequest, match=r"(?i)exactly one price"):
        await bot.send_invoice(ADA, "t", "d", "p", "XTR", [*price, *price])
    with pytest.raises(BadRequest, match=r"(?i)provider_token"):
        await bot.send_invoice(ADA, "t", "d", "p", "XTR", price, provider_token="tok")
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await bot.send_message(ADA, "Done.", parse_mode="MarkdownV2")
    assert await bot.send_message(ADA, "Done\\.", parse_mode="MarkdownV2")

    assert len(standin.violations) == 7
    assert [m.text for m in standin.transcript(ADA)] == ["Done."]


async def test_a_blocked_user_answers_forbidden_until_they_write_again(bot: Bot, standin: TelegramStandIn) -> None:
    standin.block_bot(ADA)
    with pytest.raises(Forbidden, match=r"(?i)bot was blocked by the user"):
        await bot.send_message(ADA, "anyone there?")
    await standin.send_text(ADA, "/start")

    assert await bot.send_message(ADA, "welcome back")
    assert standin.violations == []
    assert [c.status for c in standin.calls if c.method == "sendMessage"] == [403, 200]


async def test_channel_posts_are_viewable(bot: Bot, standin: TelegramStandIn) -> None:
    standin.add_channel(-100123, username="cloudmusic_teasers", title="CloudMusic teasers")

    post = await bot.send_message("@cloudmusic_teasers", "Today's teaser")

    assert post.chat.id == -100123 and post.sender_chat is not None and post.from_user is None
    assert [m.text for m in standin.transcript(-100123)] == ["Today's teaser"]
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message("@nobody_here", "hi")
