"""Every call is checked against the Bot API description; what Telegram would reject is a 400 and a Violation."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from standin import TelegramStandIn
from standin.validator import Upload, Validator
from tests.sandbox.conftest import ADA


@pytest.fixture
async def http(standin: TelegramStandIn) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=f"{standin.base_url}{standin.token}/", timeout=5) as client:
        yield client


async def _refused(http: httpx.AsyncClient, standin: TelegramStandIn, method: str, **kwargs: Any) -> str:
    """Call ``method``; assert a Telegram-shaped 400 and exactly one new violation; return its problem."""
    before = len(standin.violations)
    response = await http.post(method, **kwargs)
    body = response.json()
    assert response.status_code == 400, body
    assert body["ok"] is False and body["error_code"] == 400 and body["description"].startswith("Bad Request: ")
    assert len(standin.violations) == before + 1 and standin.violations[-1].method == method
    return standin.violations[-1].problem


@pytest.mark.parametrize(
    ("method", "data", "problem"),
    [
        ("sendMesage", {"chat_id": "1001", "text": "hi"}, "unknown method"),
        ("sendMessage", {"chat_id": "1001", "text": "hi", "colour": "red"}, "colour: unknown parameter"),
        ("sendMessage", {"chat_id": "1001"}, "text: required parameter is missing"),
        ("sendMessage", {"chat_id": "abc", "text": "hi"}, "chat_id must be an Integer or an @username"),
        ("refundStarPayment", {"user_id": "abc", "telegram_payment_charge_id": "x"}, "user_id must be Integer"),
        ("sendMessage", {"chat_id": "1001", "text": "hi", "reply_markup": "{oops"}, "can't parse JSON object"),
        ("sendMessage", {"chat_id": "1001", "text": "x" * 4097}, "message is too long"),
        ("sendMessage", {"chat_id": "1001", "text": "   "}, "message text is empty"),
        ("sendMessage", {"chat_id": "1001", "text": "hi", "disable_notification": "maybe"}, "must be Boolean"),
        ("sendSticker", {"chat_id": "1001", "sticker": "abc"}, "not supported by the stand-in"),
    ],
)
async def test_bad_calls_are_refused_and_recorded(
    http: httpx.AsyncClient, standin: TelegramStandIn, method: str, data: dict[str, str], problem: str
) -> None:
    assert problem in await _refused(http, standin, method, data=data)
    assert standin.transcript(ADA) == []


async def test_nested_objects_are_checked_field_by_field(http: httpx.AsyncClient, standin: TelegramStandIn) -> None:
    markup = {"inline_keyboard": [[{"text": "A", "callback_data": "a", "colour": "red"}]]}
    unknown = await _refused(
        http, standin, "sendMessage", data={"chat_id": "1001", "text": "hi", "reply_markup": json.dumps(markup)}
    )
    scope = await _refused(
        http,
        standin,
        "setMyCommands",
        data={"commands": '[{"command": "start", "description": "Go"}]', "scope": '{"type": "chat"}'},
    )
    wrong = await _refused(
        http,
        standin,
        "sendInvoice",
        json={
            "chat_id": ADA,
            "title": "t",
            "description": "d",
            "payload": "p",
            "currency": "XTR",
            "prices": [{"label": "x", "amount": "5"}],
        },
    )

    assert unknown == "reply_markup.inline_keyboard[0][0].colour: unknown field of InlineKeyboardButton"
    assert scope == "scope.chat_id: required field of BotCommandScopeChat is missing"
    assert wrong == "prices[0].amount must be Integer, got '5'"


async def test_valid_calls_pass_in_every_encoding(http: httpx.AsyncClient, standin: TelegramStandIn) -> None:
    reply_keyboard = {"keyboard": [[{"text": "Yes"}]], "resize_keyboard": True}
    form = await http.post(
        "sendMessage", data={"chat_id": "1001", "text": "form", "reply_markup": json.dumps(reply_keyboard)}
    )
    as_json = await http.post(
        "SENDMESSAGE", json={"chat_id": ADA, "text": "json", "reply_markup": {"remove_keyboard": True}}
    )
    query = await http.get("sendMessage", params={"chat_id": "1001", "text": "query"})
    thumb = Upload("t", "t.jpg", "image/jpeg", b"jpg")
    multipart = await http.post(
        "sendAudio",
        data={"chat_id": "1001", "thumbnail": "attach://cover"},
        files={"audio": ("a.mp3", b"ID3", "audio/mpeg"), "cover": (thumb.filename, thumb.data, thumb.content_type)},
    )

    assert [r.status_code for r in (form, as_json, query, multipart)] == [200] * 4
    assert [m.content for m in standin.transcript(ADA)] == ["form", "json", "query", ""]
    assert standin.transcript(ADA)[-1].thumbnail is not None
    assert standin.violations == []


async def test_a_missing_attach_part_is_a_violation(http: httpx.AsyncClient, standin: TelegramStandIn) -> None:
    files = {"audio": ("a.mp3", b"ID3", "audio/mpeg")}
    problem = await _refused(
        http, standin, "sendAudio", data={"chat_id": "1001", "thumbnail": "attach://gone"}, files=files
    )

    assert problem == "thumbnail: 'attach://gone' names no uploaded part"


async def test_a_wrong_token_is_401_and_an_unknown_method_is_never_404(standin: TelegramStandIn) -> None:
    async with httpx.AsyncClient() as client:
        wrong = await client.post(f"{standin.base_url}999:WRONG/getMe")
        unknown = await client.post(f"{standin.base_url}{standin.token}/fetchEverything")

    assert (wrong.status_code, wrong.json()["description"]) == (401, "Unauthorized")
    assert unknown.status_code == 400 and [v.method for v in standin.violations] == ["fetchEverything"]


async def test_get_updates_conflicts_while_a_webhook_is_set(http: httpx.AsyncClient) -> None:
    assert (await http.post("setWebhook", data={"url": "https://example.invalid/hook"})).status_code == 200
    assert (await http.post("getUpdates", data={"timeout": "0"})).status_code == 409
    assert (await http.post("deleteWebhook")).status_code == 200
    assert (await http.post("getUpdates", data={"timeout": "0"})).status_code == 200


def test_the_validator_decodes_form_values_by_their_declared_types() -> None:
    checked = Validator().check(
        "sendAudio",
        {"chat_id": "-100123", "audio": "FILEID", "duration": "42", "disable_notification": "true"},
        {"thumbnail": Upload("thumbnail", "t.jpg", "image/jpeg", b"x")},
    )

    assert checked.ok, checked.problems
    assert checked.params["chat_id"] == -100123 and checked.params["duration"] == 42
    assert checked.params["disable_notification"] is True and isinstance(checked.params["thumbnail"], Upload)
