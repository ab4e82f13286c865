"""Trusted signers: the keys an image must be signed by, from ``--signer`` and the trusted-signers file.

The file (default :func:`default_trusted_signers_file`: ``$GOSHFILE_HOME/trusted-signers``
when set, else ``$XDG_CONFIG_HOME/goshfile/trusted-signers``, i.e.
``~/.config/goshfile/trusted-signers``) has one key per line, 64 hex characters,
then optionally a name; ``#`` starts a comment::

    # key                                                              name
    3b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da29 release-team

``--signer`` values (hex keys, or files holding a hex key or an ed25519 PEM
public key) replace the file for that run. With neither, nobody is pinned: the
verdict then says the signer is self-declared by the image's own label.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from goshfile.errors import InputError
from goshfile.keys.keypair import KEY_HEX


@dataclass(frozen=True)
class TrustedSigner:
    """A pinned key, with the name the user gave it and where it was pinned."""

    public: str
    name: str | None = None
    origin: str = ""


def default_trusted_signers_file() -> Path:
    """Where the trusted signers are kept by default (see the module docstring)."""
    if os.environ.get("GOSHFILE_HOME"):
        return Path(os.environ["GOSHFILE_HOME"]) / "trusted-signers"
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "goshfile" / "trusted-signers"


def read_trusted_signers(path: Path | None = None) -> list[TrustedSigner]:
    """The signers the file pins (none when it does not exist); InputError naming the line otherwise."""
    path = path or default_trusted_signers_file()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"trusted signers file {path}: {exc}") from None
    out: list[TrustedSigner] = []
    for number, line in enumerate(text.splitlines(), 1):
        content = line.split("#", 1)[0].strip()
        if not content:
            continue
        key, _, name = content.partition(" ")
        if not KEY_HEX.match(key):
            raise InputError(f"{path}:{number}: {key!r} is not a public key (64 hex characters)")
        out.append(TrustedSigner(key.lower(), name.strip() or None, f"{path}:{number}"))
    return out


def signer_argument(value: str) -> TrustedSigner:
    """A ``--signer`` value: a hex key, or a file holding one or an ed25519 PEM public key."""
    if KEY_HEX.match(value.strip()):
        return TrustedSigner(value.strip().lower(), None, "--signer")
    path = Path(value)
    if not path.is_file():
        raise InputError(f"--signer {value!r} is neither a public key (64 hex characters) nor a key file")
    try:
        from goshfile.keys.formats import parse_public_key  # here: cryptography only for a key in a file

        return TrustedSigner(parse_public_key(path.read_text(encoding="utf-8")), path.name, f"--signer {path}")
    except InputError as exc:
        raise InputError(f"--signer {path}: {exc}") from None


def pinned_signers(arguments: Iterable[str] = (), path: Path | None = None) -> list[TrustedSigner]:
    """``--signer`` values when given, else the trusted-signers file's keys."""
    given = [signer_argument(value) for value in arguments]
    return given or read_trusted_signers(path)


def add_trusted_signer(public: str, name: str | None = None, path: Path | None = None) -> TrustedSigner:
    """Pin ``public`` (hex or PEM) in the trusted-signers file; a key already there is kept as it is."""
    from goshfile.keys.formats import parse_public_key  # here: verify with no pinned key never loads cryptography

    key = parse_public_key(public)
    if name is not None and (not name.strip() or any(c in name for c in "#\n\r")):
        raise InputError("a signer's name is one line of text without '#'")
    path = path or default_trusted_signers_file()
    for signer in read_trusted_signers(path):
        if signer.public == key:
            return signer
    try:
        old = path.read_text(encoding="utf-8") if path.exists() else ""
        line = key + (f" {name.strip()}" if name else "") + "\n"
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=".trusted-", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(old + ("" if not old or old.endswith("\n") else "\n") + line)
            os.chmod(temp, 0o644)
            os.replace(temp, path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp)
    except OSError as exc:
        raise InputError(f"cannot write the trusted signers file {path}: {exc.strerror}") from None
    return TrustedSigner(key, name.strip() if name else None, str(path))
