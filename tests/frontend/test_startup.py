from __future__ import annotations

import gc

from goshfile.frontend import startup


def test_the_collector_is_off_during_imports_and_on_after() -> None:
    try:
        startup.before_imports()
        assert not gc.isenabled()
        startup.after_imports()
        assert gc.isenabled() and gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        gc.enable()
