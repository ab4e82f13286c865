"""gosh:// URLs: ``gosh[::<network>]://[<account>@]0:<64 hex>/<dao>/<repo>[#<ref>][:<subdir>]``.

The form is GOSH's own (its ``git-remote-gosh`` reads the same URLs); the
``#<ref>:<subdir>`` suffix is the docker-style one GOSH's later build tool
accepted. :meth:`GoshUrl.parse` raises :class:`~goshfile.errors.InputError`
naming the part that is wrong; ``str()`` gives the canonical text back
(``parse(str(u)) == u``, and ``str(parse(t)) == t`` for canonical ``t``).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from goshfile.errors import InputError

SCHEME = "gosh"
SYSTEM_RE = re.compile(r"0:[0-9a-fA-F]{64}")
NETWORK_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")
ACCOUNT_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}")
# DAO and repository names: they become folder names on the node, so no "/", no leading "." or "-".
NAME_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}")
COMMIT_RE = re.compile(r"[0-9a-f]{40}")
_REF_BAD = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]|\.\.|@\{|//")
FORM = "gosh[::<network>]://[<account>@]0:<64 hex>/<dao>/<repo>[#<ref>][:<subdir>]"


def check_name(kind: str, value: str) -> str:
    """``value`` if it is a valid DAO or repository name; InputError otherwise."""
    if not NAME_RE.fullmatch(value):
        raise InputError(
            f"invalid {kind} name {value!r}: use 1-100 letters, digits, '_', '.' or '-', "
            "starting with a letter, digit or '_'"
        )
    return value


def check_system(value: str) -> str:
    """``value`` if it is a system contract address ``0:<64 hex>``; InputError otherwise."""
    if not SYSTEM_RE.fullmatch(value):
        raise InputError(f"invalid system contract address {value!r}: expected 0:<64 hex digits>")
    return value


def check_ref(value: str) -> str:
    """``value`` if it can be a git branch, tag or commit name; InputError otherwise."""
    if (
        not value
        or _REF_BAD.search(value)
        or value.startswith(("-", "/", "."))
        or value.endswith(("/", ".", ".lock"))
        or "/." in value
        or value == "@"
    ):
        raise InputError(f"invalid git ref {value!r}")
    return value


def normalize_subdir(value: str) -> str:
    """A subdirectory as a clean relative path (``/a/b/`` -> ``a/b``); InputError for ``..`` and the like."""
    stripped = value.strip("/")
    if not stripped:
        return ""
    parts = stripped.split("/")
    for part in parts:
        if part in ("", ".", "..") or any(ord(c) < 0x20 or c in "\x7f\\" for c in part):
            raise InputError(f"invalid subdirectory {value!r}: use a relative path without '.', '..' or '//'")
    return "/".join(parts)


@dataclass(frozen=True)
class GoshUrl:
    """A parsed gosh:// URL. ``ref`` and ``subdir`` come from the optional ``#ref:subdir`` suffix."""

    system: str
    dao: str
    repo: str
    network: str | None = None
    account: str | None = None
    ref: str | None = None
    subdir: str | None = None

    @classmethod
    def parse(cls, text: str) -> GoshUrl:
        """Parse and validate ``text``; InputError names what is wrong."""
        try:
            return cls._parse(text)
        except InputError as exc:
            raise InputError(f"invalid gosh URL {text!r}: {exc}; expected {FORM}") from None

    @classmethod
    def _parse(cls, text: str) -> GoshUrl:
        if text != text.strip() or any(c.isspace() for c in text):
            raise InputError("it contains white space")
        head, sep, rest = text.partition("://")
        if not sep:
            raise InputError("it has no '://'")
        scheme, has_network, network = head.partition("::")
        if scheme != SCHEME:
            raise InputError(f"the scheme must be 'gosh', not {scheme!r}")
        if has_network and not NETWORK_RE.fullmatch(network):
            raise InputError(f"invalid network name {network!r}")
        path, has_fragment, fragment = rest.partition("#")
        account: str | None = None
        if "@" in path:
            account, _, path = path.partition("@")
            if not ACCOUNT_RE.fullmatch(account):
                raise InputError(f"invalid account {account!r}")
        parts = path.split("/")
        if len(parts) < 3 or not parts[0]:
            raise InputError("it needs the system contract address, a DAO and a repository")
        if len(parts) > 3:
            raise InputError(f"too many path parts after the repository: {'/'.join(parts[3:])!r}")
        system, dao, repo = parts
        check_system(system)
        check_name("DAO", dao)
        check_name("repository", repo)
        ref: str | None = None
        subdir: str | None = None
        if has_fragment:
            ref_text, _, subdir_text = fragment.partition(":")
            if not ref_text and not subdir_text:
                raise InputError("the '#' suffix is empty")
            ref = check_ref(ref_text) if ref_text else None
            subdir = normalize_subdir(subdir_text) or None
        return cls(system, dao, repo, network or None, account, ref, subdir)

    def __str__(self) -> str:
        return self.repository + self.fragment

    @property
    def repository(self) -> str:
        """The URL without the ``#ref:subdir`` suffix (what git remotes use)."""
        network = f"::{self.network}" if self.network else ""
        account = f"{self.account}@" if self.account else ""
        return f"{SCHEME}{network}://{account}{self.system}/{self.dao}/{self.repo}"

    @property
    def fragment(self) -> str:
        """``#ref:subdir`` (canonical), or empty."""
        if not self.ref and not self.subdir:
            return ""
        return "#" + (self.ref or "") + (f":{self.subdir}" if self.subdir else "")

    @property
    def identity(self) -> str:
        """What names the repository itself: network, system (lower case), DAO and repository.

        The account (who acts) and the suffix (which ref, which folder) do not change the repository.
        """
        network = f"::{self.network}" if self.network else ""
        return f"{SCHEME}{network}://{self.system.lower()}/{self.dao}/{self.repo}"

    @property
    def key(self) -> str:
        """A short stable hash of :attr:`identity`, for cache folder names."""
        return hashlib.sha256(self.identity.encode()).hexdigest()[:32]
