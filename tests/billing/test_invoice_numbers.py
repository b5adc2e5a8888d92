"""A signed invoice payload whose user id int() refuses is a BadPayload, not a crash (issue 12 item 10)."""

from __future__ import annotations

import pytest

from billing import BadPayload, invoices
from billing.invoices import InvoicePayload


@pytest.mark.parametrize("user", ["²", "1001²", "x"])
def test_a_signed_payload_with_a_user_id_int_refuses_is_a_bad_payload(user: str) -> None:
    key = invoices.derive_key(b"secret")
    good = invoices.make(key, InvoicePayload("stars", "10", 1001))
    body, _, _ = good.rpartition(".")
    version, method, pack, _, nonce = body.split(".")
    forged_body = ".".join([version, method, pack, user, nonce])
    forged = f"{forged_body}.{invoices.sign(key, forged_body)}"  # signed with our own key: only the id is odd
    with pytest.raises(BadPayload, match="malformed"):
        invoices.verify(key, forged)
