"""Which node serves a gosh URL: GOSH_NETWORK, else GOSH's config file, else the default local node."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from goshfile.errors import InputError
from goshfile.gosh.network import HttpNode, LocalNode, parse_endpoint, parse_endpoints, resolve_node
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


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("http://127.0.0.1:8080", HttpNode("http://127.0.0.1:8080")),
        ("https://node.example/prefix/", HttpNode("https://node.example/prefix")),
        ("file:///srv/node", LocalNode(Path("/srv/node"))),
        ("/srv/node", LocalNode(Path("/srv/node"))),
    ],
)
def test_endpoint_forms(text: str, expected: object) -> None:
    assert parse_endpoint(text) == expected


def test_relative_and_home_paths_become_absolute(home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert parse_endpoint("./node") == LocalNode(tmp_path / "node")
    assert parse_endpoint("~/node") == LocalNode(home / "node")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("localhost:8080", "is neither an http(s):// URL, a file:// URL nor a path"),
        ("ftp://host/x", "unsupported node endpoint"),
        ("http://", "invalid node URL"),
        ("http://host:99999", "invalid node URL"),
        ("file://otherhost/x", "invalid file URL"),
    ],
)
def test_bad_endpoints(text: str, problem: str) -> None:
    with pytest.raises(InputError, match=problem.replace("(", r"\(").replace(")", r"\)")):
        parse_endpoint(text)


def test_endpoint_list_takes_commas_and_needs_one() -> None:
    assert parse_endpoints(" http://a:1 , /b ") == [HttpNode("http://a:1"), LocalNode(Path("/b"))]
    with pytest.raises(InputError, match="no node endpoint"):
        parse_endpoints(" , ")


def test_gosh_network_wins_over_config_and_url_network(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_config(home, {"primary-network": "main", "networks": {"main": {"endpoints": ["http://config:1"]}}})
    monkeypatch.setenv("GOSH_NETWORK", "http://env:2,http://second:3")
    assert resolve_node(PLAIN) == HttpNode("http://env:2")
    assert resolve_node(NAMED) == HttpNode("http://env:2")
    assert resolve_node(PLAIN).origin == "GOSH_NETWORK"


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
        resolve_node(PLAIN)
    assert str(path) in str(info.value)
    assert problem in str(info.value)


def test_http_node_git_url() -> None:
    upper = GoshUrl.parse(f"gosh://{SYSTEM.upper().replace('0X', '0x')}/dao/repo")
    node = HttpNode("http://127.0.0.1:9")
    assert node.git_url(upper) == f"http://127.0.0.1:9/git/{SYSTEM}/dao/repo.git"


def test_a_path_to_the_ledger_file_keeps_the_repositories_beside_it(tmp_path: Path) -> None:
    from goshfile.gosh.network import parse_endpoint

    node = parse_endpoint(str(tmp_path / "team.db"))
    assert node.repos == tmp_path / "repos"  # type: ignore[union-attr]
