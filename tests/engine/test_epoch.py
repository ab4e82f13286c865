"""Choosing SOURCE_DATE_EPOCH for a build."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from goshfile.engine.epoch import choose_epoch, newest_mtime, parse_epoch
from goshfile.errors import InputError


def files_at(root: Path, times: dict[str, int]) -> Path:
    for name, when in times.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(name)
        os.utime(path, (when, when))
    for folder in [root, *(p for p in root.rglob("*") if p.is_dir())]:
        os.utime(folder, (1, 1))
    return root


def test_a_given_build_arg_wins(tmp_path: Path) -> None:
    epoch = choose_epoch(tmp_path, {"SOURCE_DATE_EPOCH": "123"}, {"SOURCE_DATE_EPOCH": "456"})
    assert (epoch.value, epoch.origin) == (123, "given")


def test_then_the_environment(tmp_path: Path) -> None:
    epoch = choose_epoch(tmp_path, {}, {"SOURCE_DATE_EPOCH": "456"})
    assert (epoch.value, epoch.origin) == (456, "environment")


def git_commit(repo: Path, when: int, files: dict[str, int]) -> None:
    files_at(repo, files)
    env = {**os.environ, "GIT_COMMITTER_DATE": f"{when} +0000", "GIT_AUTHOR_DATE": f"{when - 99} +0000"}
    for args in (["add", "."], ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "x"]):
        subprocess.run(["git", *args], cwd=repo, env=env, check=True)


def test_then_the_last_git_commit_that_changed_the_context(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    git_commit(tmp_path, 1_500_000_000, {"app/goshfile.yaml": 2_000_000_000})
    git_commit(tmp_path, 1_600_000_000, {"docs/readme": 2_000_000_000})
    app = choose_epoch(tmp_path / "app", {}, {})  # a later commit elsewhere does not count
    assert (app.value, app.origin) == (1_500_000_000, "the last git commit of the context")
    assert choose_epoch(tmp_path, {}, {}).value == 1_600_000_000
    files_at(tmp_path / "new", {"f": 1_234})  # nothing committed there yet
    assert choose_epoch(tmp_path / "new", {}, {}).origin == "newest file in the context"


def test_otherwise_the_newest_file_in_the_context(tmp_path: Path) -> None:
    context = files_at(tmp_path / "ctx", {"a": 1_000, "deep/er/b": 3_000, "c": 2_000})
    assert newest_mtime(context) == 3_000
    epoch = choose_epoch(context, {}, {})
    assert (epoch.value, epoch.origin) == (3_000, "newest file in the context")


def test_an_empty_folder_gives_its_own_time_or_zero(tmp_path: Path) -> None:
    assert newest_mtime(tmp_path) == 0


@pytest.mark.parametrize("text", ["", "soon", "1.5", "-1"])
def test_bad_values_are_named(text: str) -> None:
    with pytest.raises(InputError, match="SOURCE_DATE_EPOCH"):
        parse_epoch(text)
    with pytest.raises(InputError, match="build arg SOURCE_DATE_EPOCH"):
        choose_epoch(Path("."), {"SOURCE_DATE_EPOCH": text}, {})


def test_a_missing_context_is_named(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such folder"):
        choose_epoch(tmp_path / "nope", {}, {})


def test_the_newest_file_counts_only_what_dockerignore_keeps(tmp_path: Path) -> None:
    context = files_at(
        tmp_path / "ctx",
        {"app.py": 1_000, "build.log": 9_000, "logs/run.txt": 8_000, "keep/it.txt": 2_000, "keep/no.tmp": 7_000},
    )
    (context / ".dockerignore").write_text("build.log\nlogs\n**/*.tmp\n")
    os.utime(context / ".dockerignore", (500, 500))
    os.utime(context / "logs", (9_500, 9_500))  # a folder's time moves with anything written into it
    assert newest_mtime(context) == 2_000
    (context / ".dockerignore").write_text("build.log\nlogs\n**/*.tmp\n!logs/run.txt\n")
    os.utime(context / ".dockerignore", (500, 500))
    assert newest_mtime(context) == 8_000  # an exception brings a file back from an ignored folder
