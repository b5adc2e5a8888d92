"""The sandbox chat page: talk to the bot from a browser, as simulated people, through the Telegram stand-in.

Public surface: ``SandboxPage`` (mount it on the bot's HTTP app in sandbox mode), ``sandbox_cast`` and the
``Cast``/``Person``/``Channel`` values it returns. Modules: ``site`` (routes and static files), ``api`` (JSON
endpoints under ``/sandbox/api/``), ``stream`` (server-sent events), ``views`` (messages as the page draws them),
``cast`` (who is in the sandbox). The page itself is ``standin/static/`` (plain HTML, CSS and JavaScript).
"""

from standin.web.cast import Cast, Channel, Person, sandbox_cast
from standin.web.site import SandboxPage

__all__ = ["Cast", "Channel", "Person", "SandboxPage", "sandbox_cast"]
