"""Git objects read from a cache repository, each one re-hashed: export a tree, or check an export.

:class:`ObjectReader` reads objects with ``git cat-file --batch`` and checks that each
hashes to its id, so what it writes (or compares against) is exactly the pinned commit.
:meth:`ObjectReader.check_export` compares a folder exported earlier with the commit's tree
(names, kinds, modes, link targets, file contents by blob id, and times): an export edited
after its fetch is not reused as is.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import stat
import subprocess
from pathlib import Path
from typing import cast

from goshfile.errors import EngineError, InputError, VerificationError
from goshfile.gitcmd import clean_env
from goshfile.gosh.url import COMMIT_RE, GoshUrl

CHUNK = 1 << 16


class ExportEdited(VerificationError):
    """An exported source folder no longer matches its commit (edited after the fetch)."""


class ObjectReader:
    """Reads objects from a repository with ``git cat-file --batch`` and checks each one's hash."""

    def __init__(self, repo: Path) -> None:
        self.repo = repo
        self.proc = subprocess.Popen(
            ["git", "cat-file", "--batch"],
            cwd=repo,
            env=clean_env(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self.out = cast(io.BufferedReader, self.proc.stdout)

    def __enter__(self) -> ObjectReader:
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.proc.stdin is not None
        with contextlib.suppress(OSError):
            self.proc.stdin.close()
        self.out.close()
        self.proc.wait()

    def _open(self, oid: str, expected: str) -> int:
        assert self.proc.stdin is not None
        self.proc.stdin.write(f"{oid}\n".encode())
        self.proc.stdin.flush()
        header = self.out.readline().decode().split()
        if len(header) != 3 or header[0] != oid:
            raise VerificationError(f"{expected} object {oid} is missing")
        if header[1] != expected:
            raise VerificationError(f"object {oid} is a {header[1]}, where a {expected} was expected")
        return int(header[2])

    def _stream(self, oid: str, kind: str, size: int, sink: io.BufferedIOBase | None) -> bytes:
        digest = hashlib.sha1(f"{kind} {size}\0".encode(), usedforsecurity=False)
        kept = bytearray()
        remaining = size
        while remaining:
            data = self.out.read(min(remaining, CHUNK))
            if not data:
                raise EngineError("git cat-file stopped early")
            digest.update(data)
            if sink is None:
                kept += data
            else:
                sink.write(data)
            remaining -= len(data)
        self.out.read(1)  # the newline after each object
        if digest.hexdigest() != oid:
            raise VerificationError(f"{kind} {oid} does not match its id (its content hashes to {digest.hexdigest()})")
        return bytes(kept)

    def read(self, oid: str, kind: str) -> bytes:
        """The verified content of a commit, tree or (small) blob."""
        return self._stream(oid, kind, self._open(oid, kind), None)

    def _subtree(self, commit: str, subdir: str, url: GoshUrl) -> tuple[str, int]:
        """(tree id of ``subdir`` at ``commit``, commit time)."""
        tree, commit_time = _parse_commit(self.read(commit, "commit"), commit)
        for part in subdir.split("/") if subdir else []:
            entries = {name: (mode, oid) for mode, name, oid in _parse_tree(self.read(tree, "tree"), tree)}
            mode, oid = entries.get(part.encode(), (b"", ""))
            if mode != b"40000":
                raise InputError(f"folder {subdir!r} not found in {url.repository} at commit {commit}")
            tree = oid
        return tree, commit_time

    def export(self, commit: str, subdir: str, dest: Path, url: GoshUrl) -> int:
        """Write the verified tree at ``commit``/``subdir`` to ``dest``; return the commit time."""
        tree, commit_time = self._subtree(commit, subdir, url)
        self._write_tree(tree, dest, commit_time)
        return commit_time

    def check_export(self, commit: str, subdir: str, dest: Path, url: GoshUrl) -> None:
        """Check that ``dest`` is still what :meth:`export` wrote; :class:`ExportEdited` names the first change."""
        tree, commit_time = self._subtree(commit, subdir, url)
        self._check_tree(tree, dest, commit_time)

    def _check_tree(self, tree: str, dest: Path, mtime: int) -> None:
        info = os.lstat(dest)
        if not stat.S_ISDIR(info.st_mode):
            raise ExportEdited(f"{dest} is no longer a folder")
        entries = _parse_tree(self.read(tree, "tree"), tree)
        names = {os.fsdecode(name) for _, name, _ in entries}
        present = set(os.listdir(dest))
        if present != names:
            extra, missing = sorted(present - names), sorted(names - present)
            raise ExportEdited(f"{dest}: {'added ' + repr(extra[0]) if extra else 'removed ' + repr(missing[0])}")
        if stat.S_IMODE(info.st_mode) != 0o755 or int(info.st_mtime) != mtime:
            raise ExportEdited(f"{dest}: its mode or time was changed")
        for mode, name, oid in entries:
            path = dest / os.fsdecode(name)
            if mode == b"40000":
                self._check_tree(oid, path, mtime)
                continue
            info = os.lstat(path)
            if mode == b"160000":
                ok = stat.S_ISDIR(info.st_mode) and not os.listdir(path)
            elif mode == b"120000":
                ok = stat.S_ISLNK(info.st_mode) and os.fsencode(os.readlink(path)) == self.read(oid, "blob")
            else:
                perm = 0o755 if mode == b"100755" else 0o644
                ok = stat.S_ISREG(info.st_mode) and stat.S_IMODE(info.st_mode) == perm and _blob_id(path) == oid
            if not ok or int(info.st_mtime) != mtime:
                raise ExportEdited(f"{path} was changed after it was exported")

    def _write_tree(self, tree: str, dest: Path, mtime: int) -> None:
        dest.mkdir(mode=0o755)
        for mode, name, oid in _parse_tree(self.read(tree, "tree"), tree):
            path = dest / os.fsdecode(name)
            if mode == b"40000":
                self._write_tree(oid, path, mtime)
            elif mode == b"160000":  # a submodule: an empty folder, as git archive does
                path.mkdir(mode=0o755)
                os.utime(path, (mtime, mtime))
            elif mode == b"120000":
                target = self.read(oid, "blob")
                if not target or b"\0" in target:
                    raise VerificationError(f"symbolic link {path.name!r} (blob {oid}) has an invalid target")
                os.symlink(os.fsdecode(target), path)
                os.utime(path, (mtime, mtime), follow_symlinks=False)
            else:
                perm = 0o755 if mode == b"100755" else 0o644
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, perm)
                with os.fdopen(fd, "wb") as sink:
                    self._stream(oid, "blob", self._open(oid, "blob"), sink)
                os.chmod(path, perm)
                os.utime(path, (mtime, mtime))
        os.chmod(dest, 0o755)
        os.utime(dest, (mtime, mtime))


def _blob_id(path: Path) -> str:
    """The git blob id of a file's content (opened without following a link)."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    with os.fdopen(fd, "rb") as source:
        size = os.fstat(source.fileno()).st_size
        digest = hashlib.sha1(f"blob {size}\0".encode(), usedforsecurity=False)
        while chunk := source.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _parse_commit(data: bytes, oid: str) -> tuple[str, int]:
    """(tree id, committer time) of a commit object."""
    tree = ""
    when: int | None = None
    for line in data.split(b"\n\n", 1)[0].split(b"\n"):
        if line.startswith(b"tree ") and not tree:
            tree = line[5:].decode(errors="replace")
        elif line.startswith(b"committer "):
            with contextlib.suppress(ValueError, IndexError):
                when = int(line.rsplit(b" ", 2)[1])
    if not COMMIT_RE.fullmatch(tree) or when is None:
        raise VerificationError(f"commit {oid} is malformed (no tree or no committer time)")
    return tree, when


TREE_MODES = (b"40000", b"100644", b"100755", b"100664", b"120000", b"160000")


def _parse_tree(data: bytes, oid: str) -> list[tuple[bytes, bytes, str]]:
    """The entries (mode, name, id) of a tree object; VerificationError for entries git's fsck rejects."""
    entries: list[tuple[bytes, bytes, str]] = []
    seen: set[bytes] = set()
    pos = 0
    while pos < len(data):
        space = data.find(b" ", pos)
        nul = data.find(b"\0", space + 1)
        if space < 0 or nul < 0 or nul + 21 > len(data):
            raise VerificationError(f"tree {oid} is malformed")
        mode, name = data[pos:space], data[space + 1 : nul]
        entry = data[nul + 1 : nul + 21].hex()
        pos = nul + 21
        if mode not in TREE_MODES:
            raise VerificationError(f"tree {oid} has an entry with an unknown mode {mode.decode(errors='replace')}")
        if name in (b"", b".", b"..") or b"/" in name or name.lower() == b".git" or name in seen:
            raise VerificationError(f"tree {oid} has a bad or duplicate entry name {name!r}")
        seen.add(name)
        entries.append((mode, name, entry))
    return entries
