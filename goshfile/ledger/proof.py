"""A recorded content-signature proof: who signed which content, the signature, where and when.

The signed message and the address are in :mod:`goshfile.ledger.contract`; a :class:`Proof`
verifies against them. Times are stored as RFC 3339 in UTC with microseconds.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any, NamedTuple

from goshfile.errors import InputError
from goshfile.keys.keypair import KEY_HEX, SIGNATURE_HEX, parse_public, verify
from goshfile.ledger.contract import address, check_address, message
from goshfile.secrets import redact

GENESIS = "0" * 64
"""The chain hash before a node's first log record (:mod:`goshfile.ledger.log`)."""
GOSH_ADDRESS_PATTERN = r"^-?[0-9]+:[0-9a-fA-F]{64}$"  # text: compiled by re on first use
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
# TIME_FORMAT as a pattern: parse_time reads it with fromisoformat, not strptime (whose import costs ~4 ms)
_TIME = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{1,6}Z$")


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


class Proof(NamedTuple):
    """A recorded proof: who signed which content, the signature, where and when it was recorded.

    A named tuple, not a frozen dataclass: ``check`` reads one on every run, and a dataclass's
    generated methods take about 0.5 ms to compile at start-up.
    """

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
