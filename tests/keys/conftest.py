"""Every key test runs with a private home and no keys from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ledger.helpers import isolate


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return isolate(tmp_path, monkeypatch)
