"""Set every timestamp in a layer tar to ``SOURCE_DATE_EPOCH``.

BuildKit's ``rewrite-timestamp`` only clamps (times after the epoch become the
epoch). That is not enough for a build that reuses cached steps: a layer the
cache made before the commit was written keeps its earlier times, and the
image differs from a clean build of the same commit. So every time is set to
the epoch: the result depends on the layer's content and the epoch alone.

Only time fields change (the ustar ``mtime`` field, non-zero GNU
``atime``/``ctime`` fields and the ``mtime``, ``atime`` and ``ctime`` records
of pax headers), and the header checksums with them; everything else (names,
modes, owners, xattrs, file data, the end-of-archive blocks) is copied byte for
byte, in order. Rewriting twice changes nothing, and a layer whose times are
all the epoch already comes out identical.

The rewrite streams: one 512-byte header at a time, file data passed through.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Final

from goshfile.images.tarstream import (
    BLOCK,
    HEADER_ONLY,
    PAX,
    PAX_GLOBAL,
    Reader,
    Source,
    TarFormatError,
    checksum_ok,
    number,
    pax_records,
)

_ZERO: Final = bytes(BLOCK)
_MTIME: Final = slice(136, 148)
_GNU_MAGIC: Final = b"ustar  \x00"
_GNU_TIMES: Final = (slice(345, 357), slice(357, 369))  # atime, ctime in GNU (not POSIX) headers
_PAX_TIMES: Final = frozenset((b"mtime", b"atime", b"ctime"))
_MAX_OCTAL: Final = 8**11  # an 11-digit octal field; larger times need base-256

Write = Callable[[bytes], object]


@dataclass(frozen=True)
class Rewrite:
    """A rewritten layer: its sha256 (the layer's new diff ID), length, and how many time fields changed."""

    diff_id: str
    original_diff_id: str
    size: int
    changed: int


def _octal_field(value: int, width: int) -> bytes:
    if 0 <= value < 1 << 3 * (width - 1):
        return oct(value)[2:].zfill(width - 1).encode() + b"\x00"
    raw = (value % (1 << 8 * (width - 1))).to_bytes(width - 1, "big")
    return (b"\xff" if value < 0 else b"\x80") + raw


def _with_checksum(block: bytearray) -> bytes:
    block[148:156] = b" " * 8
    checksum: bytes = b"%06o\x00 " % sum(block)
    block[148:156] = checksum
    return bytes(block)


def _pax_record(key: bytes, value: bytes) -> bytes:
    body = b" " + key + b"=" + value + b"\n"
    length = len(body) + 1
    while len(str(length)) + len(body) != length:
        length = len(str(length)) + len(body)
    return str(length).encode() + body


def _set_pax(data: bytes, epoch: int) -> tuple[bytes, int]:
    changed = 0
    out: list[bytes] = []
    for key, value in pax_records(data):
        if key in _PAX_TIMES and value:
            try:
                other = Decimal(value.decode("ascii")) != epoch
            except (InvalidOperation, UnicodeDecodeError):
                raise TarFormatError(f"bad pax {key.decode()} value {value!r}") from None
            if other:
                value = b"%d" % epoch
                changed += 1
        out.append(_pax_record(key, value))
    return (b"".join(out), changed) if changed else (data, 0)


def _set_header(block: bytes, epoch: int) -> tuple[bytes, int]:
    fields = [_MTIME, *(_GNU_TIMES if block[257:265] == _GNU_MAGIC else ())]
    other = [f for f in fields if number(block[f]) != epoch and (f == _MTIME or number(block[f]) != 0)]
    if not other:
        return block, 0
    out = bytearray(block)
    for f in other:
        out[f] = _octal_field(epoch, f.stop - f.start)
    return _with_checksum(out), len(other)


def set_timestamps(source: Source, write: Write, epoch: int) -> Rewrite:
    """Copy the tar stream ``source`` to ``write`` with every time set to ``epoch``."""
    if not 0 <= epoch < _MAX_OCTAL:
        raise ValueError(f"SOURCE_DATE_EPOCH {epoch} is out of range")
    reader = Reader(source)
    new, old = hashlib.sha256(), hashlib.sha256()
    size = changed = 0

    def out(chunk: bytes | memoryview) -> None:
        nonlocal size
        new.update(chunk)
        write(bytes(chunk))
        size += len(chunk)

    def passed(chunk: memoryview) -> None:
        old.update(chunk)
        out(chunk)

    while not reader.at_end():
        block = reader.take(BLOCK)
        old.update(block)
        if block == _ZERO:  # the end of the archive: it and whatever follows are copied as they are
            out(block)
            rest = bytearray(1 << 16)
            while n := reader.readinto(memoryview(rest)):
                passed(memoryview(rest)[:n])
            break
        if not checksum_ok(block):
            raise TarFormatError("tar header checksum mismatch (not a tar stream, or corrupt)")
        kind = block[156]
        length = number(block[124:136])
        header, n = _set_header(block, epoch)
        changed += n
        if kind in (PAX, PAX_GLOBAL):
            data = reader.take(length + -length % BLOCK)
            old.update(data)
            records, n = _set_pax(data[:length], epoch)
            changed += n
            if n:
                grown = bytearray(header)
                grown[124:136] = _octal_field(len(records), 12)
                header = _with_checksum(grown)
                data = records + bytes(-len(records) % BLOCK)
            out(header)
            out(data)
            continue
        out(header)
        if kind not in HEADER_ONLY:
            reader.feed(length + -length % BLOCK, passed)
    return Rewrite("sha256:" + new.hexdigest(), "sha256:" + old.hexdigest(), size, changed)
