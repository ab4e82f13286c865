"""goshfile.startup: the collector paused while a process imports, then frozen and resumed."""

from __future__ import annotations

import gc

from goshfile import startup


def test_the_collector_is_off_during_imports_and_on_after() -> None:
    try:
        startup.pause()
        assert not gc.isenabled()
        startup.resume()
        assert gc.isenabled() and gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        gc.enable()


def test_resume_without_pause_changes_nothing() -> None:
    # a process that did not pause (tests, the library imported by another program) keeps its collector
    assert gc.isenabled()
    frozen = gc.get_freeze_count()
    startup.resume()
    assert gc.isenabled() and gc.get_freeze_count() == frozen
