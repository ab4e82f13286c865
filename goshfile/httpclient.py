"""httpx, imported without its command-line module.

``import httpx`` also imports ``httpx._main`` (the ``httpx`` console command) whenever
rich, pygments and click are installed, as they are with goshfile: that was about 40%
of httpx's import time, paid by every command that talks to a registry or a node.
goshfile never runs httpx's console command, so that module is marked as absent
before httpx is first imported (httpx then defines a stub ``main``, as it does when
its CLI extras are missing). Import httpx from here.
"""

from __future__ import annotations

import sys

if "httpx" not in sys.modules:
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]  # None: "no such module"

import httpx

__all__ = ["httpx"]
