"""Rendering shared by the commands: times and proofs as the CLI contract writes them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from goshfile.errors import EngineError, GoshfileError, InputError, VerificationError

if TYPE_CHECKING:
    from goshfile.ledger.proof import Proof


def utc(moment: datetime) -> str:
    """RFC 3339 in UTC, to the second, with ``Z`` (``2026-12-02T01:36:29Z``)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def proof_json(proof: Proof) -> dict[str, Any]:
    """A recorded proof as JSON: address, signer, content, recorded_at (RFC 3339 UTC)."""
    return {
        "address": proof.address,
        "public": proof.public,
        "content": proof.content,
        "recorded_at": utc(proof.recorded_at),
    }


def error_json(exc: GoshfileError) -> dict[str, str]:
    """The ``error`` object of ``--json`` output: the cause's category (as in the exit-code table) and message."""
    for category in (InputError, VerificationError, EngineError):
        if isinstance(exc, category):
            return {"type": category.__name__, "message": " ".join(str(exc).split())}
    return {"type": GoshfileError.__name__, "message": " ".join(str(exc).split())}
