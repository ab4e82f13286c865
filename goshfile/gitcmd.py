"""Running git: one place for the environment and the error when git is missing.

git passes repository-local variables (``GIT_DIR`` and friends) to remote
helpers and hooks; a git command run on another repository must not inherit
them, or it would act on the caller's repository. :func:`clean_env` drops
them, as git itself does for its local transport.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from goshfile.errors import EngineError

# The variables git's own local transport clears (git's local_repo_env).
REPO_LOCAL_ENV = (
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_COMMON_DIR",
    "GIT_CONFIG",
    "GIT_CONFIG_COUNT",
    "GIT_CONFIG_PARAMETERS",
    "GIT_DIR",
    "GIT_GRAFT_FILE",
    "GIT_IMPLICIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_INTERNAL_SUPER_PREFIX",
    "GIT_NO_REPLACE_OBJECTS",
    "GIT_OBJECT_DIRECTORY",
    "GIT_PREFIX",
    "GIT_QUARANTINE_PATH",
    "GIT_REPLACE_REF_BASE",
    "GIT_SHALLOW_FILE",
    "GIT_WORK_TREE",
)


def clean_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment without repository-local git variables, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if k not in REPO_LOCAL_ENV and not k.startswith("GIT_CONFIG_KEY_")}
    env = {k: v for k, v in env.items() if not k.startswith("GIT_CONFIG_VALUE_")}
    env["GIT_TERMINAL_PROMPT"] = "0"
    env.update(extra or {})
    return env


def git(
    args: Sequence[str],
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    check: bool = True,
    input: bytes | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """Run ``git ARGS`` with a clean environment and captured output.

    With ``check`` a non-zero exit raises :class:`EngineError` with git's message.
    """
    try:
        done = subprocess.run(
            ["git", *args], cwd=cwd, env=clean_env(env), input=input, capture_output=True, check=False
        )
    except FileNotFoundError as exc:
        raise EngineError("git is not installed (it is needed for gosh sources)") from exc
    if check and done.returncode != 0:
        raise EngineError(f"git {args[0]} failed: {last_lines(done.stderr)}")
    return done


def last_lines(stderr: bytes, count: int = 4) -> str:
    """The last few non-empty lines of git's stderr, joined for a one-line message."""
    lines = [line.strip() for line in stderr.decode(errors="replace").splitlines() if line.strip()]
    return "; ".join(lines[-count:]) or "no message"
