"""git smart HTTP for the node: only repository URLs, only the smart services."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest

from goshfile.gosh.http_git import GitHttpServer
from goshfile.gosh.store import RepoStore
from tests.gosh.helpers import SYSTEM


def status(url: str, method: str = "GET") -> int:
    request = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.mark.parametrize(
    ("path", "method", "code"),
    [
        ("/other", "GET", 404),
        ("/git/", "GET", 404),
        (f"/git/{SYSTEM}/../repo.git/info/refs?service=git-upload-pack", "GET", 404),
        (f"/git/{SYSTEM}/dao/repo.git/HEAD", "GET", 404),
        (f"/git/{SYSTEM}/dao/repo.git/info/refs", "GET", 403),
        (f"/git/{SYSTEM}/dao/repo.git/info/refs?service=git-upload-pack", "POST", 405),
        (f"/git/{SYSTEM}/dao/repo.git/git-upload-pack", "GET", 405),
        (f"/git/{SYSTEM}/dao/repo.git/info/refs?service=git-upload-pack", "GET", 404),
        (f"/git/{SYSTEM}/dao/repo.git/git-receive-pack", "POST", 404),
    ],
)
def test_requests_outside_the_smart_protocol_are_refused(
    http_node: GitHttpServer, path: str, method: str, code: int
) -> None:
    assert status(http_node.url + path, method) == code
    assert not RepoStore(http_node.node_path).root.exists()


def test_receive_pack_advertisement_creates_the_repository(http_node: GitHttpServer) -> None:
    url = f"{http_node.url}/git/{SYSTEM}/dao/repo.git/info/refs?service=git-receive-pack"
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.headers["Content-Type"] == "application/x-git-receive-pack-advertisement"
        assert b"# service=git-receive-pack" in response.read()
    store = RepoStore(http_node.node_path)
    assert store.exists(store.path(SYSTEM, "dao", "repo"))
    assert status(f"{http_node.url}/git/{SYSTEM}/dao/repo.git/info/refs?service=git-upload-pack") == 200


def test_server_binds_only_to_loopback(http_node: GitHttpServer) -> None:
    assert http_node.server_address[0] == "127.0.0.1"
    assert http_node.url.startswith("http://127.0.0.1:")
