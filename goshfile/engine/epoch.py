"""Choose ``SOURCE_DATE_EPOCH`` for a build: the one time every timestamp of the image is set to.

In this order, the first that applies:

1. given: ``--source-date-epoch``, or the build arg ``SOURCE_DATE_EPOCH``
   (a build from GOSH sets it to the commit's time);
2. the environment's ``SOURCE_DATE_EPOCH`` (as ``docker buildx`` reads it);
3. the context is in a git work tree: the committer time of the last commit
   that changed something in it (``git log -1 --format=%ct -- .`` in the
   context), so commits elsewhere in the repository do not change the image;
4. otherwise the newest modification time of a file the build can read: a file of the
   context that its ``.dockerignore`` does not leave out (so a log written into an
   ignored path while building does not move the epoch); folders do not count, since
   their times change whenever anything, ignored or not, is added to them.

Each is a function of the build's inputs, so a rebuild of the same inputs
gets the same epoch; the last is only stable while the files are not touched.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from goshfile.dockerignore import Matcher
from goshfile.errors import EngineError, InputError
from goshfile.gitcmd import git

NAME = "SOURCE_DATE_EPOCH"


@dataclass(frozen=True)
class Epoch:
    """A chosen epoch and where it came from (for the user to see)."""

    value: int
    origin: str


def parse_epoch(text: str, what: str = NAME) -> int:
    """A whole, non-negative number of seconds since 1970."""
    try:
        value = int(text.strip())
    except ValueError:
        raise InputError(f"{what} must be a whole number of seconds since 1970, not {text!r}") from None
    if value < 0:
        raise InputError(f"{what} must not be negative")
    return value


def _git_commit_time(context: Path) -> int | None:
    try:
        done = git(["log", "-1", "--format=%ct", "--", "."], cwd=context, check=False)
    except EngineError:  # git is not installed
        return None
    text = done.stdout.decode(errors="replace").strip()
    return int(text) if done.returncode == 0 and text.isdigit() else None


def newest_mtime(context: Path) -> int:
    """The newest whole-second modification time of a file in ``context`` the build can read (0: none)."""
    ignore = Matcher.for_context(context)
    newest = 0
    for root, dirs, files in os.walk(context):
        relative = os.path.relpath(root, context)
        prefix = "" if relative == "." else relative.replace(os.sep, "/") + "/"
        if not ignore.has_exceptions:  # nothing inside an excluded folder can come back: skip it
            dirs[:] = [name for name in dirs if not ignore.excluded(prefix + name)]
        for name in files:
            if ignore.excluded(prefix + name):
                continue
            try:
                newest = max(newest, int(os.lstat(os.path.join(root, name)).st_mtime))
            except OSError:
                continue
    return newest


def choose_epoch(context: Path, build_args: Mapping[str, str], environ: Mapping[str, str]) -> Epoch:
    """The epoch for a build of ``context`` with ``build_args``."""
    if NAME in build_args:
        return Epoch(parse_epoch(build_args[NAME], f"build arg {NAME}"), "given")
    if environ.get(NAME):
        return Epoch(parse_epoch(environ[NAME], f"environment variable {NAME}"), "environment")
    if not context.is_dir():
        raise InputError(f"{context}: no such folder")
    head = _git_commit_time(context)
    if head is not None:
        return Epoch(head, "the last git commit of the context")
    return Epoch(newest_mtime(context), "newest file in the context")
