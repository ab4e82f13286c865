"""Fixtures for gosh repository tests: a private home, git identity, and git-remote-gosh on PATH."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from goshfile.gosh.http_git import GitHttpServer, serving
from goshfile.tokens import ENV_TOKEN
from tests.gosh.helpers import SYSTEM, isolated_home

TOKEN = "push-token-" + "7" * 20


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """HOME and GOSHFILE_HOME in tmp_path; no GOSH configuration from the outside; git finds the helper."""
    return isolated_home(tmp_path, monkeypatch)


@pytest.fixture
def url() -> str:
    """A gosh URL of a repository that does not exist yet."""
    return f"gosh://{SYSTEM}/dao/repo"


@pytest.fixture
def http_node(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[GitHttpServer]:
    """A node served over HTTP on 127.0.0.1, selected through GOSH_NETWORK; pushers have its token."""
    with serving(tmp_path / "http-node", token=TOKEN) as server:
        monkeypatch.setenv("GOSH_NETWORK", server.url)
        monkeypatch.setenv(ENV_TOKEN, TOKEN)
        yield server
