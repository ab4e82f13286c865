"""The registry objects of cosign's key-based signatures and attestations, and their parsing.

What cosign 2.5 writes (checked against its output on Debian's registry 2.8, and
its specs/SIGNATURE_SPEC.md and ATTESTATION_SPEC.md):

- a signature of image ``sha256:H`` is a layer of the OCI manifest tagged ``sha256-H.sig``
  in the image's repository: the simple-signing payload as a blob of media type
  ``application/vnd.dev.cosign.simplesigning.v1+json``, the base64 signature of the
  payload's bytes in the annotation ``dev.cosignproject.cosign/signature``; several
  signatures are several layers of that one manifest;
- an attestation is a layer of the manifest tagged ``sha256-H.att``: a DSSE envelope
  (``application/vnd.dsse.envelope.v1+json``) with the annotations ``predicateType``
  and an empty ``dev.cosignproject.cosign/signature``;
- the manifests' config is an OCI image config with empty platform, the zero time,
  and the layers' digests as ``rootfs.diff_ids``;
- with ``--registry-referrers-mode=oci-1-1`` a signature is also an OCI 1.1 referrer:
  the same layer in a manifest whose ``config.mediaType`` is
  ``application/vnd.dev.cosign.artifact.sig.v1+json`` and whose ``subject`` is the image.

goshfile adds ``dev.gosh.goshfile/proof`` (the ledger proof's address) to its layers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
SIMPLE_SIGNING = "application/vnd.dev.cosign.simplesigning.v1+json"
DSSE_ENVELOPE = "application/vnd.dsse.envelope.v1+json"
SIG_ARTIFACT = "application/vnd.dev.cosign.artifact.sig.v1+json"
SIGNATURE_ANNOTATION = "dev.cosignproject.cosign/signature"
PREDICATE_ANNOTATION = "predicateType"
PROOF_ANNOTATION = "dev.gosh.goshfile/proof"
SIGNATURE_TYPE = "cosign container image signature"
SLSA_PROVENANCE_V1 = "https://slsa.dev/provenance/v1"
ZERO_TIME = "0001-01-01T00:00:00Z"


def signature_tag(digest: str) -> str:
    """``sha256-<hex>.sig``: where cosign keeps the signatures of ``digest``."""
    return digest.replace(":", "-") + ".sig"


def attestation_tag(digest: str) -> str:
    """``sha256-<hex>.att``: where cosign keeps the attestations of ``digest``."""
    return digest.replace(":", "-") + ".att"


def simple_signing_payload(repository: str, digest: str) -> bytes:
    """The payload cosign signs for image ``digest`` of ``repository`` (no optional claims: deterministic)."""
    payload = {
        "critical": {
            "identity": {"docker-reference": repository},
            "image": {"docker-manifest-digest": digest},
            "type": SIGNATURE_TYPE,
        },
        "optional": None,
    }
    return json.dumps(payload, separators=(",", ":")).encode()


@dataclass(frozen=True)
class Layer:
    """A layer descriptor of a signature or attestation manifest."""

    media_type: str
    digest: str
    size: int
    annotations: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The descriptor's JSON form."""
        out: dict[str, Any] = {"mediaType": self.media_type, "size": self.size, "digest": self.digest}
        if self.annotations:
            out["annotations"] = dict(self.annotations)
        return out

    @classmethod
    def from_json(cls, value: Any) -> Layer | None:
        """A descriptor, or None when ``value`` is not one."""
        if not isinstance(value, dict) or not isinstance(value.get("digest"), str):
            return None
        raw = value.get("annotations")
        notes: dict[str, Any] = raw if isinstance(raw, dict) else {}
        size = value.get("size")
        return cls(
            str(value.get("mediaType") or ""),
            value["digest"],
            size if isinstance(size, int) else 0,
            {str(k): str(v) for k, v in notes.items()},
        )

    @property
    def signature(self) -> str:
        """The base64 signature annotation ("" for attestations)."""
        return self.annotations.get(SIGNATURE_ANNOTATION, "")


def config_blob(layers: list[Layer]) -> bytes:
    """The config cosign writes for a signature or attestation manifest."""
    config = {
        "architecture": "",
        "created": ZERO_TIME,
        "history": [{"created": ZERO_TIME}],
        "os": "",
        "rootfs": {"type": "layers", "diff_ids": [layer.digest for layer in layers]},
        "config": {},
    }
    return json.dumps(config, separators=(",", ":")).encode()


def manifest_body(
    config_digest: str,
    config_size: int,
    layers: list[Layer],
    *,
    config_media_type: str = OCI_CONFIG,
    subject: dict[str, Any] | None = None,
) -> bytes:
    """An OCI image manifest holding ``layers`` (with ``subject`` for a referrer)."""
    manifest: dict[str, Any] = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": config_media_type, "size": config_size, "digest": config_digest},
        "layers": [layer.to_json() for layer in layers],
    }
    if subject is not None:
        manifest["subject"] = subject
    return json.dumps(manifest, separators=(",", ":")).encode()


def manifest_layers(manifest: dict[str, Any]) -> list[Layer]:
    """The layer descriptors of a manifest (ignoring malformed ones)."""
    raw = manifest.get("layers")
    found = [Layer.from_json(item) for item in raw] if isinstance(raw, list) else []
    return [layer for layer in found if layer is not None]


def payload_digest(payload: Any) -> str | None:
    """The image digest a simple-signing payload names, or None when it is not one (of cosign's type)."""
    if not isinstance(payload, dict):
        return None
    critical = payload.get("critical")
    if not isinstance(critical, dict) or critical.get("type") != SIGNATURE_TYPE:
        return None
    image = critical.get("image")
    if not isinstance(image, dict):
        return None
    named = image.get("docker-manifest-digest", image.get("Docker-manifest-digest"))
    return named if isinstance(named, str) else None
