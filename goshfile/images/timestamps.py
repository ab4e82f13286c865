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

The rewrite streams: the tar reader of :mod:`goshfile.images.tarstream` parses each
entry's headers (the one tar parser of the project), file data is passed through.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Final

from goshfile.images.tarstream import (
    BLOCK,
    PAX,
    PAX_GLOBAL,
    Reader,
    Source,
    TarFormatError,
    TarReader,
    number,
    pax_records,
)

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


class _Hashing:
    """A Source that hashes every byte read from ``source``."""

    def __init__(self, source: Source) -> None:
        self._source = source
        self.digest = hashlib.sha256()

    def readinto(self, buffer: memoryview, /) -> int:
        n = self._source.readinto(buffer) or 0
        self.digest.update(buffer[:n])
        return n


def _rewrite_headers(headers: list[tuple[bytes, bytes]], epoch: int) -> tuple[list[bytes], int]:
    """An entry's header blocks (and extension records) with every time set to ``epoch``."""
    out: list[bytes] = []
    changed = 0
    for block, payload in headers:
        header, n = _set_header(block, epoch)
        changed += n
        if block[156] in (PAX, PAX_GLOBAL):
            length = number(block[124:136])
            records, n = _set_pax(payload[:length], epoch)
            changed += n
            if n:
                grown = bytearray(header)
                grown[124:136] = _octal_field(len(records), 12)
                header = _with_checksum(grown)
                payload = records + bytes(-len(records) % BLOCK)
        out += (header, payload)
    return out, changed


def set_timestamps(source: Source, write: Write, epoch: int) -> Rewrite:
    """Copy the tar stream ``source`` to ``write`` with every time set to ``epoch``.

    The stream is read with the project's tar reader (:class:`TarReader`), so an entry's
    size is the one its pax ``size`` record gives (a file over 8 GiB, as Go writes it), and
    GNU long names and pax ``path``/``linkpath`` records are handled as everywhere else.
    """
    if not 0 <= epoch < _MAX_OCTAL:
        raise ValueError(f"SOURCE_DATE_EPOCH {epoch} is out of range")
    hashing = _Hashing(source)
    tar = TarReader(Reader(hashing), keep_headers=True)
    new = hashlib.sha256()
    size = changed = 0

    def out(chunk: bytes | memoryview) -> None:
        nonlocal size
        new.update(chunk)
        write(bytes(chunk))
        size += len(chunk)

    for entry in tar:
        blocks, n = _rewrite_headers(entry.headers, epoch)
        changed += n
        for block in blocks:
            if block:
                out(block)
        tar.feed(out, padded=True)
    if tar.end_block is not None:  # the end of the archive: it and whatever follows are copied as they are
        out(tar.end_block)
        rest = bytearray(1 << 16)
        while n := tar.reader.readinto(memoryview(rest)):
            out(memoryview(rest)[:n])
    return Rewrite("sha256:" + new.hexdigest(), "sha256:" + hashing.digest.hexdigest(), size, changed)
