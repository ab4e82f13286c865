"""The trusted signers the dashboard reads and adds to: a small interface and a file-backed stand-in.

``goshfile verify`` gets its own trusted-signers file (issue 15). Until that
module is in the library, this one keeps the same shape: a text file, one
public key per line with an optional name after it, ``#`` comments. The
dashboard only needs :class:`TrustedSigners`; switching to the library's
list is a change in :func:`default_trust` alone.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from goshfile.errors import InputError
from goshfile.keys.keypair import parse_public
from goshfile.paths import data_home


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


def default_path() -> Path:
    """``GOSHFILE_TRUSTED_SIGNERS``, else ``trusted-signers`` under goshfile's data folder."""
    return Path(os.environ.get("GOSHFILE_TRUSTED_SIGNERS") or data_home() / "trusted-signers")


def _clean_name(name: str) -> str:
    """A name kept on one line: control characters and ``#`` become spaces, at most 80 characters."""
    kept = "".join(" " if (ord(c) < 32 or c in "#\x7f") else c for c in name)
    return " ".join(kept.split())[:80]


class TrustFile:
    """:class:`TrustedSigners` in a text file (one ``PUBLIC [name]`` a line)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def signers(self) -> list[Trusted]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise InputError(f"{self.path}: cannot read the trusted signers: {exc.strerror}") from exc
        out: list[Trusted] = []
        for number, raw in enumerate(text.splitlines(), 1):
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            public, _, name = line.partition(" ")
            key = parse_public(public, what=f"{self.path}:{number}: trusted signer")
            out.append(Trusted(key, name.strip()))
        return out

    def add(self, public: str, name: str = "") -> bool:
        key = parse_public(public, what="signer")
        with self._lock:
            if any(t.public == key for t in self.signers()):
                return False
            self.path.parent.mkdir(parents=True, exist_ok=True)
            existing = self.path.read_text(encoding="utf-8") if self.path.exists() else ""
            sep = "" if not existing or existing.endswith("\n") else "\n"
            line = f"{key} {_clean_name(name)}".rstrip()
            tmp = self.path.with_name(self.path.name + ".tmp")
            tmp.write_text(existing + sep + line + "\n", encoding="utf-8")
            os.replace(tmp, self.path)
        return True


def default_trust() -> TrustedSigners:
    """The trusted-signers list the dashboard uses."""
    return TrustFile(default_path())
