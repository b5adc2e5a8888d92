"""The HTTP API's request and response bodies: the same pydantic models validate requests and write the OpenAPI."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class TrackRequest(BaseModel):
    """A track to compose: a prompt plus optional parameters (checked by the same intake rules as the chat)."""

    model_config = ConfigDict(extra="forbid")

    prompt: str = Field(min_length=1, max_length=500, description="What the music should be, in words.")
    bpm: float | None = Field(default=None, ge=40, le=220, description="Tempo in beats per minute.")
    key: str | None = Field(
        default=None, max_length=12, pattern=r"^[A-Ga-g][#b]?( ?(m|min|minor|maj|major))?$", description="e.g. Am"
    )
    duration: float | None = Field(default=None, gt=0, le=600, description="Length in seconds.")
    seed: int | None = Field(default=None, ge=0, lt=2**31, description="Same seed and prompt, same track.")
    loop: bool = Field(default=False, description="A seamless loop, where the engine can make one.")
    engine: str | None = Field(
        default=None,
        max_length=64,
        pattern=r"^[A-Za-z0-9_./:-]+$",
        description="An engine/model key from GET /engines (default: your /engine choice in the chat, else the first"
        " offered). A model costing more than 1 credit is paid from bought credits only.",
    )


class Me(BaseModel):
    """Who the caller is and what they may spend."""

    user_id: int
    first_name: str
    free_left: int
    free_quota: int
    paid_credits: int
    resets_at: datetime
    kind: Literal["telegram", "key", "web"] = Field(description="Mini App user, API key, or anonymous web visitor")
    linked: bool = Field(default=False, description="A web session joined to a Telegram account with /link")
    csrf_token: str | None = Field(default=None, description="Web visitors: send as X-CSRF-Token on POSTs")
    card_payments: bool = Field(default=False, description="Whether POST /checkout (Stripe) is available")


class Queued(BaseModel):
    """A composition that was accepted."""

    id: int
    status: Literal["queued", "running", "delivered", "failed", "canceled"]
    position: int = Field(description="Place in the queue; 0 when it is already being composed.")


class Track(BaseModel):
    """One track: its status, and its metadata once delivered."""

    id: int
    status: Literal["queued", "running", "delivered", "failed", "canceled"]
    prompt: str
    created_at: datetime
    title: str | None = None
    duration: float | None = None
    bpm: float | None = None
    key: str | None = None
    seed: int | None = None
    audio_url: str | None = Field(default=None, description="The MP3, once delivered (add ?format=wav for WAV).")
    engine: str | None = Field(default=None, description="The engine that makes it (see GET /engines)")


class Library(BaseModel):
    """A page of the caller's delivered tracks, newest first."""

    tracks: list[Track]
    total: int


class Problem(BaseModel):
    """Why a request was not served."""

    error: str = Field(description="A stable code: unauthorized, invalid, not_found, rate_limited, quota, busy…")
    message: str = Field(description="A sentence to show a person.")


class Pack(BaseModel):
    """A credit pack on sale."""

    id: str
    credits: int
    stars: int
    usd: str


class Packs(BaseModel):
    """The credit packs on sale."""

    packs: list[Pack]


class InvoiceRequest(BaseModel):
    """Which pack to buy."""

    model_config = ConfigDict(extra="forbid")

    pack: str = Field(min_length=1, max_length=16, description="A pack id from GET /packs")


class InvoiceLink(BaseModel):
    """A Telegram Stars invoice link, to open with Telegram.WebApp.openInvoice."""

    url: str


class LinkRequest(BaseModel):
    """A one-time code from the bot's /link."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=4, max_length=20)


class LinkResult(BaseModel):
    """The Telegram account this web session is now part of, and the paid credits that moved there."""

    telegram_id: int
    moved: int


class Shared(BaseModel):
    """The owner's consent to feature the track in the channel is recorded."""

    shared: bool
    already: bool = Field(description="True when consent had been given before")


class Preparing(BaseModel):
    """The file is being made by a worker: ask again after ``Retry-After`` seconds."""

    status: Literal["preparing"] = "preparing"
    message: str = Field(description="Says so in the caller's language")


class EngineLicense(BaseModel):
    """The licence of a model's output."""

    id: str = Field(description="SPDX-like id, e.g. CC-BY-NC-4.0")
    name: str
    url: str
    commercial_use: bool


class EngineCapabilities(BaseModel):
    """What a model can do."""

    max_duration: float = Field(description="Longest track, in seconds")
    min_duration: float = Field(description="Shortest track, in seconds")
    can_loop: bool
    can_continue: bool
    stems: bool
    vocals: bool
    commercial_use: bool


class EngineOffer(BaseModel):
    """One engine/model on offer, with its price."""

    key: str = Field(description="What to send as TrackRequest.engine")
    engine: str
    model: str
    description: str
    cost: int = Field(description="Credits a prompt; above 1, paid from bought credits only")
    takes: int = Field(description="Takes composed for one prompt (one charge)")
    default: bool = Field(description="Used when nobody picked one")
    license: EngineLicense
    capabilities: EngineCapabilities


class Engines(BaseModel):
    """The engines/models on offer, the default first, and the caller's pick."""

    engines: list[EngineOffer]
    chosen: str = Field(
        description="The key a request without an engine goes to: your /engine choice, else the default"
    )
