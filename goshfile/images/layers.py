"""Reading an image's layers as lists of changes (:class:`goshfile.images.tree.Change`).

A layer is read once, as a stream, into a list of changes that keep only
metadata and a sha256 of each regular file's content; file data is never kept
or written anywhere. Merging (:class:`goshfile.images.tree.Tree`) needs nothing
more, so layers can be read in whatever order they arrive (``docker save``
writes its blobs sorted by digest and its manifest last) and merged afterwards
in the manifest's order.

Regular files keep their content digest, symlinks their target, devices their
numbers; ``security.capability`` (file capabilities) is kept for regular
files. Modification times, user and group names and other extended attributes
are not kept.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from collections.abc import Callable
from io import BytesIO
from typing import Any, Final

from goshfile.images import tarstream
from goshfile.images.tarstream import LayerError, Prefixed, Source, TarReader
from goshfile.images.tree import (
    ADD,
    BLOCK_DEVICE,
    CHAR_DEVICE,
    DIRECTORY,
    FIFO,
    LINK,
    OPAQUE,
    REGULAR,
    SYMLINK,
    WHITEOUT,
    Change,
    Node,
    join_path,
)

WHITEOUT_PREFIX: Final = b".wh."
OPAQUE_MARKER: Final = b".wh..wh..opq"
CAPABILITY: Final = b"security.capability"
_OPAQUE_XATTRS: Final = ("trusted.overlay.opaque", "user.overlay.opaque")
_SMALL_BLOB: Final = 16 << 20  # JSON files of an image archive are kept in memory up to this size


def clean_path(name: bytes) -> bytes:
    """``name`` relative to the root: no ``.``, empty or trailing components; ``..`` resolved.

    A relative name whose ``..`` climbs above the root is an error (the engine refuses it too);
    an absolute one stops at the root.
    """
    absolute = name.startswith(b"/")
    parts: list[bytes] = []
    for part in name.split(b"/"):
        if part in (b"", b"."):
            continue
        if part == b"..":
            if parts:
                parts.pop()
            elif not absolute:
                raise LayerError(f"layer entry {name!r} points outside the image's root")
            continue
        parts.append(part)
    return b"/".join(parts)


def read_layer(source: Source) -> list[Change]:
    """Read one layer tar (plain, gzip, bzip2 or xz) into its changes, hashing each regular file."""
    tar = TarReader(tarstream.decompressed(source))
    changes: list[Change] = []
    for entry in tar:
        path = clean_path(entry.name)
        if not path:
            continue
        parent, _, base = path.rpartition(b"/")
        if base.startswith(WHITEOUT_PREFIX):
            if base == OPAQUE_MARKER:
                changes.append(Change(OPAQUE, parent))
            elif len(base) > len(WHITEOUT_PREFIX):
                changes.append(Change(WHITEOUT, join_path(parent, base[len(WHITEOUT_PREFIX) :])))
            continue
        kind = entry.type
        node: Node
        if entry.is_regular():
            sha = hashlib.sha256()
            size = tar.feed(sha.update)
            node = Node(REGULAR, entry.mode, entry.uid, entry.gid, size, sha.hexdigest())
            node.capability = entry.xattrs.get(CAPABILITY)
        elif kind == tarstream.HARDLINK:
            changes.append(Change(LINK, path, target=clean_path(entry.linkname)))
            continue
        elif kind == tarstream.DIRECTORY:
            node = Node(DIRECTORY, entry.mode, entry.uid, entry.gid)
        elif kind == tarstream.SYMLINK:
            node = Node(SYMLINK, 0o777, entry.uid, entry.gid, len(entry.linkname), target=entry.linkname)
        elif kind in (tarstream.CHAR, tarstream.BLOCKDEV):
            letter = CHAR_DEVICE if kind == tarstream.CHAR else BLOCK_DEVICE
            node = Node(letter, entry.mode, entry.uid, entry.gid, devmajor=entry.devmajor, devminor=entry.devminor)
        else:  # FIFO; TarReader refuses every other type
            node = Node(FIFO, entry.mode, entry.uid, entry.gid)
        changes.append(Change(ADD, path, node))
    return changes


def read_saved_image(source: Source) -> list[list[Change]]:
    """Read a ``docker save`` archive (Docker's format with ``manifest.json``, or an OCI layout)
    holding one image; return its layers' changes, lowest layer first.

    Every layer blob is read into changes as it streams past; its place in the image
    comes from the manifest at the end. Nothing is spooled to disk.
    """
    outer = TarReader(source)
    parsed: dict[bytes, list[Change]] = {}
    small: dict[bytes, bytes] = {}
    aliases: dict[bytes, bytes] = {}
    for entry in outer:
        name = clean_path(entry.name)
        if entry.type == tarstream.SYMLINK:  # the legacy format links repeated layers
            aliases[name] = clean_path(join_path(name.rpartition(b"/")[0], entry.linkname))
            continue
        if entry.type == tarstream.HARDLINK:
            aliases[name] = clean_path(entry.linkname)
            continue
        if not entry.is_regular():
            continue
        blob = outer.source()
        head = _read_head(blob, tarstream.BLOCK)
        if _looks_like_layer(head):
            parsed[name] = read_layer(Prefixed(head, blob))
            blob.drain()
        elif entry.size <= _SMALL_BLOB:
            rest = bytearray(blob.remaining)
            view = memoryview(rest)
            got = 0
            while got < len(rest):
                got += blob.readinto(view[got:])
            small[name] = head + bytes(rest)
        else:
            blob.drain()
    outer.reader.drain()
    layers = []
    for name in _layer_names(small):
        for _ in range(8):
            name = aliases.get(name, name)
        if name in parsed:
            layers.append(parsed[name])
        elif name in small:
            layers.append(read_layer(BytesIO(small[name])))
        else:
            raise LayerError(f"the image archive has no layer {name.decode(errors='replace')!r}")
    return layers


def _read_head(source: Source, n: int) -> bytes:
    buf = bytearray(n)
    view = memoryview(buf)
    got = 0
    while got < n:
        k = source.readinto(view[got:]) or 0
        if k == 0:
            break
        got += k
    return bytes(buf[:got])


def _looks_like_layer(head: bytes) -> bool:
    if head.startswith((b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00", b"\x28\xb5\x2f\xfd")):
        return True
    return tarstream.is_tar_header(head)


def _load_json(small: dict[bytes, bytes], name: bytes) -> Any:
    try:
        return json.loads(small[name])
    except KeyError:
        raise LayerError(f"the image archive has no {name.decode(errors='replace')}") from None
    except ValueError as exc:
        raise LayerError(f"{name.decode(errors='replace')} in the image archive is not JSON: {exc}") from None


def _layer_names(small: dict[bytes, bytes]) -> list[bytes]:
    if b"manifest.json" in small:
        manifest = _load_json(small, b"manifest.json")
        if not isinstance(manifest, list) or len(manifest) != 1 or not isinstance(manifest[0], dict):
            raise LayerError("manifest.json of the image archive does not describe exactly one image")
        names = manifest[0].get("Layers")
        if not isinstance(names, list):
            raise LayerError("manifest.json of the image archive has no layer list")
        return [clean_path(str(n).encode()) for n in names]
    if b"index.json" in small:  # an OCI layout without Docker's manifest.json
        document = _load_json(small, b"index.json")
        for _ in range(4):  # follow nested indexes to the first image manifest
            listed = document.get("manifests") if isinstance(document, dict) else None
            if not listed:
                break
            document = _load_json(small, _blob_path(listed[0].get("digest")))
        layers = document.get("layers") if isinstance(document, dict) else None
        if not isinstance(layers, list):
            raise LayerError("the image archive's OCI index leads to no image manifest")
        return [_blob_path(layer.get("digest")) for layer in layers]
    raise LayerError("the image archive has neither manifest.json nor index.json")


def _blob_path(digest: object) -> bytes:
    algorithm, sep, hexdigest = str(digest).partition(":")
    if not sep:
        raise LayerError(f"bad digest {digest!r} in the image archive")
    return f"blobs/{algorithm}/{hexdigest}".encode()


# -- layers in a local overlay2 storage directory ---------------------------------------------

FileHasher = Callable[[bytes, Node], None]


def sha256_file(path: bytes, size: int) -> str:
    """sha256 hex of the file at ``path``, which must be ``size`` bytes long."""
    sha = hashlib.sha256()
    buf = bytearray(min(max(size, 1), 1 << 20))
    view = memoryview(buf)
    total = 0
    with open(path, "rb", buffering=0) as f:
        while True:
            n = f.readinto(buf)
            if not n:
                break
            sha.update(view[:n])
            total += n
    if total != size:
        raise LayerError(f"{os.fsdecode(path)} changed while it was read")
    return sha.hexdigest()


def hash_now(path: bytes, node: Node) -> None:
    """A :data:`FileHasher` that hashes at once."""
    node.digest = sha256_file(path, node.size)


def _xattr(path: bytes, name: str) -> bytes | None:
    try:
        return os.getxattr(path, name, follow_symlinks=False)
    except OSError:
        return None


def read_layer_dir(root: bytes, hasher: FileHasher = hash_now) -> list[Change]:
    """The changes of a layer unpacked by Docker's overlay2 driver (its ``diff`` directory).

    Whiteouts are character devices 0/0 there, opaque directories carry the
    ``trusted.overlay.opaque`` xattr, hard links share an inode. ``hasher`` is given each
    regular file and must set the node's digest (now or before the caller uses it).
    """
    changes: list[Change] = []
    if any(_xattr(root, name) == b"y" for name in _OPAQUE_XATTRS):
        changes.append(Change(OPAQUE, b""))
    inodes: dict[tuple[int, int], bytes] = {}
    pending = [b""]
    while pending:
        rel = pending.pop()
        with os.scandir(join_path(root, rel) if rel else root) as it:
            entries = sorted(it, key=lambda e: e.name)
        for entry in entries:
            path = join_path(rel, entry.name)
            full = entry.path
            st = entry.stat(follow_symlinks=False)
            fmt = stat.S_IFMT(st.st_mode)
            mode = stat.S_IMODE(st.st_mode)
            if fmt == stat.S_IFREG:
                if st.st_nlink > 1:
                    first = inodes.setdefault((st.st_dev, st.st_ino), path)
                    if first != path:
                        changes.append(Change(LINK, path, target=first))
                        continue
                node = Node(REGULAR, mode, st.st_uid, st.st_gid, st.st_size)
                node.capability = _xattr(full, "security.capability")
                hasher(full, node)
            elif fmt == stat.S_IFDIR:
                changes.append(Change(ADD, path, Node(DIRECTORY, mode, st.st_uid, st.st_gid)))
                if any(_xattr(full, name) == b"y" for name in _OPAQUE_XATTRS):
                    changes.append(Change(OPAQUE, path))
                pending.append(path)
                continue
            elif fmt == stat.S_IFLNK:
                target = os.readlink(full)
                node = Node(SYMLINK, 0o777, st.st_uid, st.st_gid, len(target), target=target)
            elif fmt == stat.S_IFCHR and st.st_rdev == 0:
                changes.append(Change(WHITEOUT, path))
                continue
            elif fmt in (stat.S_IFCHR, stat.S_IFBLK):
                letter = CHAR_DEVICE if fmt == stat.S_IFCHR else BLOCK_DEVICE
                node = Node(letter, mode, st.st_uid, st.st_gid, devmajor=os.major(st.st_rdev))
                node.devminor = os.minor(st.st_rdev)
            elif fmt == stat.S_IFIFO:
                node = Node(FIFO, mode, st.st_uid, st.st_gid)
            else:  # sockets: no tar can carry them, so no layer has them
                continue
            changes.append(Change(ADD, path, node))
    return changes
