"""After a pushed build: sign the image digest and its provenance, record both, and verify.

The image proof is the seed's flow (the ledger's proof that the wallet key
signed the registry digest); the same key's cosign-format signature goes into
the image's repository (tag ``sha256-<hex>.sig``, with the proof's address in an
annotation). The provenance is an in-toto Statement signed in a DSSE envelope:
it goes into the registry as a cosign attestation (tag ``sha256-<hex>.att``), the
ledger records a proof of the statement's digest, and a copy is cached under the
data folder by image digest.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from goshfile import labels as names
from goshfile.cosign.artifacts import SLSA_PROVENANCE_V1
from goshfile.cosign.store import Attached, attach_attestation, envelope_bytes
from goshfile.cosign.store import sign_image as sign_in_registry
from goshfile.engine.buildx import BuildRequest
from goshfile.errors import InputError, VerificationError
from goshfile.images import reference
from goshfile.images.registry import RegistryClient
from goshfile.keys.keypair import KeyPair
from goshfile.ledger import open_ledger
from goshfile.ledger.proof import Proof
from goshfile.ledger.protocol import Ledger
from goshfile.provenance import dsse, store
from goshfile.provenance.context import describe_context
from goshfile.provenance.statement import BuildRecord, encode, statement
from goshfile.verify.trust import TrustedSigner
from goshfile.workflows.verify import NoLocalImages, Sources, VerifyOptions, verify_image


@dataclass(frozen=True)
class Published:
    """What signing a pushed image recorded."""

    image: str
    digest: str
    proof: Proof
    provenance_proof: Proof
    envelope: Path  # the cached copy
    signature: Attached | None = None  # in the registry
    attestation: Attached | None = None


def sign_image(
    image: str,
    digest: str,
    labels: dict[str, str],
    signer: KeyPair,
    ledger: Ledger,
    *,
    build_args: dict[str, str] | None = None,
    goshfile_path: str = "goshfile.yaml",
    context: str = ".",
    started: datetime | None = None,
    finished: datetime | None = None,
    registry: RegistryClient | None = None,
) -> Published:
    """Sign ``digest`` and the build's provenance with ``signer``; record both in ``ledger``.

    With ``registry``, also store the signature and the provenance attestation in the image's repository.
    ``context`` is a ``gosh://URL#COMMIT[:subdir]`` or a local folder (named by its digest).
    """
    if labels.get(names.WALLET_PUBLIC) != signer.public_hex:
        raise InputError("the image's WALLET_PUBLIC label is not the signing key's public key")
    proof = ledger.sign(signer, digest)
    described = describe_context(context)
    if not context.startswith("gosh://"):  # the goshfile by its place in the context, not on this machine
        with contextlib.suppress(ValueError):
            goshfile_path = str(Path(goshfile_path).resolve().relative_to(Path(context).resolve()))
    record = BuildRecord(image, digest, labels, build_args or {}, goshfile_path, described, started, finished)
    payload = encode(statement(record))
    envelope = dsse.sign(payload, signer)
    provenance_proof = ledger.sign(signer, store.statement_digest(payload))
    cached = store.save(digest, envelope)
    signature = attestation = None
    if registry is not None:
        ref = reference.parse(image)
        signature = sign_in_registry(registry, ref, digest, signer.sign, proof.address)
        attestation = attach_attestation(
            registry,
            ref,
            digest,
            envelope_bytes(envelope.to_json()),
            SLSA_PROVENANCE_V1,
            signer.public_hex,
            provenance_proof.address,
        )
    return Published(image, digest, proof, provenance_proof, cached, signature, attestation)


def publish_and_verify(
    image: str,
    digest: str,
    request: BuildRequest,
    signer: KeyPair,
    network: str | None,
    started: datetime,
    finished: datetime,
    *,
    goshfile_path: str | None = None,
    context: str | None = None,
) -> Published:
    """Sign a pushed image and its provenance, then verify it as anyone would: from the registry.

    ``goshfile_path`` and ``context`` name the goshfile and the context in the provenance
    (default: the request's paths; a build from GOSH names its repository instead).
    """
    client = RegistryClient()
    remote = client.inspect(reference.parse(image))
    if remote.digest != digest:
        raise VerificationError(f"{image} now has digest {remote.digest} in its registry, not the pushed {digest}")
    ledger = open_ledger(network)
    try:
        published = sign_image(
            image,
            digest,
            remote.labels,
            signer,
            ledger,
            build_args=request.build_args,
            goshfile_path=goshfile_path or str(request.file),
            context=context or str(request.context),
            started=started,
            finished=finished,
            registry=client,
        )
        report = verify_image(
            image,
            VerifyOptions(require=frozenset({"ledger", "registry", "provenance"}), use_cache=False),
            Sources(NoLocalImages(), client, ledger, pins=[TrustedSigner(signer.public_hex, "signing key")]),
        )
        if not report.verified:
            raise VerificationError(f"{image} was signed but does not verify from its registry: {report.reason}")
    finally:
        ledger.close()
    return published
