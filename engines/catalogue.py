"""The models the service offers side by side (``ENGINES``), each with its price, takes and what it can do.

Three settings describe the offer::

    ENGINES=synth,replicate:ace-step-1.5,replicate:musicgen    engine, or engine:model (a model's full id or
                                                               the last part of it)
    MODEL_COSTS=ace-step-1.5=2                                 credits per prompt (default 1)
    TAKES_PER_PROMPT=synth=2,ace-step-1.5=1                    takes per prompt, one charge (default 2 for
                                                               synth, 1 for hosted models)

``ENGINE`` stays the default: the offer whose engine is ``ENGINE`` (its default model) comes first. Nothing here
talks to a network: the catalogue is built from the engines' own ``models()`` and ``capabilities()``.

Errors::

    CatalogueError (ValueError)   a setting names an unknown engine or model, or a bad price / number of takes
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

from engines.base import Capabilities, Engine, EngineError, License, ModelInfo

#: Engines that run on this machine: two takes cost only CPU, so they default to two.
LOCAL_ENGINES = frozenset({"synth", "mock"})
MAX_COST = 100
MAX_TAKES = 4
_PAIR = re.compile(r"^\s*([A-Za-z0-9_./:-]+)\s*=\s*(\d{1,3})\s*$")


class CatalogueError(ValueError):
    """A catalogue setting cannot be understood; the message names what is wrong."""


@dataclass(frozen=True, slots=True)
class Offer:
    """One engine/model the user may pick, with its price in credits and takes per prompt."""

    key: str  # what users type after ``engine=`` and what /engine shows: "synth", "ace-step-1.5"
    engine: str  # registry name
    model: ModelInfo
    cost: int
    takes: int

    @property
    def capabilities(self) -> Capabilities:
        """What the model can do."""
        return self.model.capabilities

    @property
    def license(self) -> License:
        """The licence of its output."""
        return self.model.license

    @property
    def model_id(self) -> str:
        """The model's full id (e.g. ``visoar/ace-step-1.5``)."""
        return self.model.id


@dataclass(frozen=True, slots=True)
class Catalogue:
    """Every offer, the default first."""

    offers: tuple[Offer, ...]

    def __iter__(self) -> Iterator[Offer]:
        return iter(self.offers)

    @property
    def default(self) -> Offer:
        """The offer used when the user picked none."""
        return self.offers[0]

    def find(self, name: str) -> Offer | None:
        """The offer called ``name`` (its key, its model's full id, or ``engine:key``), case-insensitively."""
        wanted = name.strip().lower()
        for offer in self.offers:
            names = {offer.key.lower(), offer.model_id.lower(), f"{offer.engine}:{offer.key}".lower()}
            if wanted in names:
                return offer
        return None

    @property
    def vocal(self) -> tuple[Offer, ...]:
        """The offers that sing lyrics."""
        return tuple(offer for offer in self.offers if offer.capabilities.vocals)

    @property
    def referencing(self) -> tuple[Offer, ...]:
        """The offers that take a clip as a melody reference (``Capabilities.reference_audio``)."""
        return tuple(offer for offer in self.offers if offer.capabilities.reference_audio)

    def singer(self, preferred: str | None) -> Offer | None:
        """The offer ``preferred`` names when it sings, else the first vocal offer; None when none sings."""
        offer = self.find(preferred) if preferred else None
        if offer is not None and offer.capabilities.vocals:
            return offer
        return self.vocal[0] if self.vocal else None

    def offer_for(self, engine: str, model: str | None) -> Offer | None:
        """The offer a job was made with: its engine and the model it asked for (None: the engine's default
        model, listed under the engine's own name), if that model is still offered."""
        for offer in self.offers:
            if offer.engine == engine and (offer.model_id == model or (model is None and offer.key == offer.engine)):
                return offer
        return None


def extendable(catalogue: Catalogue | None, engines: Mapping[str, Engine]) -> Callable[[str, str | None], bool]:
    """Whether a track made by ``engine`` with ``model`` (None: its default) can be extended: the model's own
    ``can_continue``, so a model that cannot continue audio gets no "Extend" button even when its engine's
    default model can."""

    def can_extend(engine: str, model: str | None) -> bool:
        offer = catalogue.offer_for(engine, model) if catalogue is not None else None
        if offer is not None:
            return offer.capabilities.can_continue
        built = engines.get(engine)
        if built is None:
            return False
        try:
            return built.capabilities(model).can_continue
        except EngineError:  # a model this engine no longer knows
            return False

    return can_extend


def _short(model_id: str) -> str:
    return model_id.rsplit("/", 1)[-1]


def _pairs(setting: str, what: str) -> dict[str, int]:
    values: dict[str, int] = {}
    for part in (p for p in setting.split(",") if p.strip()):
        match = _PAIR.match(part)
        if match is None:
            raise CatalogueError(f"{what}: expected name=number, got {part.strip()!r}")
        values[match[1].lower()] = int(match[2])
    return values


def _lookup(values: Mapping[str, int], offer_names: tuple[str, ...]) -> int | None:
    for name in offer_names:
        if name.lower() in values:
            return values[name.lower()]
    return None


def build_catalogue(
    entries: str | None,
    engines: Mapping[str, Engine],
    *,
    default_engine: str,
    costs: str = "",
    takes: str = "",
) -> Catalogue:
    """The catalogue ``ENGINES`` describes (just ``default_engine`` when unset), priced by ``MODEL_COSTS`` and
    ``TAKES_PER_PROMPT``. ``engines`` maps each engine name used to a built engine."""
    items = [e.strip() for e in (entries or default_engine).split(",") if e.strip()]
    if default_engine not in {item.split(":", 1)[0] for item in items}:
        items.insert(0, default_engine)
    price, take_counts = _pairs(costs, "MODEL_COSTS"), _pairs(takes, "TAKES_PER_PROMPT")
    offers: list[Offer] = []
    for item in items:
        engine_name, _, model_name = item.partition(":")
        engine = engines.get(engine_name)
        if engine is None:
            raise CatalogueError(f"ENGINES: engine {engine_name!r} is not built (known: {', '.join(engines)})")
        models = list(engine.models())
        if model_name:
            chosen = [m for m in models if model_name.lower() in (m.id.lower(), _short(m.id).lower())]
            if not chosen:
                known = ", ".join(_short(m.id) for m in models)
                raise CatalogueError(f"ENGINES: {engine_name} has no model {model_name!r} (known: {known})")
            model = chosen[0]
        else:
            model = models[0]
        key = engine_name if not model_name else _short(model.id)
        names = (key, model.id, f"{engine_name}:{key}")
        cost = _lookup(price, names)
        cost = 1 if cost is None else cost
        count = _lookup(take_counts, names)
        count = (2 if engine_name in LOCAL_ENGINES else 1) if count is None else count
        if not 1 <= cost <= MAX_COST:
            raise CatalogueError(f"MODEL_COSTS: {key} must cost 1 to {MAX_COST} credits, got {cost}")
        if not 1 <= count <= MAX_TAKES:
            raise CatalogueError(f"TAKES_PER_PROMPT: {key} must make 1 to {MAX_TAKES} takes, got {count}")
        offer = Offer(key=key, engine=engine_name, model=model, cost=cost, takes=count)
        if any(o.key == offer.key for o in offers):
            raise CatalogueError(f"ENGINES: {key!r} is listed twice")
        # The default engine's offer goes first.
        if engine_name == default_engine and not any(o.engine == default_engine for o in offers):
            offers.insert(0, offer)
        else:
            offers.append(offer)
    return Catalogue(tuple(offers))
