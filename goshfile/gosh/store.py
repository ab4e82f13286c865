"""The local node's repository store: bare git repositories, one per DAO and repository.

Layout: ``<node>/repos/<system>/<dao>/<repo>.git`` with ``<system>`` the system
contract address in lower case (``0:<64 hex>``). Every name is validated
before it becomes a path (no ``..``, no ``/``), so no URL reaches outside the
store. A repository is created by its first push; its ``HEAD`` then points at
the pushed branch (``main`` if there is one).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from goshfile.errors import InputError
from goshfile.gitcmd import git
from goshfile.gosh.url import GoshUrl, check_name, check_system

# Settings of every stored repository: check what is pushed, let fetches ask for any stored commit.
REPO_CONFIG = (
    ("receive.fsckObjects", "true"),
    ("uploadpack.allowReachableSHA1InWant", "true"),
    ("http.receivepack", "true"),
    ("gc.auto", "0"),
)


class RepoStore:
    """Bare repositories under ``<node>/repos``."""

    def __init__(self, node_path: Path) -> None:
        self.node_path = node_path
        self.root = node_path / "repos"

    def path(self, system: str, dao: str, repo: str) -> Path:
        """The folder of a repository (validated names; it need not exist)."""
        check_system(system)
        check_name("DAO", dao)
        check_name("repository", repo)
        return self.root / system.lower() / dao / f"{repo}.git"

    def path_for(self, url: GoshUrl) -> Path:
        """The folder of ``url``'s repository."""
        return self.path(url.system, url.dao, url.repo)

    @staticmethod
    def exists(path: Path) -> bool:
        """Whether a repository has been created at ``path``."""
        return (path / "HEAD").is_file() and (path / "objects").is_dir()

    def create(self, system: str, dao: str, repo: str) -> Path:
        """The repository's folder, created (empty, bare) when missing; safe against concurrent creation."""
        path = self.path(system, dao, repo)
        if self.exists(path):
            return path
        if path.exists():
            raise InputError(f"{path} exists but is not a git repository; remove it or pick another name")
        path.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{repo}.", suffix=".new", dir=path.parent))
        try:
            git(["init", "--quiet", "--bare", "--initial-branch=main", str(staging)])
            for key, value in REPO_CONFIG:
                git(["config", key, value], cwd=staging)
            os.chmod(staging, 0o755)
            try:
                os.rename(staging, path)
            except OSError:
                if not self.exists(path):  # not a lost race: a real failure
                    raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return path

    @staticmethod
    def fix_head(path: Path) -> None:
        """Point ``HEAD`` at an existing branch (main, master or the first) when its branch does not exist.

        Clones then check out what was pushed, whatever the pusher's default branch is called.
        """
        head = git(["symbolic-ref", "--quiet", "HEAD"], cwd=path, check=False).stdout.decode().strip()
        if head and git(["rev-parse", "--verify", "--quiet", head], cwd=path, check=False).returncode == 0:
            return
        listed = git(["for-each-ref", "--format=%(refname)", "refs/heads/"], cwd=path).stdout.decode()
        branches = listed.split()
        if not branches:
            return
        target = next((b for b in ("refs/heads/main", "refs/heads/master") if b in branches), branches[0])
        git(["symbolic-ref", "HEAD", target], cwd=path)
