"""Which node serves a gosh:// URL.

The same configuration as GOSH's own ``git-remote-gosh``:

1. ``GOSH_NETWORK``: a comma-separated endpoint list (the ``-n`` forms); the first one is used.
2. GOSH's config file, ``$GOSH_CONFIG_PATH`` or ``~/.gosh/config.json``: the URL's ``::<network>``
   (or else ``primary-network``) names an entry of ``networks``, whose first ``endpoints`` item is used.
3. Otherwise the default local node, :func:`goshfile.paths.node_home`.

An endpoint is a node URL ``http(s)://host:port[/prefix]`` or a local node folder: a ``file://`` URL,
an absolute path, or a path starting with ``./``, ``../`` or ``~``.
"""

from __future__ import annotations

import json
import os
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from goshfile.errors import InputError
from goshfile.files import read_small_file
from goshfile.gosh.url import GoshUrl
from goshfile.paths import node_home

ENV_NETWORK = "GOSH_NETWORK"
ENV_CONFIG = "GOSH_CONFIG_PATH"
GIT_PREFIX = "/git"


LEDGER_SUFFIXES = (".db", ".sqlite", ".sqlite3")  # a local endpoint may name the ledger file itself


@dataclass(frozen=True)
class LocalNode:
    """A node on this machine: its folder holds ``repos/`` (and the ledger)."""

    path: Path
    origin: str = field(default="", compare=False)

    @property
    def repos(self) -> Path:
        """The root of the node's git repositories (beside the ledger file when a path names that file)."""
        folder = (
            self.path.parent if self.path.suffix in (".db", ".sqlite", ".sqlite3") or self.path.is_file() else self.path
        )
        return folder / "repos"

    def __str__(self) -> str:
        return f"local node {self.path}"


@dataclass(frozen=True)
class HttpNode:
    """A node reached over HTTP; git repositories are served under ``<base>/git/``."""

    base: str
    origin: str = field(default="", compare=False)

    def git_url(self, url: GoshUrl) -> str:
        """The smart-HTTP URL of ``url``'s repository on this node."""
        return f"{self.base}{GIT_PREFIX}/{url.system.lower()}/{url.dao}/{url.repo}.git"

    def __str__(self) -> str:
        return f"node {self.base}"


Node = LocalNode | HttpNode


def parse_endpoint(text: str, *, origin: str = "") -> Node:
    """One endpoint: ``http(s)://host:port[/prefix]``, ``file:///path`` or a path (absolute, ./, ../ or ~)."""
    value = text.strip()
    where = f" (from {origin})" if origin else ""
    if not value:
        raise InputError(f"empty node endpoint{where}")
    if "://" in value:
        parts = urllib.parse.urlsplit(value)
        scheme = parts.scheme.lower()
        if scheme in ("http", "https"):
            if not parts.hostname or parts.query or parts.fragment:
                raise InputError(f"invalid node URL {value!r}{where}: expected {scheme}://host[:port][/prefix]")
            try:
                parts.port  # noqa: B018 - validates the port
            except ValueError as exc:
                raise InputError(f"invalid node URL {value!r}{where}: {exc}") from None
            return HttpNode(value.rstrip("/"), origin)
        if scheme == "file":
            if parts.netloc not in ("", "localhost") or not parts.path:
                raise InputError(f"invalid file URL {value!r}{where}: expected file:///absolute/path")
            return LocalNode(Path(urllib.parse.unquote(parts.path)), origin)
        raise InputError(f"unsupported node endpoint {value!r}{where}: use http(s)://, file:// or a path")
    if value.startswith(("/", "./", "../", "~")) or value in (".", ".."):
        return LocalNode(Path(value).expanduser().absolute(), origin)
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


@dataclass(frozen=True)
class GoshConfig:
    """The parts of GOSH's config file that say where networks are."""

    path: Path
    primary_network: str | None
    endpoints: dict[str, list[str]]


def config_path() -> Path:
    """``$GOSH_CONFIG_PATH`` or ``~/.gosh/config.json``."""
    configured = os.environ.get(ENV_CONFIG)
    return Path(configured).expanduser() if configured else Path.home() / ".gosh" / "config.json"


CONFIG_LIMIT = 1 << 20


def read_config(path: Path) -> dict[str, Any] | None:
    """The JSON object in GOSH's config file ``path``, or None when there is no file; InputError otherwise."""
    if not os.path.lexists(path):
        return None
    raw, _ = read_small_file(path, limit=CONFIG_LIMIT, what="the GOSH config")  # a folder, FIFO, device: refused
    try:
        data: Any = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise InputError(f"cannot read the GOSH config {path}: not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"the GOSH config {path} is not valid JSON: line {exc.lineno}: {exc.msg}") from None
    except RecursionError:
        raise InputError(f"the GOSH config {path} is not valid JSON: nested too deeply") from None
    if not isinstance(data, dict):
        raise InputError(f"the GOSH config {path} must hold a JSON object")
    return data


def load_config(path: Path | None = None) -> GoshConfig | None:
    """GOSH's config file, or None when there is none; InputError if it is malformed."""
    path = path or config_path()
    data = read_config(path)
    if data is None:
        return None
    primary = data.get("primary-network")
    if primary is not None and not isinstance(primary, str):
        raise InputError(f"the GOSH config {path}: 'primary-network' must be a string")
    networks = data.get("networks", {})
    if not isinstance(networks, dict):
        raise InputError(f"the GOSH config {path}: 'networks' must be an object")
    endpoints: dict[str, list[str]] = {}
    for name, network in networks.items():
        if not isinstance(network, dict):
            raise InputError(f"the GOSH config {path}: 'networks.{name}' must be an object")
        items = network.get("endpoints", [])
        if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
            raise InputError(f"the GOSH config {path}: 'networks.{name}.endpoints' must be a list of strings")
        endpoints[name] = [item for item in items if item.strip()]
    return GoshConfig(path, primary or None, endpoints)


def default_node() -> LocalNode:
    """The local node at :func:`goshfile.paths.node_home`."""
    return LocalNode(node_home(), "the default local node")


def resolve_node(url: GoshUrl | None = None) -> Node:
    """The node that serves ``url`` (see the module docstring for the order)."""
    from_env = os.environ.get(ENV_NETWORK, "")
    if from_env.strip():
        return parse_endpoints(from_env, origin=ENV_NETWORK)[0]
    network = url.network if url is not None else None
    config = load_config()
    if config is None:
        if network:
            raise InputError(
                f"{url} names the network {network!r}, but there is no GOSH config at {config_path()}: "
                f"set {ENV_NETWORK} or add networks.{network}.endpoints there"
            )
        return default_node()
    name = network or config.primary_network
    if name:
        items = config.endpoints.get(name, [])
        if items:
            return parse_endpoint(items[0], origin=f"network {name!r} in {config.path}")
        if network:
            raise InputError(
                f"{url} names the network {network!r}, which has no endpoints in {config.path}: "
                f"add networks.{network}.endpoints there or set {ENV_NETWORK}"
            )
    return default_node()
