"""Content hashes of an image's filesystem, independent of timestamps, compression and registry.

Two algorithms over the merged layers (:class:`goshfile.images.tree.Tree`);
docs/image-hash.md defines both byte for byte.

- ``gosh-v1``: the hash of GOSH's Docker extension. It equals::

      cid=$(docker create IMAGE /bin/sh); mkdir d; cd d
      docker export "$cid" | tar --exclude=etc/mtab --exclude=proc --exclude=dev -xf -
      find . -type f -exec sha256sum -b {} + | LC_ALL=C sort | sha256sum

  so it sees the empty files ``docker create`` adds (``.dockerenv``,
  ``etc/hostname``, ``etc/hosts``, ``etc/resolv.conf``) in place of the image's
  own (unless the image has a directory there), drops every path with a component ``dev`` or ``proc`` or the components
  ``etc/mtab`` anywhere (GNU tar's ``--exclude`` is not anchored), and ignores
  modes, owners, symlinks, directories and everything but regular files.
- ``goshfile-v2`` (the default): every entry of the merged layers with its type,
  mode (setuid, setgid and sticky bits included), owner, size, content digest,
  symlink target, hard-link group, device numbers and file capabilities.
"""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass
from typing import Final

from goshfile.errors import EngineError, GoshfileError, InputError
from goshfile.images.layer_store import DockerLayers, ImageLayers, ImageNotFoundError, Progress
from goshfile.images.registry import RegistryClient
from goshfile.images.registry_layers import read_registry
from goshfile.images.tree import BLOCK_DEVICE, CHAR_DEVICE, DIRECTORY, REGULAR, SYMLINK, Node, Tree

GOSH_V1: Final = "gosh-v1"
GOSHFILE_V2: Final = "goshfile-v2"
ALGORITHMS: Final = (GOSHFILE_V2, GOSH_V1)
DEFAULT_ALGORITHM: Final = GOSHFILE_V2

EMPTY_SHA256: Final = hashlib.sha256(b"").hexdigest()
V2_HEADER: Final = b"goshfile-v2\x00"

# What `docker create` adds (Docker 26, daemon/initlayer): in a layer above the image it unlinks each of
# these paths and each of their parents when it is not a directory, then creates the path unless a
# directory is left there (the image's directory stays, with its content).
INIT_FILES: Final = (b".dockerenv", b"dev/console", b"etc/hostname", b"etc/hosts", b"etc/resolv.conf")  # empty
INIT_SYMLINKS: Final = {b"etc/mtab": b"/proc/mounts"}
INIT_DIRS: Final = (b"dev/pts", b"dev/shm", b"proc", b"sys")
INIT_PARENTS: Final = (b"dev", b"etc")
_INIT_ALL: Final = frozenset((*INIT_FILES, *INIT_SYMLINKS, *INIT_DIRS, *INIT_PARENTS))


def v1_excluded(path: bytes) -> bool:
    """True for paths that ``tar --exclude=etc/mtab --exclude=proc --exclude=dev`` skips."""
    parts = path.split(b"/")
    if b"dev" in parts or b"proc" in parts:
        return True
    return any(a == b"etc" and b == b"mtab" for a, b in itertools.pairwise(parts))


def sha256sum_line(hexdigest: str, path: bytes) -> bytes:
    """The line ``sha256sum -b ./PATH`` prints (GNU coreutils 9), without its newline."""
    name = b"./" + path
    if b"\\" in name or b"\n" in name or b"\r" in name:
        name = name.replace(b"\\", b"\\\\").replace(b"\n", b"\\n").replace(b"\r", b"\\r")
        return b"\\" + hexdigest.encode() + b" *" + name
    return hexdigest.encode() + b" *" + name


def gosh_v1_listing(tree: Tree) -> bytes:
    """The sorted ``sha256sum -b`` listing that gosh-v1 hashes (each line ends with a newline)."""
    # a regular file of the image at one of the init paths is unlinked (replaced); none can be under one
    visible = [(p, n) for p, n in tree.walk() if n.kind == REGULAR and p not in _INIT_ALL]
    groups: dict[int, list[bytes]] = {}
    for path, node in visible:
        groups.setdefault(id(node), []).append(path)
    unlinkable: set[bytes] = set()
    for paths in groups.values():
        # `docker export` writes a hard-linked file once, at its first path in walk order, and
        # the other paths as links to it; when tar skips that first path it cannot make the links.
        if len(paths) > 1 and v1_excluded(min(paths, key=lambda p: p.split(b"/"))):
            unlinkable.update(paths)
    lines = [sha256sum_line(n.digest, p) for p, n in visible if not v1_excluded(p) and p not in unlinkable]
    for path in INIT_FILES:
        existing = tree.lookup(path)
        if not v1_excluded(path) and (existing is None or existing.kind != DIRECTORY):
            lines.append(sha256sum_line(EMPTY_SHA256, path))
    lines.sort()
    return b"".join(line + b"\n" for line in lines)


def gosh_v1(tree: Tree) -> str:
    """``sha256:<hex>`` of :func:`gosh_v1_listing`."""
    return "sha256:" + hashlib.sha256(gosh_v1_listing(tree)).hexdigest()


def _v2_fields(node: Node) -> tuple[bytes, bytes, bytes]:
    """(DEV, CAP, DIGEST) of a node's own record."""
    dev = b"%d,%d" % (node.devmajor, node.devminor) if node.kind in (CHAR_DEVICE, BLOCK_DEVICE) else b"-"
    cap = hashlib.sha256(node.capability).hexdigest().encode() if node.capability is not None else b"-"
    if node.kind == REGULAR:
        digest = node.digest.encode()
    elif node.kind == SYMLINK:
        digest = hashlib.sha256(node.target).hexdigest().encode()
    else:
        digest = b"-"
    return dev, cap, digest


def goshfile_v2_records(tree: Tree) -> bytes:
    """The byte string goshfile-v2 hashes: a header, then one record per path in path order."""
    out = [V2_HEADER]
    first: dict[int, bytes] = {}
    for path, node in tree.walk():
        kind = node.kind.encode()
        mode = 0o777 if node.kind == SYMLINK else node.mode
        size = 0 if node.kind in (DIRECTORY, CHAR_DEVICE, BLOCK_DEVICE) else node.size
        dev, cap, digest = _v2_fields(node)
        if node.kind != DIRECTORY:
            primary = first.setdefault(id(node), path)
            if primary != path:  # a later path of a hard-linked file
                kind = b"h"
                digest = hashlib.sha256(primary).hexdigest().encode()
        out.append(b"%s %04o %d %d %d %s %s %s %s\x00" % (kind, mode, node.uid, node.gid, size, dev, cap, digest, path))
    return b"".join(out)


def goshfile_v2(tree: Tree) -> str:
    """``sha256:<hex>`` of :func:`goshfile_v2_records`."""
    return "sha256:" + hashlib.sha256(goshfile_v2_records(tree)).hexdigest()


def content_hash(tree: Tree, algorithm: str = DEFAULT_ALGORITHM) -> str:
    """The hash of ``tree`` with ``algorithm`` (one of :data:`ALGORITHMS`)."""
    if algorithm == GOSH_V1:
        return gosh_v1(tree)
    if algorithm == GOSHFILE_V2:
        return goshfile_v2(tree)
    raise InputError(f"unknown image hash algorithm {algorithm!r}; use one of {', '.join(ALGORITHMS)}")


@dataclass(frozen=True)
class ImageHash:
    """The content hash of an image."""

    image: str
    image_id: str
    algorithm: str
    digest: str
    source: str  # where the layers were read: "storage", "save" or "registry"
    files: int  # regular files (paths) in the merged layers
    bytes: int  # their content, hard links counted once


def image_layers(
    image: str,
    source: str = "auto",
    progress: Progress | None = None,
    engine: DockerLayers | None = None,
    registry: RegistryClient | None = None,
) -> ImageLayers:
    """The layers of ``image`` from the engine; with ``auto``, from its registry when the engine lacks it."""
    if source == "registry":
        return read_registry(image, registry, progress)
    try:
        return (engine or DockerLayers()).read(image, source, progress)
    except ImageNotFoundError as missing:
        if source != "auto":
            raise
        try:
            return read_registry(image, registry, progress)
        except InputError as exc:
            raise InputError(f"{missing}; nor from its registry: {exc}") from None
        except GoshfileError as exc:
            raise EngineError(f"{missing}; nor from its registry: {exc}") from None


def image_hash(
    image: str,
    algorithm: str = DEFAULT_ALGORITHM,
    *,
    source: str = "auto",
    progress: Progress | None = None,
    engine: DockerLayers | None = None,
    registry: RegistryClient | None = None,
) -> ImageHash:
    """Hash the image ``image`` (a name, ``name@digest`` or image ID) with ``algorithm``.

    The layers come from the local engine, or from the image's registry when the
    engine does not have it (or with ``source="registry"``).
    """
    if algorithm not in ALGORITHMS:
        raise InputError(f"unknown image hash algorithm {algorithm!r}; use one of {', '.join(ALGORITHMS)}")
    read = image_layers(image, source, progress, engine, registry)
    tree = Tree.merge(read.layers)
    files = 0
    seen: dict[int, int] = {}
    for _path, node in tree.walk():
        if node.kind == REGULAR:
            files += 1
            seen[id(node)] = node.size
    return ImageHash(
        image=image,
        image_id=read.image_id,
        algorithm=algorithm,
        digest=content_hash(tree, algorithm),
        source=read.source,
        files=files,
        bytes=sum(seen.values()),
    )
