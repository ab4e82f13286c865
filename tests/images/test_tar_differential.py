"""Differential property tests: the project's tar reader and the time rewrite against :mod:`tarfile`.

Archives are generated with the standard library (ustar, GNU and pax formats; long names and
link names, large ids, odd times) and read back by both. ``GOSHFILE_FUZZ_EXAMPLES`` sets the
number of cases per property (default 100); each case has a deadline, nothing measures time.
"""

from __future__ import annotations

import io
import os
import tarfile
from dataclasses import dataclass
from datetime import timedelta

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from goshfile.images.tarstream import LayerError, TarReader
from goshfile.images.timestamps import _pax_record, set_timestamps

EXAMPLES = int(os.environ.get("GOSHFILE_FUZZ_EXAMPLES", "100"))
FUZZ = settings(max_examples=EXAMPLES, deadline=timedelta(seconds=5), suppress_health_check=[HealthCheck.too_slow])
EPOCH = 1_600_000_000
FORMATS = {"ustar": tarfile.USTAR_FORMAT, "gnu": tarfile.GNU_FORMAT, "pax": tarfile.PAX_FORMAT}
KINDS = [tarfile.REGTYPE, tarfile.DIRTYPE, tarfile.SYMTYPE, tarfile.LNKTYPE, tarfile.FIFOTYPE, tarfile.CHRTYPE]
SEGMENT = st.text(alphabet=st.sampled_from("abcxyz019_-.~ \u00e9\u4e2d\U0001f600"), min_size=1, max_size=60).filter(
    lambda s: s not in (".", "..")
)
NAME = st.lists(SEGMENT, min_size=1, max_size=6).map("/".join)


@dataclass
class Member:
    kind: bytes
    name: str
    data: bytes
    linkname: str
    mode: int
    uid: int
    gid: int
    mtime: float


MEMBER = st.builds(
    Member,
    kind=st.sampled_from(KINDS),
    name=NAME,
    data=st.binary(max_size=1500),
    linkname=NAME,
    mode=st.integers(0, 0o7777),
    uid=st.one_of(st.integers(0, 0o7777777), st.integers(0, 2**32 - 1)),
    gid=st.integers(0, 2**21),
    mtime=st.one_of(st.integers(0, 2**33 - 1), st.floats(0, 2**33, allow_nan=False).map(lambda t: round(t, 3))),
)


def write(members: list[Member], fmt: int) -> bytes | None:
    """The archive tarfile writes for ``members`` (None when the format cannot hold them)."""
    buf = io.BytesIO()
    try:
        with tarfile.open(fileobj=buf, mode="w", format=fmt, encoding="utf-8") as tar:
            for m in members:
                info = tarfile.TarInfo(m.name)
                info.type, info.mode, info.uid, info.gid, info.mtime = m.kind, m.mode, m.uid, m.gid, m.mtime
                data = None
                if m.kind == tarfile.REGTYPE:
                    info.size, data = len(m.data), io.BytesIO(m.data)
                elif m.kind in (tarfile.SYMTYPE, tarfile.LNKTYPE):
                    info.linkname = m.linkname
                elif m.kind == tarfile.CHRTYPE:
                    info.devmajor, info.devminor = 1, 5
                tar.addfile(info, data)
    except ValueError:  # ustar: a name or id too long for the format
        return None
    return buf.getvalue()


def by_tarfile(data: bytes) -> list[tuple[bytes, int, int, bytes, int, int, int, bytes]]:
    out = []
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:", encoding="utf-8", errors="surrogateescape") as tar:
        for m in tar:
            content = tar.extractfile(m).read() if m.isreg() else b""  # type: ignore[union-attr]
            name = m.name.encode("utf-8", "surrogateescape")
            link = m.linkname.encode("utf-8", "surrogateescape")
            out.append((name, m.type[0], m.size if m.isreg() else 0, link, m.mode, m.uid, m.gid, content))
    return out


def by_reader(data: bytes) -> list[tuple[bytes, int, int, bytes, int, int, int, bytes]]:
    tar = TarReader(io.BytesIO(data))
    out = []
    for e in tar:
        content = tar.data()
        name = e.name.rstrip(b"/") if e.type == ord(tarfile.DIRTYPE) else e.name  # tarfile drops the slash
        size = e.size if e.is_regular() else 0
        out.append((name, e.type, size, e.linkname, e.mode, e.uid, e.gid, content))
    return out


@FUZZ
@given(st.lists(MEMBER, max_size=6), st.sampled_from(sorted(FORMATS)))
def test_the_reader_sees_what_tarfile_sees(members: list[Member], fmt: str) -> None:
    data = write(members, FORMATS[fmt])
    assume(data is not None)
    assert data is not None
    assert by_reader(data) == by_tarfile(data)


@FUZZ
@given(st.lists(MEMBER, max_size=6), st.sampled_from(sorted(FORMATS)))
def test_the_time_rewrite_changes_times_only(members: list[Member], fmt: str) -> None:
    data = write(members, FORMATS[fmt])
    assume(data is not None)
    assert data is not None
    out = io.BytesIO()
    result = set_timestamps(io.BytesIO(data), out.write, EPOCH)
    rewritten = out.getvalue()
    assert result.size == len(rewritten)
    assert by_tarfile(rewritten) == by_tarfile(data) == by_reader(rewritten)
    with tarfile.open(fileobj=io.BytesIO(rewritten), mode="r:") as tar:
        assert all(m.mtime == EPOCH for m in tar)
    again = io.BytesIO()
    assert set_timestamps(io.BytesIO(rewritten), again.write, EPOCH).changed == 0
    assert again.getvalue() == rewritten


@st.composite
def damaged(draw: st.DrawFn) -> bytes:
    members = draw(st.lists(MEMBER, min_size=1, max_size=4))
    data = write(members, tarfile.PAX_FORMAT)
    assert data is not None
    raw = bytearray(data)
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(raw) - 1))
        if draw(st.booleans()):
            raw[at] = draw(st.integers(0, 255))
        else:
            del raw[at : at + draw(st.integers(1, 600))]
            if not raw:
                break
    return bytes(raw)


@FUZZ
@given(damaged())
def test_a_damaged_archive_reads_or_fails_with_a_layer_error(data: bytes) -> None:
    """Any other exception fails the test; what the rewrite accepts reads back as the original."""
    try:
        read = by_reader(data)
    except LayerError:
        read = None
    out = io.BytesIO()
    try:
        set_timestamps(io.BytesIO(data), out.write, EPOCH)
    except LayerError:
        return
    assert read is not None  # the rewrite accepts only what the reader reads
    assert by_reader(out.getvalue()) == read


def _block(info: tarfile.TarInfo) -> bytes:
    return info.tobuf(tarfile.USTAR_FORMAT)


def go_style_pax_size(payload: bytes, name: str = "big.bin") -> bytes:
    """An entry as Go writes a file over 8 GiB: the size only in a pax record, 0 in the ustar field."""
    records = _pax_record(b"size", b"%d" % len(payload)) + _pax_record(b"mtime", b"1800000000.5")
    records += _pax_record(b"path", ("long/" * 40 + name).encode())
    pax = tarfile.TarInfo("PaxHeaders/" + name)
    pax.type, pax.size = tarfile.XHDTYPE, len(records)
    entry = tarfile.TarInfo(name)
    entry.size, entry.mtime = 0, 1_800_000_000
    after = tarfile.TarInfo("after")
    after.size, after.mtime = 3, 1_800_000_000
    return b"".join(
        [
            _block(pax),
            records + bytes(-len(records) % 512),
            _block(entry),
            payload + bytes(-len(payload) % 512),
            _block(after),
            b"abc" + bytes(509),
            bytes(1024),
        ]
    )


def test_a_pax_size_record_gives_the_size_in_the_reader_and_the_rewrite() -> None:
    payload = bytes(range(256)) * 20
    data = go_style_pax_size(payload)
    expected = [("long/" * 40 + "big.bin").encode(), b"after"]
    assert [e[0] for e in by_tarfile(data)] == [e[0] for e in by_reader(data)] == expected
    assert by_reader(data)[0][7] == payload
    out = io.BytesIO()
    result = set_timestamps(io.BytesIO(data), out.write, EPOCH)
    assert result.changed == 4  # the pax mtime record and three ustar mtime fields
    assert by_tarfile(out.getvalue()) == by_tarfile(data)
    with tarfile.open(fileobj=io.BytesIO(out.getvalue()), mode="r:") as tar:
        assert [m.mtime for m in tar] == [EPOCH, EPOCH]


def test_gnu_long_names_and_links_survive_the_rewrite() -> None:
    members = [
        Member(tarfile.REGTYPE, "n" * 300, b"data", "", 0o644, 1, 2, 1_800_000_000),
        Member(tarfile.SYMTYPE, "s" * 150, b"", "t" * 200, 0o777, 0, 0, 1_800_000_000),
    ]
    data = write(members, tarfile.GNU_FORMAT)
    assert data is not None
    out = io.BytesIO()
    set_timestamps(io.BytesIO(data), out.write, EPOCH)
    assert by_tarfile(out.getvalue()) == by_tarfile(data) == by_reader(data)
    assert [e[0] for e in by_reader(out.getvalue())] == [b"n" * 300, b"s" * 150]
