"""Start-up settings of the frontend process, applied before anything heavy is imported.

Every build starts a fresh frontend container, so what the interpreter does
before the first gRPC call is paid on every build, cached or not:

- the cyclic garbage collector is off while the frontend's modules are imported
  (importing pydantic and building the spec's models allocates many long-lived
  objects; collections during that walk them again and again), then the imported
  objects are frozen out of later collections and the collector runs again;
- pydantic's plugin discovery is switched off: it would scan the metadata of
  every installed distribution (``importlib.metadata.entry_points``) when the
  first model is built, and the frontend image installs no pydantic plugin.
"""

from __future__ import annotations

import gc
import os

PYDANTIC_PLUGINS = "PYDANTIC_DISABLE_PLUGINS"


def before_imports() -> None:
    """Call first: the collector off, no plugin discovery."""
    gc.disable()
    os.environ.setdefault(PYDANTIC_PLUGINS, "__all__")


def after_imports() -> None:
    """Call once the frontend's modules are imported: freeze them out of collections, collect again."""
    gc.freeze()
    gc.enable()
