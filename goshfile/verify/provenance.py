"""Verify an image's signed provenance: the DSSE signature, the predicate type and the subject.

Envelopes come from the registry (cosign attestations, tag ``sha256-….att``) and
from this machine's cache (written by ``goshfile build --sign``); either is
checked the same way, and the ledger's proof of the statement is reported when
it exists.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from goshfile.cosign.artifacts import SLSA_PROVENANCE_V1
from goshfile.errors import InputError, VerificationError
from goshfile.provenance import dsse, store
from goshfile.verify.report import Evidence
from goshfile.verify.signature import ProofLedger


@dataclass(frozen=True)
class ProvenanceVerdict:
    """A verified provenance statement."""

    digest: str
    signer: str
    statement: dict[str, Any]

    def build_args(self) -> dict[str, str]:
        """The build args the statement records."""
        params = self.statement["predicate"]["buildDefinition"]["externalParameters"]
        return {str(k): str(v) for k, v in (params.get("buildArgs") or {}).items()}

    def summary(self) -> list[str]:
        """Human-readable lines: goshfile, base image, sources, build args, network."""
        build = self.statement["predicate"]["buildDefinition"]
        params = build["externalParameters"]
        goshfile = params.get("goshfile") or {}
        lines = [f"goshfile {goshfile.get('path')} {_digests(goshfile.get('digest'))}".rstrip()]
        lines += [f"from {d.get('uri')} {_digests(d.get('digest'))}".rstrip() for d in build["resolvedDependencies"]]
        context = params.get("context")
        if isinstance(context, dict):
            lines.append(f"context {context.get('uri', '')} {_digests(context.get('digest'))}".replace("  ", " "))
        if params.get("buildArgs"):
            lines.append("build args " + ", ".join(f"{k}={v}" for k, v in params["buildArgs"].items()))
        lines.append("hermetic" if build["internalParameters"].get("hermetic") else "NOT hermetic: a step had network")
        return lines


def _digests(value: Any) -> str:
    return " ".join(f"{k}:{v}" for k, v in value.items()) if isinstance(value, dict) else ""


def check_envelope(envelope: dsse.Envelope, digest: str, keys: Sequence[str]) -> ProvenanceVerdict:
    """The verdict when one of ``keys`` signed ``envelope`` and it is SLSA v1 provenance of ``digest``."""
    if envelope.payload_type != dsse.IN_TOTO_TYPE:
        raise VerificationError(f"the envelope's payload type is {envelope.payload_type!r}, not in-toto")
    signer = None
    failures: list[str] = []
    for key in keys:
        try:
            dsse.verify(envelope, key)
            signer = key
            break
        except VerificationError as exc:
            failures.append(str(exc))
    if signer is None:
        raise VerificationError(
            "its DSSE signature does not verify with "
            + (", ".join(keys) if keys else "any key (none is labelled or trusted)")
            + " (signed by another key, or changed after signing)"
        )
    try:
        stated = envelope.statement()
    except InputError as exc:
        raise VerificationError(str(exc)) from None
    if stated.get("predicateType") != SLSA_PROVENANCE_V1:
        raise VerificationError(f"its predicate type is {stated.get('predicateType')!r}, not SLSA provenance v1")
    subjects = [s.get("digest", {}).get("sha256") for s in stated.get("subject", []) if isinstance(s, dict)]
    if digest.removeprefix("sha256:") not in subjects:
        raise VerificationError(f"it is about {', '.join(map(str, subjects))}, not {digest}: another image's")
    return ProvenanceVerdict(digest, signer, stated)


def provenance_evidence(
    candidates: Sequence[tuple[str, dsse.Envelope | str]],
    digest: str,
    keys: Sequence[str],
    ledger: ProofLedger | None,
) -> tuple[Evidence, ProvenanceVerdict | None]:
    """Check each ``(where, envelope or why it is unreadable)``; the first valid one wins."""
    if not candidates:
        return Evidence("absent", "no provenance attestation in the registry and none cached here"), None
    problems: list[str] = []
    for where, envelope in candidates:
        if isinstance(envelope, str):
            problems.append(f"{where}: {envelope}")
            continue
        try:
            verdict = check_envelope(envelope, digest, keys)
        except VerificationError as exc:
            problems.append(f"{where}: {exc}")
            continue
        proof = None
        if ledger is not None:
            content = store.statement_digest(envelope.payload)
            if ledger.check(verdict.signer, content):
                proof = str(ledger.get(verdict.signer, content).address)
        details = {
            "source": where,
            "signer": verdict.signer,
            "ledger_proof": proof,
            "summary": verdict.summary(),
            "statement": verdict.statement,
        }
        return Evidence("verified", None, details), verdict
    return Evidence("invalid", "; ".join(problems), {"source": None}), None
