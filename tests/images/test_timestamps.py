"""Setting a layer's timestamps to SOURCE_DATE_EPOCH."""

from __future__ import annotations

import hashlib
import io
import tarfile

import pytest

from goshfile.images.tarstream import TarFormatError, pax_records
from goshfile.images.timestamps import Rewrite, _pax_record, set_timestamps
from tests.images.layertars import CAP_NET_RAW, dir_, hard, layer, reg, sym

EPOCH = 1_600_000_000
LATER = 1_800_000_000


def rewrite(data: bytes, epoch: int = EPOCH) -> tuple[bytes, Rewrite]:
    out = io.BytesIO()
    result = set_timestamps(io.BytesIO(data), out.write, epoch)
    return out.getvalue(), result


def members(data: bytes) -> list[tarfile.TarInfo]:
    with tarfile.open(fileobj=io.BytesIO(data), encoding="utf-8", errors="surrogateescape") as tar:
        return tar.getmembers()


def at(item: tuple[tarfile.TarInfo, bytes | None], mtime: float) -> tuple[tarfile.TarInfo, bytes | None]:
    item[0].mtime = mtime
    return item


def mixed_layer(fmt: int = tarfile.PAX_FORMAT) -> bytes:
    return layer(
        at(dir_("app", mode=0o750, uid=5, gid=6), LATER),
        at(reg("app/new", b"new data", mode=0o4755), LATER),
        at(reg("app/old", b"old data"), EPOCH - 100),
        at(sym("app/link", "new"), LATER),
        at(hard("app/same", "app/new"), LATER),
        at(reg("app/cap", b"x", cap=CAP_NET_RAW), LATER),
        at(reg("d/" + "long-name-" * 20, b"long"), LATER),
        fmt=fmt,
    )


@pytest.mark.parametrize("fmt", [tarfile.PAX_FORMAT, tarfile.GNU_FORMAT, tarfile.USTAR_FORMAT])
def test_every_time_becomes_the_epoch_and_nothing_else_changes(fmt: int) -> None:
    if fmt == tarfile.USTAR_FORMAT:  # ustar has no long names nor xattrs
        data = layer(at(reg("a", b"1"), LATER), at(reg("b", b"2"), EPOCH - 1), at(dir_("c"), LATER), fmt=fmt)
    else:
        data = mixed_layer(fmt)
    out, result = rewrite(data)
    before, after = members(data), members(out)
    assert [m.name for m in after] == [m.name for m in before]
    for a, b in zip(before, after, strict=True):
        assert b.mtime == EPOCH, a.name
        assert (b.type, b.mode, b.uid, b.gid, b.size, b.linkname) == (a.type, a.mode, a.uid, a.gid, a.size, a.linkname)
        assert {k: v for k, v in b.pax_headers.items() if k != "mtime"} == {
            k: v for k, v in a.pax_headers.items() if k != "mtime"
        }
    with tarfile.open(fileobj=io.BytesIO(out)) as tar:
        assert tar.extractfile("app/new" if fmt != tarfile.USTAR_FORMAT else "a").read() in (b"new data", b"1")  # type: ignore[union-attr]
    assert result.changed >= sum(1 for m in before if m.mtime != EPOCH)  # and extension headers' own
    assert result.diff_id == "sha256:" + hashlib.sha256(out).hexdigest()
    assert result.original_diff_id == "sha256:" + hashlib.sha256(data).hexdigest()
    assert result.size == len(out) == len(data)  # the end-of-archive padding is kept


def test_rewriting_twice_changes_nothing_more() -> None:
    once, first = rewrite(mixed_layer())
    twice, second = rewrite(once)
    assert twice == once and second.changed == 0 and second.diff_id == first.diff_id
    assert second.original_diff_id == first.diff_id


def test_a_layer_already_at_the_epoch_comes_out_identical() -> None:
    data = layer(at(reg("a", b"1"), EPOCH), at(dir_("b"), EPOCH))
    out, result = rewrite(data)
    assert out == data and result.changed == 0 and result.diff_id == result.original_diff_id


def test_the_same_content_at_different_build_times_gives_the_same_layer() -> None:
    first, _ = rewrite(layer(at(reg("msg", b"hi"), LATER), at(dir_("etc"), LATER + 7)))
    second, _ = rewrite(layer(at(reg("msg", b"hi"), LATER + 3600), at(dir_("etc"), LATER + 99)))
    cached, _ = rewrite(layer(at(reg("msg", b"hi"), EPOCH - 3600), at(dir_("etc"), EPOCH - 1)))
    assert first == second == cached  # a layer a cache made before the epoch too


def test_pax_time_records_are_set_and_the_header_resized() -> None:
    info, payload = reg("f", b"data")
    info.pax_headers = {"mtime": f"{LATER}.123456789", "atime": f"{LATER}.5", "ctime": f"{EPOCH - 1}.25"}
    data = layer((info, payload))
    out, result = rewrite(data)
    [member] = members(out)
    assert member.pax_headers["mtime"] == str(EPOCH) and member.pax_headers["atime"] == str(EPOCH)
    assert member.pax_headers["ctime"] == str(EPOCH)
    assert result.changed == 5  # three pax records, the file's header and the pax header's own mtime field
    assert rewrite(out)[0] == out


def test_a_global_pax_header_is_set_too() -> None:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT, pax_headers={"mtime": str(LATER)}) as tar:
        info, payload = at(reg("f", b"x"), EPOCH)
        tar.addfile(info, io.BytesIO(payload or b""))
    out, result = rewrite(buf.getvalue())
    assert result.changed == 2  # the record and the global header's own mtime field
    assert b"mtime=%d\n" % EPOCH in out and str(LATER).encode() not in out


@pytest.mark.parametrize("size", [0, 1, 5, 6, 7, 8, 90, 91, 92, 93, 94, 95, 96, 990, 991, 992, 993, 994])
def test_pax_record_lengths_count_themselves(size: int) -> None:
    record = _pax_record(b"k", b"v" * size)
    assert int(record.split(b" ", 1)[0]) == len(record)
    assert pax_records(record) == [(b"k", b"v" * size)]


def test_bytes_after_the_end_of_archive_are_copied() -> None:
    data = layer(at(reg("a", b"1"), LATER)) + b"\x00" * 512 + b"trailing"
    out, _ = rewrite(data)
    assert out.endswith(b"trailing") and len(out) == len(data)


def test_corrupt_and_truncated_tars_are_refused() -> None:
    data = bytearray(layer(at(reg("a", b"1"), LATER)))
    data[0] ^= 1
    with pytest.raises(TarFormatError, match="checksum"):
        rewrite(bytes(data))
    with pytest.raises(TarFormatError, match="ends in the middle"):
        rewrite(layer(at(reg("a", b"1"), LATER))[:300])
    with pytest.raises(TarFormatError, match="middle of an entry"):
        rewrite(layer(at(reg("a", b"1" * 2000), LATER))[:1024])


def test_an_epoch_out_of_range_is_refused() -> None:
    with pytest.raises(ValueError, match="out of range"):
        rewrite(b"", -1)
