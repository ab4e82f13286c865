"""Sign an image that is in a registry: the ledger proof of its digest and a cosign-format signature beside it."""

from __future__ import annotations

from dataclasses import dataclass

from goshfile import labels as names
from goshfile.cosign.store import Attached, sign_image
from goshfile.errors import InputError, VerificationError
from goshfile.images import reference
from goshfile.images.registry import RegistryClient
from goshfile.keys.keypair import KeyPair
from goshfile.ledger.proof import Proof
from goshfile.ledger.protocol import Ledger


@dataclass(frozen=True)
class SignedImage:
    """What signing an image recorded: the ledger proof and the registry signature."""

    image: str
    digest: str
    proof: Proof
    signature: Attached


def sign_registry_image(image: str, signer: KeyPair, ledger: Ledger, client: RegistryClient) -> SignedImage:
    """Sign the registry digest of ``image`` (a tag or a digest reference) in ``ledger`` and in its repository.

    An image whose ``WALLET_PUBLIC`` label names another key is refused (it would never verify
    as self-declared); an image without the label can be signed and verified with ``--signer``.
    """
    ref = reference.parse(image)
    remote = client.inspect(ref)
    if ref.digest and remote.digest != ref.digest:
        raise VerificationError(f"{image}: the registry has {remote.digest} under that digest")
    label = remote.labels.get(names.WALLET_PUBLIC, "").strip().lower()
    if label and label != signer.public_hex:
        raise InputError(
            f"{image}: its {names.WALLET_PUBLIC} label names {label}, not the signing key {signer.public_hex}"
        )
    proof = ledger.sign(signer, remote.digest)
    attached = sign_image(client, ref, remote.digest, signer.sign, proof.address)
    return SignedImage(str(ref), remote.digest, proof, attached)
