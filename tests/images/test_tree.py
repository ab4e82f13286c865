"""Merging layers into an image's filesystem, on synthetic layer tars (no engine)."""

from __future__ import annotations

import pytest

from goshfile.images.layers import clean_path
from goshfile.images.tarstream import LayerError
from goshfile.images.tree import DIRECTORY, REGULAR
from tests.images.layertars import (
    BASE,
    dir_,
    hard,
    layer,
    opaque,
    reg,
    sha256,
    tree,
    whiteout,
)


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
