"""The trusted signers the dashboard reads and adds to: the same file as ``goshfile verify``'s.

:class:`TrustedSigners` is all the dashboard needs; :class:`TrustFile` keeps it in
the library's trusted-signers file (:mod:`goshfile.verify.trust`: one public key a
line with an optional name, ``#`` comments; default
:func:`goshfile.verify.trust.default_trusted_signers_file`).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from goshfile.keys.keypair import parse_public
from goshfile.verify.trust import add_trusted_signer, default_trusted_signers_file, read_trusted_signers


@dataclass(frozen=True)
class Trusted:
    """One trusted signer."""

    public: str
    name: str = ""


class TrustedSigners(Protocol):
    """Who the user trusts to sign images."""

    def signers(self) -> list[Trusted]:
        """Every trusted signer, in the file's order."""

    def add(self, public: str, name: str = "") -> bool:
        """Trust ``public`` (64 hex); False when it was trusted already."""


def clean_name(name: str) -> str:
    """A name kept on one line: control characters and ``#`` become spaces, at most 80 characters."""
    kept = "".join(" " if (ord(c) < 32 or c in "#\x7f") else c for c in name)
    return " ".join(kept.split())[:80]


class TrustFile:
    """:class:`TrustedSigners` in a trusted-signers file (default: the one ``goshfile verify`` reads)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_trusted_signers_file()
        self._lock = threading.Lock()

    def signers(self) -> list[Trusted]:
        return [Trusted(s.public, s.name or "") for s in read_trusted_signers(self.path)]

    def add(self, public: str, name: str = "") -> bool:
        key = parse_public(public, what="signer")
        with self._lock:
            if any(t.public == key for t in self.signers()):
                return False
            add_trusted_signer(key, clean_name(name) or None, self.path)
        return True


def default_trust() -> TrustedSigners:
    """The trusted-signers list the dashboard uses: ``goshfile verify``'s."""
    return TrustFile()
