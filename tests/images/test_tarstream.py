"""The forward-only tar reader against archives written by tarfile."""

from __future__ import annotations

import bz2
import hashlib
import io
import lzma
import tarfile

import pytest

from goshfile.images import tarstream
from goshfile.images.tarstream import TarFormatError, TarReader, decompressed
from tests.images.layertars import CAP_NET_RAW, dir_, hard, layer, reg, sym


def entries(data: bytes) -> list[tuple[bytes, int, bytes]]:
    tar = TarReader(decompressed(io.BytesIO(data)))
    return [(e.name, e.type, tar.data()) for e in tar]


def test_it_reads_names_types_and_data_like_tarfile() -> None:
    data = layer(dir_("d"), reg("d/f", b"x" * 1000), sym("d/l", "f"), hard("d/h", "d/f"), reg("e", b""))
    assert entries(data) == [
        (b"d/", tarstream.DIRECTORY, b""),  # names stay as written; layers.clean_path tidies them
        (b"d/f", ord("0"), b"x" * 1000),
        (b"d/l", tarstream.SYMLINK, b""),
        (b"d/h", tarstream.HARDLINK, b""),
        (b"e", ord("0"), b""),
    ]


def test_pax_xattrs_and_global_headers() -> None:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT, pax_headers={"comment": "global"}) as tar:
        info, payload = reg("f", b"data", cap=CAP_NET_RAW)
        tar.addfile(info, io.BytesIO(payload or b""))
    (entry,) = list(TarReader(io.BytesIO(buf.getvalue())))
    assert entry.name == b"f" and entry.xattrs == {b"security.capability": CAP_NET_RAW}


def test_non_utf8_names_stay_raw_bytes() -> None:
    data = layer(reg(b"caf\xe9", b"1"), reg("caf\u00e9", b"2"))
    assert [name for name, _, _ in entries(data)] == [b"caf\xe9", "caf\u00e9".encode()]


@pytest.mark.parametrize("compress", [bz2.compress, lzma.compress])
def test_bzip2_and_xz_layers(compress: object) -> None:
    data = layer(reg("f", b"z" * 50_000))
    assert callable(compress)
    assert entries(compress(data)) == entries(data)


def test_zstd_is_refused() -> None:
    with pytest.raises(TarFormatError, match="zstd"):
        decompressed(io.BytesIO(b"\x28\xb5\x2f\xfd" + bytes(100)))


def test_data_left_unread_is_skipped_also_through_source() -> None:
    data = layer(reg("a", b"A" * 3000), reg("b", b"B" * 10), reg("c", b"C"))
    tar = TarReader(io.BytesIO(data))
    first = next(tar)
    part = tar.source()
    buf = bytearray(100)
    assert part.readinto(memoryview(buf)) == 100 and first.name == b"a"
    second = next(tar)
    assert second.name == b"b"
    sha = hashlib.sha256()
    assert tar.feed(sha.update) == 10 and sha.digest() == hashlib.sha256(b"B" * 10).digest()
    assert next(tar).name == b"c"
    assert list(tar) == []


def test_a_stream_without_end_blocks_ends_cleanly_and_garbage_does_not() -> None:
    data = layer(reg("a", b"1"))
    assert len(entries(data[:1024])) == 1  # header and data block only
    with pytest.raises(TarFormatError, match="checksum"):
        entries(b"{" + bytes(511))
