"""The content-signature contract: the message a signer signs and the proof's address, exact bytes on every node.

All byte strings below are exact; ``u32(n)`` is ``n`` as 4 bytes big-endian and
``field(b) = u32(len(b)) || b``. ``public`` is the raw 32-byte ed25519 public key and
``content`` the UTF-8 bytes of the content string.

- ``CONTRACT_ID = sha256(b"goshfile/content-signature/v1")``: the fixed identifier that
  stands for GOSH's contract code in the address.
- The signed message: ``b"goshfile-proof-sign-v1\\x00" || CONTRACT_ID || public || field(content)``.
- The address: ``"0:" + hex(sha256(b"goshfile-proof-address-v1\\x00" || CONTRACT_ID || public || field(content)))``.

The two domain prefixes differ, so a signature can never be mistaken for anything
but a proof deployment, and neither can be replayed from another protocol. The recorded
proof (signature, time, payer) is :class:`goshfile.ledger.proof.Proof`; ``goshfile addr`` needs only this module.
"""

from __future__ import annotations

import re

from nacl.encoding import RawEncoder
from nacl.hash import sha256 as _sodium_sha256

from goshfile.errors import InputError
from goshfile.keys.keypair import parse_public


def sha256(data: bytes) -> bytes:
    """The SHA-256 digest of ``data``, by libsodium.

    PyNaCl is loaded for the signatures anyway; hashlib would load OpenSSL's library,
    about 4 ms of every ``check``, for a few hashes of a hundred bytes each.
    """
    return _sodium_sha256(data, encoder=RawEncoder)


CONTRACT = "goshfile/content-signature/v1"
CONTRACT_ID = sha256(CONTRACT.encode())
SIGN_DOMAIN = b"goshfile-proof-sign-v1\x00"
ADDRESS_DOMAIN = b"goshfile-proof-address-v1\x00"
MAX_CONTENT_BYTES = 1024
ADDRESS_RE = re.compile(r"^0:[0-9a-f]{64}$")
_DIGEST_LIKE = re.compile(r"^sha-?[0-9]+:", re.IGNORECASE)
_DIGEST = re.compile(r"^(?:sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128})$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def field(data: bytes) -> bytes:
    """``u32(len(data)) || data``."""
    return len(data).to_bytes(4, "big") + data


def check_content(content: str) -> bytes:
    """Validate a content string and return its UTF-8 bytes; InputError when it cannot be signed.

    Any string is allowed (as GOSH allows), except: empty, over 1024 bytes, control characters,
    and a value that looks like a digest (``sha256:``, ``sha512:``, ...) but is not
    ``sha256:<64 lowercase hex>`` or ``sha512:<128 lowercase hex>``.
    """
    if not isinstance(content, str) or not content:
        raise InputError("the content is empty (expected an image digest sha256:<64 hex>)")
    if _DIGEST_LIKE.match(content) and not _DIGEST.match(content):
        raise InputError(f"content {content!r} looks like a digest but is not sha256:<64 lowercase hex>")
    if _CONTROL.search(content):
        raise InputError(f"content {content!r} contains control characters")
    try:
        data = content.encode("utf-8")
    except UnicodeEncodeError:
        raise InputError(f"content {content!r} is not valid UTF-8") from None
    if len(data) > MAX_CONTENT_BYTES:
        raise InputError(f"the content is {len(data)} bytes long; at most {MAX_CONTENT_BYTES} are allowed")
    return data


def message(public: str, content: str) -> bytes:
    """The exact bytes a signer signs to deploy the proof of ``content`` (see the module docstring)."""
    key = bytes.fromhex(parse_public(public))
    return SIGN_DOMAIN + CONTRACT_ID + key + field(check_content(content))


def address(public: str, content: str) -> str:
    """The proof's address, ``0:<64 hex>``: the same for the same key and content, on every node."""
    key = bytes.fromhex(parse_public(public))
    digest = sha256(ADDRESS_DOMAIN + CONTRACT_ID + key + field(check_content(content)))
    return f"0:{digest.hex()}"


def check_address(text: str) -> str:
    """A proof address (``0:<64 hex>``, lowercase); InputError otherwise."""
    value = text.strip().lower()
    if not ADDRESS_RE.match(value):
        raise InputError(f"{text!r} is not a proof address (0:<64 hex>)")
    return value
