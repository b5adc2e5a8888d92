"""The engines/models the studio offers (``GET /engines``) and which one a track request goes to: the request's
``engine``, else the person's ``/engine`` choice in the chat (while still offered), else the catalogue's default."""

from __future__ import annotations

from aiohttp import web

from bot.services import Services
from bot.studio.auth import Caller
from bot.studio.models import EngineCapabilities, EngineLicense, EngineOffer, Engines
from engines.catalogue import Catalogue, Offer, build_catalogue


class EngineRoutes:
    """Handler of ``/engines``, and the engine choice for ``POST /tracks``."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self._choices = services.engine_choices
        self._single: Catalogue | None = None

    def catalogue(self) -> Catalogue:
        """The catalogue on offer; with ENGINES unset, just ENGINE's default model at 1 credit."""
        studio = self.services.studio
        if studio.catalogue is not None:
            return studio.catalogue
        if self._single is None:
            self._single = build_catalogue(None, studio.queue.engines, default_engine=studio.engine)
        return self._single

    async def engine_for(self, caller: Caller, wanted: str | None) -> str | None:
        """The engine a request goes to: ``wanted``, else the caller's chat choice if still offered (None: default)."""
        if wanted is not None or caller.who.telegram_id < 0 or self.services.studio.catalogue is None:
            return wanted
        chosen = await self._choices.chosen(caller.who.telegram_id)
        return chosen if chosen is not None and self.services.studio.catalogue.find(chosen) else None

    async def engines(self, request: web.Request, caller: Caller) -> web.StreamResponse:
        """Every engine/model on offer with its price, licence and capabilities, and the caller's pick."""
        catalogue = self.catalogue()
        chosen = await self.engine_for(caller, None)
        found = catalogue.find(chosen) if chosen is not None else None
        answer = Engines(
            engines=[_offer(offer, offer is catalogue.default) for offer in catalogue],
            chosen=(found or catalogue.default).key,
        )
        return web.json_response(answer.model_dump(mode="json"))


def _offer(offer: Offer, default: bool) -> EngineOffer:
    caps, licence = offer.capabilities, offer.license
    return EngineOffer(
        key=offer.key,
        engine=offer.engine,
        model=offer.model_id,
        description=offer.model.description,
        cost=offer.cost,
        takes=offer.takes,
        default=default,
        license=EngineLicense(id=licence.id, name=licence.name, url=licence.url, commercial_use=licence.commercial_use),
        capabilities=EngineCapabilities(
            max_duration=caps.max_duration, min_duration=caps.min_duration, can_loop=caps.can_loop,
            can_continue=caps.can_continue, stems=caps.stems, vocals=caps.vocals, commercial_use=caps.commercial_use,
        ),
    )  # fmt: skip
