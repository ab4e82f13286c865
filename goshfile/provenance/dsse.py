"""DSSE envelopes (Dead Simple Signing Envelope, v1) signed with ed25519 wallet keys.

The signature covers the pre-authentication encoding
``PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body``
(lengths in ASCII decimal), so neither the payload type nor any byte of the
payload can change without breaking it. ``keyid`` is the signer's public key in hex.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any, Protocol

from goshfile.errors import InputError, VerificationError
from goshfile.keys.keypair import KEY_HEX
from goshfile.keys.keypair import verify as verify_signature

IN_TOTO_TYPE = "application/vnd.in-toto+json"


class Signer(Protocol):
    """Something that signs with an ed25519 key and can say which."""

    @property
    def public_hex(self) -> str:
        """The public key, 64 hex characters."""

    def sign(self, message: bytes) -> bytes:
        """The 64-byte ed25519 signature of ``message``."""


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE's pre-authentication encoding."""
    kind = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)


@dataclass(frozen=True)
class Envelope:
    """A DSSE envelope with one or more signatures."""

    payload_type: str
    payload: bytes
    signatures: tuple[tuple[str, bytes], ...]  # (keyid = public hex, signature)

    def to_json(self) -> dict[str, Any]:
        """The standard JSON form."""
        return {
            "payloadType": self.payload_type,
            "payload": base64.b64encode(self.payload).decode(),
            "signatures": [{"keyid": k, "sig": base64.b64encode(s).decode()} for k, s in self.signatures],
        }

    @classmethod
    def from_json(cls, data: Any) -> Envelope:
        """Parse the standard JSON form; InputError when it is not one."""
        try:
            return cls(
                str(data["payloadType"]),
                base64.b64decode(data["payload"], validate=True),
                tuple((str(s["keyid"]), base64.b64decode(s["sig"], validate=True)) for s in data["signatures"]),
            )
        except (KeyError, TypeError, ValueError, binascii.Error):
            raise InputError("not a DSSE envelope (payloadType, payload, signatures)") from None

    def statement(self) -> dict[str, Any]:
        """The payload as JSON (an in-toto Statement)."""
        try:
            value = json.loads(self.payload)
        except ValueError:
            raise InputError("the envelope's payload is not JSON") from None
        if not isinstance(value, dict):
            raise InputError("the envelope's payload is not a JSON object")
        return value


def sign(payload: bytes, signer: Signer, payload_type: str = IN_TOTO_TYPE) -> Envelope:
    """Sign ``payload`` into a one-signature envelope."""
    return Envelope(payload_type, payload, ((signer.public_hex, signer.sign(pae(payload_type, payload))),))


def verify(envelope: Envelope, public_hex: str) -> None:
    """Raise :class:`VerificationError` unless ``public_hex`` signed ``envelope``.

    Every signature is tried, whatever its ``keyid`` (cosign leaves it empty), as DSSE allows.
    """
    if not KEY_HEX.match(public_hex):
        raise InputError("a public key is 64 hex characters")
    message = pae(envelope.payload_type, envelope.payload)
    if any(verify_signature(public_hex, message, signature) for _, signature in envelope.signatures):
        return
    if any(keyid.lower() == public_hex.lower() for keyid, _ in envelope.signatures):
        raise VerificationError(f"the provenance signature by {public_hex} does not verify")
    raise VerificationError(f"the provenance is not signed by {public_hex}")
