"""Which node serves a gosh URL: GOSH_NETWORK, else GOSH's config file, else the default local node."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from goshfile.endpoints import HttpNode, LocalNode
from goshfile.errors import InputError
from goshfile.gosh.network import resolve_node
from goshfile.gosh.url import GoshUrl
from tests.gosh.helpers import SYSTEM

PLAIN = GoshUrl.parse(f"gosh://{SYSTEM}/dao/repo")
NAMED = GoshUrl.parse(f"gosh::staging://{SYSTEM}/dao/repo")


def write_config(home: Path, data: object) -> Path:
    path = home / ".gosh" / "config.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))
    return path


def test_default_is_the_local_node_in_goshfile_home(home: Path) -> None:
    node = resolve_node(PLAIN)
    assert node == LocalNode(home / "goshfile" / "node")
    assert node.repos == home / "goshfile" / "node" / "repos"


def test_gosh_network_wins_over_config_and_url_network(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_config(home, {"primary-network": "main", "networks": {"main": {"endpoints": ["http://config:1"]}}})
    monkeypatch.setenv("GOSH_NETWORK", "http://env:2,http://second:3")
    assert resolve_node(PLAIN) == HttpNode("http://env:2")
    assert resolve_node(NAMED) == HttpNode("http://env:2")


def test_config_primary_network_and_url_network(home: Path) -> None:
    write_config(
        home,
        {
            "primary-network": "main",
            "networks": {
                "main": {"endpoints": ["http://main:1"], "user-wallet": {"pubkey": "aa", "secret": "bb"}},
                "staging": {"endpoints": ["file:///srv/staging"]},
            },
        },
    )
    assert resolve_node(PLAIN) == HttpNode("http://main:1")
    assert resolve_node(NAMED) == LocalNode(Path("/srv/staging"))
    with pytest.raises(InputError, match="names the network 'other', which has no endpoints"):
        resolve_node(GoshUrl.parse(f"gosh::other://{SYSTEM}/dao/repo"))


def test_config_path_override_and_primary_without_endpoints(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = tmp_path / "elsewhere.json"
    other.write_text(json.dumps({"primary-network": "main", "networks": {"staging": {"endpoints": ["/srv/x"]}}}))
    monkeypatch.setenv("GOSH_CONFIG_PATH", str(other))
    assert resolve_node(NAMED) == LocalNode(Path("/srv/x"))
    assert resolve_node(PLAIN) == LocalNode(home / "goshfile" / "node")


def test_a_named_network_without_any_config_is_an_error() -> None:
    with pytest.raises(InputError, match="names the network 'staging', but there is no GOSH config"):
        resolve_node(NAMED)
