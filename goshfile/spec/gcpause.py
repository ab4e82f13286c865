"""Pause Python's cyclic garbage collector while a goshfile is loaded.

Loading allocates many objects that all stay alive until the load ends (YAML
nodes, positions, decoded data, models). Each full collection walks all of
them, so with the default thresholds a goshfile of 5,000 steps spent most of
its load time in the collector, and the cost per step grew with the file.
Nothing made during a load forms cycles that must be freed before it ends;
after it, the collector runs again as usual.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

ENABLED = True  # bench/scale.py turns the pause off to measure what it is worth


@contextmanager
def collector_paused() -> Iterator[None]:
    """Disable the cyclic collector for the block (no-op when it is off already, or when ENABLED is False)."""
    if not ENABLED or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
