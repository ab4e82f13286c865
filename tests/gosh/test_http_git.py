"""git smart HTTP for the node: only repository URLs, only the smart services, pushes only with the token."""

from __future__ import annotations

import base64
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from goshfile.gosh.http_git import GitHttpServer, serving
from goshfile.gosh.store import RepoStore
from tests.gosh.conftest import TOKEN
from tests.gosh.helpers import SYSTEM, commit, git, work_repo


def status(url: str, method: str = "GET", headers: dict[str, str] | None = None) -> int:
    data = b"" if method == "POST" else None
    request = urllib.request.Request(url, method=method, data=data, headers=headers or {})
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
        (f"/git/{SYSTEM}/dao/repo.git/git-receive-pack", "POST", 401),
        (f"/git/{SYSTEM}/dao/repo.git/info/refs?service=git-receive-pack", "GET", 401),
    ],
)
def test_requests_outside_the_smart_protocol_are_refused(
    http_node: GitHttpServer, path: str, method: str, code: int
) -> None:
    assert status(http_node.url + path, method) == code
    assert not RepoStore(http_node.node_path).root.exists()


ADVERTISE = f"/git/{SYSTEM}/dao/repo.git/info/refs?service=git-receive-pack"


@pytest.mark.parametrize(
    "authorization",
    ["Bearer " + TOKEN, "Basic " + base64.b64encode(f"anyone:{TOKEN}".encode()).decode()],
)
def test_the_push_advertisement_of_a_missing_repository_creates_nothing(
    http_node: GitHttpServer, authorization: str
) -> None:
    request = urllib.request.Request(http_node.url + ADVERTISE, headers={"Authorization": authorization})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.headers["Content-Type"] == "application/x-git-receive-pack-advertisement"
        assert b"# service=git-receive-pack" in response.read()
    assert not RepoStore(http_node.node_path).root.exists()


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer wrong-token-0123456789", "Basic " + base64.b64encode(b"u:wrong").decode(), "Digest x", "Basic %%"],
)
def test_a_push_without_the_token_is_refused(http_node: GitHttpServer, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    assert status(http_node.url + ADVERTISE, headers=headers) == 401
    assert status(http_node.url + f"/git/{SYSTEM}/dao/repo.git/git-receive-pack", "POST", headers) == 401
    assert not RepoStore(http_node.node_path).root.exists()


def test_a_node_without_a_token_takes_no_push(tmp_path: Path) -> None:
    with serving(tmp_path / "node") as server:
        assert status(server.url + ADVERTISE, headers={"Authorization": "Bearer " + TOKEN}) == 403
        work = work_repo(tmp_path / "work")
        commit(work, {"a": "1"})
        done = git("push", f"{server.url}/git/{SYSTEM}/dao/repo.git", "main", cwd=work, ok=False)
        assert done.returncode != 0
    assert not RepoStore(tmp_path / "node").root.exists()


def test_git_push_without_the_token_fails(
    tmp_path: Path, url: str, http_node: GitHttpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GOSHFILE_NODE_TOKEN")
    work = work_repo(tmp_path / "work")
    commit(work, {"a": "1"})
    done = git("push", url, "main", cwd=work, ok=False)
    assert done.returncode != 0 and TOKEN not in done.stderr
    assert not RepoStore(http_node.node_path).root.exists()


def test_server_binds_only_to_loopback(http_node: GitHttpServer) -> None:
    assert http_node.server_address[0] == "127.0.0.1"
    assert http_node.url.startswith("http://127.0.0.1:")
