"""Sealing with THREADWORK_SECRET_KEY: clear errors for bad keys, rotation keeps old seals open."""

from __future__ import annotations

import pytest

from orchestrator.adapters.sealing import Sealer, new_key, parse_keys
from orchestrator.errors import SealBroken, SecretKeyInvalid


def test_a_sealed_value_is_not_the_value_and_opens_again() -> None:
    sealer = Sealer.from_setting(new_key())
    sealed = sealer.seal("access-token-123")
    assert "access-token-123" not in sealed
    assert sealer.unseal(sealed) == "access-token-123"


@pytest.mark.parametrize("value", [None, "", "  "])
def test_a_missing_key_says_so(value: str | None) -> None:
    with pytest.raises(SecretKeyInvalid, match="THREADWORK_SECRET_KEY is not set"):
        parse_keys(value)


def test_a_malformed_key_says_which_one() -> None:
    with pytest.raises(SecretKeyInvalid, match="not a Fernet key"):
        parse_keys("hunter2")
    with pytest.raises(SecretKeyInvalid, match="key 2 is not a Fernet key"):
        parse_keys(f"{new_key()},short")


def test_rotation_the_new_key_seals_and_the_old_one_still_opens() -> None:
    old, new = new_key(), new_key()
    sealed_by_old = Sealer.from_setting(old).seal("refresh-1")
    rotated = Sealer.from_setting(f"{new},{old}")
    assert rotated.unseal(sealed_by_old) == "refresh-1"
    resealed = rotated.rotate(sealed_by_old)
    assert Sealer.from_setting(new).unseal(resealed) == "refresh-1"


def test_a_replaced_key_is_a_clear_error_not_garbage() -> None:
    sealed = Sealer.from_setting(new_key()).seal("x")
    with pytest.raises(SealBroken, match="keep the old key listed"):
        Sealer.from_setting(new_key()).unseal(sealed)
