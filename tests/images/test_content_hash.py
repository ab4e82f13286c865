"""The gosh-v1 and goshfile-v2 image hashes of merged layers, on synthetic layer tars (no engine)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import tarfile
from pathlib import Path

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
from goshfile.images.tree import REGULAR, Tree
from tests.images.layertars import (
    BASE,
    CAP_NET_RAW,
    chardev,
    dir_,
    fifo,
    hard,
    layer,
    reg,
    sha256,
    sym,
    tree,
)

INIT = {b".dockerenv", b"etc/hostname", b"etc/hosts", b"etc/resolv.conf"}  # what docker create adds (v1 sees them)


def v1_paths(t: Tree) -> list[bytes]:
    return [line.split(b" *./", 1)[1] for line in gosh_v1_listing(t).splitlines()]


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
