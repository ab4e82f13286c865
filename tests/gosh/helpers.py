"""Small git helpers for the gosh tests."""

from __future__ import annotations

import os
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

SYSTEM = "0:" + "ab" * 32
HELPER_DIR = Path(sys.executable).parent  # the venv's bin, where git-remote-gosh is installed


def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """HOME and GOSHFILE_HOME in ``tmp_path``, no outside GOSH configuration, git identity, helper on PATH."""
    if not (HELPER_DIR / "git-remote-gosh").is_file():
        pytest.fail(f"git-remote-gosh is not installed in {HELPER_DIR}: run pip install -e . in the venv")
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GOSHFILE_HOME", str(home / "goshfile"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(home / ".gitconfig"))
    for who in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{who}_NAME", "Test")
        monkeypatch.setenv(f"GIT_{who}_EMAIL", "test@example.org")
    monkeypatch.setenv("PATH", f"{HELPER_DIR}{os.pathsep}{os.environ.get('PATH', '')}")
    for name in ("GOSH_NETWORK", "GOSH_CONFIG_PATH", "XDG_DATA_HOME", "XDG_CACHE_HOME", "GIT_DIR"):
        monkeypatch.delenv(name, raising=False)
    return home


def git(
    *args: str, cwd: Path | None = None, ok: bool = True, input: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run git; with ``ok`` fail the test (with git's output) unless it succeeds."""
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False, input=input)
    if ok:
        assert done.returncode == 0, f"git {' '.join(args)} failed:\n{done.stdout}{done.stderr}"
    return done


def work_repo(path: Path) -> Path:
    """An empty work repository on branch main."""
    git("init", "--quiet", "--initial-branch=main", str(path))
    return path


def commit(repo: Path, files: dict[str, str], message: str = "change") -> str:
    """Write ``files`` (path -> text), commit them all and return the commit id."""
    for name, text in files.items():
        target = repo / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    git("add", "--all", cwd=repo)
    git("commit", "--quiet", "-m", message, cwd=repo)
    return git("rev-parse", "HEAD", cwd=repo).stdout.strip()


def replace_loose_object(repo: Path, oid: str, raw: bytes) -> None:
    """Write ``raw`` (an object with its header) under ``oid``'s loose-object path in a bare repository."""
    path = repo / "objects" / oid[:2] / oid[2:]
    assert path.is_file(), f"{oid} is not a loose object in {repo}"
    path.chmod(0o644)
    path.write_bytes(zlib.compress(raw))
