"""Logging: text or JSON lines, a trace id carried through a piece of work, and secrets scrubbed from every record.

httpx logs each request URL, and a Bot API URL contains the bot token; the redaction filter replaces bot tokens,
anything shaped like a payment provider token (``…:TEST:…``/``…:LIVE:…``) and any registered secret values before
a record is formatted, whichever handler prints it.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import secrets
import sys
from collections.abc import Iterable
from datetime import UTC, datetime

trace_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("trace_id", default="-")
_BOT_TOKEN = re.compile(r"\d{5,}:[A-Za-z0-9_-]{20,}")
#: Payment provider tokens from @BotFather look like ``<provider id>:TEST:<key>`` or ``<provider id>:LIVE:<key>``.
_PROVIDER_TOKEN = re.compile(r"\d{5,}:(?:TEST|LIVE):[A-Za-z0-9_=+/-]+")
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}


def new_trace_id() -> str:
    """A short id a user can quote and an operator can grep for."""
    return secrets.token_hex(4)


class RedactingFilter(logging.Filter):
    """Replaces bot tokens and known secret values in a record's message and arguments."""

    def __init__(self, secret_values: Iterable[str] = ()) -> None:
        super().__init__()
        self._secrets = sorted({s for s in secret_values if len(s) >= 6}, key=len, reverse=True)

    def _clean(self, text: str) -> str:
        text = _PROVIDER_TOKEN.sub("<redacted>", text)
        text = _BOT_TOKEN.sub("<redacted>", text)
        for value in self._secrets:
            text = text.replace(value, "<redacted>")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        record.trace_id = trace_id_var.get()
        message = record.getMessage()
        cleaned = self._clean(message)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = self._clean(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, trace id and any ``extra`` fields."""

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "trace_id": getattr(record, "trace_id", "-"),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and key not in payload:
                payload[key] = value if isinstance(value, str | int | float | bool | None) else repr(value)
        if record.exc_text:
            payload["exception"] = record.exc_text
        return json.dumps(payload, ensure_ascii=False)


def configure_logging(level: str, fmt: str, secret_values: Iterable[str] = ()) -> None:
    """Send every log record to stderr in ``fmt`` ("text" or "json"), scrubbed of secrets."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RedactingFilter(secret_values))
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s [%(trace_id)s] %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Each poll is an HTTP request; at INFO they drown the useful lines.
    logging.getLogger("httpx").setLevel(max(logging.WARNING, root.level))
    logging.getLogger("apscheduler").setLevel(max(logging.WARNING, root.level))
