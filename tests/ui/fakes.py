"""In-memory world for dashboard tests: the engine fake with registry digests, a ledger, jobs that report."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from goshfile.cosign.store import sign_image
from goshfile.errors import InputError
from goshfile.images import reference
from goshfile.images.local import LocalImage
from goshfile.images.reference import Reference
from goshfile.images.registry import Manifest, RegistryClient, RemoteImage
from goshfile.keys.keypair import KeyPair
from goshfile.provenance import dsse, store
from goshfile.provenance.statement import BuildRecord, encode, statement
from goshfile.ui.app import create_app
from goshfile.ui.dashboard import Dashboard, Services
from goshfile.ui.evidence import Assessment
from goshfile.ui.jobs import Outcome, Progress
from goshfile.ui.security import TOKEN_PARAM, Access
from goshfile.ui.trust import TrustFile
from tests.images.fake_engine import FakeImages, digest
from tests.images.layertars import layer, reg

HOSTILE = "<img src=x onerror=alert(1)>"
TOKEN = "t0ken-" + "x" * 30
URL = "gosh://0:" + "1" * 64 + "/dao/app"
COMMIT = "c" * 40


@dataclass(frozen=True)
class Proof:
    address: str
    recorded_at: str
    valid: bool = True


@dataclass
class FakeLedger:
    """Proofs by (public key, content); ``down`` makes every call fail as an unreachable node does."""

    proofs: dict[tuple[str, str], Proof] = field(default_factory=dict)
    closed: int = 0

    def check(self, public: str, content: str) -> bool:
        proof = self.proofs.get((public, content))
        return proof is not None and proof.valid

    def get(self, public: str, content: str) -> Proof | None:
        return self.proofs.get((public, content))

    def close(self) -> None:
        self.closed += 1

    def sign(self, public: str, content: str, valid: bool = True) -> Proof:
        proof = Proof("0:" + str(len(self.proofs)).rjust(64, "e"), "2026-12-02T04:00:00Z", valid)
        self.proofs[(public, content)] = proof
        return proof


class DigestImages(FakeImages):
    """The engine fake, with registry digests (``repo@sha256:...``) for pushed images."""

    def __init__(self) -> None:
        super().__init__()
        self.digests: dict[str, tuple[str, ...]] = {}

    def get(self, ref: str) -> LocalImage | None:
        found = super().get(ref)
        if found is None:
            return None
        return replace(found, repo_digests=self.digests.get(found.image_id, ()))


class FakeRegistry(RegistryClient):
    """Images that exist only in a registry, and an in-memory store of what signing writes (no referrers API)."""

    def __init__(self, images: dict[str, RemoteImage]) -> None:
        super().__init__()
        self.images = images
        self.stored: dict[tuple[str, str], tuple[bytes, str]] = {}  # (repository, tag or digest) -> body, type
        self.blobs: dict[tuple[str, str], bytes] = {}

    def find_manifest(self, ref: Reference, target: str, accept: tuple[str, ...] = ()) -> Manifest | None:
        found = self.stored.get((ref.name, target))
        return Manifest(found[0], found[1], digest(found[0])) if found else None

    def manifest(self, ref: Reference, target: str | None = None, accept: tuple[str, ...] = ()) -> Manifest:
        found = self.find_manifest(ref, target or "latest", accept)
        if found is not None:
            return found
        if target and target.startswith("sha256:"):  # an image the engine fake pushed: its size is all that is read
            return Manifest(b"{}", "application/vnd.oci.image.manifest.v1+json", target)
        raise InputError(f"{ref.name}@{target}: not found in the registry")

    def push_manifest(self, ref: Reference, target: str, body: bytes, media_type: str) -> str:
        self.stored[(ref.name, target)] = self.stored[(ref.name, digest(body))] = (body, media_type)
        return digest(body)

    def has_blob(self, ref: Reference, blob: str) -> bool:
        return (ref.name, blob) in self.blobs

    def push_blob(self, ref: Reference, data: bytes) -> str:
        self.blobs[(ref.name, digest(data))] = data
        return digest(data)

    def blob_bytes(self, ref: Reference, blob: str, limit: int = 1 << 20) -> bytes:
        if (ref.name, blob) not in self.blobs:
            raise InputError(f"blob {blob}: not found in the registry")
        return self.blobs[(ref.name, blob)]

    def referrers(self, ref: Reference, subject: str) -> list[dict[str, Any]] | None:
        return None

    def inspect(self, ref: object) -> RemoteImage:
        found = self.images.get(str(ref))
        if found is None:
            raise InputError(f"{ref}: not found in the registry")
        return found


@dataclass
class World:
    """Everything a dashboard test touches."""

    home: Path
    images: DigestImages = field(default_factory=DigestImages)
    ledger: FakeLedger = field(default_factory=FakeLedger)
    key: KeyPair = field(default_factory=KeyPair.generate)
    remote: dict[str, RemoteImage] = field(default_factory=dict)
    tags: dict[str, list[str]] = field(default_factory=dict)
    validated: list[str] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    outcome: Outcome = field(default_factory=lambda: Outcome("reproduced bit for bit", ("the same image ID",)))

    def __post_init__(self) -> None:
        self.trust = TrustFile(self.home / "trusted-signers")
        self.registry = FakeRegistry(self.remote)
        self.release.set()

    def add(self, name: str, labels: dict[str, str], pushed: bool = True) -> str:
        """An image tagged ``name`` (its own content); with ``pushed``, a registry digest too (else "")."""
        image_id = self.images.add([layer(reg("app/out.txt", name.encode()))], labels, tag=name)
        if not pushed:
            return ""
        digest = "sha256:" + image_id[7:][::-1]
        self.images.digests[image_id] = (f"{name.rsplit(':', 1)[0]}@{digest}",)
        return digest

    def signed(
        self, name: str, extra: dict[str, str] | None = None, provenance: bool = False, registry: bool = True
    ) -> str:
        """An image signed as ``goshfile build --push --sign`` does: a ledger proof and a registry signature."""
        labels = {"WALLET_PUBLIC": self.key.public_hex, **(extra or {})}
        digest = self.add(name, labels)
        address = self.ledger.sign(self.key.public_hex, digest).address
        if registry:
            sign_image(self.registry, reference.parse(name), digest, self.key.sign, address)
        if provenance:
            record = BuildRecord(
                name, digest, labels, {"GREETING": "hi"}, context={"uri": URL, "digest": {"gitCommit": COMMIT}}
            )
            payload = encode(statement(record))
            store.save(digest, dsse.sign(payload, self.key))
            self.ledger.sign(self.key.public_hex, store.statement_digest(payload))
        return digest

    def validate(self, image: Assessment, progress: Progress) -> Outcome:
        self.validated.append(image.name)
        progress(f"#1 [1/2] build {image.name}")
        self.release.wait(10)
        progress("#2 exporting layers done")
        return self.outcome

    def hashes(self, ref: str, progress: Progress, save: Callable[[list[str]], None]) -> Outcome:
        progress(f"reading the layers of {ref}")
        found = ["sha256:" + "7" * 64, "sha256:" + "8" * 64]
        save(found)
        return Outcome("content hashes computed", tuple(found))

    def services(self) -> Services:
        return Services(
            images=self.images,
            open_ledger=lambda: self.ledger,
            trust=self.trust,
            registry=self.registry,
            list_tags=lambda repo: self.tags[repo],
            validate=self.validate,
            hashes=self.hashes,
        )

    def client(self, login: bool = True, hosts: frozenset[str] = frozenset()) -> tuple[TestClient, Dashboard]:
        dashboard = Dashboard(self.services())
        client = TestClient(create_app(dashboard, Access(TOKEN, allowed_hosts=hosts)))
        if login:
            assert client.get(f"/?{TOKEN_PARAM}={TOKEN}").status_code == 200
        return client, dashboard


def csrf() -> str:
    return Access(TOKEN).csrf
