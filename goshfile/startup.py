"""Start-up of a goshfile process: the cyclic garbage collector off while its modules are imported.

A ``goshfile`` command and a frontend build are short processes that import a few hundred modules
before their work starts. Every module, class and function object those imports allocate stays
reachable until the process ends, yet the collector walks them again each time allocations pass
its threshold, and the interpreter walks them once more in its last collection at exit. So the
entry points (:mod:`goshfile.cli.entry`, :mod:`goshfile.frontend.main`) call :func:`pause` before
their imports and :func:`resume` once what they run is imported: what is allocated by then is frozen
out of later collections (the one at exit included), and the collector runs again for the work
(a long-lived ``goshfile node serve`` or ``ui`` included).
"""

from __future__ import annotations

import gc

_paused = False


def pause() -> None:
    """Turn the collector off, if it is on (call first, before the heavy imports)."""
    global _paused
    if gc.isenabled():
        gc.disable()
        _paused = True


def resume() -> None:
    """After :func:`pause`: freeze what is allocated so far out of later collections and turn the collector on."""
    global _paused
    if _paused:
        _paused = False
        gc.freeze()
        gc.enable()
