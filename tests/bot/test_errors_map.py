"""The one error map: a service exception finds its user text along its class hierarchy, like Starlette's handlers."""

from __future__ import annotations

from billing import PaymentError, StripeCheckoutError
from billing.stripe_checkout import StripeAlreadyRefunded
from bot.errors_map import key_for
from compose.studio import Gone, NotYours, StudioError


def test_a_studio_error_is_answered_with_the_key_it_carries() -> None:
    assert key_for(NotYours()) == "track.not_yours"
    assert key_for(Gone("track.no_stems")) == "track.no_stems"
    assert key_for(StudioError()) == "track.gone"


def test_a_subclass_without_its_own_entry_uses_its_nearest_base() -> None:
    assert key_for(StripeAlreadyRefunded("already refunded")) == "buy.card_unavailable"
    assert key_for(PaymentError("buy.unknown_pack")) == "buy.unknown_pack"
    assert key_for(StripeCheckoutError("down")) == "buy.card_unavailable"


def test_an_error_the_map_does_not_name_is_left_to_the_application_error_handler() -> None:
    assert key_for(ValueError("boom")) is None
    assert key_for(KeyboardInterrupt()) is None


def test_prompt_listen_and_analysis_errors_carry_their_key_and_values() -> None:
    from bot.errors_map import values_for
    from compose.intake import IntakeError
    from compose.listening import LimitReached, TooBig
    from engines.analysis import AnalysisError

    refused = IntakeError("intake.unknown_engine", name="x", known="a, b")
    assert (key_for(refused), values_for(refused)) == ("intake.unknown_engine", {"name": "x", "known": "a, b"})
    assert key_for(TooBig("big")) == "listen.too_big" and values_for(TooBig("big")) == {}
    assert key_for(LimitReached(3)) == "listen.limit" and values_for(LimitReached(3)) == {"limit": 3}
    assert key_for(AnalysisError("noise")) == "listen.undecodable"
