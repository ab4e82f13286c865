from __future__ import annotations

import gc

import pytest

from goshfile.spec import gcpause, load_text


def test_the_collector_is_off_inside_and_on_again_after() -> None:
    assert gc.isenabled()
    with gcpause.collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_the_collector_is_on_again_after_an_error() -> None:
    with pytest.raises(ValueError), gcpause.collector_paused():
        raise ValueError("boom")
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off() -> None:
    gc.disable()
    try:
        with gcpause.collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_the_pause_can_be_turned_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gcpause, "ENABLED", False)
    with gcpause.collector_paused():
        assert gc.isenabled()


def test_loading_pauses_the_collector_and_restores_it(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[bool] = []
    real = gcpause.collector_paused

    def spy() -> object:
        seen.append(True)
        return real()

    monkeypatch.setattr("goshfile.spec.loader.collector_paused", spy)
    loaded = load_text("apiVersion: 1\nimage: bash:latest\n", "goshfile.yaml")
    assert loaded.spec.image == "bash:latest"
    assert seen == [True]
    assert gc.isenabled()
