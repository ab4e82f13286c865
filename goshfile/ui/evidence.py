"""The dashboard's one adapter to the library's verification: an image in, typed evidence out.

Every page shows :class:`Assessment` values; only this module calls
:mod:`goshfile.verify`. Each piece of evidence (the ``WALLET_PUBLIC`` signer,
the ledger proof, the registry signature, the provenance) has its own
:class:`State` and reason, and the image's :class:`Status` is derived from
them here, in one place. When the library returns a per-evidence report of
its own (issue 15), :func:`assess` is the function to switch over.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from goshfile import labels as names
from goshfile.errors import EngineError, InputError, VerificationError
from goshfile.keys.keypair import parse_public
from goshfile.provenance import store as provenance_store
from goshfile.ui.trust import Trusted
from goshfile.verify.provenance import ProvenanceVerdict, verify_provenance
from goshfile.verify.signature import ProofLedger, Subject, Verdict, verify_subject

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
        return " ".join(f"{k}={_digest_text(v)}" for k, v in sorted(context.items()))
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


def _ledger_evidence(
    subject: Subject, signer: str, ledger: ProofLedger, hashes: Sequence[str]
) -> tuple[Evidence, Verdict | None]:
    try:
        verdict = verify_subject(subject, ledger, lambda _image: list(hashes))
    except VerificationError as exc:
        tried = [*subject.digests, *hashes]
        found = any(ledger.get(signer, content) is not None for content in tried)
        hint = "" if hashes else " (content hashes not computed yet)"
        reason = str(exc).removeprefix(f"{subject.image}: ")  # the page names the image already
        return Evidence("ledger proof", State.INVALID if found else State.ABSENT, f"{reason}{hint}"), None
    except EngineError as exc:
        return Evidence("ledger proof", State.ERROR, f"could not check: {exc}"), None
    recorded = rfc3339(verdict.recorded_at)
    rows = (
        ("signed", f"{verdict.kind} {verdict.content}"),
        ("proof address", verdict.address),
        ("recorded at", recorded),
    )
    why = f"a valid proof in the ledger, recorded {recorded}"
    return Evidence("ledger proof", State.VERIFIED, why, rows), verdict


def _provenance_evidence(
    verdict: Verdict | None, ledger: ProofLedger, check: Callable[[str, str, ProofLedger], ProvenanceVerdict]
) -> tuple[Evidence, ProvenanceVerdict | None]:
    if verdict is None or verdict.kind != "registry digest":
        why = "needs a verified ledger proof of the image's registry digest"
        return Evidence("provenance", State.NOT_CHECKED, why), None
    if provenance_store.load(verdict.content) is None:
        return Evidence("provenance", State.ABSENT, f"no provenance recorded for {verdict.content}"), None
    try:
        checked = check(verdict.content, verdict.signer, ledger)
    except VerificationError as exc:
        return Evidence("provenance", State.INVALID, str(exc)), None
    except EngineError as exc:
        return Evidence("provenance", State.ERROR, f"could not check: {exc}"), None
    return Evidence("provenance", State.VERIFIED, "signed by the same key, recorded in the ledger"), checked


def assess(
    subject: Subject,
    ledger: ProofLedger,
    trusted: Sequence[Trusted],
    hashes: Sequence[str] = (),
    tags: Sequence[str] = (),
    check_provenance: Callable[[str, str, ProofLedger], ProvenanceVerdict] = verify_provenance,
) -> Assessment:
    """The evidence for ``subject`` and the badge it earns.

    ``hashes`` are the image's content hashes when they have been computed (they
    are slow: the dashboard computes them on request); ``trusted`` pins signers:
    when it is not empty, a key outside it fails.
    """
    labels = subject.labels
    registry = Evidence("registry signature", State.NOT_CHECKED, "this goshfile does not read registry signatures yet")
    label = labels.get(names.WALLET_PUBLIC)
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
        evidence=(
            Evidence("signer", State.ABSENT, f"no {names.WALLET_PUBLIC} label: nobody vouches for this image"),
            Evidence("ledger proof", State.NOT_CHECKED, "no signer named"),
            registry,
        ),
        gosh=gosh_rows(labels),
        tags=tuple(tags),
    )
    if not label:
        return unsigned
    try:
        signer = parse_public(label, what=f"the {names.WALLET_PUBLIC} label")
    except InputError as exc:
        return replace(
            unsigned,
            status=Status.FAILING,
            headline=f"signed but failing: {exc}",
            signer=label,
            evidence=(Evidence("signer", State.INVALID, str(exc)),),
        )
    trust = next((t for t in trusted if t.public == signer), None)
    signer_ev = _signer_evidence(signer, trust, len(trusted))
    ledger_ev, verdict = _ledger_evidence(subject, signer, ledger, hashes)
    prov_ev, prov = _provenance_evidence(verdict, ledger, check_provenance)
    warnings = _warnings(labels, prov, ledger_ev, registry)
    found = replace(
        unsigned,
        signer=signer,
        trusted=trust,
        evidence=(signer_ev, ledger_ev, registry, prov_ev),
        warnings=warnings,
        provenance=provenance_rows(prov.statement) if prov else (),
        build_args=prov.build_args() if prov else None,
    )
    who = f"{short(signer)} ({'trusted: ' + (trust.name or 'pinned') if trust else 'self-declared'})"
    if ledger_ev.state is State.ERROR:
        return replace(found, status=Status.ERROR, headline=ledger_ev.reason)
    if signer_ev.state is State.INVALID:
        return replace(found, status=Status.FAILING, headline=f"signed by {short(signer)}, {signer_ev.reason}")
    if verdict is None:
        return replace(found, status=Status.FAILING, headline=f"signed but failing: {ledger_ev.reason}")
    if warnings:
        return replace(found, status=Status.WARNING, headline=f"verified by {who}; " + "; ".join(warnings))
    return replace(found, status=Status.VERIFIED, headline=f"verified by {who}")


def _signer_evidence(signer: str, trust: Trusted | None, pinned: int) -> Evidence:
    key = (("key", signer),)
    if trust is not None:
        return Evidence("signer", State.VERIFIED, f"trusted{': ' + trust.name if trust.name else ''}", key)
    if pinned:
        return Evidence("signer", State.INVALID, f"not one of your {pinned} trusted signer{'s' * (pinned != 1)}", key)
    why = "self-declared: the image's own label names this key, and no trusted signer is pinned"
    return Evidence("signer", State.SELF_DECLARED, why, key)


def _warnings(
    labels: dict[str, str], prov: ProvenanceVerdict | None, ledger: Evidence, registry: Evidence
) -> tuple[str, ...]:
    out: list[str] = []
    hermetic_stated = prov is not None and not dict(provenance_rows(prov.statement)).get("hermetic", "").startswith(
        "yes"
    )
    if labels.get(names.HERMETIC) == "false" or hermetic_stated:
        out.append("not hermetic: a step had network")
    checked = {ledger.state, registry.state}
    if State.NOT_CHECKED not in checked and State.VERIFIED in checked and State.ABSENT in checked:
        have = "ledger proof" if ledger.state is State.VERIFIED else "registry signature"
        out.append(f"only a {have}, no {'registry signature' if have == 'ledger proof' else 'ledger proof'}")
    return tuple(out)
