"""Typed settings, read once from the environment (and an optional ``.env``) and validated before start-up.

The variable names are a contract shared with the README, ``.env.example`` and outside checks. A bad value stops
start-up with one line naming the variable (:func:`describe_error`); secrets are ``SecretStr`` so they never reach
logs or ``repr``.
"""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
import sys
from dataclasses import dataclass, field
from datetime import time, timedelta
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from billing.packs import DEFAULT_PACKS, CreditPack, parse_packs
from scheduler.teaser import TeaserConfig
from storage import StorageError
from storage.audio import AudioStoreError, check_endpoint_url, parse_audio_store
from storage.backends import backend_of, sqlite_path

DEFAULT_API_BASE_URL = "https://api.telegram.org/bot"
#: Sandbox mode (no TELEGRAM_BOT_TOKEN): the token and name of the built-in stand-in's bot.
SANDBOX_TOKEN = "123456789:SANDBOX-cloudmusic-local-token"
SANDBOX_BOT_USERNAME = "CloudMusicBot"
#: Sandbox mode, when ADMIN_IDS is not set: the page's simulated Admin (standin.web.cast.ADMIN_FALLBACK) is an admin.
SANDBOX_ADMIN_ID = 1003
#: Sandbox mode, when TEASER_CHANNEL is not set: the page's Channel tab (standin.web.cast.CHANNEL_USERNAME).
SANDBOX_TEASER_CHANNEL = "@cloudmusic_teasers"
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_CHANNEL = re.compile(r"^(-?\d+|@[A-Za-z][A-Za-z0-9_]{3,31})$")
_TOKEN = re.compile(r"^\d+:[A-Za-z0-9_-]{20,}$")
_WEBHOOK_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")  # Telegram's rule for setWebhook's secret_token
#: House-track prompts for days when no listener shared a track (TEASER_PROMPTS), rotated by day.
DEFAULT_TEASER_PROMPTS = (
    "dreamy synthwave for a night drive",
    "warm lo-fi hip hop on a rainy afternoon",
    "uplifting house with bright piano chords",
    "dark minimal techno",
    "cinematic ambient with slow strings",
    "funky disco groove",
    "chill acoustic guitar at sunrise",
)


# --- sections: typed views over the flat variables, so each consumer is handed only its part -------------------
# The environment stays flat (the variable names are a contract); ``settings.quota`` & co. group what belongs
# together and compute what is derived once, here, instead of in every handler.


@dataclass(frozen=True, slots=True)
class TelegramSection:
    """How to reach Telegram (or the sandbox stand-in), and who administers the bot."""

    token: SecretStr = field(repr=False)  # the sandbox's made-up token in sandbox mode
    api_base_url: str  # ignored in sandbox mode (the stand-in's own address is used)
    webhook_url: str | None
    webhook_secret: SecretStr | None = field(repr=False)
    admin_ids: frozenset[int]
    sandbox: bool
    sandbox_public: bool
    rate_share: float = 1.0  # this process's fraction of Telegram's ~30 messages a second (bot replicas)

    @property
    def bot_id(self) -> int:
        """The bot's numeric id, the token's first part (the database is claimed for it)."""
        return int(self.token.get_secret_value().split(":", 1)[0])


@dataclass(frozen=True, slots=True)
class StorageSection:
    """Where the data lives."""

    database_url: str | None = field(repr=False)  # may hold a password: never log it
    state_dir: Path
    backend: str
    database_path: Path  # the SQLite file (unused with PostgreSQL)
    audio_dir: Path
    audio_store: str  # AUDIO_STORE: "local" (files under audio_dir) or s3://bucket/prefix
    s3_endpoint_url: str | None
    payment_inbox_path: Path
    audio_retention: timedelta


@dataclass(frozen=True, slots=True)
class GenerationSection:
    """The engines and the queue's workers."""

    engine: str  # the default engine
    engines: str | None  # ENGINES: the catalogue, unset for the default engine alone
    model_costs: str
    takes_per_prompt: str
    workers: int  # per engine
    timeout_s: float
    shutdown_grace_s: float
    chat_action_interval_s: float  # between "recording…" indicators while a job runs (Telegram shows one ≤ 5 s)
    replicate_api_token: SecretStr | None = field(repr=False)
    replicate_base_url: str | None
    analyses_daily_limit: int
    lyrics_daily_limit: int
    #: Where jobs wait for workers (bot.core.queue_backend): "auto" (PostgreSQL → procrastinate, else embedded),
    #: "embedded" (the jobs table, workers in the process) or "procrastinate" (PostgreSQL only).
    queue_backend: str = "auto"
    workers_in_bot: bool = True  # WORKERS_IN_BOT: the bot process runs generation workers too
    heartbeat_s: float = 10.0  # QUEUE_HEARTBEAT: how often a worker process says it is alive (procrastinate)
    stalled_s: float = 30.0  # QUEUE_STALLED_AFTER: silence after which its running jobs go to another worker


@dataclass(frozen=True, slots=True)
class QuotaSection:
    """The free quota and its day."""

    free_daily: int
    timezone: str  # the IANA name, as users are told it
    zone: ZoneInfo
    max_active_jobs: int
    referral_credits: int


@dataclass(frozen=True, slots=True)
class PaymentsSection:
    """What is sold, and through which providers."""

    packs: tuple[CreditPack, ...]
    currency: str  # the Telegram payment provider's currency
    provider_token: SecretStr | None = field(repr=False)
    stripe_secret_key: SecretStr | None = field(repr=False)
    stripe_webhook_secret: SecretStr | None = field(repr=False)
    stripe_api_base: str | None
    in_telegram: bool  # STRIPE_IN_TELEGRAM: card and provider buttons inside the chat
    public_base_url: str | None  # where Stripe Checkout sends the buyer back


@dataclass(frozen=True, slots=True)
class StudioSection:
    """The studio page and its API."""

    public_base_url: str | None
    web_studio: bool  # web visitors too, not only Mini App users and API keys
    auth_max_age: timedelta  # how long a Mini App's initData stays valid
    rate_limit: int  # requests a minute per caller
    ip_rate_limit: int  # requests a minute per client IP
    trusted_proxies: frozenset[str]

    @property
    def page_url(self) -> str | None:
        """The studio page's public URL, or None without a PUBLIC_BASE_URL."""
        return None if self.public_base_url is None else self.public_base_url.rstrip("/") + "/app/"

    @property
    def mini_app_url(self) -> str | None:
        """The page's URL when Telegram can open it as a Mini App (WebAppInfo.url must be HTTPS), else None."""
        url = self.page_url
        return url if url is not None and url.startswith("https://") else None

    @property
    def secure_cookies(self) -> bool:
        """Session cookies are marked Secure when the public address is https."""
        return (self.public_base_url or "").startswith("https://")


@dataclass(frozen=True, slots=True)
class HttpSection:
    """The bot's own HTTP server (health, metrics, webhooks, the studio)."""

    host: str  # as configured; the sandbox narrows it to loopback unless sandbox_public
    port: int
    sandbox: bool
    sandbox_public: bool


class Settings(BaseSettings):
    """Every knob CloudMusic reads from its environment."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", case_sensitive=False, extra="ignore", frozen=True
    )

    telegram_bot_token: SecretStr | None = None
    telegram_api_base_url: str = DEFAULT_API_BASE_URL
    #: This process's share (0 < x ≤ 1) of Telegram's ~30 messages a second for one bot: with N bot replicas,
    #: 1/N each keeps them together under the limit.
    telegram_rate_share: float = Field(default=1.0, gt=0, le=1)
    data_dir: Path = Path("./data")
    engine: str = "synth"
    admin_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    free_daily_quota: int = Field(default=4, ge=0, le=1000)
    quota_timezone: str = "UTC"
    fingerprint_secret: SecretStr | None = None
    teaser_channel: str | None = None
    teaser_time: time = time(18, 0)
    teaser_timezone: str | None = None
    teaser_prompts: Annotated[tuple[str, ...], NoDecode] = DEFAULT_TEASER_PROMPTS
    audio_retention_days: int = Field(default=30, ge=1, le=3650)
    credit_packs: str = DEFAULT_PACKS
    analyses_daily_limit: int = Field(default=10, ge=0, le=1000)  # free clip analyses per user per day
    payment_provider_token: SecretStr | None = None
    payment_currency: str = "USD"
    stripe_secret_key: SecretStr | None = None
    stripe_webhook_secret: SecretStr | None = None
    stripe_api_base: str | None = None
    replicate_api_token: SecretStr | None = None
    replicate_base_url: str | None = None
    public_base_url: str | None = None
    webhook_secret: SecretStr | None = None  # declared before webhook_url, whose validator checks the pair
    webhook_url: str | None = Field(default=None, validate_default=True)
    http_host: str = "127.0.0.1"
    sandbox_public: bool = False  # sandbox mode only: listen on HTTP_HOST even when it is not loopback
    #: Sandbox mode only: also start the Replicate and Stripe stand-ins, the bot pointed at them (bot/sandbox_hosted.py)
    sandbox_hosted: bool = False
    http_port: int = Field(default=8080, ge=0, le=65535)
    generation_timeout: float = Field(default=300.0, gt=0, le=3600)
    generation_workers: int = Field(default=2, ge=1, le=64)
    #: Scaling out (README "Scaling out"): the queue backend, whether the bot process runs workers, and how a
    #: worker process that died (SIGKILL, a lost machine) is noticed — its jobs go to another worker.
    queue_backend: Literal["auto", "embedded", "procrastinate"] = "auto"
    workers_in_bot: bool = True
    queue_heartbeat: float = Field(default=10.0, gt=0, le=600)
    queue_stalled_after: float = Field(default=30.0, gt=0, le=3600)
    max_active_jobs: int = Field(default=1, ge=1, le=100)
    shutdown_grace: float = Field(default=20.0, ge=0, le=600)
    chat_action_interval: float = Field(default=4.0, ge=0.1, le=5.0)  # Telegram drops the indicator after 5 s
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    log_format: Literal["text", "json"] = "text"
    #: Show the card (Stripe) button and the Telegram payment provider inside Telegram. Off by default: Telegram's
    #: rules for digital goods require Stars inside a bot; Stripe stays available on the web either way.
    stripe_in_telegram: bool = False
    webapp_auth_max_age: int = Field(default=86400, ge=60, le=30 * 86400)  # seconds an initData stays valid
    api_rate_limit: int = Field(default=120, ge=1, le=10000)  # API requests a minute per caller (key or user)
    api_ip_rate_limit: int = Field(default=600, ge=1, le=100000)  # API requests a minute per client IP
    trusted_proxies: Annotated[frozenset[str], NoDecode] = frozenset()  # whose X-Forwarded-For is believed
    web_studio: bool = True  # False: the studio serves only Telegram (Mini App) users and API keys
    # Invitations (/invite): paid credits each side gets when an invited person's first track is delivered.
    referral_credits: int = Field(default=2, ge=0, le=100)
    #: Engines/models offered side by side (engines.catalogue): "synth,replicate:ace-step-1.5"; ENGINE stays the
    #: default. MODEL_COSTS prices them in credits ("ace-step-1.5=2"); TAKES_PER_PROMPT sets takes per prompt.
    engines: str | None = None
    model_costs: str = ""
    takes_per_prompt: str = ""
    lyrics_daily_limit: int = Field(default=3, ge=0, le=100)  # free AI lyric writes per user per day
    #: Where the data lives: unset → DATA_DIR/cloudmusic.db (SQLite); sqlite:///path; postgresql://… (storage.backends)
    database_url: SecretStr | None = None
    #: Where track audio lives (storage.audio): "local" → DATA_DIR/audio; s3://bucket/prefix → S3-compatible object
    #: storage, credentials and region from the standard AWS_* variables, S3_ENDPOINT_URL for a store other than AWS.
    audio_store: str = "local"
    s3_endpoint_url: str | None = None

    @field_validator("database_url", mode="before")
    @classmethod
    def _database_url(cls, value: object) -> object:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        text = value.get_secret_value() if isinstance(value, SecretStr) else str(value)
        try:
            backend_of(text.strip())
        except StorageError as exc:
            raise ValueError(str(exc)) from None
        return text.strip()

    @field_validator("audio_store")
    @classmethod
    def _audio_store_url(cls, value: str) -> str:
        try:
            return "local" if parse_audio_store(value) is None else value.strip()
        except AudioStoreError as exc:
            raise ValueError(str(exc)) from None

    @field_validator("s3_endpoint_url", mode="before")
    @classmethod
    def _s3_endpoint(cls, value: object) -> object:
        try:
            return check_endpoint_url(None if value is None else str(value))
        except AudioStoreError as exc:
            raise ValueError(str(exc)) from None

    @field_validator("telegram_bot_token", mode="before")
    @classmethod
    def _token_shape(cls, value: object) -> object:
        if value in (None, ""):
            return None
        if isinstance(value, str) and not _TOKEN.match(value.strip()):
            raise ValueError("does not look like a bot token from @BotFather (digits:letters)")
        return value.strip() if isinstance(value, str) else value

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p.strip() for p in value.split(",") if p.strip()]
            ids = []
            for part in parts:
                try:
                    ids.append(int(part))
                except ValueError:
                    raise ValueError(f"expected comma-separated Telegram user ids, got {part!r}") from None
            return frozenset(ids)
        return value

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_proxies(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p.strip() for p in value.split(",") if p.strip()]
            for part in parts:
                try:
                    ipaddress.ip_address(part)
                except ValueError:
                    raise ValueError(f"expected comma-separated IP addresses, got {part!r}") from None
            return frozenset(parts)
        return value

    @field_validator("teaser_prompts", mode="before")
    @classmethod
    def _split_prompts(cls, value: object) -> object:
        if isinstance(value, str):  # "a|b|c", or "a, b, c" when there is no "|"
            parts = [p.strip() for p in value.split("|" if "|" in value else ",")]
            value = tuple(p for p in parts if p)
        if isinstance(value, tuple | list):
            if not value:
                raise ValueError("expected at least one prompt, separated by | or ,")
            bad = [p for p in value if not isinstance(p, str) or len(p) > 300 or not p.isprintable()]
            if bad:
                raise ValueError(f"a prompt must be printable text of at most 300 characters, got {bad[0]!r:.40}")
        return value

    @field_validator("quota_timezone", "teaser_timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (use an IANA name such as Europe/Berlin)") from None
        return value

    @field_validator("teaser_time", mode="before")
    @classmethod
    def _hh_mm(cls, value: object) -> object:
        if isinstance(value, str):
            match = _TIME.match(value.strip())
            if not match:
                raise ValueError(f"expected HH:MM, got {value!r}")
            return time(int(match[1]), int(match[2]))
        return value

    @field_validator("teaser_channel", "stripe_api_base", "replicate_base_url", "public_base_url", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("teaser_channel")
    @classmethod
    def _channel_shape(cls, value: str | None) -> str | None:
        if value is not None and not _CHANNEL.match(value):
            raise ValueError("expected a numeric channel id (-100…) or @username")
        return value

    @field_validator("telegram_api_base_url", "stripe_api_base", "replicate_base_url", "public_base_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^\s/]+", value):
            raise ValueError(f"expected an http(s) URL, got {value!r}")
        return value

    @field_validator("credit_packs")
    @classmethod
    def _packs(cls, value: str) -> str:
        parse_packs(value)
        return value

    @field_validator("payment_currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        if not re.match(r"^[A-Z]{3}$", value):
            raise ValueError(f"expected a three-letter currency code such as USD, got {value!r}")
        return value

    @field_validator(
        "stripe_secret_key",
        "stripe_webhook_secret",
        "payment_provider_token",
        "replicate_api_token",
        "fingerprint_secret",
        mode="before",
    )
    @classmethod
    def _empty_secret_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("webhook_secret", mode="before")
    @classmethod
    def _webhook_secret_shape(cls, value: object) -> object:
        if value in (None, ""):
            return None
        if isinstance(value, str) and not _WEBHOOK_SECRET.match(value):
            raise ValueError("expected 1-256 characters, each A-Z, a-z, 0-9, _ or - (Telegram's secret_token rule)")
        return value

    @field_validator("webhook_url", mode="before")
    @classmethod
    def _webhook_pair(cls, value: object, info: ValidationInfo) -> object:
        value = None if value == "" else value
        if "webhook_secret" not in info.data:  # the secret itself is bad, and reported as such
            return value
        has_secret = info.data["webhook_secret"] is not None
        if value is None:
            if has_secret:
                raise ValueError("is required when WEBHOOK_SECRET is set (set both, or neither for long polling)")
            return None
        if not has_secret:
            raise ValueError("needs WEBHOOK_SECRET as well (set both, or neither for long polling)")
        if "telegram_bot_token" in info.data and info.data["telegram_bot_token"] is None:
            raise ValueError("webhook mode needs TELEGRAM_BOT_TOKEN (the sandbox stand-in does not push updates)")
        if not isinstance(value, str) or not re.match(r"^https?://[^\s/]+/\S*$", value) or urlsplit(value).path == "/":
            raise ValueError(
                f"expected an https URL with a path, such as https://bot.example.com/telegram, got {value!r}"
            )
        return value

    @field_validator("engine")
    @classmethod
    def _engine_name(cls, value: str) -> str:
        if not re.match(r"^[a-z][a-z0-9_-]*$", value):
            raise ValueError(f"expected an engine name such as synth or mock, got {value!r}")
        return value

    @model_validator(mode="after")
    def _teaser_zone_defaults_to_quota_zone(self) -> Settings:
        if self.teaser_timezone is None:
            object.__setattr__(self, "teaser_timezone", self.quota_timezone)
        return self

    @model_validator(mode="after")
    def _sandbox_defaults(self) -> Settings:
        """Sandbox mode shows an Admin and a Channel tab: make them work unless ADMIN_IDS / TEASER_CHANNEL say else."""
        if self.sandbox and "admin_ids" not in self.model_fields_set:
            object.__setattr__(self, "admin_ids", frozenset({SANDBOX_ADMIN_ID}))
        if self.sandbox and "teaser_channel" not in self.model_fields_set:
            object.__setattr__(self, "teaser_channel", SANDBOX_TEASER_CHANNEL)
        return self

    # --- derived values -----------------------------------------------------------------------------------

    @property
    def sandbox(self) -> bool:
        """True when no token is set: the bot talks to the built-in Telegram stand-in."""
        return self.telegram_bot_token is None

    @property
    def packs(self) -> tuple[CreditPack, ...]:
        """The credit packs on sale."""
        return parse_packs(self.credit_packs)

    @property
    def state_dir(self) -> Path:
        """Where the database, audio and generated secret live: DATA_DIR, or DATA_DIR/sandbox in sandbox mode.

        The sandbox never opens the real bot's database: anyone on the sandbox page acts as any user.
        """
        return self.data_dir / "sandbox" if self.sandbox else self.data_dir

    @property
    def database_url_value(self) -> str | None:
        """DATABASE_URL as text (it may hold a password: never log it), or None for the default SQLite file."""
        return None if self.database_url is None else self.database_url.get_secret_value()

    @property
    def database_backend(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return backend_of(self.database_url_value)

    @property
    def database_path(self) -> Path:
        """The SQLite file (DATA_DIR/cloudmusic.db unless DATABASE_URL names another; unused with PostgreSQL)."""
        url = self.database_url_value
        return sqlite_path(url if self.database_backend == "sqlite" else None, self.state_dir)

    @property
    def payment_inbox_path(self) -> Path:
        """The payment inbox: its own small SQLite file in the state dir (the main database's lock never blocks
        it; it is the local landing place for payments even when the database is PostgreSQL)."""
        return self.state_dir / "payments-inbox.db"

    @property
    def audio_dir(self) -> Path:
        """Where rendered audio files live."""
        return self.state_dir / "audio"

    @property
    def quota_zone(self) -> ZoneInfo:
        """The time zone whose midnight resets the free quota."""
        return ZoneInfo(self.quota_timezone)

    @property
    def teaser_zone(self) -> ZoneInfo:
        """The time zone of ``teaser_time``."""
        return ZoneInfo(self.teaser_timezone or self.quota_timezone)

    # --- sections -----------------------------------------------------------------------------------------

    @property
    def telegram(self) -> TelegramSection:
        """How to reach Telegram, and the admins."""
        token = self.telegram_bot_token or SecretStr(SANDBOX_TOKEN)
        return TelegramSection(
            token=token,
            api_base_url=self.telegram_api_base_url,
            webhook_url=self.webhook_url,
            webhook_secret=self.webhook_secret,
            admin_ids=self.admin_ids,
            sandbox=self.sandbox,
            sandbox_public=self.sandbox_public,
            rate_share=self.telegram_rate_share,
        )

    @property
    def storage(self) -> StorageSection:
        """Where the data lives."""
        return StorageSection(
            database_url=self.database_url_value,
            state_dir=self.state_dir,
            backend=self.database_backend,
            database_path=self.database_path,
            audio_dir=self.audio_dir,
            audio_store=self.audio_store,
            s3_endpoint_url=self.s3_endpoint_url,
            payment_inbox_path=self.payment_inbox_path,
            audio_retention=timedelta(days=self.audio_retention_days),
        )

    @property
    def generation(self) -> GenerationSection:
        """The engines and the queue's workers."""
        return GenerationSection(
            engine=self.engine,
            engines=self.engines,
            model_costs=self.model_costs,
            takes_per_prompt=self.takes_per_prompt,
            workers=self.generation_workers,
            timeout_s=self.generation_timeout,
            shutdown_grace_s=self.shutdown_grace,
            chat_action_interval_s=self.chat_action_interval,
            replicate_api_token=self.replicate_api_token,
            replicate_base_url=self.replicate_base_url,
            analyses_daily_limit=self.analyses_daily_limit,
            lyrics_daily_limit=self.lyrics_daily_limit,
            queue_backend=self.queue_backend,
            workers_in_bot=self.workers_in_bot,
            heartbeat_s=self.queue_heartbeat,
            stalled_s=self.queue_stalled_after,
        )

    @property
    def quota(self) -> QuotaSection:
        """The free quota and its day."""
        return QuotaSection(
            free_daily=self.free_daily_quota,
            timezone=self.quota_timezone,
            zone=self.quota_zone,
            max_active_jobs=self.max_active_jobs,
            referral_credits=self.referral_credits,
        )

    @property
    def payments(self) -> PaymentsSection:
        """What is sold, and through which providers."""
        return PaymentsSection(
            packs=self.packs,
            currency=self.payment_currency,
            provider_token=self.payment_provider_token,
            stripe_secret_key=self.stripe_secret_key,
            stripe_webhook_secret=self.stripe_webhook_secret,
            stripe_api_base=self.stripe_api_base,
            in_telegram=self.stripe_in_telegram,
            public_base_url=self.public_base_url,
        )

    @property
    def studio(self) -> StudioSection:
        """The studio page and its API."""
        return StudioSection(
            public_base_url=self.public_base_url,
            web_studio=self.web_studio,
            auth_max_age=timedelta(seconds=self.webapp_auth_max_age),
            rate_limit=self.api_rate_limit,
            ip_rate_limit=self.api_ip_rate_limit,
            trusted_proxies=self.trusted_proxies,
        )

    @property
    def http(self) -> HttpSection:
        """The bot's own HTTP server."""
        return HttpSection(
            host=self.http_host, port=self.http_port, sandbox=self.sandbox, sandbox_public=self.sandbox_public
        )

    @property
    def teaser(self) -> TeaserConfig:
        """The daily channel teaser, in the shape the desk (scheduler.teaser) takes."""
        return TeaserConfig(
            channel=self.teaser_channel,
            at=self.teaser_time,
            zone=self.teaser_zone,
            prompts=self.teaser_prompts,
            prepare_timeout_s=self.generation_timeout,
            lease=timedelta(seconds=self.generation_timeout) + timedelta(minutes=5),
        )


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment and ``.env``; keyword overrides win (tests use them)."""
    return Settings(**overrides)  # type: ignore[arg-type]


def describe_error(error: ValidationError) -> str:
    """One line naming each bad variable and what is wrong with it, never echoing secret values."""
    problems = []
    for item in error.errors(include_input=False, include_url=False):
        name = str(item["loc"][0]).upper() if item["loc"] else "settings"
        message = str(item["msg"]).removeprefix("Value error, ")
        problems.append(f"{name}: {message}")
    return "Bad configuration: " + "; ".join(problems)


def settings_or_explain() -> Settings | None:
    """The settings, or None once one line naming every bad variable is on stderr (the caller then exits 2).

    Both entry points (``python -m bot``, ``python -m worker``) start this way: bad settings refuse start-up with
    one clear line, never a traceback, and before logging is configured (its level and format are settings too).
    """
    try:
        return load_settings()
    except ValidationError as exc:
        print(describe_error(exc), file=sys.stderr)
        return None


def secret_values(settings: Settings) -> list[str]:
    """Every configured secret's value, for the log scrubber."""
    candidates = (
        settings.telegram_bot_token,
        settings.fingerprint_secret,
        settings.payment_provider_token,
        settings.stripe_secret_key,
        settings.stripe_webhook_secret,
        settings.replicate_api_token,
        settings.webhook_secret,
    )
    return [s.get_secret_value() for s in candidates if s is not None]


class SecretFileError(Exception):
    """The generated secret file cannot be used; the message names the file and what to do."""


def fingerprint_secret(settings: Settings) -> bytes:
    """The HMAC key for user fingerprints: ``FINGERPRINT_SECRET``, else one generated once into the state directory.

    The file is created 0600 in one step (``os.open`` with the mode and ``O_EXCL``), so there is no moment when
    another user could read it. An empty file stops start-up (:class:`SecretFileError`): a blank key would make
    every fingerprint guessable, and a new one would silently reset everyone's quota.
    """
    if settings.fingerprint_secret is not None:
        return settings.fingerprint_secret.get_secret_value().encode()
    path = settings.state_dir / "fingerprint.secret"
    if not path.exists():
        settings.state_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        value = secrets.token_hex(32)
        # O_EXCL: two processes starting at once must agree on one key, never overwrite each other's.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w", encoding="ascii") as handle:
                handle.write(value + "\n")
            return value.encode()
    value = path.read_text(encoding="ascii").strip()
    if not value:
        raise SecretFileError(
            f"{path} is empty: restore it from a backup, or delete it to generate a new key (this resets quotas)"
        )
    return value.encode()
