"""Seals secrets at rest: Fernet tokens (AES-128-CBC + HMAC) from `THREADWORK_SECRET_KEY`.

The key setting is one Fernet key, or several separated by commas for rotation: the first seals,
every one unseals (`cryptography`'s MultiFernet), so a new key goes first and an old one stays
listed until `rotate` has resealed what it sealed.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from orchestrator.errors import SealBroken, SecretKeyInvalid


def parse_keys(value: str | None) -> MultiFernet:
    """The keys of `THREADWORK_SECRET_KEY`, or `SecretKeyInvalid` saying what is wrong."""
    if value is None or not value.strip():
        raise SecretKeyInvalid("THREADWORK_SECRET_KEY is not set")
    keys = []
    for index, part in enumerate(p.strip() for p in value.split(",")):
        try:
            keys.append(Fernet(part.encode()))
        except ValueError:
            where = f"key {index + 1}" if "," in value else "the key"
            raise SecretKeyInvalid(
                f"THREADWORK_SECRET_KEY: {where} is not a Fernet key (32 url-safe base64-encoded "
                "bytes, 44 characters)"
            ) from None
    return MultiFernet(keys)


def new_key() -> str:
    """A fresh key to put in `THREADWORK_SECRET_KEY`."""
    return Fernet.generate_key().decode()


class Sealer:
    """Seals and unseals text with the configured keys."""

    def __init__(self, keys: MultiFernet) -> None:
        self._keys = keys

    @classmethod
    def from_setting(cls, value: str | None) -> Sealer:
        return cls(parse_keys(value))

    def seal(self, plain: str) -> str:
        return self._keys.encrypt(plain.encode()).decode()

    def unseal(self, sealed: str) -> str:
        try:
            return self._keys.decrypt(sealed.encode()).decode()
        except InvalidToken:
            raise SealBroken(
                "a sealed value cannot be opened with THREADWORK_SECRET_KEY (was the key "
                "replaced instead of rotated? keep the old key listed after the new one)"
            ) from None

    def rotate(self, sealed: str) -> str:
        """The same value sealed with the first key."""
        return self._keys.rotate(sealed.encode()).decode()
