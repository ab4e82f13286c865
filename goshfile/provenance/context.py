"""A build context named by what it is: a GOSH repository at a commit, or the digest of its files.

The digest of a local context is the sha256 of a listing of every file under it
(``.git`` excluded), one line per path in byte order:
``<path> NUL <type> <mode> <sha256 of the content or link target> LF``,
so it names the files, their modes and contents, not the folder's place on this machine.
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path
from typing import Any

from goshfile.errors import InputError


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def context_digest(root: Path) -> str:
    """``sha256:<hex>`` of the context folder ``root`` (see the module docstring)."""
    if not root.is_dir():
        raise InputError(f"build context {root}: not a folder")
    lines: list[bytes] = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not (Path(folder) == root and d == ".git"))
        for name in [*dirs, *files]:
            path = Path(folder) / name
            rel = os.fsencode(path.relative_to(root))
            info = path.lstat()
            if stat.S_ISLNK(info.st_mode):
                kind, content = "l", hashlib.sha256(os.fsencode(os.readlink(path))).hexdigest()
            elif stat.S_ISDIR(info.st_mode):
                kind, content = "d", ""
            elif stat.S_ISREG(info.st_mode):
                kind, content = "f", _file_sha256(path)
            else:
                continue
            lines.append(rel + b"\0" + f"{kind} {stat.S_IMODE(info.st_mode):o} {content}\n".encode())
    return "sha256:" + hashlib.sha256(b"".join(sorted(lines))).hexdigest()


def describe_context(context: str) -> dict[str, Any]:
    """The provenance's ``context``: ``{"uri", "digest": {"gitCommit"}}`` for ``gosh://…#COMMIT[:subdir]``,
    else ``{"digest": {"sha256"}}`` of the local folder ``context``."""
    if context.startswith("gosh://"):
        url, _, rest = context.partition("#")
        commit, _, subdir = rest.partition(":")
        out: dict[str, Any] = {"uri": url, "digest": {"gitCommit": commit}}
        if subdir:
            out["annotations"] = {"subdir": subdir}
        return out
    return {"digest": {"sha256": context_digest(Path(context)).removeprefix("sha256:")}}
