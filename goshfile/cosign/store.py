"""Write signatures and attestations into an image's repository, and read them back, as cosign does.

Writing is idempotent: a layer already present (same payload and signature, or
for attestations the same predicate type by the same key) is not added again,
so signing twice leaves one signature. Reading gathers the ``.sig`` tag's layers
and the signature referrers' (from the referrers API, or the referrers tag where there is none).
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from goshfile.cosign.artifacts import (
    DSSE_ENVELOPE,
    OCI_MANIFEST,
    PREDICATE_ANNOTATION,
    PROOF_ANNOTATION,
    SIG_ARTIFACT,
    SIGNATURE_ANNOTATION,
    SIMPLE_SIGNING,
    Layer,
    attestation_tag,
    config_blob,
    manifest_body,
    manifest_layers,
    signature_tag,
    simple_signing_payload,
)
from goshfile.images.reference import Reference
from goshfile.images.registry import INDEX_TYPES, MANIFEST_TYPES, RegistryClient

Sign = Callable[[bytes], bytes]
OCI_INDEX = INDEX_TYPES[0]


@dataclass(frozen=True)
class Attached:
    """Where a signature or attestation is stored, and whether this call wrote it."""

    repository: str
    tag: str
    manifest_digest: str
    layer_digest: str
    added: bool  # False: the same was already there
    referrer: str | None = None  # the referrer manifest's digest (OCI 1.1 subject)


@dataclass(frozen=True)
class Found:
    """A signature or attestation layer found in the registry, with its blob's bytes (digest-checked)."""

    where: str  # "tag sha256-….sig" or "referrer sha256:…"
    layer: Layer
    blob: bytes


def _put(client: RegistryClient, ref: Reference, target: str, layers: list[Layer]) -> str:
    config = config_blob(layers)
    config_digest = client.push_blob(ref, config)
    return client.push_manifest(ref, target, manifest_body(config_digest, len(config), layers), OCI_MANIFEST)


def _merge(existing: list[Layer], layer: Layer, same: Callable[[Layer], bool]) -> tuple[list[Layer], bool]:
    """``existing`` with ``layer`` in place of an equal one (or appended); whether anything changed."""
    for i, old in enumerate(existing):
        if same(old):
            if old == layer:
                return existing, False
            return [*existing[:i], layer, *existing[i + 1 :]], True
    return [*existing, layer], True


def _attach(
    client: RegistryClient, ref: Reference, tag: str, blob: bytes, layer: Layer, same: Callable[[Layer], bool]
) -> tuple[str, bool]:
    current = client.find_manifest(ref, tag, (OCI_MANIFEST,))
    existing = manifest_layers(current.json()) if current else []
    layers, changed = _merge(existing, layer, same)
    if not changed and current is not None:
        return current.digest, False
    client.push_blob(ref, blob)
    return _put(client, ref, tag, layers), True


def sign_image(
    client: RegistryClient, ref: Reference, digest: str, sign: Sign, proof_address: str | None = None
) -> Attached:
    """Sign image ``digest`` of ``ref``'s repository with ``sign`` (ed25519) and store it as cosign does."""
    payload = simple_signing_payload(ref.name, digest)
    signature = base64.b64encode(sign(payload)).decode()
    notes = {SIGNATURE_ANNOTATION: signature}
    if proof_address:
        notes[PROOF_ANNOTATION] = proof_address
    layer = Layer(SIMPLE_SIGNING, client_digest(payload), len(payload), notes)
    tag = signature_tag(digest)

    def same(old: Layer) -> bool:
        return old.digest == layer.digest and old.signature == signature

    manifest_digest, added = _attach(client, ref, tag, payload, layer, same)
    referrer = _refer(client, ref, digest, payload, layer)
    return Attached(ref.name, tag, manifest_digest, layer.digest, added, referrer)


def referrers_tag(digest: str) -> str:
    """``sha256-<hex>``: the OCI 1.1 referrers tag schema, for registries without the referrers API."""
    return digest.replace(":", "-")


def referrer_entries(client: RegistryClient, ref: Reference, digest: str) -> tuple[list[dict[str, Any]], bool]:
    """The referrers of ``digest`` (from the referrers API, else the referrers tag) and whether the API answered."""
    listed = client.referrers(ref, digest)
    if listed is not None:
        return listed, True
    index = client.find_manifest(ref, referrers_tag(digest), (OCI_INDEX,))
    if index is None:
        return [], False
    entries = index.json().get("manifests")
    return [e for e in entries if isinstance(e, dict)] if isinstance(entries, list) else [], False


def _refer(client: RegistryClient, ref: Reference, digest: str, payload: bytes, layer: Layer) -> str:
    """Also store the signature as an OCI 1.1 referrer of the image (as ``cosign --registry-referrers-mode=oci-1-1``).

    A registry with the referrers API lists it by itself; for one without (Debian's registry 2.8),
    the referrer is added to the index under the referrers tag ``sha256-<hex>``, as the OCI
    distribution spec 1.1 says clients do, so ``oras discover`` finds it there too.
    """
    entries, api = referrer_entries(client, ref, digest)
    image = client.manifest(ref, digest, (*MANIFEST_TYPES, OCI_INDEX))
    subject = {"mediaType": image.media_type or OCI_MANIFEST, "size": len(image.body), "digest": digest}
    config = config_blob([layer])
    body = manifest_body(client_digest(config), len(config), [layer], config_media_type=SIG_ARTIFACT, subject=subject)
    mine = client_digest(body)
    if any(entry.get("digest") == mine for entry in entries):
        return mine
    client.push_blob(ref, payload)
    client.push_blob(ref, config)
    client.push_manifest(ref, mine, body, OCI_MANIFEST)
    if not api:
        entry = {"mediaType": OCI_MANIFEST, "digest": mine, "size": len(body), "artifactType": SIG_ARTIFACT}
        index = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [*entries, entry]}
        client.push_manifest(ref, referrers_tag(digest), json.dumps(index, separators=(",", ":")).encode(), OCI_INDEX)
    return mine


def attach_attestation(
    client: RegistryClient,
    ref: Reference,
    digest: str,
    envelope: bytes,
    predicate_type: str,
    keyid: str,
    proof_address: str | None = None,
) -> Attached:
    """Store a DSSE envelope as an attestation of ``digest``; it replaces this key's earlier one of that type."""
    notes = {SIGNATURE_ANNOTATION: "", PREDICATE_ANNOTATION: predicate_type, "dev.gosh.goshfile/keyid": keyid}
    if proof_address:
        notes[PROOF_ANNOTATION] = proof_address
    layer = Layer(DSSE_ENVELOPE, client_digest(envelope), len(envelope), notes)

    def same(old: Layer) -> bool:
        return old.digest == layer.digest or (
            old.annotations.get(PREDICATE_ANNOTATION) == predicate_type
            and old.annotations.get("dev.gosh.goshfile/keyid") == keyid
        )

    tag = attestation_tag(digest)
    manifest_digest, added = _attach(client, ref, tag, envelope, layer, same)
    return Attached(ref.name, tag, manifest_digest, layer.digest, added)


def _layers_of(client: RegistryClient, ref: Reference, target: str) -> list[Layer]:
    found = client.find_manifest(ref, target, (OCI_MANIFEST,))
    return manifest_layers(found.json()) if found else []


def find_signatures(client: RegistryClient, ref: Reference, digest: str) -> list[Found]:
    """Every simple-signing layer stored for ``digest``: the ``.sig`` tag's, then the referrers' (no repeats)."""
    tag = signature_tag(digest)
    candidates = [(f"tag {tag}", layer) for layer in _layers_of(client, ref, tag)]
    for entry in referrer_entries(client, ref, digest)[0]:
        if entry.get("artifactType") in (SIG_ARTIFACT, None) and isinstance(entry.get("digest"), str):
            referrer = client.find_manifest(ref, entry["digest"], (OCI_MANIFEST,))
            if referrer is None:
                continue
            manifest = referrer.json()
            if (manifest.get("config") or {}).get("mediaType") != SIG_ARTIFACT:
                continue
            candidates += [(f"referrer {referrer.digest}", layer) for layer in manifest_layers(manifest)]
    out: list[Found] = []
    seen: set[tuple[str, str]] = set()
    for where, layer in candidates:
        key = (layer.digest, layer.signature)
        if layer.media_type != SIMPLE_SIGNING or key in seen:
            continue
        seen.add(key)
        out.append(Found(where, layer, client.blob_bytes(ref, layer.digest)))
    return out


def find_attestations(client: RegistryClient, ref: Reference, digest: str) -> list[Found]:
    """Every DSSE layer of the ``.att`` tag of ``digest``."""
    tag = attestation_tag(digest)
    return [
        Found(f"tag {tag}", layer, client.blob_bytes(ref, layer.digest))
        for layer in _layers_of(client, ref, tag)
        if layer.media_type == DSSE_ENVELOPE
    ]


def client_digest(data: bytes) -> str:
    """sha256 digest string of ``data``."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


def envelope_bytes(envelope_json: dict[str, object]) -> bytes:
    """The bytes an envelope is stored as (compact JSON)."""
    return json.dumps(envelope_json, separators=(",", ":")).encode()
