"""initData validation against an independent signer written from Telegram's specification."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlencode

import pytest

from bot.studio.initdata import InvalidInitData, sign_init_data, validate_init_data

TOKEN = "123456:TEST-cloudmusic-e2e-token-0000"
NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def telegram_signed(fields: dict[str, str], token: str = TOKEN) -> str:
    """initData signed as Telegram's documentation spells it out (independent of the code under test)."""
    secret = hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()
    check = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()))
    return urlencode({**fields, "hash": hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()})


def fields(user_id: int = 1001, at: datetime = NOW) -> dict[str, str]:
    user = json.dumps({"id": user_id, "first_name": "Ada", "language_code": "en"}, separators=(",", ":"))
    return {"query_id": "AAH1", "user": user, "auth_date": str(int(at.timestamp()))}


def test_a_telegram_signed_init_data_names_its_user() -> None:
    user = validate_init_data(telegram_signed(fields()), TOKEN, now=NOW, max_age=DAY)
    assert (user.id, user.first_name, user.language_code) == (1001, "Ada", "en")


def test_the_signer_agrees_with_telegrams_rule() -> None:
    assert dict(parse_qsl(sign_init_data(fields(), TOKEN))) == dict(parse_qsl(telegram_signed(fields())))


def test_one_changed_field_is_refused() -> None:
    signed = dict(parse_qsl(telegram_signed(fields())))
    signed["user"] = signed["user"].replace("1001", "1002")
    with pytest.raises(InvalidInitData):
        validate_init_data(urlencode(signed), TOKEN, now=NOW, max_age=DAY)


def test_a_wrong_token_is_refused() -> None:
    with pytest.raises(InvalidInitData):
        validate_init_data(telegram_signed(fields(), "999:OTHER-token-xxxxxxxxxxxxxxxx"), TOKEN, now=NOW, max_age=DAY)


def test_a_stale_auth_date_is_refused_and_a_fresh_one_at_the_limit_passes() -> None:
    validate_init_data(telegram_signed(fields(at=NOW - DAY)), TOKEN, now=NOW, max_age=DAY)
    with pytest.raises(InvalidInitData):
        validate_init_data(telegram_signed(fields(at=NOW - DAY - timedelta(seconds=1))), TOKEN, now=NOW, max_age=DAY)


@pytest.mark.parametrize("raw", ["", "hash=", "user=x&hash=00", "auth_date=1&auth_date=2&hash=1", "%%%"])
def test_garbage_is_refused(raw: str) -> None:
    with pytest.raises(InvalidInitData):
        validate_init_data(raw, TOKEN, now=NOW, max_age=DAY)


def test_a_missing_hash_is_refused() -> None:
    with pytest.raises(InvalidInitData):
        validate_init_data(urlencode(fields()), TOKEN, now=NOW, max_age=DAY)
