"""An exported source edited after its verified fetch is checked against the commit and never reused as is."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from goshfile.errors import InputError
from goshfile.gosh.fetch import fetch
from goshfile.gosh.objects import ExportEdited, ObjectReader
from goshfile.gosh.store import RepoStore
from goshfile.gosh.url import GoshUrl
from tests.gosh.helpers import SYSTEM, commit, git, work_repo

FILES = {"README": "first\n", "src/app.py": "print('v1')\n", "src/lib/util.py": "X = 1\n"}


def snapshot(path: Path) -> dict[str, tuple[int, int, str]]:
    """Every entry under ``path``: mode, mtime and content (or link target)."""
    out: dict[str, tuple[int, int, str]] = {}
    for p in sorted(path.rglob("*")):
        info = os.lstat(p)
        body = os.readlink(p) if p.is_symlink() else p.read_text() if p.is_file() else ""
        out[str(p.relative_to(path))] = (info.st_mode, int(info.st_mtime), body)
    return out


@pytest.fixture
def fetched(tmp_path: Path, home: Path, url: str) -> tuple[GoshUrl, str, Path]:
    work = work_repo(tmp_path / "work")
    os.symlink("src/app.py", work / "link")
    store = RepoStore(home / "goshfile" / "node").create(SYSTEM, "dao", "repo")
    head = commit(work, FILES)
    git("push", "--quiet", str(store), "HEAD:main", cwd=work)
    source = fetch(GoshUrl.parse(url), head)
    return GoshUrl.parse(url), head, source.path


def _write(p: Path) -> None:
    (p / "README").write_text("evil\n")


def _same_size(p: Path) -> None:
    readme = p / "README"
    when = os.stat(readme).st_mtime
    readme.write_text("FIRST\n")
    os.utime(readme, (when, when))  # same size, same time: only the content tells


def _relink(link: Path, target: str) -> None:
    link.unlink()
    os.symlink(target, link)


EDITS: dict[str, Callable[[Path], object]] = {
    "content": _write,
    "same size and time": _same_size,
    "mode": lambda p: (p / "README").chmod(0o777),
    "added file": lambda p: (p / "src" / "extra.py").write_text("x"),
    "removed file": lambda p: (p / "src" / "lib" / "util.py").unlink(),
    "file made a link": lambda p: _relink(p / "README", "/etc/passwd"),
    "link retargeted": lambda p: _relink(p / "link", "/etc/shadow"),
    "time": lambda p: os.utime(p / "src" / "app.py", (0, 0)),
    "folder removed": lambda p: shutil.rmtree(p / "src" / "lib"),
}


@pytest.mark.parametrize("edit", sorted(EDITS))
def test_an_edited_export_is_exported_again_before_it_is_used(fetched: tuple[GoshUrl, str, Path], edit: str) -> None:
    url, head, path = fetched
    clean = snapshot(path)
    EDITS[edit](path)
    assert snapshot(path) != clean
    again = fetch(url, head)
    assert again.path == path
    assert snapshot(path) == clean


def test_an_export_replaced_by_a_link_is_not_followed(fetched: tuple[GoshUrl, str, Path], tmp_path: Path) -> None:
    url, head, path = fetched
    clean = snapshot(path)
    elsewhere = tmp_path / "elsewhere"
    shutil.copytree(path, elsewhere, symlinks=True)
    (elsewhere / "README").write_text("evil\n")
    shutil.rmtree(path)
    os.symlink(elsewhere, path)
    assert fetch(url, head).path == path
    assert not path.is_symlink() and snapshot(path) == clean
    assert (elsewhere / "README").read_text() == "evil\n"  # what the link named is left alone


def test_the_check_names_the_first_change(fetched: tuple[GoshUrl, str, Path], home: Path) -> None:
    url, head, path = fetched
    cache = next((home / "goshfile" / "cache" / "gosh").glob("*.git"))
    with ObjectReader(cache) as reader:
        reader.check_export(head, "", path, url)  # untouched: no error
        (path / "src" / "extra.py").write_text("x")
        with pytest.raises(ExportEdited, match=r"src: added 'extra.py'"):
            reader.check_export(head, "", path, url)
        with pytest.raises(InputError, match="folder 'nope' not found"):
            reader.check_export(head, "nope", path, url)
