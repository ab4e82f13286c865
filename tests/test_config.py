"""GOSH's config file: read once, every malformation named with the file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from goshfile.config import config_path, load_config
from goshfile.errors import InputError
from tests.gosh.helpers import isolated_home


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return isolated_home(tmp_path, monkeypatch)


def test_no_file_is_no_config(home: Path) -> None:
    assert config_path() == home / ".gosh" / "config.json"
    assert load_config() is None


def test_networks_and_primary(home: Path) -> None:
    path = home / ".gosh" / "config.json"
    path.parent.mkdir()
    path.write_text(json.dumps({"primary-network": "main", "networks": {"main": {"endpoints": ["http://a:1", " "]}}}))
    config = load_config()
    assert config is not None
    assert (config.path, config.primary_network, config.endpoints) == (path, "main", {"main": ["http://a:1"]})


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("{not json", "is not valid JSON: line 1"),
        ("[]", "must hold a JSON object"),
        ('{"networks": []}', "'networks' must be an object"),
        ('{"networks": {"main": {"endpoints": "http://x"}}}', "'networks.main.endpoints' must be a list of strings"),
        ('{"primary-network": 3}', "'primary-network' must be a string"),
    ],
)
def test_malformed_config_names_the_file(home: Path, content: str, problem: str) -> None:
    path = home / ".gosh" / "config.json"
    path.parent.mkdir()
    path.write_text(content)
    with pytest.raises(InputError) as info:
        load_config()
    assert str(path) in str(info.value)
    assert problem in str(info.value)
