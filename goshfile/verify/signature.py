"""Verify an image's signature: its ``WALLET_PUBLIC`` label, its digest, and a proof in the ledger.

As GOSH's Docker extension did, the image is identified by its registry
(manifest) digest, the seed's flow, or by its content hash, which the
extension signed. An image is verified when the ledger holds a valid proof
that the key named by its label signed one of those.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from goshfile import labels
from goshfile.errors import EngineError, InputError, VerificationError
from goshfile.images import reference
from goshfile.images.local import ImageStore, LocalImage
from goshfile.images.registry import RegistryClient

WALLET_LABEL = labels.WALLET_PUBLIC


class ProofLedger(Protocol):
    """The part of a ledger that verification needs."""

    def check(self, public: str, content: str) -> bool:
        """True when a proof exists and its signature verifies."""

    def get(self, public: str, content: str) -> Any:
        """The stored proof (with ``address`` and ``recorded_at``), or None."""


@dataclass(frozen=True)
class Subject:
    """An image as verification sees it."""

    image: str
    labels: dict[str, str]
    digests: tuple[str, ...]  # registry digests, the image's own repository first
    local: bool
    image_id: str = ""  # the config digest (the engine's image ID)


@dataclass(frozen=True)
class Verdict:
    """A verified signature."""

    image: str
    signer: str
    content: str
    kind: str  # "registry digest" or "content hash"
    address: str
    recorded_at: str

    def to_json(self) -> dict[str, Any]:
        """For ``--json``."""
        return {
            "image": self.image,
            "verified": True,
            "signer": self.signer,
            "content": self.content,
            "kind": self.kind,
            "address": self.address,
            "recorded_at": self.recorded_at,
        }


def _digests_for(ref: str, image: LocalImage) -> tuple[str, ...]:
    try:
        name = "" if ref.startswith("sha256:") else reference.parse(ref).name  # an image ID has no repository
    except InputError:
        name = ""
    mine: list[str] = []
    others: list[str] = []
    for entry in image.repo_digests:
        repo, _, digest = entry.partition("@")
        try:
            same = reference.parse(repo).name == name
        except InputError:
            same = False
        (mine if same else others).append(digest)
    return tuple(dict.fromkeys(mine + others))


def find_subject(ref: str, store: ImageStore, registry: RegistryClient | None = None) -> Subject:
    """The image ``ref`` from the local engine, else from its registry."""
    try:
        local = store.get(ref)
    except EngineError:
        if registry is None:
            raise
        local = None  # no engine to ask: the registry has the image
    if local is not None:
        return Subject(ref, local.labels, _digests_for(ref, local), True, local.image_id)
    if registry is None:
        raise InputError(f"no image {ref!r} in the local engine")
    remote = registry.inspect(reference.parse(ref))
    return Subject(ref, remote.labels, (remote.digest,), False, remote.config_digest)


def verify_subject(
    subject: Subject, ledger: ProofLedger, content_hashes: Callable[[str], list[str]] | None = None
) -> Verdict:
    """Raise :class:`VerificationError` with the reason unless a valid proof covers ``subject``.

    Registry digests are tried first; ``content_hashes`` is only called when none of them is signed.
    """
    signer = subject.labels.get(WALLET_LABEL)
    if not signer:
        raise VerificationError(f"{subject.image}: no {WALLET_LABEL} label, so nobody vouches for it")
    tried: list[str] = []

    def attempt(content: str, kind: str) -> Verdict | None:
        tried.append(content)
        if not ledger.check(signer, content):
            return None
        proof = ledger.get(signer, content)
        return Verdict(subject.image, signer, content, kind, str(proof.address), str(getattr(proof, "recorded_at", "")))

    for digest in subject.digests:
        if verdict := attempt(digest, "registry digest"):
            return verdict
    for digest in content_hashes(subject.image) if content_hashes is not None else []:
        if verdict := attempt(digest, "content hash"):
            return verdict
    if not tried:
        raise VerificationError(f"{subject.image}: no registry digest (push it, or pull it from its registry)")
    for content in tried:
        if ledger.get(signer, content) is not None:
            raise VerificationError(f"{subject.image}: the proof for {content} by {signer} has a bad signature")
    raise VerificationError(f"{subject.image}: no proof that {signer} signed {', '.join(tried)}")
