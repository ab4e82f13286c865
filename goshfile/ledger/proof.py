"""Content-signature proofs: the signed message, the address, and the proof record.

All byte strings below are exact; ``u32(n)`` is ``n`` as 4 bytes big-endian and
``field(b) = u32(len(b)) || b``. ``public`` is the raw 32-byte ed25519 public key and
``content`` the UTF-8 bytes of the content string.

- ``CONTRACT_ID = sha256(b"goshfile/content-signature/v1")``: the fixed identifier that
  stands for GOSH's contract code in the address.
- The signed message: ``b"goshfile-proof-sign-v1\\x00" || CONTRACT_ID || public || field(content)``.
- The address: ``"0:" + hex(sha256(b"goshfile-proof-address-v1\\x00" || CONTRACT_ID || public || field(content)))``.

The two domain prefixes differ, so a signature can never be mistaken for anything
but a proof deployment, and neither can be replayed from another protocol.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from nacl.encoding import RawEncoder
from nacl.hash import sha256 as _sodium_sha256

from goshfile.errors import InputError
from goshfile.keys.keypair import KEY_HEX, SIGNATURE_HEX, parse_public, verify
from goshfile.secrets import redact


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
GENESIS = "0" * 64
"""The chain hash before a node's first log record (:mod:`goshfile.ledger.log`)."""
ADDRESS_RE = re.compile(r"^0:[0-9a-f]{64}$")
GOSH_ADDRESS_PATTERN = r"^-?[0-9]+:[0-9a-fA-F]{64}$"  # text: compiled by re on first use
_DIGEST_LIKE = re.compile(r"^sha-?[0-9]+:", re.IGNORECASE)
_DIGEST = re.compile(r"^(?:sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128})$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
# TIME_FORMAT as a pattern: parse_time reads it with fromisoformat, not strptime (whose import costs ~4 ms)
_TIME = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{1,6}Z$")


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


def normalize_payer(text: str | None) -> str | None:
    """A giver (payer) address in GOSH's form ``<workchain>:<64 hex>``; ``0:`` is prepended when missing."""
    if text is None or not text.strip():
        return None
    value = text.strip()
    if KEY_HEX.match(value):
        value = f"0:{value}"
    if not re.match(GOSH_ADDRESS_PATTERN, value):
        raise InputError(f"giver address {redact(repr(text))} is not a GOSH address (<workchain>:<64 hex>, or 64 hex)")
    return value.lower()


def format_time(moment: datetime) -> str:
    """RFC 3339 in UTC with microseconds (``2024-05-01T12:00:00.000000Z``): the stored form."""
    return moment.astimezone(UTC).strftime(TIME_FORMAT)


def parse_time(text: str) -> datetime:
    """The inverse of :func:`format_time`; InputError when ``text`` is not in that form."""
    try:
        if not isinstance(text, str) or not _TIME.match(text):
            raise ValueError(text)
        return datetime.fromisoformat(text).astimezone(UTC)
    except (TypeError, ValueError):
        raise InputError(f"{text!r} is not a time like 2024-05-01T12:00:00.000000Z") from None


@dataclass(frozen=True)
class Proof:
    """A recorded proof: who signed which content, the signature, where and when it was recorded."""

    address: str
    public: str
    content: str
    signature: bytes
    recorded_at: datetime
    payer: str | None = None
    seq: int | None = None  # the record's position in the node's log, when the node keeps one

    def verifies(self, public: str | None = None, content: str | None = None) -> bool:
        """True when this proof is the signer's for its content (and for ``public``/``content`` if given).

        The address must be the one derived from the key and content, and the signature must verify
        over :func:`message` with that key. Never raises: a malformed proof does not verify.
        """
        if public is not None and public.strip().lower() != self.public:
            return False
        if content is not None and content != self.content:
            return False
        try:
            if address(self.public, self.content) != self.address:
                return False
            return verify(self.public, message(self.public, self.content), self.signature)
        except InputError:
            return False

    def to_json(self) -> dict[str, Any]:
        """The JSON form used by the node's HTTP API."""
        return {
            "address": self.address,
            "public": self.public,
            "content": self.content,
            "signature": self.signature.hex(),
            "recorded_at": format_time(self.recorded_at),
            "payer": self.payer,
            "seq": self.seq,
        }

    @classmethod
    def from_json(cls, data: Any) -> Proof:
        """Parse :meth:`to_json`'s form; InputError when a field is missing or malformed (no check of the signature)."""
        if not isinstance(data, dict):
            raise InputError("a proof is a JSON object")
        try:
            signature = str(data["signature"])
            if not re.match(SIGNATURE_HEX, signature):
                raise InputError("a proof's signature is 128 hex characters")
            seq = data.get("seq")
            payer = data.get("payer")
            if seq is not None and (not isinstance(seq, int) or isinstance(seq, bool)):
                raise InputError("a proof's seq is an integer")
            if payer is not None and not isinstance(payer, str):
                raise InputError("a proof's payer is a string")
            return cls(
                address=check_address(str(data["address"])),
                public=parse_public(str(data["public"])),
                content=str(data["content"]),
                signature=bytes.fromhex(signature),
                recorded_at=parse_time(str(data["recorded_at"])),
                payer=payer,
                seq=seq,
            )
        except KeyError as exc:
            raise InputError(f"a proof has no {exc.args[0]!r}") from None
