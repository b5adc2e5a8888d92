"""The Telegram implementation of the scheduler's ``Delivery``: status messages, chat actions, the audio itself."""

from __future__ import annotations

import asyncio
import html
import logging
import time
from collections.abc import Callable

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, SwitchInlineQueryChosenChat
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest, TelegramError

from billing import Credited
from billing.referrals import Referrals, Reward
from bot.callbacks import Extend, Regenerate, Share, Stems, Wav
from bot.studio.delivery import is_web_visitor
from bot.texts import Texts
from scheduler.delivery import DeliveryError, FailureReason, Receipt, TrackFiles
from scheduler.tracks import UPLOAD_LIMIT
from storage import Job, UserRepository
from storage.errors import AudioMissing

log = logging.getLogger(__name__)
PROMPT_PREVIEW = 80


class TelegramDelivery:
    """Talks to the user who asked for a job, in their language."""

    def __init__(
        self,
        bot: Bot,
        texts: Texts,
        users: UserRepository,
        *,
        can_extend: Callable[[str, str | None], bool],
        referrals: Referrals | None = None,
    ) -> None:
        self._bot, self._texts, self._users = bot, texts, users
        self._referrals = referrals  # invitation rewards, paid when an invited person's first track arrives
        self._can_extend = can_extend  # (engine, model asked for) → whether that model can continue audio
        self._composing: set[int] = set()  # jobs whose status message already says "composing"
        self._languages: dict[int, tuple[str, float]] = {}  # telegram id → (language, valid until)

    async def _language(self, job: Job) -> str:
        # A job touches the user's language three times (queued, delivered, done): remember it for a minute.
        now = time.monotonic()
        cached = self._languages.get(job.telegram_id)
        if cached is not None and cached[1] > now:
            return cached[0]
        user = await self._users.get(job.telegram_id)
        language = user.language if user else "en"
        if len(self._languages) > 10_000:
            self._languages.clear()
        self._languages[job.telegram_id] = (language, now + 60.0)
        return language

    def forget_language(self, telegram_id: int) -> None:
        """Drop the remembered language of a user who just chose another one with /language."""
        self._languages.pop(telegram_id, None)

    def _prompt(self, job: Job) -> str:
        short = job.prompt if len(job.prompt) <= PROMPT_PREVIEW else job.prompt[: PROMPT_PREVIEW - 1] + "…"
        return html.escape(short)

    async def _status(self, job: Job, key: str, **values: object) -> None:
        text = self._texts.get(await self._language(job), key, prompt=self._prompt(job), **values)
        if job.status_message_id is None:
            await self._bot.send_message(job.chat_id, text, parse_mode=ParseMode.HTML)
            return
        try:
            await self._bot.edit_message_text(text, job.chat_id, job.status_message_id, parse_mode=ParseMode.HTML)
        except BadRequest as exc:
            if "not modified" not in str(exc).lower():
                raise

    async def queued(self, job: Job, position: int) -> int | None:
        """Sends the status message: "queued (position N)", or "composing" when a worker already has it."""
        language = await self._language(job)
        if position > 0:
            text = self._texts.get(language, "status.queued", position=position, prompt=self._prompt(job))
        else:  # already running: say so at once and spare the "composing" edit (one Bot API call less per track)
            text = self._texts.get(language, "status.composing", prompt=self._prompt(job))
            self._composing.add(job.id)
        message = await self._bot.send_message(job.chat_id, text, parse_mode=ParseMode.HTML)
        return message.message_id

    async def started(self, job: Job) -> None:
        """Edits the status message to "composing…" ("resuming…" when a restart interrupted an earlier try)."""
        if job.id in self._composing:
            self._composing.discard(job.id)
            if job.attempts <= 1:
                return
        if job.attempts <= 1:
            await self._status(job, "status.composing")
        else:  # the attempt number keeps each edit different from the last (Telegram refuses a no-op edit)
            await self._status(job, "status.resumed", attempt=job.attempts)

    async def working(self, job: Job) -> None:
        """Shows "recording audio…" in the chat header (Telegram clears it after ~5 s, so it is repeated)."""
        await self._bot.send_chat_action(job.chat_id, ChatAction.RECORD_VOICE)

    async def deliver(self, job: Job, files: TrackFiles) -> Receipt:
        """Sends the MP3 with title, performer, duration, cover, caption and buttons."""
        language = await self._language(job)
        try:
            audio, cover = await asyncio.gather(files.read(files.mp3), files.read(files.cover))
        except AudioMissing as exc:  # e.g. deleted from the bucket by hand: fail cleanly, the credit comes back
            raise DeliveryError(f"the track's files are not in the audio store: {exc}") from exc
        if len(audio) + len(cover) > UPLOAD_LIMIT:  # Telegram would answer 413: fail cleanly, the credit comes back
            raise DeliveryError(f"the MP3 is {len(audio)} bytes, over Telegram's upload limit for bots")
        try:
            message = await self._bot.send_audio(
                job.chat_id,
                audio=InputFile(audio, filename=f"{_slug(files.title)}.mp3"),
                title=files.title,
                performer=files.performer,
                duration=files.duration,
                thumbnail=InputFile(cover, filename="cover.jpg"),
                caption=self.caption(job, language),
                parse_mode=ParseMode.HTML,
                reply_markup=self.track_buttons(job, language),
            )
        except TelegramError as exc:
            raise DeliveryError(f"sendAudio failed: {exc}") from exc
        if message.audio is None:
            raise DeliveryError("sendAudio returned no audio")
        return Receipt(file_id=message.audio.file_id, message_id=message.message_id)

    async def finished(self, job: Job) -> None:
        """Marks the status message done; the invited person's first track pays both sides' invitation credits."""
        reward = None
        if self._referrals is not None and job.funding != "house":
            try:
                reward = await self._referrals.reward(job.telegram_id, job.id)
            except Exception:  # the reward stays owed: the next delivered track claims it
                log.exception("could not pay the invitation reward for job %s", job.id)
        await self._status(job, "status.done")
        if reward is not None:
            await self._announce(reward)

    async def _announce(self, reward: Reward) -> None:
        for telegram_id, key in (
            (reward.invited_id, "invite.reward_invited"),
            (reward.inviter_id, "invite.reward_inviter"),
        ):
            user = await self._users.get(telegram_id)
            text = self._texts.get(user.language if user else None, key, credits=reward.credits)
            try:
                await self._bot.send_message(telegram_id, text)
            except TelegramError as exc:  # credits are paid; the note is a courtesy
                log.warning("could not tell %s about an invitation reward: %s", telegram_id, exc)

    async def failed(self, job: Job, reason: FailureReason) -> None:
        """Replaces the status with why the job failed and that the credit came back; an extra take of a prompt
        cost nothing, so it says only that the take failed and nothing was charged for it."""
        if job.params.get("take_of") is not None:
            await self._status(job, "failure.extra_take", take=job.params.get("take", 2), takes=job.params["takes"])
            return
        await self._status(job, f"failure.{reason.value}")

    async def canceled(self, job: Job) -> None:
        """Replaces the status with "canceled, credit returned"."""
        await self._status(job, "status.canceled")

    # --- shared with the history and button handlers -------------------------------------------------------

    def caption(self, job: Job, language: str) -> str:
        """Prompt, engine/model/seed, tempo/key, and the licence when it forbids commercial use."""
        t = self._texts
        lines = [t.get(language, "caption.prompt", prompt=html.escape(job.prompt[:300]))]
        if int(job.params.get("takes", 1)) > 1:  # one of several takes of one prompt, one charge (issue 17)
            lines.append(t.get(language, "caption.take", take=job.params.get("take", 1), takes=job.params["takes"]))
        lines.append(
            t.get(
                language,
                "caption.details",
                engine=job.engine,
                model=html.escape(job.model or "?"),
                seed=job.seed if job.seed is not None else "?",
            )
        )
        if job.bpm and job.music_key:
            lines.append(t.get(language, "caption.tempo_key", bpm=f"{job.bpm:g}", key=html.escape(job.music_key)))
        elif job.bpm:
            lines.append(t.get(language, "caption.tempo", bpm=f"{job.bpm:g}"))
        if job.style:  # how the engine read the prompt
            lines.append(t.get(language, "caption.style", style=html.escape(job.style)))
        if job.commercial is False:
            lines.append(t.get(language, "caption.noncommercial", license=html.escape(job.license_id or "?")))
        return "\n".join(lines)

    def track_buttons(self, job: Job, language: str) -> InlineKeyboardMarkup:
        """Regenerate, Extend (where the engine can continue), WAV, Share, Stems (where there are stems)."""
        t = self._texts
        first = [InlineKeyboardButton(t.get(language, "button.regenerate"), callback_data=Regenerate(job.id).pack())]
        if self._can_extend(job.engine, job.params.get("model")):
            first.append(InlineKeyboardButton(t.get(language, "button.extend"), callback_data=Extend(job.id).pack()))
        second = [InlineKeyboardButton(t.get(language, "button.wav"), callback_data=Wav(job.id).pack())]
        if job.has_stems:
            second.append(InlineKeyboardButton(t.get(language, "button.stems"), callback_data=Stems(job.id).pack()))
        share_key = "button.shared" if job.shared_at else "button.share"
        third = [InlineKeyboardButton(t.get(language, share_key), callback_data=Share(job.id).pack())]
        # Inline mode in a chat the person picks, typed "#<id>": that one track, sent by its file id.
        chosen_chat = SwitchInlineQueryChosenChat(
            query=f"#{job.id}",
            allow_user_chats=True,
            allow_bot_chats=False,
            allow_group_chats=True,
            allow_channel_chats=True,
        )
        fourth = [
            InlineKeyboardButton(t.get(language, "button.send_to_chat"), switch_inline_query_chosen_chat=chosen_chat)
        ]
        return InlineKeyboardMarkup([first, second, third, fourth])


def _slug(title: str) -> str:
    cleaned = "".join(ch if ch.isalnum() else "-" for ch in title.lower()).strip("-")
    return "-".join(part for part in cleaned.split("-") if part)[:48] or "track"


async def notify_credited(bot: Bot, texts: Texts, users: UserRepository, credited: Credited) -> None:
    """Tells the buyer that a payment made outside the chat (Stripe) was credited."""
    telegram_id = credited.payment.telegram_id
    if telegram_id is None or is_web_visitor(telegram_id):  # a web session has no chat: its page shows the balance
        return
    user = await users.get(telegram_id)
    text = texts.get(
        user.language if user else None,
        "payments.credited",
        credits=credited.payment.credits,
        balance=credited.paid_balance,
        payment_id=credited.payment.external_id,
    )
    try:
        await bot.send_message(telegram_id, text)
    except TelegramError as exc:
        log.warning("could not tell user %s about payment %s: %s", telegram_id, credited.payment.external_id, exc)
