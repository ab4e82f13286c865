"""Node endpoints: the -n forms, parsed once for the ledger and for gosh."""

from __future__ import annotations

from pathlib import Path

import pytest

from goshfile.endpoints import HttpNode, LocalNode, parse_endpoint, parse_endpoints
from goshfile.errors import InputError
from goshfile.gosh.url import GoshUrl
from tests.gosh.helpers import SYSTEM, isolated_home


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return isolated_home(tmp_path, monkeypatch)


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


def test_http_node_git_url() -> None:
    upper = GoshUrl.parse(f"gosh://{SYSTEM.upper().replace('0X', '0x')}/dao/repo")
    node = HttpNode("http://127.0.0.1:9")
    assert node.git_url(upper) == f"http://127.0.0.1:9/git/{SYSTEM}/dao/repo.git"


def test_a_path_to_the_ledger_file_keeps_the_repositories_beside_it(tmp_path: Path) -> None:
    node = parse_endpoint(str(tmp_path / "team.db"))
    assert node.repos == tmp_path / "repos"  # type: ignore[union-attr]
