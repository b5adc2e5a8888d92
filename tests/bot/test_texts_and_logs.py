"""The texts catalog and the logging that scrubs secrets."""

from __future__ import annotations

import io
import json
import logging

import pytest

from bot.logs import JsonFormatter, RedactingFilter, trace_id_var
from bot.texts import Texts, default_texts


def test_language_falls_back_to_english_per_key() -> None:
    texts = Texts({"en": {"a": "Hello {name}", "b": "Bye"}, "de": {"a": "Hallo {name}"}})
    assert texts.get("de", "a", name="Ada") == "Hallo Ada"
    assert texts.get("de-AT", "a", name="Ada") == "Hallo Ada"
    assert texts.get("de", "b") == "Bye"
    assert texts.get("xx", "a", name="Ada") == "Hello Ada"
    assert texts.get(None, "b") == "Bye"
    with pytest.raises(KeyError):
        texts.get("en", "missing")


def test_shipped_catalog_has_every_key_the_bot_uses() -> None:
    texts = default_texts()
    for key in ("start.welcome", "help.text", "unknown.command", "error.generic", "command.start"):
        assert key in texts.keys("en")


def _capture(fmt: logging.Formatter, secrets: list[str]) -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter(secrets))
    handler.setFormatter(fmt)
    logger = logging.getLogger(f"test.{id(stream)}")
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    return logger, stream


def test_bot_tokens_and_secrets_are_redacted_from_messages_and_tracebacks() -> None:
    token = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
    logger, stream = _capture(logging.Formatter("%(message)s"), ["sk_live_abcdef123"])
    logger.info("HTTP Request: POST https://api.telegram.org/bot%s/getUpdates", token)
    try:
        raise RuntimeError("stripe said no to sk_live_abcdef123")
    except RuntimeError:
        logger.exception("payment failed")
    out = stream.getvalue()
    assert token not in out and "sk_live_abcdef123" not in out
    assert out.count("<redacted>") >= 2


def test_json_lines_carry_the_trace_id_and_extra_fields() -> None:
    logger, stream = _capture(JsonFormatter(), [])
    reset = trace_id_var.set("abc123")
    try:
        logger.info("ALLOW free", extra={"job_id": 7, "fingerprint": "f00"})
    finally:
        trace_id_var.reset(reset)
    record = json.loads(stream.getvalue())
    assert record["message"] == "ALLOW free"
    assert (record["trace_id"], record["job_id"], record["fingerprint"]) == ("abc123", 7, "f00")


def test_payment_provider_tokens_are_redacted_by_shape_and_as_configured_secrets() -> None:
    from bot.settings import Settings, secret_values

    provider = "284685063:TEST:NjQ5ZWI1ZmI4ZjQ0"
    live = "381764678:LIVE:a1b2c3d4e5f6"
    configured = Settings(_env_file=None, payment_provider_token="not-shaped-like-a-token-42")  # type: ignore[call-arg]
    logger, stream = _capture(logging.Formatter("%(message)s"), secret_values(configured))
    logger.info("sendInvoice provider_token=%s", provider)
    logger.warning("live token %s in %s", live, "not-shaped-like-a-token-42")
    out = stream.getvalue()
    assert provider not in out and "NjQ5ZWI1ZmI4ZjQ0" not in out and live not in out
    assert "not-shaped-like-a-token-42" not in out and out.count("<redacted>") == 3
