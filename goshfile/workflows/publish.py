"""After a pushed build: sign the image digest and its provenance, record both, and verify.

The image proof is the seed's flow (the ledger's proof that the wallet key
signed the registry digest). The provenance is an in-toto Statement signed in
a DSSE envelope; the ledger records a proof of the statement's digest next to
the image proof, and the envelope is kept under the data folder by image digest.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from goshfile import labels as names
from goshfile.engine.buildx import BuildRequest
from goshfile.errors import InputError, VerificationError
from goshfile.images import reference
from goshfile.images.registry import RegistryClient
from goshfile.keys.keypair import KeyPair
from goshfile.ledger import open_ledger
from goshfile.ledger.proof import Proof
from goshfile.ledger.protocol import Ledger
from goshfile.provenance import dsse, store
from goshfile.provenance.statement import BuildRecord, encode, statement
from goshfile.verify.signature import Subject, verify_subject


@dataclass(frozen=True)
class Published:
    """What signing a pushed image recorded."""

    image: str
    digest: str
    proof: Proof
    provenance_proof: Proof
    envelope: Path


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
) -> Published:
    """Sign ``digest`` and the build's provenance with ``signer``; record both in ``ledger``."""
    if labels.get(names.WALLET_PUBLIC) != signer.public_hex:
        raise InputError("the image's WALLET_PUBLIC label is not the signing key's public key")
    proof = ledger.sign(signer, digest)
    record = BuildRecord(image, digest, labels, build_args or {}, goshfile_path, context, started, finished)
    payload = encode(statement(record))
    envelope = dsse.sign(payload, signer)
    provenance_proof = ledger.sign(signer, store.statement_digest(payload))
    return Published(image, digest, proof, provenance_proof, store.save(digest, envelope))


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
    remote = RegistryClient().inspect(reference.parse(image))
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
        )
        verify_subject(Subject(image, remote.labels, (digest,), False), ledger)
    finally:
        ledger.close()
    return published
