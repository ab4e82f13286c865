"""``goshfile verify`` as a library call: gather every piece of evidence about an image, then judge.

Pieces (each ``verified`` / ``absent`` / ``invalid`` / ``error`` with its reason):

- ``label``: the ``WALLET_PUBLIC`` label; with pinned signers (``--signer`` or the
  trusted-signers file) it must name one of them, else the signer is self-declared;
- ``ledger``: a ledger proof that an expected key signed the registry digest;
- ``content_hash``: one of its content hashes instead (as GOSH's Docker extension signed);
- ``registry``: a cosign-format signature stored next to the image (goshfile's or cosign's);
- ``provenance``: a signed SLSA v1 provenance attestation in the registry (or this machine's cache);
- ``rebuild``: with ``rebuild=``, a rebuild from the recorded commit compared file by file.

The verdict (the defaults, documented in the README): verified when at least one
signature (ledger, content hash or registry) by an expected key holds, nothing
present is invalid, and each ``require``d piece is verified. A piece that could
not be checked (node or registry unreachable) makes the answer "could not check"
when it was required or when no signature held.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from goshfile import labels as names
from goshfile.cosign.store import find_attestations, find_signatures
from goshfile.errors import EngineError, GoshfileError, InputError, VerificationError
from goshfile.images import reference
from goshfile.images.local import ImageArchives, ImageStore, LocalImage
from goshfile.images.registry import RegistryClient
from goshfile.keys.keypair import KEY_HEX
from goshfile.provenance import dsse
from goshfile.provenance import store as cache
from goshfile.verify.provenance import ProvenanceVerdict, provenance_evidence
from goshfile.verify.registry_signature import registry_evidence
from goshfile.verify.report import ErrorInfo, Evidence, Trust, VerifyReport, rfc3339
from goshfile.verify.signature import ProofLedger, Subject, find_subject
from goshfile.verify.trust import TrustedSigner, pinned_signers

REQUIRABLE = ("ledger", "registry", "provenance")
SIGNATURES = ("ledger", "content_hash", "registry")
Progress = Callable[[str], None]
Rebuild = Callable[[Subject, "dict[str, str] | None", Progress | None], Evidence]


@dataclass(frozen=True)
class VerifyOptions:
    """What to check and whom to trust."""

    signers: tuple[str, ...] = ()  # --signer values (hex keys or key files)
    trusted_file: Path | None = None  # default: goshfile.verify.trust.default_trusted_signers_file()
    require: frozenset[str] = frozenset()
    content_hash: bool = True
    rebuild: bool = False
    use_cache: bool = True  # also look for provenance in this machine's cache


@dataclass
class Sources:
    """Where evidence comes from (real systems in the CLI, fakes in tests)."""

    store: ImageStore
    registry: RegistryClient
    ledger: ProofLedger
    content_hashes: Callable[[str], list[str]] | None = None
    rebuild: Rebuild | None = None
    progress: Progress | None = None
    pins: list[TrustedSigner] = field(default_factory=list)


def _error(exc: BaseException) -> Evidence:
    return Evidence("error", f"could not check: {exc}", {"error": ErrorInfo(type(exc).__name__, str(exc)).to_json()})


def _label(labels: dict[str, str], pins: Sequence[TrustedSigner]) -> tuple[Evidence, list[str]]:
    """The label's evidence and the keys signatures are checked against."""
    label = labels.get(names.WALLET_PUBLIC, "").strip()
    pinned = [p.public for p in pins]
    if label and not KEY_HEX.match(label):
        return Evidence("invalid", f"the {names.WALLET_PUBLIC} label {label!r} is not a public key"), pinned
    label = label.lower()
    if pins:
        if not label:
            return Evidence("absent", f"no {names.WALLET_PUBLIC} label (the pinned signers are checked)"), pinned
        match = next((p for p in pins if p.public == label), None)
        if match is None:
            reason = f"the {names.WALLET_PUBLIC} label names {label}, which is not a trusted signer"
            return Evidence("invalid", reason, {"signer": label}), pinned
        return Evidence(
            "verified", None, {"signer": label, "trusted_as": match.name, "pinned_in": match.origin}
        ), pinned
    if not label:
        reason = f"no {names.WALLET_PUBLIC} label and no --signer or trusted signers: nobody vouches for it"
        return Evidence("absent", reason), []
    return Evidence("verified", "self-declared: the image's own label names the signer", {"signer": label}), [label]


def _ledger(ledger: ProofLedger, keys: Sequence[str], contents: Sequence[str], kind: str) -> Evidence:
    bad: list[str] = []
    for key in keys:
        for content in contents:
            if ledger.check(key, content):
                proof = ledger.get(key, content)
                details = {
                    "signer": key,
                    "content": content,
                    "kind": kind,
                    "address": str(proof.address),
                    "recorded_at": rfc3339(getattr(proof, "recorded_at", None)),
                }
                return Evidence("verified", None, details)
            if ledger.get(key, content) is not None:
                bad.append(f"the proof of {content} by {key} has a bad signature")
    if bad:
        return Evidence("invalid", "; ".join(bad))
    if not keys:
        return Evidence("absent", "no key to look proofs up for")
    if not contents:
        return Evidence("absent", "no registry digest (push it, or pull it from its registry)")
    return Evidence("absent", f"no proof that {' or '.join(keys)} signed {', '.join(contents)}")


def _registry_ref(subject: Subject) -> reference.Reference | None:
    if subject.image.startswith("sha256:") or not subject.digests:
        return None
    try:
        return reference.parse(subject.image)
    except InputError:
        return None


def _provenance_candidates(
    registry: RegistryClient, ref: reference.Reference, digest: str, use_cache: bool
) -> list[tuple[str, dsse.Envelope | str]]:
    out: list[tuple[str, dsse.Envelope | str]] = []
    for found in find_attestations(registry, ref, digest):
        try:
            out.append((f"registry {found.where}", dsse.Envelope.from_json(json.loads(found.blob))))
        except (ValueError, InputError):
            out.append((f"registry {found.where}", "not a DSSE envelope"))
    if use_cache:
        try:
            cached = cache.load(digest)
        except InputError as exc:
            out.append(("cache", str(exc)))
        else:
            if cached is not None:
                out.append((f"cache {cache.provenance_path(digest)}", cached))
    return out


def _judge(evidence: dict[str, Evidence], require: frozenset[str]) -> tuple[bool, str | None, ErrorInfo | None]:
    invalid = [f"{name}: {e.reason}" for name, e in evidence.items() if e.status == "invalid"]
    if invalid:
        return False, "; ".join(invalid), None
    signed = any(evidence.get(name, Evidence("absent")).status == "verified" for name in SIGNATURES)
    errors = [(name, e) for name, e in evidence.items() if e.status == "error"]
    fatal = [(name, e) for name, e in errors if name in require or not signed]
    if fatal:
        name, piece = fatal[0]
        info = piece.details.get("error") or {"type": "EngineError", "message": piece.reason or ""}
        return False, f"{name}: {piece.reason}", ErrorInfo(str(info["type"]), str(info["message"]))
    if not signed:
        why = "; ".join(f"{n}: {evidence[n].reason}" for n in SIGNATURES if n in evidence and evidence[n].reason)
        return False, "no valid signature" + (f" ({why})" if why else ""), None
    missing = [
        f"{n} is required ({evidence.get(n, Evidence('absent', 'not checked')).reason})"
        for n in require
        if evidence.get(n, Evidence("absent")).status != "verified"
    ]
    if missing:
        return False, "; ".join(sorted(missing)), None
    if evidence.get("rebuild", Evidence("not-checked")).status not in ("verified", "not-checked"):
        return False, f"rebuild: {evidence['rebuild'].reason}", None
    return True, None, None


def verify_image(ref: str, options: VerifyOptions, sources: Sources) -> VerifyReport:
    """Every piece of evidence about image ``ref`` and the verdict; never raises for what it checks."""
    say = sources.progress or (lambda _message: None)
    try:
        pins = sources.pins or pinned_signers(options.signers, options.trusted_file)
        subject = find_subject(ref, sources.store, sources.registry)
    except GoshfileError as exc:
        return VerifyReport(ref, False, str(exc), error=ErrorInfo(type(exc).__name__, str(exc)))
    evidence: dict[str, Evidence] = {}
    evidence["label"], keys = _label(subject.labels, pins)
    digest = subject.digests[0] if subject.digests else None
    try:
        evidence["ledger"] = _ledger(sources.ledger, keys, subject.digests, "registry digest")
    except EngineError as exc:
        evidence["ledger"] = _error(exc)
    if evidence["ledger"].status == "verified":
        evidence["content_hash"] = Evidence("not-checked", "not needed: a proof covers the registry digest")
    elif evidence["ledger"].status == "absent" and options.content_hash and keys and sources.content_hashes:
        try:
            say("reading the image's files for its content hashes")
            evidence["content_hash"] = _ledger(sources.ledger, keys, sources.content_hashes(ref), "content hash")
        except (EngineError, VerificationError) as exc:
            evidence["content_hash"] = _error(exc) if isinstance(exc, EngineError) else Evidence("invalid", str(exc))
    target = _registry_ref(subject)
    verdict: ProvenanceVerdict | None = None
    if target is None or digest is None:
        evidence["registry"] = Evidence("absent", "the image has no registry digest: nothing is stored next to it")
        evidence["provenance"] = Evidence("absent", "the image has no registry digest")
    elif not keys:  # no label and no pinned signer: no signature could count, so the registry is not asked
        evidence["registry"] = Evidence("absent", "no signer to check a registry signature against")
        evidence["provenance"] = Evidence("absent", "no signer to check a provenance signature against")
    else:
        try:
            evidence["registry"] = registry_evidence(find_signatures(sources.registry, target, digest), digest, keys)
        except (EngineError, InputError) as exc:
            evidence["registry"] = _error(exc)
        except VerificationError as exc:
            evidence["registry"] = Evidence("invalid", str(exc))
        try:
            candidates = _provenance_candidates(sources.registry, target, digest, options.use_cache)
            evidence["provenance"], verdict = provenance_evidence(candidates, digest, keys, sources.ledger)
        except (EngineError, InputError) as exc:
            evidence["provenance"] = _error(exc)
        except VerificationError as exc:
            evidence["provenance"] = Evidence("invalid", str(exc))
    if options.rebuild and sources.rebuild is not None:
        try:
            evidence["rebuild"] = sources.rebuild(subject, verdict.build_args() if verdict else None, say)
        except VerificationError as exc:
            evidence["rebuild"] = Evidence("invalid", str(exc))
        except GoshfileError as exc:
            evidence["rebuild"] = _error(exc)
    verified, reason, error = _judge(evidence, options.require)
    signer = next(
        (str(evidence[n].details["signer"]) for n in SIGNATURES if n in evidence and evidence[n].status == "verified"),
        None,
    )
    trust: Trust | None = ("pinned" if pins else "self-declared") if signer else None
    return VerifyReport(ref, verified, reason, digest, signer, trust, evidence, error)


class NoLocalImages:
    """An image store with nothing in it: verify as anyone would, from the registry (no engine needed)."""

    def get(self, ref: str) -> LocalImage | None:
        return None

    def all(self) -> list[LocalImage]:
        return []

    def remove(self, ref: str) -> None:
        return None


def select_images(store: ImageStore, signed: bool = False, label_filters: Iterable[str] = ()) -> list[str]:
    """Tagged local images for ``verify --all``: with ``signed``, only labelled ones; ``KEY`` or ``KEY=VALUE``."""
    wanted = [f.partition("=") for f in label_filters]
    out: list[str] = []
    for image in store.all():
        labels = image.labels or {}
        if signed and not labels.get(names.WALLET_PUBLIC):
            continue
        if any(key not in labels or (sep and labels[key] != value) for key, sep, value in wanted):
            continue
        out += [tag for tag in image.tags if tag not in out and not tag.endswith(":<none>")]
    return out


def rebuild_check(store: ImageArchives) -> Rebuild:
    """The ``rebuild`` piece: rebuild from the labels' GOSH commit with no cache and compare every file."""

    def run(subject: Subject, build_args: dict[str, str] | None, progress: Progress | None) -> Evidence:
        say = progress or (lambda _message: None)
        url, commit = subject.labels.get(names.GOSH_ADDRESS), subject.labels.get(names.GOSH_COMMIT_HASH)
        if not url or not commit:
            return Evidence("absent", "no GOSH_ADDRESS and GOSH_COMMIT_HASH labels: nothing to rebuild from")
        say(f"rebuilding {subject.image} from {url} at {commit} with no cache")
        # here: only --rebuild needs the build machinery (the spec, buildx); plain verify starts without it
        from goshfile.workflows.rebuild import verify_image_rebuild

        done = verify_image_rebuild(
            subject.image, subject.labels, store, build_args, subject.image_id or None, say, subject.digests
        )
        how = "bit for bit: the same image ID" if done.same_image_id else "every file and mode; the image IDs differ"
        details = {"content_hash": done.content_hash, "same_image_id": done.same_image_id}
        return Evidence("verified", f"reproduced {how}", details)

    return run
