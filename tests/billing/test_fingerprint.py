"""Fingerprints are keyed HMACs: stable per user, different per user and per secret."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from billing import fingerprint


def test_fingerprint_is_hmac_sha256_of_the_telegram_id() -> None:
    expected = hmac.new(b"k", b"telegram:42", hashlib.sha256).hexdigest()
    assert fingerprint(b"k", 42) == expected


def test_fingerprints_differ_by_user_and_by_secret() -> None:
    assert fingerprint(b"k", 1) != fingerprint(b"k", 2)
    assert fingerprint(b"k", 1) != fingerprint(b"other", 1)
    assert fingerprint(b"k", 1) != hashlib.sha256(b"telegram:1").hexdigest(), "unkeyed hashes are reversible"


def test_an_empty_secret_is_refused() -> None:
    with pytest.raises(ValueError):
        fingerprint(b"", 1)
