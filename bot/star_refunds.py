"""The Stars provider's one Telegram call: ``refundStarPayment``, its answers turned into billing's provider errors.

Telegram answers a second refund of a charge with 400 ``CHARGE_ALREADY_REFUNDED`` and an unknown charge (or one
of another user) with 400 ``CHARGE_NOT_FOUND`` (the errors tdlib's ``refundStarPayment`` reports; the Telegram
stand-in, ``standin/commerce.py``, answers the same).
"""

from __future__ import annotations

from telegram import Bot
from telegram.error import BadRequest, TelegramError

from billing.providers import AlreadyRefundedAtProvider, ProviderUnavailable, StarRefund, UnknownCharge


def star_refunder(bot: Bot) -> StarRefund:
    """``refundStarPayment`` through ``bot``, raising ``billing.providers`` errors instead of Telegram's."""

    async def refund_star_payment(user_id: int, charge_id: str) -> None:
        try:
            await bot.refund_star_payment(user_id, charge_id)
        except BadRequest as exc:
            if "CHARGE_ALREADY_REFUNDED" in exc.message.upper():
                raise AlreadyRefundedAtProvider(exc.message) from exc
            if "CHARGE_NOT_FOUND" in exc.message.upper():
                raise UnknownCharge(exc.message) from exc
            raise ProviderUnavailable(exc.message) from exc
        except TelegramError as exc:
            raise ProviderUnavailable(exc.message) from exc

    return refund_star_payment
