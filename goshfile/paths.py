"""Where goshfile keeps its files on this machine.

``GOSHFILE_HOME`` overrides everything (tests set it to a temporary folder);
otherwise data lives under ``$XDG_DATA_HOME/goshfile`` (``~/.local/share/goshfile``)
and caches under ``$XDG_CACHE_HOME/goshfile`` (``~/.cache/goshfile``).
"""

from __future__ import annotations

import os
from pathlib import Path


def data_home() -> Path:
    """The root of goshfile's persistent data (the local node lives here)."""
    if os.environ.get("GOSHFILE_HOME"):
        return Path(os.environ["GOSHFILE_HOME"])
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "goshfile"


def node_home() -> Path:
    """The default local node: its ledger and its repositories."""
    return data_home() / "node"


def cache_home() -> Path:
    """Caches that can be deleted at any time (fetched repositories, exported sources)."""
    if os.environ.get("GOSHFILE_HOME"):
        return Path(os.environ["GOSHFILE_HOME"]) / "cache"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "goshfile"
