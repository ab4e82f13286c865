"""Verify an image's signed provenance: the DSSE signature, the subject, and the ledger's proof."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from goshfile.errors import VerificationError
from goshfile.provenance import dsse, store
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
        lines = [f"goshfile {params['goshfile'].get('path')} {params['goshfile'].get('digest', {})}"]
        lines += [f"from {d['uri']} {d.get('digest', {})}" for d in build["resolvedDependencies"]]
        if params.get("buildArgs"):
            lines.append("build args " + ", ".join(f"{k}={v}" for k, v in params["buildArgs"].items()))
        lines.append("hermetic" if build["internalParameters"].get("hermetic") else "NOT hermetic: a step had network")
        return lines


def verify_provenance(digest: str, signer: str, ledger: ProofLedger) -> ProvenanceVerdict:
    """Raise :class:`VerificationError` unless ``signer`` signed provenance for ``digest`` and recorded it."""
    envelope = store.load(digest)
    if envelope is None:
        raise VerificationError(f"no provenance recorded here for {digest} (built elsewhere, or not with --sign)")
    dsse.verify(envelope, signer)
    stated = envelope.statement()
    subjects = [s.get("digest", {}).get("sha256") for s in stated.get("subject", [])]
    if digest.removeprefix("sha256:") not in subjects:
        raise VerificationError(f"the provenance is about {subjects}, not {digest}")
    if not ledger.check(signer, store.statement_digest(envelope.payload)):
        raise VerificationError(f"the ledger has no proof that {signer} signed this provenance")
    return ProvenanceVerdict(digest, signer, stated)
