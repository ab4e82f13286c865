"""Hermetic fetch: a gosh repository at a pinned commit, verified, exported into a content-addressed folder.

1. The repository is fetched with git (``transfer.fsckObjects`` on) into a
   cache, ``<cache>/gosh/<hash of the repository URL>.git``, reused by later
   fetches: when the commit is already there, no network round trip happens.
2. The commit must be a full 40-hex id; a branch or tag is resolved only with
   ``allow_ref``. A commit the node does not have is an InputError.
3. The tree at the commit (or one of its folders) is exported by reading each
   object from the cache and re-hashing it: the commit must hash to the pinned
   id, every tree and file to the id its parent names. Content that does not
   match (a node or mirror serving other objects, or a damaged cache) is a
   VerificationError, and nothing is exported.
4. The export goes to ``<cache>/sources/<commit>[-<subdir hash>]/`` through a
   temporary folder renamed into place. Files get modes 0644/0755, and every mtime
   is the commit time.
5. Before an existing export is used again it is checked against the commit's tree in
   the cache (names, kinds, modes, link targets, file contents by blob id, times); an
   export edited since (by a user, a tool, a build that bind-mounted it writable) is
   removed and exported again, never reused as is. A change made after this check, while
   a build reads the folder, is not detected.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from goshfile.endpoints import HttpNode, LocalNode, Node
from goshfile.errors import EngineError, InputError, VerificationError
from goshfile.gitcmd import git, last_lines
from goshfile.gosh.network import resolve_node
from goshfile.gosh.objects import ExportEdited, ObjectReader
from goshfile.gosh.store import RepoStore
from goshfile.gosh.url import COMMIT_RE, GoshUrl, check_ref, normalize_subdir
from goshfile.paths import cache_home

REFSPECS = ("+refs/heads/*:refs/gosh/heads/*", "+refs/tags/*:refs/gosh/tags/*")
# What git says when the objects it received do not add up: the node served other content.
INTEGRITY_MARKERS = (
    "did not send all necessary objects",
    "did not receive expected object",
    "bad object",
    "hash mismatch",
    "sha1 mismatch",
    "index-pack failed",
    "missing blob object",
    "missing tree object",
    "missing commit object",
    "corrupt",
    "inflate",
)
# What git's object checks (transfer.fsckObjects) say about malformed objects.
FSCK_MARKERS = ("fsck error", "fsck:", "hasdotgit", "duplicateentries", "baddate", "badtree", "missingtree")
NOT_FOUND_MARKERS = ("not our ref", "couldn't find remote ref", "unadvertised object", "not found")


@dataclass(frozen=True)
class FetchedSource:
    """A verified export of a repository's tree (or a folder of it) at a commit."""

    path: Path
    commit: str
    url: GoshUrl
    commit_time: int
    subdir: str = ""
    ref: str | None = None


def fetch(url: GoshUrl, commit: str, *, allow_ref: bool = False) -> FetchedSource:
    """Fetch ``url`` at ``commit``, verify it and export its tree (``url.subdir`` only, if set).

    ``commit`` is a full commit id; with ``allow_ref`` it may be a branch or tag (resolved on the
    node, so always a network round trip). An empty ``commit`` takes the URL's ``#ref``.
    """
    revision = commit.strip() or (url.ref or "")
    subdir = normalize_subdir(url.subdir or "")
    ref: str | None = None
    repo = CacheRepo(cache_home() / "gosh" / f"{url.key}.git")
    if COMMIT_RE.fullmatch(revision.lower()):
        revision = revision.lower()
        # Reuse only what this repository's cache holds: the URL must have served the commit once.
        if repo.has_commit(revision):
            with repo.locked():
                cached = _reusable(repo, url, revision, subdir)
            if cached is not None:
                return cached
    elif not allow_ref:
        raise InputError(
            f"{revision!r} is not a full commit id (40 hex) for {url.repository}; "
            "pin a commit, or allow branches and tags with --allow-ref"
        )
    else:
        ref = check_ref(revision)
    with repo.locked():
        repo.init()
        if ref is not None:
            revision = repo.resolve_ref(url, ref)
        elif not repo.has_commit(revision):
            repo.fetch_commit(url, revision)
        repo.pin(revision)
        return _export(repo, url, revision, subdir, ref)


def source_dir(commit: str, subdir: str) -> Path:
    """Where the export of ``commit`` (and ``subdir``) lives."""
    name = commit if not subdir else f"{commit}-{hashlib.sha256(subdir.encode()).hexdigest()[:16]}"
    return cache_home() / "sources" / name


def _exported(url: GoshUrl, commit: str, subdir: str, ref: str | None = None) -> FetchedSource | None:
    dest = source_dir(commit, subdir)
    meta = dest.with_name(dest.name + ".json")
    if not dest.is_dir():
        return None
    try:
        data = json.loads(meta.read_text(encoding="utf-8"))
        commit_time = int(data["commit_time"])
        if data["commit"] != commit or data["subdir"] != subdir:
            return None
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return FetchedSource(dest, commit, url, commit_time, subdir, ref)


def _reusable(repo: CacheRepo, url: GoshUrl, commit: str, subdir: str, ref: str | None = None) -> FetchedSource | None:
    """The existing export of ``commit``, checked against the cache; None (and removed) when edited or absent."""
    found = _exported(url, commit, subdir, ref)
    if found is None:
        return None
    try:
        with ObjectReader(repo.path) as reader:
            reader.check_export(commit, subdir, found.path, url)
    except (ExportEdited, OSError):
        _remove_export(found.path)
        return None
    return found


def _remove_export(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.with_name(path.name + ".json").unlink()
    if path.is_symlink():
        path.unlink()
    shutil.rmtree(path, ignore_errors=True)
    if os.path.lexists(path):
        raise VerificationError(f"the exported source {path} was changed after its fetch and cannot be removed")


def _export(repo: CacheRepo, url: GoshUrl, commit: str, subdir: str, ref: str | None) -> FetchedSource:
    found = _reusable(repo, url, commit, subdir, ref)
    if found is not None:
        return found
    dest = source_dir(commit, subdir)
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent))
    try:
        with ObjectReader(repo.path) as reader:
            try:
                commit_time = reader.export(commit, subdir, staging / "tree", url)
            except VerificationError as exc:
                shutil.rmtree(repo.path, ignore_errors=True)  # never reuse a cache that served bad content
                raise VerificationError(f"{exc}; the cached copy of {url.repository} was removed") from None
        meta = staging / "meta.json"
        meta.write_text(json.dumps({"commit": commit, "subdir": subdir, "commit_time": commit_time}) + "\n")
        if not dest.is_dir():
            with contextlib.suppress(OSError):  # OSError: another fetch put the same content in place
                os.rename(staging / "tree", dest)
        os.replace(meta, dest.with_name(dest.name + ".json"))
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return FetchedSource(dest, commit, url, commit_time, subdir, ref)


class CacheRepo:
    """The bare repository that caches one gosh repository's objects."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold this cache's lock (one fetch at a time per repository)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_name(self.path.name + ".lock"), "a+b") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def init(self) -> None:
        """Create the cache repository when it is missing."""
        if (self.path / "HEAD").is_file():
            return
        shutil.rmtree(self.path, ignore_errors=True)
        git(["init", "--quiet", "--bare", str(self.path)])
        for key, value in (("fetch.fsckObjects", "true"), ("transfer.fsckObjects", "true"), ("gc.auto", "0")):
            git(["config", key, value], cwd=self.path)

    def has_commit(self, commit: str) -> bool:
        """Whether the commit is in the cache."""
        if not (self.path / "HEAD").is_file():
            return False
        done = git(["cat-file", "-e", f"{commit}^{{commit}}"], cwd=self.path, check=False)
        return done.returncode == 0

    def pin(self, commit: str) -> None:
        """Keep ``commit`` reachable in the cache whatever the node's branches do later."""
        git(["update-ref", f"refs/pinned/{commit}", commit], cwd=self.path)

    def fetch_commit(self, url: GoshUrl, commit: str) -> None:
        """Fetch the node's branches and tags; if the commit is not among them, ask for it by id."""
        node = resolve_node(url)
        self._fetch(url, node, list(REFSPECS))
        if self.has_commit(commit):
            return
        failed = self._fetch(url, node, [commit], missing_ok=True)
        if failed or not self.has_commit(commit):
            raise InputError(f"commit {commit} not found in {url.repository} ({node})")

    def resolve_ref(self, url: GoshUrl, ref: str) -> str:
        """Fetch, then the commit a branch or tag names (branches first)."""
        node = resolve_node(url)
        self._fetch(url, node, list(REFSPECS))
        short = ref.removeprefix("refs/heads/").removeprefix("refs/tags/")
        candidates = [f"refs/gosh/heads/{short}", f"refs/gosh/tags/{short}"]
        if ref.startswith("refs/tags/"):
            candidates.reverse()
        for name in candidates:
            done = git(["rev-parse", "--verify", "--quiet", f"{name}^{{commit}}"], cwd=self.path, check=False)
            if done.returncode == 0:
                return done.stdout.decode().strip()
        raise InputError(f"no branch or tag {ref!r} in {url.repository} ({node})")

    def _fetch(self, url: GoshUrl, node: Node, refspecs: list[str], *, missing_ok: bool = False) -> bool:
        """Run git fetch; True when it failed because the node did not have what was asked."""
        remote = _git_remote(url, node)
        args = ["-c", "transfer.fsckObjects=true", "-c", "fetch.fsckObjects=true", "fetch", "--quiet", "--no-tags"]
        done = run_fetch([*args, "--", remote, *refspecs], self.path)
        if done.returncode == 0:
            return False
        message = done.stderr.decode(errors="replace")
        lowered = message.lower()
        if any(marker in lowered for marker in FSCK_MARKERS):
            raise VerificationError(
                f"{node} served malformed objects for {url.repository} that git's object checks (fsck) reject: "
                f"{last_lines(done.stderr)}"
            )
        if any(marker in lowered for marker in INTEGRITY_MARKERS):
            raise VerificationError(
                f"{node} served content for {url.repository} that does not match its git object ids "
                f"(tampered or damaged): {last_lines(done.stderr)}"
            )
        if any(marker in lowered for marker in NOT_FOUND_MARKERS):
            if missing_ok:
                return True
            raise InputError(f"repository {url.repository} not found on the {node}: {last_lines(done.stderr)}")
        raise EngineError(f"could not fetch {url.repository} from the {node}: {last_lines(done.stderr)}")


def _git_remote(url: GoshUrl, node: Node) -> str:
    """The git URL of ``url``'s repository on ``node`` (checked to exist on a local node)."""
    if isinstance(node, HttpNode):
        return node.git_url(url)
    assert isinstance(node, LocalNode)
    store = RepoStore(node.path)
    path = store.path_for(url)
    if not store.exists(path):
        raise InputError(f"repository {url.repository} not found on the {node} (no {path})")
    return path.absolute().as_uri()


def run_fetch(args: list[str], cwd: Path) -> subprocess.CompletedProcess[bytes]:
    """Run one ``git fetch`` (a separate function so tests can count network round trips)."""
    return git(args, cwd=cwd, check=False)
