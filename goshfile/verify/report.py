"""The typed result of ``goshfile verify``: one entry per piece of evidence, and the verdict.

Every piece is ``verified``, ``absent``, ``invalid`` (present and refused: the
reason names why), ``error`` (could not be checked: the registry or node did
not answer) or ``not-checked`` (not asked for). The JSON form has the same keys
whatever the outcome; unknown values are null; times are RFC 3339 UTC (``…Z``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

Status = Literal["verified", "absent", "invalid", "error", "not-checked"]
PIECES = ("label", "ledger", "registry", "provenance", "content_hash", "rebuild")
Trust = Literal["pinned", "self-declared"]


def rfc3339(value: datetime | str | None) -> str | None:
    """``2026-12-02T01:36:29Z`` for a time (naive times are taken as UTC), or a stored text time; None stays."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
        value = parsed
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class Evidence:
    """One piece of evidence and what checking it found."""

    status: Status
    reason: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """``{"status", "reason", "details"}``."""
        return {"status": self.status, "reason": self.reason, "details": dict(self.details)}


NOT_CHECKED = Evidence("not-checked", "not asked for")


@dataclass(frozen=True)
class ErrorInfo:
    """Why a check could not run: the exception's type name and message."""

    type: str
    message: str

    def to_json(self) -> dict[str, str]:
        """``{"type", "message"}``."""
        return {"type": self.type, "message": self.message}


@dataclass(frozen=True)
class VerifyReport:
    """Everything ``goshfile verify`` found about one image."""

    image: str
    verified: bool
    reason: str | None = None
    digest: str | None = None
    signer: str | None = None
    trust: Trust | None = None
    evidence: dict[str, Evidence] = field(default_factory=dict)
    error: ErrorInfo | None = None
    checked_at: str | None = field(default_factory=lambda: rfc3339(datetime.now(UTC)))

    @property
    def exit_code(self) -> int:
        """0 verified, 1 not verified, 2 bad input (no such image, a bad --signer), 3 could not check."""
        if self.verified:
            return 0
        if self.error is None:
            return 1
        return 2 if self.error.type in ("InputError", "SpecError") else 3

    def piece(self, name: str) -> Evidence:
        """The evidence ``name`` (not-checked when it was not looked at)."""
        return self.evidence.get(name, NOT_CHECKED)

    def to_json(self) -> dict[str, Any]:
        """The stable JSON shape (see the README's "anyone can check")."""
        return {
            "image": self.image,
            "verified": self.verified,
            "reason": self.reason,
            "digest": self.digest,
            "signer": self.signer,
            "trust": self.trust,
            "checked_at": self.checked_at,
            "evidence": {name: self.piece(name).to_json() for name in PIECES},
            "error": self.error.to_json() if self.error else None,
        }
