"""git push/clone/fetch through git-remote-gosh, against the local node (file mode) and over HTTP."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from goshfile.errors import InputError
from goshfile.gosh.http_git import GitHttpServer
from goshfile.gosh.remote_helper import http_env, url_from_git
from goshfile.gosh.store import RepoStore
from goshfile.gosh.url import GoshUrl
from goshfile.ledger.server import NodeAuth, serving
from goshfile.tokens import ENV_TOKEN
from tests.gosh.conftest import TOKEN
from tests.gosh.helpers import SYSTEM, commit, git, work_repo


def round_trip(tmp_path: Path, url: str) -> tuple[str, str]:
    """Push two commits (the second after a clone), fetch it into the clone; return both ids."""
    work = work_repo(tmp_path / "work")
    first = commit(work, {"README": "one\n", "src/app.py": "print(1)\n"})
    pushed = git("push", url, "main", cwd=work)
    assert "[new branch]      main -> main" in pushed.stderr
    git("clone", "--quiet", url, str(tmp_path / "clone"))
    clone = tmp_path / "clone"
    assert (clone / "README").read_text() == "one\n"
    assert git("rev-parse", "HEAD", cwd=clone).stdout.strip() == first
    second = commit(work, {"README": "two\n"})
    git("push", "--quiet", url, "main", cwd=work)
    git("fetch", "--quiet", "origin", cwd=clone)
    assert git("rev-parse", "origin/main", cwd=clone).stdout.strip() == second
    assert git("show", "origin/main:README", cwd=clone).stdout == "two\n"
    return first, second


def test_push_clone_fetch_with_the_local_node(tmp_path: Path, home: Path, url: str) -> None:
    first, second = round_trip(tmp_path, url)
    bare = home / "goshfile" / "node" / "repos" / SYSTEM / "dao" / "repo.git"
    assert git("rev-parse", "main", cwd=bare).stdout.strip() == second
    assert git("cat-file", "-t", first, cwd=bare).stdout.strip() == "commit"


def test_push_clone_fetch_over_http(tmp_path: Path, url: str, http_node: GitHttpServer) -> None:
    _, second = round_trip(tmp_path, url)
    bare = RepoStore(http_node.node_path).path(SYSTEM, "dao", "repo")
    assert git("rev-parse", "main", cwd=bare).stdout.strip() == second


def test_gosh_network_can_name_a_node_folder(tmp_path: Path, url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    node = tmp_path / "other-node"
    monkeypatch.setenv("GOSH_NETWORK", node.as_uri())
    work = work_repo(tmp_path / "work")
    head = commit(work, {"a": "1"})
    git("push", "--quiet", url, "main", cwd=work)
    assert git("rev-parse", "main", cwd=node / "repos" / SYSTEM / "dao" / "repo.git").stdout.strip() == head


def test_url_network_picks_the_node_from_gosh_config(tmp_path: Path, home: Path) -> None:
    node = tmp_path / "staging-node"
    config = home / ".gosh" / "config.json"
    config.parent.mkdir()
    config.write_text(json.dumps({"networks": {"staging": {"endpoints": [str(node)]}}}))
    work = work_repo(tmp_path / "work")
    head = commit(work, {"a": "1"})
    git("push", "--quiet", f"gosh::staging://{SYSTEM}/dao/repo", "main", cwd=work)
    assert git("rev-parse", "main", cwd=node / "repos" / SYSTEM / "dao" / "repo.git").stdout.strip() == head
    listed = git("ls-remote", f"gosh::staging://{SYSTEM}/dao/repo", cwd=work).stdout
    assert f"{head}\trefs/heads/main" in listed


def test_clone_of_a_missing_repository_fails_clearly(tmp_path: Path, url: str) -> None:
    done = git("clone", url, str(tmp_path / "clone"), ok=False)
    assert done.returncode != 0
    assert f"git-remote-gosh: error: repository {url} does not exist on the local node" in done.stderr
    assert "push to create it" in done.stderr


def test_clone_of_a_missing_repository_over_http_fails(tmp_path: Path, url: str, http_node: GitHttpServer) -> None:
    done = git("clone", url, str(tmp_path / "clone"), ok=False)
    assert done.returncode != 0
    assert "not found" in done.stderr
    assert not RepoStore(http_node.node_path).root.exists(), "a fetch creates nothing"


def test_a_malformed_url_fails_before_any_transfer(tmp_path: Path) -> None:
    done = git("ls-remote", "gosh://0:12/dao/repo", ok=False)
    assert done.returncode != 0
    assert "git-remote-gosh: error: invalid gosh URL 'gosh://0:12/dao/repo'" in done.stderr
    assert "invalid system contract address" in done.stderr


def test_addresses_git_hands_the_helper() -> None:
    plain = url_from_git(f"gosh://{SYSTEM}/dao/repo")
    assert plain == GoshUrl(SYSTEM, "dao", "repo")
    # git strips "gosh::" from gosh::<network>://... and passes the rest
    assert url_from_git(f"staging://{SYSTEM}/dao/repo") == GoshUrl(SYSTEM, "dao", "repo", "staging")
    assert url_from_git(f"gosh::staging://{SYSTEM}/dao/repo").network == "staging"
    with pytest.raises(InputError, match="no #ref:subdir suffix"):
        url_from_git(f"gosh://{SYSTEM}/dao/repo#main")


def test_push_clone_fetch_through_the_node_server_and_its_ledger(
    tmp_path: Path, url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    node = tmp_path / "team-node"
    with serving(node / "ledger.db", node_path=node, auth=NodeAuth(TOKEN)) as server:
        monkeypatch.setenv("GOSH_NETWORK", server.url)
        monkeypatch.setenv(ENV_TOKEN, TOKEN)
        _, second = round_trip(tmp_path, url)
    bare = RepoStore(node).path(SYSTEM, "dao", "repo")
    assert git("rev-parse", "main", cwd=bare).stdout.strip() == second


def test_a_malformed_node_url_in_gosh_network_is_one_line(
    tmp_path: Path, url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOSH_NETWORK", "http://[::1")
    done = git("ls-remote", url, ok=False)
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert "git-remote-gosh: error: invalid node URL 'http://[::1' (from GOSH_NETWORK): Invalid IPv6 URL" in done.stderr


def test_the_token_reaches_git_as_a_header_without_redirects() -> None:
    env = http_env({"GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "a.b", "GIT_CONFIG_VALUE_0": "c"}, TOKEN)
    assert env["GIT_CONFIG_COUNT"] == "3" and env["GIT_CONFIG_KEY_0"] == "a.b"
    settings = {env[f"GIT_CONFIG_KEY_{i}"]: env[f"GIT_CONFIG_VALUE_{i}"] for i in (1, 2)}
    assert settings == {"http.followRedirects": "false", "http.extraHeader": f"Authorization: Bearer {TOKEN}"}
    assert http_env({"X": "1"}, None) == {"X": "1"}
