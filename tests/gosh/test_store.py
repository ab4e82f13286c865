"""The local node's repository store: validated names, bare repositories created on demand."""

from __future__ import annotations

from pathlib import Path

import pytest

from goshfile.errors import InputError
from goshfile.gosh.store import RepoStore
from tests.gosh.helpers import SYSTEM, commit, git, work_repo


def test_layout_and_lower_case_system(tmp_path: Path) -> None:
    store = RepoStore(tmp_path / "node")
    assert store.path(SYSTEM.upper().replace("0X", "0x"), "dao", "repo") == (
        tmp_path / "node" / "repos" / SYSTEM / "dao" / "repo.git"
    )


@pytest.mark.parametrize(
    ("system", "dao", "repo"),
    [
        (SYSTEM, "..", "repo"),
        (SYSTEM, "dao", "../../x"),
        (SYSTEM, "a/b", "repo"),
        ("../x", "dao", "repo"),
        (SYSTEM, "", "r"),
    ],
)
def test_names_that_would_leave_the_store_are_refused(tmp_path: Path, system: str, dao: str, repo: str) -> None:
    with pytest.raises(InputError, match="invalid"):
        RepoStore(tmp_path).path(system, dao, repo)


def test_create_is_idempotent_and_configures_checks(tmp_path: Path) -> None:
    store = RepoStore(tmp_path / "node")
    path = store.create(SYSTEM, "dao", "repo")
    assert store.exists(path)
    assert store.create(SYSTEM, "dao", "repo") == path
    assert git("config", "receive.fsckObjects", cwd=path).stdout.strip() == "true"
    assert git("rev-parse", "--is-bare-repository", cwd=path).stdout.strip() == "true"
    assert [p.name for p in path.parent.iterdir()] == ["repo.git"], "no staging folder is left behind"


def test_create_refuses_a_non_repository_in_the_way(tmp_path: Path) -> None:
    store = RepoStore(tmp_path / "node")
    path = store.path(SYSTEM, "dao", "repo")
    path.mkdir(parents=True)
    with pytest.raises(InputError, match="not a git repository"):
        store.create(SYSTEM, "dao", "repo")


def test_fix_head_points_at_a_pushed_branch(tmp_path: Path) -> None:
    store = RepoStore(tmp_path / "node")
    path = store.create(SYSTEM, "dao", "repo")
    work = work_repo(tmp_path / "work")
    commit(work, {"a": "1"})
    git("push", "--quiet", str(path), "main:trunk", cwd=work)
    store.fix_head(path)
    assert git("symbolic-ref", "HEAD", cwd=path).stdout.strip() == "refs/heads/trunk"
    git("push", "--quiet", str(path), "main:main", cwd=work)
    store.fix_head(path)
    assert git("symbolic-ref", "HEAD", cwd=path).stdout.strip() == "refs/heads/trunk", "an existing HEAD is kept"
