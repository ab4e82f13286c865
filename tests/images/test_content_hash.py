"""Layer merging and the gosh-v1 / goshfile-v2 image hashes, on synthetic layer tars (no engine)."""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import random
import stat
import subprocess
import tarfile
from pathlib import Path

import pytest

from goshfile.images.content_hash import (
    EMPTY_SHA256,
    GOSH_V1,
    GOSHFILE_V2,
    content_hash,
    gosh_v1,
    gosh_v1_listing,
    goshfile_v2,
    goshfile_v2_records,
    sha256sum_line,
    v1_excluded,
)
from goshfile.images.layers import (
    DIRECTORY,
    REGULAR,
    SYMLINK,
    LayerError,
    Tree,
    clean_path,
    read_layer,
    read_layer_dir,
    read_saved_image,
)
from tests.images.layertars import (
    CAP_NET_RAW,
    chardev,
    dir_,
    docker_archive,
    fifo,
    hard,
    layer,
    opaque,
    reg,
    sha256,
    sym,
    whiteout,
)

INIT = {b".dockerenv", b"etc/hostname", b"etc/hosts", b"etc/resolv.conf"}  # what docker create adds (v1 sees them)

BASE = layer(
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


def tree(*layers: bytes) -> Tree:
    return Tree.merge(read_layer(io.BytesIO(data)) for data in layers)


def regular_files(t: Tree) -> dict[bytes, bytes]:
    """path -> content digest of every regular file."""
    return {p: n.digest.encode() for p, n in t.walk() if n.kind == REGULAR}


def v1_paths(t: Tree) -> list[bytes]:
    return [line.split(b" *./", 1)[1] for line in gosh_v1_listing(t).splitlines()]


# -- reading and merging ---------------------------------------------------------------------


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


def test_whiteouts_remove_files_and_whole_directories() -> None:
    upper = layer(dir_("usr"), dir_("usr/share"), whiteout("usr/share/doc"), dir_("etc"), whiteout("etc/passwd"))
    t = tree(BASE, upper)
    paths = {p for p, _ in t.walk()}
    assert b"usr/share" in paths
    assert not {b"usr/share/doc", b"usr/share/doc/a.txt", b"etc/passwd"} & paths
    assert b".wh.doc" not in b" ".join(paths)


def test_opaque_directory_hides_lower_content_but_keeps_its_own_layer() -> None:
    upper = layer(
        dir_("usr/share/doc"),
        reg("usr/share/doc/before.txt", b"1"),
        opaque("usr/share/doc"),
        reg("usr/share/doc/after.txt", b"2"),
    )
    t = tree(BASE, upper)
    assert sorted(p for p, _ in t.walk() if p.startswith(b"usr/share/doc/")) == [
        b"usr/share/doc/after.txt",
        b"usr/share/doc/before.txt",
    ]


def test_opaque_directory_hides_lower_grandchildren_under_a_directory_of_the_same_layer() -> None:
    lower = layer(dir_("a"), dir_("a/b"), reg("a/b/old", b"x"), reg("a/keep-not", b"y"))
    upper = layer(dir_("a"), opaque("a"), dir_("a/b"), reg("a/b/new", b"z"))
    assert sorted(p for p, _ in tree(lower, upper).walk()) == [b"a", b"a/b", b"a/b/new"]


def test_a_file_replaces_a_directory_with_its_subtree_and_a_directory_replaces_a_file() -> None:
    t = tree(BASE, layer(dir_("usr"), dir_("usr/share"), reg("usr/share/doc", b"now a file"), dir_("etc/passwd")))
    nodes = dict(t.walk())
    assert nodes[b"usr/share/doc"].kind == REGULAR
    assert not [p for p in nodes if p.startswith(b"usr/share/doc/")]
    assert nodes[b"etc/passwd"].kind == DIRECTORY


def test_a_directory_over_a_directory_merges_and_takes_the_upper_metadata() -> None:
    t = tree(BASE, layer(dir_("opt", 0o700, 5, 6), reg("opt/new", b"n")))
    nodes = dict(t.walk())
    assert (nodes[b"opt"].mode, nodes[b"opt"].uid, nodes[b"opt"].gid) == (0o700, 5, 6)
    assert {b"opt/tool", b"opt/new"} <= set(nodes)


def test_a_parent_missing_from_a_layer_is_created_0755_root_and_covers_the_lower_directory() -> None:
    t = tree(BASE, layer(reg("opt/sub/file", b"x")))
    nodes = dict(t.walk())
    assert (nodes[b"opt"].mode, nodes[b"opt"].uid, nodes[b"opt"].gid) == (0o755, 0, 0)
    assert (nodes[b"opt/sub"].mode, nodes[b"opt/sub"].uid) == (0o755, 0)
    assert b"opt/tool" in nodes


def test_hard_links_share_the_file_until_a_later_layer_replaces_one_path() -> None:
    lower = layer(reg("a", b"one", 0o600), hard("b", "a"))
    t1 = tree(lower)
    assert dict(t1.walk())[b"a"] is dict(t1.walk())[b"b"]
    t2 = tree(lower, layer(reg("a", b"two")))
    nodes = dict(t2.walk())
    assert nodes[b"a"] is not nodes[b"b"]
    assert nodes[b"b"].digest == sha256(b"one") and nodes[b"b"].mode == 0o600


def test_a_hard_link_to_nothing_is_an_error() -> None:
    with pytest.raises(LayerError, match="hard link"):
        tree(layer(hard("b", "missing")))


@pytest.mark.parametrize(
    ("name", "clean"),
    [("./a/b/", b"a/b"), ("/a//b", b"a/b"), ("a/./c/../b", b"a/b"), ("/../a", b"a"), (".", b""), ("./", b"")],
)
def test_paths_are_cleaned(name: str, clean: bytes) -> None:
    assert clean_path(name.encode()) == clean


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


# -- docker save archives ----------------------------------------------------------------------


UPPER = layer(dir_("etc"), reg("etc/passwd", b"changed"), whiteout("bin/bash"))


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


# -- gosh-v1 -----------------------------------------------------------------------------------


def test_v1_lists_regular_files_and_the_files_docker_create_adds() -> None:
    t = tree(BASE)
    listing = gosh_v1_listing(t)
    expected = sorted(
        [sha256sum_line(n.digest, p) for p, n in t.walk() if n.kind == REGULAR]
        + [sha256sum_line(EMPTY_SHA256, p) for p in INIT]
    )
    assert listing == b"".join(line + b"\n" for line in expected)
    assert gosh_v1(t) == "sha256:" + hashlib.sha256(listing).hexdigest()
    assert content_hash(t, GOSH_V1) == gosh_v1(t)


def test_v1_excludes_dev_proc_and_etc_mtab_components_anywhere_like_gnu_tar() -> None:
    for path in [b"dev/x", b"proc", b"a/dev/b", b"usr/lib/proc/x", b"etc/mtab", b"x/etc/mtab/y"]:
        assert v1_excluded(path), path
    for path in [b"devx", b"usr/devices", b"a/proc2", b"etc/mtab2", b"etcx/mtab", b"mtab"]:
        assert not v1_excluded(path), path


def test_v1_sees_the_empty_init_files_instead_of_the_images_own() -> None:
    t = tree(
        layer(
            dir_("etc"),
            reg("etc/hosts", b"1.2.3.4 h"),
            reg("etc/resolv.conf", b"nameserver 1"),
            reg("sys", b"a file where docker puts a directory"),
            dir_("usr"),
            reg("usr/keep", b"k"),
        )
    )
    assert sorted(v1_paths(t)) == sorted([b"usr/keep", *INIT])
    assert sha256sum_line(EMPTY_SHA256, b"etc/hosts") + b"\n" in gosh_v1_listing(t)


def test_v1_keeps_an_image_directory_where_docker_create_would_put_a_file() -> None:
    # docker create unlinks what is there and creates its file only when no directory is left
    t = tree(layer(dir_(".dockerenv"), reg(".dockerenv/inside", b"x"), reg("etc", b"a file where etc should be")))
    assert sorted(v1_paths(t)) == sorted([b".dockerenv/inside", *(INIT - {b".dockerenv"})])


def test_v1_escapes_names_as_sha256sum_does() -> None:
    assert sha256sum_line("ab", b"plain name") == b"ab *./plain name"
    assert sha256sum_line("ab", b"a\\b\nc\rd") == b"\\ab *./a\\\\b\\nc\\rd"


def test_v1_sorts_bytewise_without_the_newline() -> None:
    t = tree(layer(reg("a", b"same"), reg("a\x01", b"same"), reg("B", b"same")))
    names = v1_paths(t)
    regular = [n for n in names if n not in INIT]
    assert regular == [b"B", b"a", b"a\x01"]


def test_v1_drops_hard_links_whose_first_path_tar_excludes() -> None:
    # docker export writes a/dev/x (first in walk order) and b/x as a link to it; tar skips a/dev/x and
    # then cannot create the link.
    t = tree(layer(dir_("a"), dir_("a/dev"), reg("a/dev/x", b"x"), dir_("b"), hard("b/x", "a/dev/x")))
    assert b"b/x" not in v1_paths(t)
    t2 = tree(layer(dir_("a"), reg("a/x", b"x"), dir_("b"), dir_("b/dev"), hard("b/dev/x", "a/x")))
    assert b"a/x" in v1_paths(t2)


def test_v1_ignores_modes_owners_symlinks_and_directories_and_v2_does_not() -> None:
    variants = {
        "setuid": layer(dir_("opt", 0o750, 10, 20), reg("opt/tool", b"tool", 0o755)),
        "owner": layer(dir_("opt", 0o750, 10, 20), reg("opt/tool", b"tool", 0o4755, uid=1)),
        "symlink target": layer(dir_("bin"), sym("bin/bash", "/bin/sh")),
        "directory mode": layer(dir_("usr", 0o700)),
        "new directory": layer(dir_("newdir")),
        "capability": layer(dir_("opt", 0o750, 10, 20), reg("opt/tool", b"tool", 0o4755, cap=CAP_NET_RAW)),
        "hard link instead of copy": layer(dir_("usr/share/doc"), hard("usr/share/doc/c.txt", "usr/share/doc/a.txt")),
        "fifo": layer(fifo("pipe")),
    }
    copy_variant = layer(dir_("usr/share/doc"), reg("usr/share/doc/c.txt", b"a"))
    base = tree(BASE)
    for what, upper in variants.items():
        changed = tree(BASE, upper)
        if what == "hard link instead of copy":
            assert gosh_v1(changed) == gosh_v1(tree(BASE, copy_variant)), what
            assert goshfile_v2(changed) != goshfile_v2(tree(BASE, copy_variant)), what
            continue
        assert gosh_v1(changed) == gosh_v1(base), what
        assert goshfile_v2(changed) != goshfile_v2(base), what


def test_a_content_change_changes_both() -> None:
    changed = tree(BASE, layer(dir_("usr/share/doc"), reg("usr/share/doc/a.txt", b"A")))
    assert gosh_v1(changed) != gosh_v1(tree(BASE))
    assert goshfile_v2(changed) != goshfile_v2(tree(BASE))


def test_v1_equals_the_shell_pipeline_on_an_unpacked_layer(tmp_path: Path) -> None:
    """The sha256sum | sort | sha256sum pipeline over the layer as GNU tar unpacks it (names that need escaping too)."""
    data = layer(
        dir_("etc"),
        reg("etc/hosts", b"own hosts"),
        reg("etc/mtab", b"m"),
        dir_("usr"),
        dir_("usr/dev"),
        reg("usr/dev/hidden", b"h"),
        reg("usr/devx", b"v"),
        reg("a\\b", b"backslash"),
        reg("new\nline", b"newline"),
        reg("carriage\rreturn", b"cr"),
        reg("sp ace", b"space"),
        reg(b"latin1-\xe9", b"not utf-8"),
        reg("same1", b"dup"),
        reg("same2", b"dup"),
        reg("dup", b"same"),
        reg("dup\x01", b"same"),
        reg("big", os.urandom(300_000)),
        reg("Upper", b"U"),
        sym("link", "big"),
        hard("hard", "big"),
    )
    root = tmp_path / "root"
    root.mkdir()
    subprocess.run(
        ["tar", "--exclude=etc/mtab", "--exclude=proc", "--exclude=dev", "-xf", "-"],
        input=data,
        cwd=root,
        check=True,
    )
    for name in INIT:  # as docker create's init layer does
        target = root / os.fsdecode(name)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(b"")
    shell = subprocess.run(
        "find . -type f -exec sha256sum -b {} + | LC_ALL=C sort | sha256sum",
        shell=True,
        cwd=root,
        capture_output=True,
        check=True,
        env={**os.environ, "LC_ALL": "C"},
    )
    assert gosh_v1(tree(data)) == "sha256:" + shell.stdout.split()[0].decode()


# -- goshfile-v2 -------------------------------------------------------------------------------


def test_v2_records_are_byte_exact() -> None:
    t = tree(
        layer(
            dir_("d", 0o2775, 1, 2),
            reg("d/f", b"hi", 0o4755, 0, 0, cap=CAP_NET_RAW),
            hard("d/g", "d/f"),
            sym("d/l", "f"),
            chardev("d/c", 1, 3),
            fifo("d/p", 0o600),
        )
    )
    hi, f, cap = sha256(b"hi").encode(), sha256(b"f").encode(), sha256(CAP_NET_RAW).encode()
    expected = b"".join(
        [
            b"goshfile-v2\x00",
            b"d 2775 1 2 0 - - - d\x00",
            b"c 0666 0 0 0 1,3 - - d/c\x00",
            b"f 4755 0 0 2 - %s %s d/f\x00" % (cap, hi),
            b"h 4755 0 0 2 - %s %s d/g\x00" % (cap, sha256(b"d/f").encode()),
            b"l 0777 0 0 1 - - %s d/l\x00" % f,
            b"p 0600 0 0 0 - - - d/p\x00",
        ]
    )
    assert goshfile_v2_records(t) == expected
    assert goshfile_v2(t) == "sha256:" + hashlib.sha256(expected).hexdigest()
    assert content_hash(t, GOSHFILE_V2) == goshfile_v2(t)


def test_v2_orders_records_by_path_bytes() -> None:
    t = tree(layer(dir_("a"), reg("a/b", b"1"), reg("a-c", b"2"), reg("a0", b"3")))
    paths = [record.rsplit(b" ", 1)[1] for record in goshfile_v2_records(t).split(b"\x00")[1:-1]]
    assert paths == [b"a", b"a-c", b"a/b", b"a0"]


def test_v2_symlinks_are_always_mode_0777() -> None:
    odd = layer(sym("l", "x"))
    odd_info = tarfile.TarInfo("l")
    odd_info.type, odd_info.linkname, odd_info.mode = tarfile.SYMTYPE, "x", 0o644
    assert goshfile_v2(tree(odd)) == goshfile_v2(tree(layer((odd_info, None))))


def test_v2_does_not_depend_on_mtime_or_user_names() -> None:
    a = layer(reg("f", b"x"))
    info = tarfile.TarInfo("f")
    info.size, info.mtime, info.uname, info.gname, info.mode = 1, 12345, "someone", "group", 0o644
    assert goshfile_v2(tree(a)) == goshfile_v2(tree(layer((info, b"x"))))


# -- layer directories of the overlay2 driver ---------------------------------------------------


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


def test_the_example_in_the_docs() -> None:
    t = tree(
        layer(
            dir_("bin"),
            reg("bin/tool", b"hello\n", 0o4755),
            hard("bin/tool2", "bin/tool"),
            sym("bin/sh", "busybox"),
            dir_("tmp", 0o1777),
            chardev("null", 1, 3),
            reg("etc/motd", b"hi\n", 0o644, 1000, 1000, cap=CAP_NET_RAW),
        )
    )
    v2, v1 = goshfile_v2(t), gosh_v1(t)
    assert v2 == "sha256:441c8b139c0e4ccf40244757cf9b3b65cbe67b1c946f8624278317464c88bb3c"
    assert v1 == "sha256:a9e636c3cce524541b6470be618579e6f8f74fa2e137d22f1cf94adba388bea1"
    doc = (Path(__file__).resolve().parents[2] / "docs" / "image-hash.md").read_text()
    assert f"`{v2}`" in doc and f"`{v1}`" in doc
    shown = goshfile_v2_records(t).replace(b"\x00", b"\\0\n").decode()
    assert shown in doc
