"""Choosing SOURCE_DATE_EPOCH for a build."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from goshfile.engine.epoch import choose_epoch, newest_mtime, parse_epoch
from goshfile.errors import InputError


def files(root: Path, times: dict[str, int]) -> Path:
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


def test_then_the_git_head_commit_time(tmp_path: Path) -> None:
    files(tmp_path, {"goshfile.yaml": 2_000_000_000})
    env = {**os.environ, "GIT_COMMITTER_DATE": "1500000000 +0000", "GIT_AUTHOR_DATE": "1400000000 +0000"}
    for args in (["init", "-q"], ["add", "."], ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "x"]):
        subprocess.run(["git", *args], cwd=tmp_path, env=env, check=True)
    (tmp_path / "sub").mkdir()
    epoch = choose_epoch(tmp_path / "sub", {}, {})  # a folder inside the work tree counts
    assert (epoch.value, epoch.origin) == (1_500_000_000, "git HEAD commit time")


def test_otherwise_the_newest_file_in_the_context(tmp_path: Path) -> None:
    context = files(tmp_path / "ctx", {"a": 1_000, "deep/er/b": 3_000, "c": 2_000})
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
