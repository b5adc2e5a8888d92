"""The sandbox's menu button for the studio: a Mini App launch URL with valid ``initData`` for a simulated person.

Telegram opens a Mini App at its URL with the launch parameters in the fragment (``#tgWebAppData=<initData>&…``,
which Telegram's ``telegram-web-app.js`` reads); the sandbox does the same, signing ``initData`` with the sandbox
bot's token exactly as Telegram does (:func:`bot.studio.initdata.sign_init_data`), so the studio's own check runs.
"""

from __future__ import annotations

import json
import time
from urllib.parse import urlencode

from aiohttp import web

from bot.sandbox.standin import TelegramStandIn
from bot.sandbox.web.cast import Cast
from bot.studio.initdata import sign_init_data


class StudioPanel:
    """``GET /sandbox/api/studio?user=<id>`` → ``{"url": "/app/#tgWebAppData=…"}`` for that person."""

    def __init__(self, standin: TelegramStandIn, cast: Cast) -> None:
        self._standin, self._cast = standin, cast

    def mount(self, app: web.Application) -> None:
        """Add the route to ``app``."""
        app.router.add_get("/sandbox/api/studio", self.launch)

    async def launch(self, request: web.Request) -> web.Response:
        """The studio's launch URL for the person in ``?user=``; 400 for anyone not in the cast."""
        raw = request.query.get("user", "")
        person = self._cast.person(int(raw)) if raw.isdigit() and len(raw) < 16 else None
        if person is None:
            return web.json_response({"error": f"unknown user {raw[:20]!r}"}, status=400)
        # The person's app language as it is now (the page may have switched it), as Telegram puts it in initData.
        language = self._standin.world.users.get(person.user_id, {}).get("language_code") or person.language_code
        user = {"id": person.user_id, "first_name": person.name, "language_code": language or "en"}
        fields = {
            "query_id": f"SANDBOX{person.user_id}",
            "user": json.dumps(user, separators=(",", ":")),
            "auth_date": str(int(time.time())),
        }
        init_data = sign_init_data(fields, self._standin.world.token)
        launch = urlencode({"tgWebAppData": init_data, "tgWebAppVersion": "8.0", "tgWebAppPlatform": "web"})
        return web.json_response({"url": f"/app/#{launch}"}, headers={"Cache-Control": "no-store"})
