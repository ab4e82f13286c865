"""A build context is named by its GOSH URL and commit, or by the digest of its files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from goshfile.errors import InputError
from goshfile.provenance.context import context_digest, describe_context

URL = "gosh://0:" + "1" * 64 + "/dao/repo"


def make(root: Path) -> Path:
    (root / "src").mkdir(parents=True)
    (root / "src" / "a.txt").write_text("a")
    (root / "goshfile.yaml").write_text("apiVersion: 1\n")
    os.symlink("src/a.txt", root / "link")
    return root


def test_the_same_files_in_another_place_have_the_same_digest(tmp_path: Path) -> None:
    one, two = make(tmp_path / "one"), make(tmp_path / "two")
    (two / ".git").mkdir()
    (two / ".git" / "HEAD").write_text("ref: x")  # git's own files are not the context
    assert context_digest(one) == context_digest(two)
    assert describe_context(str(one)) == {"digest": {"sha256": context_digest(one).removeprefix("sha256:")}}


@pytest.mark.parametrize("change", ["content", "mode", "new file", "link"])
def test_any_change_changes_the_digest(tmp_path: Path, change: str) -> None:
    root = make(tmp_path / "ctx")
    before = context_digest(root)
    if change == "content":
        (root / "src" / "a.txt").write_text("b")
    elif change == "mode":
        (root / "src" / "a.txt").chmod(0o755)
    elif change == "new file":
        (root / "src" / "b.txt").write_text("")
    else:
        (root / "link").unlink()
        os.symlink("goshfile.yaml", root / "link")
    assert context_digest(root) != before


def test_a_gosh_context_is_its_url_and_commit() -> None:
    assert describe_context(f"{URL}#{'c' * 40}:sub/dir") == {
        "uri": URL,
        "digest": {"gitCommit": "c" * 40},
        "annotations": {"subdir": "sub/dir"},
    }


def test_a_missing_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a folder"):
        context_digest(tmp_path / "nope")
