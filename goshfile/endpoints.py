"""Node endpoints: the ``-n`` forms, as GOSH's sign-cli and ``git-remote-gosh`` take them.

An endpoint is a node URL ``http(s)://host:port[/prefix]`` or a local node folder: a ``file://`` URL,
an absolute path, or a path starting with ``./``, ``../`` or ``~``. A local path ending in ``.db``,
``.sqlite`` or ``.sqlite3`` (or naming an existing file) is a ledger file, whose node folder is its
parent. ``GOSH_NETWORK`` holds a comma-separated list of them.

This module is below both the ledger (which opens a node's ledger) and gosh (which reaches a node's
repositories), so neither imports the other for it.
"""

from __future__ import annotations

import re
import urllib.parse
from pathlib import Path
from typing import NamedTuple, Protocol

from goshfile.errors import InputError
from goshfile.paths import node_home

ENV_NETWORK = "GOSH_NETWORK"
GIT_PREFIX = "/git"
LEDGER_SUFFIXES = (".db", ".sqlite", ".sqlite3")  # a local endpoint may name the ledger file itself


class RepoName(Protocol):
    """What names a repository on a node (a parsed gosh:// URL has these)."""

    @property
    def system(self) -> str: ...

    @property
    def dao(self) -> str: ...

    @property
    def repo(self) -> str: ...


class LocalNode(NamedTuple):
    """A node on this machine: its folder holds ``repos/`` (and the ledger).

    The nodes are named tuples, not frozen dataclasses: ``addr`` and ``check`` parse ``-n`` on every
    run, and a dataclass's generated methods take about 0.5 ms to compile.
    """

    path: Path

    @property
    def repos(self) -> Path:
        """The root of the node's git repositories (beside the ledger file when a path names that file)."""
        folder = self.path.parent if self.path.suffix in LEDGER_SUFFIXES or self.path.is_file() else self.path
        return folder / "repos"

    def __str__(self) -> str:
        return f"local node {self.path}"


class HttpNode(NamedTuple):
    """A node reached over HTTP; git repositories are served under ``<base>/git/``."""

    base: str

    def git_url(self, name: RepoName) -> str:
        """The smart-HTTP URL of the repository ``name`` on this node."""
        return f"{self.base}{GIT_PREFIX}/{name.system.lower()}/{name.dao}/{name.repo}.git"

    def __str__(self) -> str:
        return f"node {self.base}"


Node = LocalNode | HttpNode


_USERINFO = r"(?<=://)[^/?#]*@"  # text: compiled by re when a URL is shown


def shown(url: str) -> str:
    """``url`` as it may appear in a message: a user or password in it replaced by ``***@``."""
    return re.sub(_USERINFO, "***@", url)


def parse_endpoint(text: str, *, origin: str = "") -> Node:
    """One endpoint: ``http(s)://host:port[/prefix]``, ``file:///path`` or a path (absolute, ./, ../ or ~)."""
    value = text.strip()
    where = f" (from {origin})" if origin else ""
    if not value:
        raise InputError(f"empty node endpoint{where}")
    if "://" in value:
        try:
            parts = urllib.parse.urlsplit(value)
        except ValueError as exc:  # e.g. an unclosed [IPv6 bracket
            raise InputError(f"invalid node URL {shown(value)!r}{where}: {exc}") from None
        scheme = parts.scheme.lower()
        if scheme in ("http", "https"):
            if parts.username is not None or parts.password is not None:
                raise InputError(
                    f"invalid node URL {shown(value)!r}{where}: a node URL carries no user or password "
                    "(pushes and deployments send the node token: $GOSHFILE_NODE_TOKEN)"
                )
            if not parts.hostname or parts.query or parts.fragment:
                raise InputError(f"invalid node URL {value!r}{where}: expected {scheme}://host[:port][/prefix]")
            try:
                parts.port  # noqa: B018 - validates the port
            except ValueError as exc:
                raise InputError(f"invalid node URL {value!r}{where}: {exc}") from None
            return HttpNode(value.rstrip("/"))
        if scheme == "file":
            if parts.netloc not in ("", "localhost") or not parts.path:
                raise InputError(f"invalid file URL {value!r}{where}: expected file:///absolute/path")
            return LocalNode(Path(urllib.parse.unquote(parts.path)))
        raise InputError(f"unsupported node endpoint {value!r}{where}: use http(s)://, file:// or a path")
    if value.startswith(("/", "./", "../", "~")) or value in (".", ".."):
        return LocalNode(Path(value).expanduser().absolute())
    raise InputError(
        f"node endpoint {value!r}{where} is neither an http(s):// URL, a file:// URL nor a path "
        f"(write ./{value} for a folder here, or http://{value} for a node URL)"
    )


def parse_endpoints(text: str, *, origin: str = "") -> list[Node]:
    """A comma-separated endpoint list (at least one)."""
    items = [item for item in (part.strip() for part in text.split(",")) if item]
    if not items:
        raise InputError(f"no node endpoint given{f' (from {origin})' if origin else ''}")
    return [parse_endpoint(item, origin=origin) for item in items]


def default_node() -> LocalNode:
    """The local node at :func:`goshfile.paths.node_home`."""
    return LocalNode(node_home())
