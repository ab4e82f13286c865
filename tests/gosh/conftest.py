"""Fixtures for gosh repository tests: a private home, git identity, and git-remote-gosh on PATH."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from goshfile.gosh.http_git import GitHttpServer, serving
from tests.gosh.helpers import SYSTEM

HELPER_DIR = Path(sys.executable).parent  # the venv's bin, where git-remote-gosh is installed


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """HOME and GOSHFILE_HOME in tmp_path; no GOSH configuration from the outside; git finds the helper."""
    if not (HELPER_DIR / "git-remote-gosh").is_file():
        pytest.fail(f"git-remote-gosh is not installed in {HELPER_DIR}: run pip install -e . in the venv")
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GOSHFILE_HOME", str(home / "goshfile"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(home / ".gitconfig"))
    for name in ("NAME", "EMAIL"):
        monkeypatch.setenv(f"GIT_AUTHOR_{name}", "Test" if name == "NAME" else "test@example.org")
        monkeypatch.setenv(f"GIT_COMMITTER_{name}", "Test" if name == "NAME" else "test@example.org")
    monkeypatch.setenv("PATH", f"{HELPER_DIR}{os.pathsep}{os.environ.get('PATH', '')}")
    for name in ("GOSH_NETWORK", "GOSH_CONFIG_PATH", "XDG_DATA_HOME", "XDG_CACHE_HOME", "GIT_DIR"):
        monkeypatch.delenv(name, raising=False)
    return home


@pytest.fixture
def url() -> str:
    """A gosh URL of a repository that does not exist yet."""
    return f"gosh://{SYSTEM}/dao/repo"


@pytest.fixture
def http_node(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[GitHttpServer]:
    """A node served over HTTP on 127.0.0.1, selected through GOSH_NETWORK."""
    with serving(tmp_path / "http-node") as server:
        monkeypatch.setenv("GOSH_NETWORK", server.url)
        yield server
