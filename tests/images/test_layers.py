"""Reading layers (tars, docker save archives, overlay2 layer folders) into changes (no engine)."""

from __future__ import annotations

import gzip
import io
import os
import random
import stat
import tarfile
from pathlib import Path

import pytest

from goshfile.images.content_hash import (
    gosh_v1,
    goshfile_v2,
    goshfile_v2_records,
)
from goshfile.images.layers import clean_path, read_layer_dir, read_saved_image
from goshfile.images.tarstream import LayerError
from goshfile.images.tree import DIRECTORY, REGULAR, SYMLINK, Tree
from tests.images.layertars import (
    BASE,
    CAP_NET_RAW,
    chardev,
    dir_,
    docker_archive,
    fifo,
    hard,
    layer,
    reg,
    sha256,
    sym,
    tree,
    whiteout,
)

UPPER = layer(dir_("etc"), reg("etc/passwd", b"changed"), whiteout("bin/bash"))


def test_a_single_layer_reads_every_kind_of_entry() -> None:
    t = tree(
        layer(
            dir_("d", 0o1777, 1, 2),
            reg("d/f", b"hello", 0o6755, 3, 4, cap=CAP_NET_RAW),
            sym("d/l", "/target/x"),
            hard("d/h", "d/f"),
            chardev("d/null", 1, 3),
            fifo("d/pipe"),
        )
    )
    nodes = dict(t.walk())
    assert nodes[b"d"].kind == DIRECTORY and nodes[b"d"].mode == 0o1777 and (nodes[b"d"].uid, nodes[b"d"].gid) == (1, 2)
    f = nodes[b"d/f"]
    assert (f.kind, f.mode, f.uid, f.gid, f.size) == (REGULAR, 0o6755, 3, 4, 5)
    assert f.digest == sha256(b"hello") and f.capability == CAP_NET_RAW
    assert nodes[b"d/h"] is f
    assert nodes[b"d/l"].kind == SYMLINK and nodes[b"d/l"].target == b"/target/x"
    assert (nodes[b"d/null"].kind, nodes[b"d/null"].devmajor, nodes[b"d/null"].devminor) == ("c", 1, 3)
    assert nodes[b"d/pipe"].kind == "p"


def test_a_relative_path_above_the_root_is_an_error() -> None:
    with pytest.raises(LayerError, match="outside"):
        clean_path(b"a/../../etc/passwd")


def test_gzip_layers_read_like_plain_ones() -> None:
    plain = layer(reg("x", b"1" * 100_000), sym("y", "x"))
    packed = gzip.compress(plain)
    assert goshfile_v2(tree(packed)) == goshfile_v2(tree(plain))


def test_gnu_and_ustar_formats_long_names_and_large_ids_read_the_same() -> None:
    long = "d/" + "n" * 150 + "/" + "f" * 120
    items = (dir_("d"), dir_("d/" + "n" * 150), reg(long, b"x", uid=3_000_000, gid=70_000_000), sym("s", "t" * 200))
    pax = tree(layer(*items, fmt=tarfile.PAX_FORMAT))
    gnu = tree(layer(*items, fmt=tarfile.GNU_FORMAT))
    assert goshfile_v2(pax) == goshfile_v2(gnu)
    node = dict(pax.walk())[long.encode()]
    assert (node.uid, node.gid) == (3_000_000, 70_000_000)


def test_a_corrupt_header_is_an_error() -> None:
    data = bytearray(layer(reg("a", b"x")))
    data[0] ^= 0xFF  # the first header's name: its checksum no longer holds
    with pytest.raises(LayerError):
        tree(bytes(data))


def test_a_truncated_layer_is_an_error() -> None:
    data = layer(reg("a", b"x" * 5000))
    with pytest.raises(LayerError, match="ends"):
        tree(data[:3000])


def test_entry_order_within_a_layer_does_not_matter() -> None:
    items = [reg(f"f{i}", str(i).encode()) for i in range(30)] + [sym("s", "f1"), dir_("d", 0o700)]
    shuffled = items[:]
    random.Random(7).shuffle(shuffled)
    a, b = tree(layer(*items)), tree(layer(*shuffled))
    assert goshfile_v2(a) == goshfile_v2(b)
    assert gosh_v1(a) == gosh_v1(b)


@pytest.mark.parametrize(("manifest_first", "reverse_blobs"), [(True, False), (False, True), (False, False)])
def test_a_saved_image_merges_its_layers_in_manifest_order_whatever_the_blob_order(
    manifest_first: bool, reverse_blobs: bool
) -> None:
    archive = docker_archive([BASE, UPPER], manifest_first=manifest_first, reverse_blobs=reverse_blobs)
    merged = Tree.merge(read_saved_image(io.BytesIO(archive)))
    assert goshfile_v2(merged) == goshfile_v2(tree(BASE, UPPER))
    assert goshfile_v2(merged) != goshfile_v2(tree(UPPER, BASE))


def test_a_saved_image_may_repeat_a_layer() -> None:
    extra = layer(reg("x", b"1"))
    merged = Tree.merge(read_saved_image(io.BytesIO(docker_archive([extra, BASE, extra]))))
    assert goshfile_v2(merged) == goshfile_v2(tree(extra, BASE, extra))


def test_a_legacy_archive_may_link_a_repeated_layer() -> None:
    extra = layer(reg("x", b"1"))
    manifest = b'[{"Config":"c.json","Layers":["one/layer.tar","base/layer.tar","two/layer.tar"]}]'
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data in [("one/layer.tar", extra), ("base/layer.tar", BASE), ("manifest.json", manifest)]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo("two/layer.tar")
        link.type, link.linkname = tarfile.SYMTYPE, "../one/layer.tar"
        tar.addfile(link)
    merged = Tree.merge(read_saved_image(io.BytesIO(buf.getvalue())))
    assert goshfile_v2(merged) == goshfile_v2(tree(extra, BASE, extra))


def test_an_oci_layout_without_manifest_json_is_read_through_its_index() -> None:
    blobs = {sha256(BASE): BASE, sha256(UPPER): UPPER}
    manifest = b'{"schemaVersion":2,"layers":[{"digest":"sha256:%s"},{"digest":"sha256:%s"}]}' % (
        sha256(BASE).encode(),
        sha256(UPPER).encode(),
    )
    index = b'{"schemaVersion":2,"manifests":[{"digest":"sha256:%s"}]}' % sha256(manifest).encode()
    blobs[sha256(manifest)] = manifest
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data in [*((f"blobs/sha256/{k}", v) for k, v in sorted(blobs.items())), ("index.json", index)]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    merged = Tree.merge(read_saved_image(io.BytesIO(buf.getvalue())))
    assert goshfile_v2(merged) == goshfile_v2(tree(BASE, UPPER))


def test_a_saved_image_without_a_manifest_is_an_error() -> None:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo("blobs/sha256/" + sha256(BASE))
        info.size = len(BASE)
        tar.addfile(info, io.BytesIO(BASE))
    with pytest.raises(LayerError, match=r"manifest\.json"):
        read_saved_image(io.BytesIO(buf.getvalue()))


def test_a_layer_directory_reads_like_the_tar_of_it(tmp_path: Path) -> None:
    root = tmp_path / "diff"
    (root / "d" / "e").mkdir(parents=True)
    (root / "d" / "f").write_bytes(b"content")
    (root / "d" / "f").chmod(0o4755)
    os.link(root / "d" / "f", root / "d" / "g")
    (root / "d" / "l").symlink_to("f")
    (root / "d" / "e").chmod(0o700)
    os.mkfifo(root / "p")
    (root / "big").write_bytes(os.urandom(200_000))
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for path in sorted(root.rglob("*")):
            tar.add(path, arcname=str(path.relative_to(root)), recursive=False)
    from_dir = Tree.merge([read_layer_dir(os.fsencode(root))])
    from_tar = tree(buf.getvalue())
    assert goshfile_v2_records(from_dir) == goshfile_v2_records(from_tar)
    nodes = dict(from_dir.walk())
    assert nodes[b"d/f"] is nodes[b"d/g"] and stat.S_IMODE(nodes[b"d/f"].mode) == 0o4755
