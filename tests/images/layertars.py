"""Synthetic image layers for tests: layer tars built with tarfile in memory, and `docker load` archives."""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
from collections.abc import Sequence

from goshfile.images.layers import read_layer
from goshfile.images.tree import Tree

Item = tuple[tarfile.TarInfo, bytes | None]

# security.capability granting cap_net_raw, effective (VFS_CAP_REVISION_2, 20 bytes)
CAP_NET_RAW = b"\x01\x00\x00\x02" + (1 << 13).to_bytes(4, "little") + bytes(12)


def _name(path: str | bytes) -> str:
    return os.fsdecode(path) if isinstance(path, bytes) else path


def _info(path: str | bytes, kind: bytes, mode: int, uid: int = 0, gid: int = 0) -> tarfile.TarInfo:
    info = tarfile.TarInfo(_name(path))
    info.type = kind
    info.mode = mode
    info.uid, info.gid = uid, gid
    info.mtime = 1_700_000_000
    return info


def reg(
    path: str | bytes, data: bytes = b"", mode: int = 0o644, uid: int = 0, gid: int = 0, cap: bytes | None = None
) -> Item:
    """A regular file."""
    info = _info(path, tarfile.REGTYPE, mode, uid, gid)
    info.size = len(data)
    if cap is not None:
        info.pax_headers = {"SCHILY.xattr.security.capability": cap.decode("utf-8", "surrogateescape")}
    return info, data


def dir_(path: str | bytes, mode: int = 0o755, uid: int = 0, gid: int = 0) -> Item:
    """A directory."""
    return _info(path, tarfile.DIRTYPE, mode, uid, gid), None


def sym(path: str | bytes, target: str | bytes, uid: int = 0, gid: int = 0) -> Item:
    """A symlink."""
    info = _info(path, tarfile.SYMTYPE, 0o777, uid, gid)
    info.linkname = _name(target)
    return info, None


def hard(path: str | bytes, target: str | bytes) -> Item:
    """A hard link to ``target`` (an earlier entry)."""
    info = _info(path, tarfile.LNKTYPE, 0o644)
    info.linkname = _name(target)
    return info, None


def chardev(path: str, major: int, minor: int, mode: int = 0o666) -> Item:
    """A character device."""
    info = _info(path, tarfile.CHRTYPE, mode)
    info.devmajor, info.devminor = major, minor
    return info, None


def fifo(path: str, mode: int = 0o644) -> Item:
    """A named pipe."""
    return _info(path, tarfile.FIFOTYPE, mode), None


def whiteout(path: str) -> Item:
    """``.wh.NAME``: removes NAME of the lower layers."""
    parent, _, name = path.rpartition("/")
    return reg(f"{parent}/.wh.{name}" if parent else f".wh.{name}")


def opaque(path: str) -> Item:
    """``DIR/.wh..wh..opq``: hides the lower layers' content of DIR."""
    return reg(f"{path}/.wh..wh..opq" if path else ".wh..wh..opq")


def layer(*items: Item, fmt: int = tarfile.PAX_FORMAT) -> bytes:
    """A layer tar of ``items`` in this order."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt, encoding="utf-8", errors="surrogateescape") as tar:
        for info, data in items:
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return buf.getvalue()


def sha256(data: bytes) -> str:
    """Hex sha256."""
    return hashlib.sha256(data).hexdigest()


def docker_archive(
    layers: Sequence[bytes], tag: str | None = None, *, manifest_first: bool = True, reverse_blobs: bool = False
) -> bytes:
    """A `docker load` archive (Docker's format: manifest.json, config, <id>/layer.tar)."""
    diff_ids = [f"sha256:{sha256(data)}" for data in layers]
    config = json.dumps(
        {
            "architecture": "amd64",
            "os": "linux",
            "config": {"Cmd": ["/bin/sh"]},
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
        },
        sort_keys=True,
    ).encode()
    config_name = f"{sha256(config)}.json"
    names = [f"{sha256(data)}/layer.tar" for data in layers]
    manifest = json.dumps([{"Config": config_name, "RepoTags": [tag] if tag else None, "Layers": names}]).encode()
    blobs: list[tuple[str, bytes]] = [(config_name, config)]
    seen: set[str] = set()
    for name, data in zip(names, layers, strict=True):
        if name not in seen:
            seen.add(name)
            blobs.append((name, data))
    if reverse_blobs:
        blobs.reverse()
    members = [("manifest.json", manifest), *blobs] if manifest_first else [*blobs, ("manifest.json", manifest)]
    return archive(members)


def archive(members: Sequence[tuple[str, bytes]]) -> bytes:
    """A tar of regular files ``(name, content)``, in this order."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def tree(*layers: bytes) -> Tree:
    """The merged filesystem of layer tars."""
    return Tree.merge(read_layer(io.BytesIO(data)) for data in layers)


BASE = layer(  # a small base image: files, a setuid tool, a symlink, a directory with an owner
    dir_("bin"),
    reg("bin/sh", b"shell", 0o755),
    dir_("etc"),
    reg("etc/passwd", b"root:x:0:0::/root:/bin/sh\n"),
    dir_("usr"),
    dir_("usr/share"),
    dir_("usr/share/doc"),
    reg("usr/share/doc/a.txt", b"a"),
    reg("usr/share/doc/b.txt", b"b"),
    dir_("opt", 0o750, 10, 20),
    reg("opt/tool", b"tool", 0o4755),
    sym("bin/bash", "sh"),
)
