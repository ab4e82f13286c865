"""Fixtures for the dashboard's unit tests: a private GOSHFILE_HOME and an in-memory world."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ui.fakes import World


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    monkeypatch.setenv("GOSHFILE_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("GOSHFILE_TRUSTED_SIGNERS", raising=False)
    return World(tmp_path)
