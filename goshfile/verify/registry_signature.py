"""Check the cosign-format signatures stored next to an image (goshfile's or ``cosign sign --key``'s).

A stored signature counts when one of the expected keys signed its payload
(ed25519 over the payload's bytes, as cosign signs with an ed25519 key) and the
payload names this image's digest. Each other case gets its own reason:
a payload naming another digest (a signature copied from another image), a
signature no expected key made (another key, or a changed payload), a payload
that is not a cosign simple-signing payload.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from typing import Any

from goshfile.cosign.artifacts import PROOF_ANNOTATION, payload_digest
from goshfile.cosign.store import Found
from goshfile.keys.keypair import verify as verify_signature
from goshfile.verify.report import Evidence


def _check(found: Found, digest: str, keys: Sequence[str]) -> tuple[str | None, str | None]:
    """(the key that made it, None) when it counts, else (None, why not)."""
    try:
        signature = base64.b64decode(found.layer.signature, validate=True)
    except (binascii.Error, ValueError):
        return None, f"{found.where}: the signature annotation is not base64"
    signer = next((key for key in keys if verify_signature(key, found.blob, signature)), None)
    if signer is None:
        return None, f"{found.where}: not signed by {', '.join(keys)} (another key, or a changed payload)"
    try:
        payload: Any = json.loads(found.blob)
    except ValueError:
        return None, f"{found.where}: the signed payload is not JSON"
    named = payload_digest(payload)
    if named is None:
        return None, f"{found.where}: the signed payload is not a cosign container image signature"
    if named != digest:
        return None, f"{found.where}: a signature of another image (its payload names {named}, not {digest})"
    return signer, None


def registry_evidence(found: Sequence[Found], digest: str, keys: Sequence[str]) -> Evidence:
    """The registry-signature evidence of image ``digest`` from the stored signatures ``found``."""
    if not found:
        return Evidence("absent", "no signature in the registry (no sha256-<hex>.sig tag, no signature referrer)")
    if not keys:
        return Evidence(
            "invalid", f"{len(found)} signature(s) stored, but no key to check them against (no label, no --signer)"
        )
    problems: list[str] = []
    foreign = 0
    for item in found:
        signer, problem = _check(item, digest, keys)
        if signer is not None:
            details = {
                "signer": signer,
                "where": item.where,
                "payload": item.layer.digest,
                "proof": item.layer.annotations.get(PROOF_ANNOTATION),
                "signatures": len(found),
            }
            return Evidence("verified", None, details)
        if problem and "not signed by" in problem:
            foreign += 1
        problems.append(problem or "")
    reason = "; ".join(problems)
    return Evidence("invalid", reason, {"signatures": len(found), "by_other_keys": foreign})
