"""The dashboard's one adapter to the library's verification: an image in, typed evidence out.

Every page shows :class:`Assessment` values; only this module asks the library
(:func:`goshfile.workflows.verify.verify_image`, the check ``goshfile verify`` runs)
and turns its :class:`~goshfile.verify.report.VerifyReport` into rows: each piece
of evidence (the ``WALLET_PUBLIC`` signer, the ledger proof, the content-hash
proof, the registry signature, the provenance) with its own :class:`State` and
reason, and the image's :class:`Status` (badge) derived from them in one place.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from goshfile import labels as names
from goshfile.ui.trust import Trusted
from goshfile.verify.report import Evidence as ReportEvidence
from goshfile.verify.signature import Subject
from goshfile.workflows.verify import Sources, VerifyOptions, verify_image

Rows = tuple[tuple[str, str], ...]


class State(StrEnum):
    """What became of one piece of evidence."""

    VERIFIED = "verified"
    SELF_DECLARED = "self-declared"
    ABSENT = "absent"
    INVALID = "invalid"
    NOT_CHECKED = "not checked"
    ERROR = "could not check"


class Status(StrEnum):
    """An image's badge."""

    VERIFIED = "verified"
    WARNING = "warning"
    FAILING = "failing"
    UNSIGNED = "unsigned"
    ERROR = "could not check"


FILTERS: dict[str, tuple[Status, ...]] = {
    "all": tuple(Status),
    "signed": (Status.VERIFIED, Status.WARNING, Status.FAILING, Status.ERROR),
    "failing": (Status.FAILING, Status.ERROR),
    "unsigned": (Status.UNSIGNED,),
}


@dataclass(frozen=True)
class Evidence:
    """One piece of evidence, with its state, the reason, and its details as rows."""

    name: str
    state: State
    reason: str
    rows: Rows = ()


@dataclass(frozen=True)
class Assessment:
    """Everything the dashboard shows about one image."""

    name: str  # the reference it was looked up by (a tag, ``repo@digest`` or an image ID)
    image_id: str
    local: bool
    digests: tuple[str, ...]
    labels: dict[str, str]
    status: Status
    headline: str
    signer: str | None
    trusted: Trusted | None
    evidence: tuple[Evidence, ...]
    warnings: tuple[str, ...] = ()
    gosh: Rows = ()
    provenance: Rows = ()
    build_args: dict[str, str] | None = None  # from verified provenance, for a rebuild
    tags: tuple[str, ...] = field(default=())

    @property
    def rebuildable(self) -> bool:
        """True when the image names a GOSH repository and commit to rebuild from."""
        return bool(self.labels.get(names.GOSH_ADDRESS) and self.labels.get(names.GOSH_COMMIT_HASH))

    def matches(self, query: str) -> bool:
        """A case-insensitive search over names, IDs, digests, the signer and label values."""
        q = query.strip().lower()
        if not q:
            return True
        hay = [self.name, self.image_id, *self.tags, *self.digests, self.signer or "", *self.labels.values()]
        return any(q in item.lower() for item in hay)


def short(key: str) -> str:
    """``abcd1234…5678`` for a long hex key or digest."""
    body = key.removeprefix("sha256:")
    prefix = "sha256:" if key.startswith("sha256:") else ""
    return f"{prefix}{body[:8]}…{body[-4:]}" if len(body) > 16 else key


def rfc3339(value: str) -> str:
    """A time as RFC 3339 UTC with ``Z`` (``2026-12-02T01:36:29Z``); other text as it is."""
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _digest_text(digest: Any) -> str:
    if isinstance(digest, dict):
        return ", ".join(f"{k}:{v}" for k, v in sorted(digest.items()))
    return str(digest or "")


def provenance_rows(statement: dict[str, Any]) -> Rows:
    """The provenance summary as (field, value) rows, tolerant of fields a newer statement adds."""
    build = (statement.get("predicate") or {}).get("buildDefinition") or {}
    params = build.get("externalParameters") or {}
    goshfile = params.get("goshfile") or {}
    rows: list[tuple[str, str]] = [
        ("goshfile", f"{goshfile.get('path', '')} {_digest_text(goshfile.get('digest'))}".strip()),
        ("context", _context_text(params.get("context"))),
    ]
    for dep in build.get("resolvedDependencies") or []:
        rows.append(("dependency", f"{dep.get('uri', '')} {_digest_text(dep.get('digest'))}".strip()))
    args = params.get("buildArgs") or {}
    rows.append(("build args", ", ".join(f"{k}={v}" for k, v in sorted(args.items())) or "none"))
    hermetic = (build.get("internalParameters") or {}).get("hermetic")
    rows.append(("hermetic", "yes" if hermetic else "no: a step had network"))
    builder = ((statement.get("predicate") or {}).get("runDetails") or {}).get("builder") or {}
    if builder.get("id"):
        rows.append(("builder", str(builder["id"])))
    return tuple(rows)


def _context_text(context: Any) -> str:
    if isinstance(context, dict):
        rest = " ".join(f"{k}={_digest_text(v)}" for k, v in sorted(context.items()) if k not in ("uri", "digest"))
        return " ".join(t for t in (str(context.get("uri") or ""), _digest_text(context.get("digest")), rest) if t)
    return str(context or "")


def gosh_rows(labels: dict[str, str]) -> Rows:
    """Where the image says it came from: GOSH repository and commit, goshfile, base, sources."""
    rows: list[tuple[str, str]] = []
    for label, title in (
        (names.GOSH_ADDRESS, "GOSH address"),
        (names.GOSH_COMMIT_HASH, "commit"),
        (names.GOSH_GOSHFILE, "goshfile in the repository"),
        (names.DIGEST, "goshfile digest"),
        (names.BASE, "base image"),
        (names.HERMETIC, "hermetic (label)"),
    ):
        if labels.get(label):
            rows.append((title, labels[label]))
    try:
        sources = json.loads(labels.get(names.SOURCES) or "[]")
    except ValueError:
        sources = [{"url": "(unreadable goshfile.sources label)", "commit": ""}]
    for source in sources if isinstance(sources, list) else []:
        if isinstance(source, dict):
            rows.append(("source", f"{source.get('url', '')} {source.get('commit', '')}".strip()))
    return tuple(rows)


PIECE_NAMES = {
    "label": "signer",
    "ledger": "ledger proof",
    "content_hash": "content hash proof",
    "registry": "registry signature",
    "provenance": "provenance",
}
STATES = {
    "verified": State.VERIFIED,
    "absent": State.ABSENT,
    "invalid": State.INVALID,
    "error": State.ERROR,
    "not-checked": State.NOT_CHECKED,
}
HIDDEN = {"statement", "summary", "error"}  # shown elsewhere (provenance table) or as the reason


def _text(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_text(v)}" for k, v in sorted(value.items()))
    if isinstance(value, list | tuple):
        return "; ".join(_text(v) for v in value)
    return "" if value is None else str(value)


def _piece(name: str, found: ReportEvidence) -> Evidence:
    """One piece of the library's report as the page shows it: rows of text, never reprs."""
    state = STATES.get(found.status, State.NOT_CHECKED)
    if name == "label" and state is State.VERIFIED and not found.details.get("pinned_in"):
        state = State.SELF_DECLARED
    reason = found.reason or ("trusted" if name == "label" and state is State.VERIFIED else str(state))
    rows = tuple(
        (key.replace("_", " "), rfc3339(_text(value)) if key.endswith("_at") else _text(value))
        for key, value in found.details.items()
        if key not in HIDDEN and value not in (None, "")
    )
    return Evidence(PIECE_NAMES.get(name, name), state, reason, rows)


def assess(
    subject: Subject,
    sources: Sources,
    hashes: Sequence[str] = (),
    tags: Sequence[str] = (),
) -> Assessment:
    """The evidence for ``subject`` (found in ``sources.store``, else its registry) and the badge it earns.

    This calls the library's :func:`goshfile.workflows.verify.verify_image`, the same
    check as ``goshfile verify``, with the content hashes when they have been computed
    (slow: the dashboard computes them on request). An image that names no signer is
    unsigned without asking the ledger or the registry.
    """
    labels = subject.labels
    unsigned = Assessment(
        name=subject.image,
        image_id=subject.image_id,
        local=subject.local,
        digests=subject.digests,
        labels=labels,
        status=Status.UNSIGNED,
        headline="unsigned: no signer named",
        signer=None,
        trusted=None,
        evidence=(Evidence("signer", State.ABSENT, f"no {names.WALLET_PUBLIC} label: nobody vouches for this image"),),
        gosh=gosh_rows(labels),
        tags=tuple(tags),
    )
    if not labels.get(names.WALLET_PUBLIC):
        return unsigned
    computed = list(hashes)
    with_hashes = replace(sources, content_hashes=(lambda _ref: computed) if computed else None)
    report = verify_image(subject.image, VerifyOptions(content_hash=bool(computed)), with_hashes)
    pieces = {name: report.piece(name) for name in PIECE_NAMES}
    if not computed and pieces["content_hash"].status == "not-checked" and pieces["ledger"].status != "verified":
        pieces["content_hash"] = ReportEvidence(
            "not-checked", "content hashes not computed yet (Compute content hashes)"
        )
    evidence = tuple(_piece(name, found) for name, found in pieces.items())
    label = pieces["label"]
    signer = str(label.details.get("signer") or labels.get(names.WALLET_PUBLIC))
    trust = None
    if label.status == "verified" and label.details.get("pinned_in"):
        trust = Trusted(signer, str(label.details.get("trusted_as") or ""))
    statement = pieces["provenance"].details.get("statement") if pieces["provenance"].status == "verified" else None
    found = replace(
        unsigned,
        signer=signer,
        trusted=trust,
        evidence=evidence,
        provenance=provenance_rows(statement) if isinstance(statement, dict) else (),
        build_args=_build_args(statement) if isinstance(statement, dict) else None,
    )
    if report.error is not None:
        return replace(found, status=Status.ERROR, headline=f"could not check: {report.reason}")
    if not report.verified:
        return replace(found, status=Status.FAILING, headline=f"signed but failing: {report.reason}")
    warnings = _warnings(labels, found.provenance, pieces)
    who = f"{short(report.signer or signer)} ({'trusted: ' + (trust.name or 'pinned') if trust else 'self-declared'})"
    if warnings:
        return replace(
            found, status=Status.WARNING, warnings=warnings, headline=f"verified by {who}; " + "; ".join(warnings)
        )
    return replace(found, status=Status.VERIFIED, headline=f"verified by {who}")


def _build_args(statement: dict[str, Any]) -> dict[str, str]:
    params = ((statement.get("predicate") or {}).get("buildDefinition") or {}).get("externalParameters") or {}
    return {str(k): str(v) for k, v in (params.get("buildArgs") or {}).items()}


def _warnings(labels: dict[str, str], provenance: Rows, pieces: dict[str, ReportEvidence]) -> tuple[str, ...]:
    out: list[str] = []
    if labels.get(names.HERMETIC) == "false" or dict(provenance).get("hermetic", "yes") != "yes":
        out.append("not hermetic: a step had network")
    ledger = "verified" in (pieces["ledger"].status, pieces["content_hash"].status)
    registry = pieces["registry"].status == "verified"
    if ledger and not registry:
        out.append("only a ledger proof: no signature in the registry")
    elif registry and not ledger:
        out.append("only a registry signature: no ledger proof")
    return tuple(out)
