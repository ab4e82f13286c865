"""GOSH wallet keys: ed25519 pairs written as 64 hex characters each.

The secret is the 32-byte ed25519 seed (as GOSH's SDK writes it); the public key
is derived from it. :class:`KeyPair` never shows its secret: not in ``repr``,
``str``, error messages or pickles. :meth:`KeyPair.reveal_secret` is the one
explicit way out (for writing a key file).
"""

from __future__ import annotations

import re
from typing import NoReturn

from nacl.exceptions import BadSignatureError
from nacl.exceptions import ValueError as NaclValueError
from nacl.signing import SigningKey, VerifyKey

from goshfile.errors import InputError
from goshfile.secrets import redact

KEY_HEX = re.compile(r"^[0-9a-fA-F]{64}$")
SIGNATURE_HEX = r"^[0-9a-fA-F]{128}$"
"""A signature in hex; a pattern as text, compiled by ``re`` on first use (``check`` needs none)."""


def parse_public(text: str, *, what: str = "public key") -> str:
    """Validate a public key (64 hex characters); returns it in lowercase.

    Raise :class:`InputError` otherwise (a public key is not secret, so the message shows it).
    """
    value = text.strip()
    if not KEY_HEX.match(value):
        raise InputError(f"{what} {redact(repr(text))} is not 64 hex characters (an ed25519 public key)")
    return value.lower()


def verify(public_hex: str, message: bytes, signature: bytes) -> bool:
    """True when ``signature`` is ``public_hex``'s ed25519 signature of ``message``."""
    if len(signature) != 64:
        return False
    try:
        VerifyKey(bytes.fromhex(public_hex)).verify(message, signature)
    except (BadSignatureError, NaclValueError, ValueError):
        return False
    return True


class KeyPair:
    """An ed25519 wallet key pair; signs messages and never shows its secret."""

    __slots__ = ("_key", "_public")

    def __init__(self, seed: bytes) -> None:
        if len(seed) != 32:
            raise InputError("a secret key is 32 bytes (64 hex characters)")
        self._key = SigningKey(seed)
        self._public = bytes(self._key.verify_key).hex()

    @classmethod
    def from_secret_hex(cls, text: str, *, what: str = "secret key") -> KeyPair:
        """The pair of a 64-hex-character secret (the ed25519 seed); InputError (without the value) otherwise."""
        value = text.strip()
        if not KEY_HEX.match(value):
            _bad_secret(what, len(value))
        return cls(bytes.fromhex(value))

    @classmethod
    def generate(cls) -> KeyPair:
        """A new random pair (from the operating system's random source)."""
        return cls(bytes(SigningKey.generate()))

    @property
    def public_hex(self) -> str:
        """The public key, 64 lowercase hex characters."""
        return self._public

    def sign(self, message: bytes) -> bytes:
        """The 64-byte ed25519 signature of ``message``."""
        return self._key.sign(message).signature

    def reveal_secret(self) -> str:
        """The secret as 64 hex characters. Only for writing it where the user asked; never log it."""
        return bytes(self._key).hex()

    def matches(self, public_hex: str) -> bool:
        """True when ``public_hex`` is this pair's public key."""
        return public_hex.strip().lower() == self._public

    def __repr__(self) -> str:
        return f"KeyPair(public={self._public}, secret=<hidden>)"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, KeyPair) and other._public == self._public

    def __hash__(self) -> int:
        return hash(self._public)

    def __reduce__(self) -> NoReturn:
        raise TypeError("a KeyPair cannot be pickled (it holds a secret)")


def _bad_secret(what: str, length: int) -> NoReturn:
    raise InputError(f"{what} is not 64 hex characters (an ed25519 seed; got {length} characters, value not shown)")
