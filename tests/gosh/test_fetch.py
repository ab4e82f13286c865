"""Hermetic fetch: content at the pinned commit, verified by git object ids, cached and reused."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from goshfile.errors import EngineError, InputError, VerificationError
from goshfile.gosh import fetch as fetch_module
from goshfile.gosh import objects
from goshfile.gosh.fetch import fetch, source_dir
from goshfile.gosh.http_git import GitHttpServer
from goshfile.gosh.store import RepoStore
from goshfile.gosh.url import GoshUrl
from tests.gosh.helpers import SYSTEM, commit, git, replace_loose_object, work_repo

FILES = {"README": "first\n", "src/app.py": "print('v1')\n", "src/lib/util.py": "X = 1\n"}


@pytest.fixture
def fetches(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Every git fetch the module runs (the network round trips)."""
    calls: list[list[str]] = []
    real = fetch_module.run_fetch

    def counting(args: list[str], cwd: Path) -> subprocess.CompletedProcess[bytes]:
        calls.append(args)
        return real(args, cwd)

    monkeypatch.setattr(fetch_module, "run_fetch", counting)
    return calls


@pytest.fixture
def work(tmp_path: Path) -> Path:
    return work_repo(tmp_path / "work")


@pytest.fixture
def store(home: Path) -> Path:
    """The default local node's bare repository for the ``url`` fixture (pushed to directly: the
    helper has its own tests, and this keeps these fast)."""
    return RepoStore(home / "goshfile" / "node").create(SYSTEM, "dao", "repo")


def push(work: Path, store: Path, files: dict[str, str], ref: str = "main") -> str:
    head = commit(work, files)
    git("push", "--quiet", "--force", str(store), f"HEAD:{ref}", cwd=work)
    return head


def tree_of(path: Path) -> dict[str, str]:
    return {str(p.relative_to(path)): p.read_text() for p in sorted(path.rglob("*")) if p.is_file()}


def test_fetch_returns_the_pinned_commit_not_a_later_one(work: Path, store: Path, url: str, home: Path) -> None:
    first = push(work, store, FILES)
    later = push(work, store, {"README": "second\n", "new.txt": "new\n"})
    source = fetch(GoshUrl.parse(url), first)
    assert tree_of(source.path) == FILES
    assert source.commit == first
    assert source.url == GoshUrl.parse(url)
    assert source.path == home / "goshfile" / "cache" / "sources" / first
    committed = git("log", "-1", "--format=%ct", first, cwd=work).stdout.strip()
    assert source.commit_time == int(committed)
    assert tree_of(fetch(GoshUrl.parse(url), later).path)["README"] == "second\n"


def test_export_modes_links_and_times(work: Path, store: Path, url: str) -> None:
    (work / "run.sh").write_text("#!/bin/sh\n")
    (work / "run.sh").chmod(0o775)
    os.symlink("src/app.py", work / "link")
    head = push(work, store, FILES)
    source = fetch(GoshUrl.parse(url), head)
    assert stat.S_IMODE((source.path / "run.sh").stat().st_mode) == 0o755
    assert stat.S_IMODE((source.path / "README").stat().st_mode) == 0o644
    assert os.readlink(source.path / "link") == "src/app.py"
    assert {int(p.lstat().st_mtime) for p in [source.path, *source.path.rglob("*")]} == {source.commit_time}
    assert not (source.path / ".git").exists()


def test_subdir_is_exported_alone(work: Path, store: Path, url: str) -> None:
    head = push(work, store, FILES)
    source = fetch(GoshUrl.parse(f"{url}#:src/"), head)
    assert tree_of(source.path) == {"app.py": "print('v1')\n", "lib/util.py": "X = 1\n"}
    assert source.subdir == "src"
    assert source.path != source_dir(head, "")
    with pytest.raises(InputError, match=f"folder 'nope' not found in {url} at commit {head}"):
        fetch(GoshUrl.parse(f"{url}#:nope"), head)
    with pytest.raises(InputError, match="folder 'README' not found"):
        fetch(GoshUrl.parse(f"{url}#:README"), head)


def test_a_missing_commit_fails_clearly(work: Path, store: Path, url: str) -> None:
    push(work, store, FILES)
    missing = "0123456789" * 4
    with pytest.raises(InputError) as info:
        fetch(GoshUrl.parse(url), missing)
    assert str(info.value).startswith(f"commit {missing} not found in {url} (local node ")


def test_a_missing_repository_fails_clearly(url: str) -> None:
    with pytest.raises(InputError, match=f"repository {url} not found on the local node"):
        fetch(GoshUrl.parse(url), "a" * 40)


def test_a_branch_needs_allow_ref_and_then_resolves(work: Path, store: Path, url: str) -> None:
    first = push(work, store, FILES)
    git("tag", "v1", cwd=work)
    git("push", "--quiet", str(store), "v1", cwd=work)
    later = push(work, store, {"README": "second\n"})
    with pytest.raises(InputError, match="'main' is not a full commit id"):
        fetch(GoshUrl.parse(url), "main")
    branch = fetch(GoshUrl.parse(url), "main", allow_ref=True)
    assert (branch.commit, branch.ref) == (later, "main")
    assert fetch(GoshUrl.parse(url), "v1", allow_ref=True).commit == first
    assert fetch(GoshUrl.parse(f"{url}#v1"), "", allow_ref=True).commit == first, "an empty commit takes the #ref"
    with pytest.raises(InputError, match="no branch or tag 'nope'"):
        fetch(GoshUrl.parse(url), "nope", allow_ref=True)


def test_a_commit_no_branch_points_at_any_more_is_still_fetched(work: Path, store: Path, url: str, home: Path) -> None:
    old = push(work, store, FILES)
    git("checkout", "--quiet", "--orphan", "fresh", cwd=work)
    push(work, store, {"other": "x\n"})  # force-pushed over main: old is unreachable from every branch
    assert git("branch", "--contains", old, cwd=store).stdout.strip() == ""
    assert tree_of(fetch(GoshUrl.parse(url), old).path) == FILES


def test_second_fetch_reuses_the_cache(work: Path, store: Path, url: str, home: Path, fetches: list[list[str]]) -> None:
    head = push(work, store, FILES)
    parsed = GoshUrl.parse(url)
    first = fetch(parsed, head)
    assert len(fetches) == 1
    shutil.rmtree(home / "goshfile" / "node")  # the node is gone: only the cache can answer
    again = fetch(parsed, head)
    assert again == first
    assert len(fetches) == 1
    shutil.rmtree(first.path.parent)  # exported trees gone too: re-exported from the git cache, no fetch
    assert tree_of(fetch(parsed, head).path) == FILES
    assert len(fetches) == 1


def test_new_commits_are_fetched_into_the_same_cache(
    work: Path, store: Path, url: str, home: Path, fetches: list[list[str]]
) -> None:
    first = push(work, store, FILES)
    fetch(GoshUrl.parse(url), first)
    later = push(work, store, {"README": "second\n"})
    # another subdir or ref suffix and an account do not change the cached repository
    source = fetch(GoshUrl.parse(f"gosh://someone@{SYSTEM}/dao/repo#main:src"), later)
    assert tree_of(source.path)["app.py"] == "print('v1')\n"
    assert len(fetches) == 2
    assert len(list((home / "goshfile" / "cache" / "gosh").glob("*.git"))) == 1


def test_fetch_over_http(work: Path, url: str, http_node: GitHttpServer) -> None:
    store = RepoStore(http_node.node_path).create(SYSTEM, "dao", "repo")
    first = push(work, store, FILES)
    push(work, store, {"README": "second\n"})
    assert tree_of(fetch(GoshUrl.parse(url), first).path) == FILES
    with pytest.raises(InputError, match=f"repository gosh://{SYSTEM}/dao/none not found on the node http"):
        fetch(GoshUrl.parse(f"gosh://{SYSTEM}/dao/none"), first)


def test_an_export_is_reused_only_for_a_repository_that_served_the_commit(work: Path, store: Path, url: str) -> None:
    head = push(work, store, FILES)
    fetch(GoshUrl.parse(url), head)
    with pytest.raises(InputError, match=f"repository gosh://{SYSTEM}/dao/none not found"):
        fetch(GoshUrl.parse(f"gosh://{SYSTEM}/dao/none"), head)


def test_unreachable_http_node_is_an_engine_error(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOSH_NETWORK", "http://127.0.0.1:9")  # discard port: nothing listens
    with pytest.raises(EngineError, match=f"could not fetch {url} from the node http://127.0.0.1:9"):
        fetch(GoshUrl.parse(url), "a" * 40)


def test_a_tampered_blob_in_the_node_fails_the_fetch(work: Path, store: Path, url: str, home: Path) -> None:
    head = push(work, store, FILES)
    blob = git("rev-parse", f"{head}:src/app.py", cwd=work).stdout.strip()
    replace_loose_object(store, blob, b"blob 17\0print('evil!!')\n")
    with pytest.raises(VerificationError) as info:
        fetch(GoshUrl.parse(url), head)
    message = str(info.value)
    assert f"served content for {url} that does not match its git object ids" in message
    assert blob in message
    assert not source_dir(head, "").exists()


def test_a_tampered_commit_in_the_node_fails_the_fetch(work: Path, store: Path, url: str, home: Path) -> None:
    head = push(work, store, FILES)
    raw = git("cat-file", "commit", head, cwd=work).stdout.encode().replace(b"change", b"chAnge")
    replace_loose_object(store, head, b"commit %d\0" % len(raw) + raw)
    with pytest.raises(VerificationError, match="does not match its git object ids"):
        fetch(GoshUrl.parse(url), head)


def test_a_tampered_cache_is_detected_and_dropped(
    work: Path, store: Path, url: str, home: Path, fetches: list[list[str]]
) -> None:
    head = push(work, store, FILES)
    parsed = GoshUrl.parse(url)
    shutil.rmtree(fetch(parsed, head).path.parent)
    cache = home / "goshfile" / "cache" / "gosh" / f"{parsed.key}.git"
    blob = git("rev-parse", f"{head}:README", cwd=work).stdout.strip()
    _explode_packs(cache)
    replace_loose_object(cache, blob, b"blob 6\0third\n")
    with pytest.raises(VerificationError) as info:
        fetch(parsed, head)
    assert f"blob {blob} does not match its id" in str(info.value)
    assert "the cached copy" in str(info.value)
    assert not cache.exists()
    assert not source_dir(head, "").exists()
    assert tree_of(fetch(parsed, head).path) == FILES, "the next fetch starts over from the node"
    assert len(fetches) == 2


def _explode_packs(repo: Path) -> None:
    """Turn a repository's packs into loose objects (so one object can be replaced)."""
    packs = list((repo / "objects" / "pack").glob("*.pack"))
    for pack in packs:
        moved = repo / pack.name
        pack.rename(moved)
        pack.with_suffix(".idx").unlink()
        with moved.open("rb") as data:
            done = subprocess.run(["git", "unpack-objects", "-q"], cwd=repo, stdin=data, check=False)
        assert done.returncode == 0
        moved.unlink()


def test_a_tree_git_would_refuse_is_refused(store: Path, url: str) -> None:
    """A node can hold objects no push would have let in (a tree entry named .git); fetching them fails."""
    blob = git("hash-object", "-w", "--stdin", cwd=store, input="[core]\n").stdout.strip()
    tree = git("mktree", cwd=store, input=f"100644 blob {blob}\t.git\n").stdout.strip()
    head = git("commit-tree", "-m", "sneaky", tree, cwd=store).stdout.strip()
    git("update-ref", "refs/heads/main", head, cwd=store)
    with pytest.raises(VerificationError) as info:
        fetch(GoshUrl.parse(url), head)
    assert f"served malformed objects for {url} that git's object checks (fsck) reject" in str(info.value)
    assert "hasDotgit" in str(info.value)
    assert not source_dir(head, "").exists()


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"100644 a\0" + b"\1" * 20 + b"100644 a\0" + b"\2" * 20, "bad or duplicate entry name"),
        (b"100644 .GIT\0" + b"\1" * 20, "bad or duplicate entry name"),
        (b"40000 ..\0" + b"\1" * 20, "bad or duplicate entry name"),
        (b"100644 a/b\0" + b"\1" * 20, "bad or duplicate entry name"),
        (b"100600 a\0" + b"\1" * 20, "unknown mode 100600"),
        (b"100644 a\0" + b"\1" * 19, "is malformed"),
    ],
)
def test_export_refuses_trees_that_could_escape_or_clash(data: bytes, problem: str) -> None:
    with pytest.raises(VerificationError, match=problem):
        objects._parse_tree(data, "t" * 40)


def test_export_reads_tree_entries() -> None:
    data = b"100644 a.txt\0" + b"\1" * 20 + b"40000 dir\0" + b"\2" * 20 + b"120000 link\0" + b"\3" * 20
    assert objects._parse_tree(data, "t" * 40) == [
        (b"100644", b"a.txt", "01" * 20),
        (b"40000", b"dir", "02" * 20),
        (b"120000", b"link", "03" * 20),
    ]
