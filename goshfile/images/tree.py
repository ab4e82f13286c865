"""The merged filesystem of an image: layers' changes applied in order.

A layer is a list of :class:`Change` records (made by the readers in
:mod:`goshfile.images.layers`). Merging follows what Docker's overlay2 storage
driver produces, which is also what a container of the image shows
(``docker export``):

- an entry replaces what a lower layer had at its path, except that a directory
  over a directory merges them (the upper one's mode and owner win);
- a non-directory replaces a directory with everything under it;
- ``.wh.NAME`` removes ``NAME`` (and what is under it) from the lower layers;
- ``DIR/.wh..wh..opq`` hides everything the lower layers had under ``DIR``
  (what this layer puts there stays);
- a parent directory that a layer lacks is created by the engine in that layer
  as mode 0755, owner 0:0, and so covers the lower directory's mode and owner;
- a hard link shares the linked file (content, mode, owner): the two paths
  stay one file until a later layer replaces one of them;
- the root directory's own metadata is ignored (the engine skips it too).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Final

from goshfile.images.tarstream import LayerError

# Node kinds (also the type letters of goshfile-v2 records).
REGULAR: Final = "f"
DIRECTORY: Final = "d"
SYMLINK: Final = "l"
CHAR_DEVICE: Final = "c"
BLOCK_DEVICE: Final = "b"
FIFO: Final = "p"

# Change operations.
ADD: Final = "add"
LINK: Final = "link"
WHITEOUT: Final = "whiteout"
OPAQUE: Final = "opaque"


@dataclass(eq=False, slots=True)
class Node:
    """A file of the image. Hard-linked paths share one Node (compare with ``is``)."""

    kind: str
    mode: int = 0o755  # permission bits with setuid, setgid and sticky (mode & 0o7777)
    uid: int = 0
    gid: int = 0
    size: int = 0  # content length of a regular file
    digest: str = ""  # sha256 hex of a regular file's content
    target: bytes = b""  # a symlink's target
    devmajor: int = 0
    devminor: int = 0
    capability: bytes | None = None  # the security.capability xattr of a regular file
    children: dict[bytes, Node] | None = None  # directories in a Tree only


@dataclass(frozen=True, slots=True)
class Change:
    """One step of a layer: add ``node`` at ``path``, hard-link ``path`` to ``target``,
    remove ``path`` (whiteout) or hide the lower layers' content of the directory ``path`` (opaque).

    Paths are relative to the root, without leading or trailing slash, as raw bytes;
    ``b""`` is the root directory.
    """

    op: str
    path: bytes
    node: Node | None = None
    target: bytes = b""


def join_path(parent: bytes, name: bytes) -> bytes:
    """``parent/name``, or ``name`` under the root (``parent`` empty)."""
    return parent + b"/" + name if parent else name


def _new_dir(mode: int = 0o755, uid: int = 0, gid: int = 0) -> Node:
    return Node(DIRECTORY, mode, uid, gid, children={})


@dataclass
class Tree:
    """The merged filesystem: directories hold their children by name."""

    root: Node = field(default_factory=_new_dir)

    @classmethod
    def merge(cls, layers: Iterable[Sequence[Change]]) -> Tree:
        """Apply ``layers`` in order, lowest first."""
        tree = cls()
        for changes in layers:
            tree.apply(changes)
        return tree

    def lookup(self, path: bytes) -> Node | None:
        """The node at ``path``, or None."""
        node = self.root
        if not path:
            return node
        for part in path.split(b"/"):
            if node.children is None:
                return None
            child = node.children.get(part)
            if child is None:
                return None
            node = child
        return node

    def walk(self) -> list[tuple[bytes, Node]]:
        """Every path (the root excluded) with its node, sorted by path bytes."""
        out: list[tuple[bytes, Node]] = []
        pending = [(b"", self.root)]
        while pending:
            prefix, node = pending.pop()
            assert node.children is not None
            for name, child in node.children.items():
                path = join_path(prefix, name)
                out.append((path, child))
                if child.children is not None:
                    pending.append((path, child))
        out.sort(key=lambda item: item[0])
        return out

    def apply(self, changes: Iterable[Change]) -> None:
        """Put one layer on top."""
        _Layer(self).apply(changes)


class _Layer:
    """Applies one layer's changes to a tree, tracking what this layer has put where."""

    def __init__(self, tree: Tree) -> None:
        self.tree = tree
        self.unpacked: set[bytes] = set()  # paths this layer has (entries and implied parents)
        self.dirs: dict[bytes, Node] = {b"": tree.root}  # directories resolved in this layer

    def _forget(self) -> None:  # after a removal, cached directories may be detached
        self.dirs = {b"": self.tree.root}

    def _dir(self, path: bytes) -> Node:
        cached = self.dirs.get(path)
        if cached is not None:
            return cached
        node = self.tree.root
        prefix = b""
        for part in path.split(b"/"):
            prefix = join_path(prefix, part)
            cached = self.dirs.get(prefix)
            if cached is not None:
                node = cached
                continue
            assert node.children is not None
            child = node.children.get(part)
            if child is None or child.children is None:
                child = node.children[part] = _new_dir()
                self.unpacked.add(prefix)
            elif prefix not in self.unpacked:
                child.mode, child.uid, child.gid, child.capability = 0o755, 0, 0, None
                self.unpacked.add(prefix)
            self.dirs[prefix] = child
            node = child
        return node

    def _put(self, path: bytes, node: Node) -> None:
        parent_path, _, name = path.rpartition(b"/")
        parent = self._dir(parent_path)
        assert parent.children is not None
        existing = parent.children.get(name)
        if node.kind == DIRECTORY:
            if existing is not None and existing.children is not None:
                existing.mode, existing.uid, existing.gid = node.mode, node.uid, node.gid
                existing.capability = node.capability
            else:
                parent.children[name] = _new_dir(node.mode, node.uid, node.gid)
        else:
            parent.children[name] = node
            if existing is not None and existing.children is not None:
                self._forget()
        self.unpacked.add(path)

    def apply(self, changes: Iterable[Change]) -> None:
        for change in changes:
            path = change.path
            if change.op == ADD:
                assert change.node is not None
                if path:
                    self._put(path, change.node)
            elif change.op == LINK:
                target = self.tree.lookup(change.target)
                if target is None or target.kind == DIRECTORY:
                    raise LayerError(f"hard link {path!r} to {change.target!r}, which is not a file of the layer")
                if path:
                    self._put(path, target)
            elif change.op == WHITEOUT:
                parent_path, _, name = path.rpartition(b"/")
                parent = self._dir(parent_path)
                assert parent.children is not None
                if parent.children.pop(name, None) is not None:
                    self._forget()
            elif change.op == OPAQUE:
                self._prune(self._dir(path) if path else self.tree.root, path)
                self._forget()
            else:
                raise ValueError(f"unknown change {change.op!r}")

    def _prune(self, directory: Node, path: bytes) -> None:
        pending = [(directory, path)]
        while pending:
            node, prefix = pending.pop()
            assert node.children is not None
            for name in list(node.children):
                child_path = join_path(prefix, name)
                if child_path not in self.unpacked:
                    del node.children[name]
                elif node.children[name].children is not None:
                    pending.append((node.children[name], child_path))
