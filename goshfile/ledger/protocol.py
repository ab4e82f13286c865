"""The ledger interface every backend implements: the local SQLite file, the HTTP node, later the GOSH network.

Promises, whatever the backend:

- ``sign`` records a proof only after checking the signature; signing the same content with the
  same key again returns the same address and records nothing new;
- ``check`` is true only when the proof exists **and** its stored signature verifies for that
  public key and content (an account that merely exists is not enough);
- ``address`` needs no storage: it is a pure function of the key and the content.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import NamedTuple, Protocol, Self

from goshfile.errors import InputError
from goshfile.keys.keypair import KEY_HEX, KeyPair, parse_public, verify
from goshfile.keys.sources import refuse_secret
from goshfile.ledger import contract
from goshfile.ledger import proof as proofs
from goshfile.ledger.proof import Proof


class Signer(Protocol):
    """An ed25519 key that can sign (a :class:`goshfile.keys.KeyPair`, or a hardware or agent key)."""

    @property
    def public_hex(self) -> str:
        """The public key, 64 hex characters."""

    def sign(self, message: bytes) -> bytes:
        """The 64-byte ed25519 signature of ``message``."""


class Ledger(Protocol):
    """A store of content-signature proofs."""

    def sign(self, signer: Signer, content: str, payer: str | None = None) -> Proof:
        """Record ``signer``'s proof of ``content`` (``payer``: the giver address that pays, if any).

        Raise InputError for a malformed content or payer, VerificationError when the signature
        does not verify (or the stored proof at that address does not), EngineError when the
        store cannot be reached or written.
        """

    def check(self, public: str, content: str) -> bool:
        """True when ``public``'s proof of ``content`` is recorded and its signature verifies."""

    def address(self, public: str, content: str) -> str:
        """The address of ``public``'s proof of ``content`` (``0:<64 hex>``), recorded or not."""

    def get(self, public: str, content: str) -> Proof | None:
        """The recorded proof at ``public``'s address for ``content`` (not checked), or None."""

    def close(self) -> None:
        """Release connections; the ledger can be used again afterwards (it reconnects)."""


class Deployment(NamedTuple):
    """A signed request to record a proof: what a client sends to a node (a named tuple, as :class:`Proof`)."""

    public: str
    content: str
    signature: bytes
    payer: str | None = None

    @property
    def address(self) -> str:
        """Where the proof will be recorded."""
        return contract.address(self.public, self.content)

    def verifies(self) -> bool:
        """True when the signature is the key's over the proof message of the content."""
        return verify(self.public, contract.message(self.public, self.content), self.signature)


def prepare(signer: Signer, content: str, payer: str | None = None) -> Deployment:
    """Sign the proof message of ``content`` with ``signer`` (validating content and payer first)."""
    public = parse_public(signer.public_hex)
    payer = proofs.normalize_payer(payer)
    refuse_secret_payer(payer, public)
    message = contract.message(public, content)
    return Deployment(public, content, signer.sign(message), payer)


def refuse_secret_payer(payer: str | None, *publics: str) -> None:
    """InputError when the payer (giver) address is a secret key: one of a known key, or of ``publics``.

    A payer is recorded in the ledger, which the node serves to anyone; ``-g <secret>`` must never land there.
    """
    also = {p.lower() for p in publics}
    hex_part = (payer or "").partition(":")[2]
    if KEY_HEX.match(hex_part) and KeyPair.from_secret_hex(hex_part).public_hex in also:
        raise InputError(
            "the giver address is a secret key (not shown) given in the same command; give the giver wallet's address"
        )
    refuse_secret(payer, "the giver address")


def check_proof(found: Proof | None, public: str, content: str) -> bool:
    """The check rule: the proof exists and verifies for exactly this key and content."""
    return found is not None and found.verifies(parse_public(public), content)


class DeployingLedger(ABC):
    """What every ledger that records signed :class:`Deployment` s shares: sign here, then deploy."""

    @abstractmethod
    def deploy(self, deployment: Deployment) -> tuple[Proof, bool]:
        """Record a signed deployment; return the recorded proof and whether it is new."""

    @abstractmethod
    def close(self) -> None:
        """Release connections (the ledger reopens on next use)."""

    def address(self, public: str, content: str) -> str:
        """The proof address (computed here, nothing is contacted)."""
        return contract.address(public, content)

    def sign(self, signer: Signer, content: str, payer: str | None = None) -> Proof:
        """Sign here and record the deployment (see :meth:`deploy`)."""
        return self.deploy(prepare(signer, content, payer))[0]

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
