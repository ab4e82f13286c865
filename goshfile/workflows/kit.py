"""The offline kit: an image, its signatures, attestations and ledger proofs in one OCI layout tar.

``goshfile save IMAGE -o kit.tar`` writes an OCI image layout (``oci-layout``,
``index.json``, ``blobs/sha256/…``): the image's manifest (and its platform
manifest when it is an index), config and layers; the manifests under its
``sha256-<hex>.sig`` and ``.att`` tags with their blobs; and ``goshfile-proofs.json``,
the ledger proofs of the image digest and of its provenance statements, each
self-verifying (its ed25519 signature over the key and the content). ``index.json``
names each manifest by its tag in ``org.opencontainers.image.ref.name``.
``goshfile verify --kit kit.tar`` checks it all with no network: :class:`KitRegistry`
answers as the registry did, :class:`KitLedger` as the node did.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from goshfile.cosign.artifacts import OCI_MANIFEST, attestation_tag, signature_tag
from goshfile.cosign.store import find_attestations
from goshfile.errors import InputError, VerificationError
from goshfile.images import reference
from goshfile.images.reference import Reference
from goshfile.images.registry import INDEX_TYPES, Manifest, RegistryClient
from goshfile.ledger.proof import Proof
from goshfile.provenance import dsse
from goshfile.provenance import store as provenance_store
from goshfile.verify.signature import ProofLedger

REF_NAME = "org.opencontainers.image.ref.name"
PROOFS = "goshfile-proofs.json"
IMAGE_NAME = "dev.gosh.goshfile/image"  # index.json annotation: the image reference the kit was saved from


@dataclass(frozen=True)
class SavedKit:
    """What a kit holds."""

    path: Path
    image: str
    digest: str
    manifests: int
    blobs: int
    proofs: int


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = len(data), 0o644, 0
    tar.addfile(info, io.BytesIO(data))


def save_kit(image: str, out: Path, client: RegistryClient, ledger: ProofLedger, keys: Sequence[str]) -> SavedKit:
    """Write the kit of ``image`` (read from its registry) with the proofs ``ledger`` holds by ``keys``."""
    ref = reference.parse(image)
    top = client.manifest(ref)
    manifests: dict[str, tuple[Manifest, str | None]] = {top.digest: (top, ref.tag or None)}
    blobs: set[str] = set()

    def take(manifest: Manifest) -> None:
        body = manifest.json()
        for entry in body.get("manifests") or []:
            child = client.manifest(ref, str(entry["digest"]))
            manifests.setdefault(child.digest, (child, None))
            take(child)
        for descriptor in [body.get("config"), *(body.get("layers") or [])]:
            if isinstance(descriptor, dict) and isinstance(descriptor.get("digest"), str):
                blobs.add(descriptor["digest"])

    take(top)
    for tag in (signature_tag(top.digest), attestation_tag(top.digest)):
        found = client.find_manifest(ref, tag, (OCI_MANIFEST,))
        if found is not None:
            manifests[found.digest] = (found, tag)
            take(found)
    contents = [top.digest]
    for attestation in find_attestations(client, ref, top.digest):
        try:
            envelope = dsse.Envelope.from_json(json.loads(attestation.blob))
        except (ValueError, InputError):
            continue
        contents.append(provenance_store.statement_digest(envelope.payload))
    proofs = [p for key in keys for c in contents if (p := ledger.get(key, c)) is not None]
    index = {
        "schemaVersion": 2,
        "mediaType": INDEX_TYPES[0],
        "manifests": [
            {"mediaType": m.media_type or OCI_MANIFEST, "digest": d, "size": len(m.body)}
            | ({"annotations": {REF_NAME: tag}} if tag else {})
            for d, (m, tag) in manifests.items()
        ],
        "annotations": {IMAGE_NAME: str(ref), "dev.gosh.goshfile/digest": top.digest},
    }
    with tarfile.open(out, "w") as tar:
        _add(tar, "oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
        _add(tar, "index.json", json.dumps(index, indent=1).encode())
        for digest, (manifest, _) in manifests.items():
            _add(tar, f"blobs/sha256/{digest.removeprefix('sha256:')}", manifest.body)
        for digest in sorted(blobs):
            stream = client.blob(ref, digest)
            try:
                data = bytearray()
                buffer = memoryview(bytearray(1 << 16))
                while n := stream.readinto(buffer):
                    data += buffer[:n]
            finally:
                stream.close()
            _add(tar, f"blobs/sha256/{digest.removeprefix('sha256:')}", bytes(data))
        _add(tar, PROOFS, json.dumps([p.to_json() for p in proofs], indent=1).encode())
    return SavedKit(out, str(ref), top.digest, len(manifests), len(blobs), len(proofs))


class KitRegistry(RegistryClient):
    """A registry answered from a kit: manifests by tag or digest, blobs by digest, every digest checked."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        self.files: dict[str, bytes] = {}
        try:
            with tarfile.open(path) as tar:
                for member in tar.getmembers():
                    handle = tar.extractfile(member) if member.isfile() else None
                    if handle is not None:
                        self.files[member.name.removeprefix("./")] = handle.read()
            index: Any = json.loads(self.files["index.json"])
        except (OSError, tarfile.TarError, KeyError, ValueError) as exc:
            raise InputError(f"{path} is not a goshfile kit (an OCI layout tar with index.json): {exc}") from None
        self.tags: dict[str, str] = {}
        for entry in index.get("manifests") or []:
            name = (entry.get("annotations") or {}).get(REF_NAME)
            if name:
                self.tags[str(name)] = str(entry["digest"])
        annotations = index.get("annotations") or {}
        self.image = str(annotations.get(IMAGE_NAME) or "")
        if not self.image:
            raise InputError(f"{path}: index.json does not name the image (annotation {IMAGE_NAME})")

    def _blob(self, digest: str) -> bytes:
        data = self.files.get(f"blobs/sha256/{digest.removeprefix('sha256:')}")
        if data is None:
            raise InputError(f"{digest}: not in the kit {self.path}")
        if "sha256:" + hashlib.sha256(data).hexdigest() != digest:
            raise VerificationError(f"{digest} in the kit {self.path} has other bytes: the kit was changed")
        return data

    def manifest(self, ref: Reference, target: str | None = None, accept: tuple[str, ...] = ()) -> Manifest:
        target = target or ref.digest or ref.tag or "latest"
        digest = target if target.startswith("sha256:") else self.tags.get(target)
        if digest is None:
            raise InputError(f"{ref.name}:{target}: not in the kit {self.path}")
        body = self._blob(digest)
        media = json.loads(body).get("mediaType") or OCI_MANIFEST
        return Manifest(body, str(media), digest)

    def blob_bytes(self, ref: Reference, digest: str, limit: int = 16 << 20) -> bytes:
        return self._blob(digest)

    def referrers(self, ref: Reference, digest: str) -> list[dict[str, Any]] | None:
        return None


class KitLedger:
    """The ledger of a kit: the proofs it holds, each checked by its own signature."""

    def __init__(self, kit: KitRegistry) -> None:
        try:
            raw = json.loads(kit.files.get(PROOFS, b"[]"))
            self.proofs = {(p.public, p.content): p for p in (Proof.from_json(item) for item in raw)}
        except ValueError as exc:
            raise InputError(f"{kit.path}: {PROOFS} is not a list of proofs: {exc}") from None

    def check(self, public: str, content: str) -> bool:
        proof = self.proofs.get((public.lower(), content))
        return proof is not None and proof.verifies(public, content)

    def get(self, public: str, content: str) -> Proof | None:
        return self.proofs.get((public.lower(), content))

    def close(self) -> None:
        return None
