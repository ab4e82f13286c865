"""GOSH's config file: where GOSH's own tools (and goshfile) find networks and the user's wallet.

``$GOSH_CONFIG_PATH``, else ``~/.gosh/config.json``: a JSON object whose ``networks`` map names to
``{"endpoints": [...], "user-wallet": {...}}`` and whose ``primary-network`` names the default.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, NamedTuple

from goshfile.errors import InputError
from goshfile.files import read_small_file

ENV_CONFIG = "GOSH_CONFIG_PATH"


class GoshConfig(NamedTuple):
    """The parts of GOSH's config file that say where networks are (a named tuple: cheap to define at start-up)."""

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
    import json  # here: every command looks for the config, few find one (addr and check start without json)

    try:
        data: Any = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise InputError(f"cannot read the GOSH config {path}: not UTF-8 text") from exc
    except json.JSONDecodeError as exc:
        raise InputError(f"the GOSH config {path} is not valid JSON: line {exc.lineno}: {exc.msg}") from exc
    except RecursionError as exc:
        raise InputError(f"the GOSH config {path} is not valid JSON: nested too deeply") from exc
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
