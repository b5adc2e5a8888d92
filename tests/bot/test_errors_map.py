"""The one error map: a service exception finds its user text along its class hierarchy, like Starlette's handlers."""

from __future__ import annotations

from billing import PaymentError, StripeCheckoutError
from billing.stripe_checkout import StripeAlreadyRefunded
from bot.errors_map import key_for
from scheduler.studio import Gone, NotYours, StudioError


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
