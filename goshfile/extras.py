"""Optional dependencies: the commands that need an extra say which one to install.

A plain ``pip install goshfile`` runs every command; only serving over HTTP (``goshfile node
serve``, the dashboard) needs the ``web`` extra (Starlette and uvicorn), which the frontend image
and most machines never need.
"""

from __future__ import annotations

import importlib.util

from goshfile.errors import EngineError

EXTRAS = {"web": ("starlette", "uvicorn")}


def missing(extra: str) -> list[str]:
    """The modules of ``extra`` that cannot be imported here."""
    return [name for name in EXTRAS[extra] if importlib.util.find_spec(name) is None]


def require(extra: str, what: str) -> None:
    """EngineError naming the extra to install when a module of ``extra`` is missing."""
    absent = missing(extra)
    if absent:
        raise EngineError(
            f"{what} needs the {extra!r} extra ({', '.join(absent)} not installed): pip install 'goshfile[{extra}]'"
        )
