"""A typed handler context: ``context.services`` instead of string lookups in ``bot_data``."""

from __future__ import annotations

from typing import Any, cast

from telegram.ext import Application, CallbackContext, ExtBot

from bot.services import Services


class CloudMusicApplication(Application[Any, Any, Any, Any, Any, Any]):
    """PTB's Application carrying our services."""

    def __init__(self, *, services: Services, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.services = services


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """The context every handler receives."""

    @property
    def services(self) -> Services:
        """The application's services."""
        return cast(CloudMusicApplication, self.application).services
