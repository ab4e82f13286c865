from __future__ import annotations

import gc
import os

import pytest

from goshfile.frontend import startup


def test_the_collector_is_off_during_imports_and_on_after(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(startup.PYDANTIC_PLUGINS, raising=False)
    try:
        startup.before_imports()
        assert not gc.isenabled()
        assert os.environ[startup.PYDANTIC_PLUGINS] == "__all__"
        startup.after_imports()
        assert gc.isenabled() and gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        gc.enable()


def test_a_plugin_setting_of_the_user_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(startup.PYDANTIC_PLUGINS, "some-plugin")
    try:
        startup.before_imports()
        assert os.environ[startup.PYDANTIC_PLUGINS] == "some-plugin"
    finally:
        gc.enable()
