"""Rebuild verification: comparing an image with its rebuild path by path, and tidying up after."""

from __future__ import annotations

import pytest

from goshfile.errors import VerificationError
from goshfile.images.content_hash import GOSHFILE_V2, content_hash
from goshfile.verify.rebuild import SHOWN, differences, same_image, untag, verify_rebuild
from tests.images.fake_engine import FakeImages
from tests.images.layertars import dir_, layer, reg, sym, tree

ORIGINAL = layer(dir_("app"), reg("app/out.txt", b"version one\n"), sym("app/link", "out.txt"))


def test_an_identical_rebuild_is_reproduced_with_its_content_hash() -> None:
    trees = {"img": tree(ORIGINAL), "rebuilt:1": tree(ORIGINAL)}
    result = verify_rebuild("img", lambda: "rebuilt:1", trees.__getitem__)
    assert result.rebuilt == "rebuilt:1" and result.content_hash == content_hash(trees["img"], GOSHFILE_V2)
    assert not result.same_image_id  # only verify_image_rebuild compares image IDs


@pytest.mark.parametrize(
    ("changed", "expected"),
    [
        (layer(dir_("app"), reg("app/out.txt", b"altered\n"), sym("app/link", "out.txt")), "/app/out.txt: f 0644"),
        (layer(dir_("app"), reg("app/out.txt", b"version one\n", mode=0o600), sym("app/link", "out.txt")), "0600"),
        (layer(dir_("app"), reg("app/out.txt", b"version one\n"), sym("app/link", "elsewhere")), "/app/link: "),
        (layer(dir_("app"), reg("app/out.txt", b"version one\n")), "/app/link: only in the image"),
    ],
)
def test_a_different_rebuild_names_the_path(changed: bytes, expected: str) -> None:
    trees = {"img": tree(ORIGINAL), "rebuilt": tree(changed)}
    with pytest.raises(VerificationError, match="differing paths: ") as caught:
        verify_rebuild("img", lambda: "rebuilt", trees.__getitem__)
    assert expected in str(caught.value)


def test_many_differences_are_cut_short() -> None:
    many = layer(*(reg(f"f{i:02d}", b"x") for i in range(SHOWN + 5)))
    assert len(differences(tree(many), tree())) == SHOWN + 5
    trees = {"img": tree(many), "rebuilt": tree()}
    with pytest.raises(VerificationError, match=r"\(and 5 more\)"):
        verify_rebuild("img", lambda: "rebuilt", trees.__getitem__)


def test_the_rebuild_tag_goes_unless_it_is_the_checked_images_only_name() -> None:
    images = FakeImages()
    same = images.add([ORIGINAL], tag="goshfile-rebuild/a:check")
    untag(images, "goshfile-rebuild/a:check", keep=same)  # the checked image itself, known by no other name
    assert images.get("goshfile-rebuild/a:check") is not None
    images.tag(same, "app:1")
    untag(images, "goshfile-rebuild/a:check", keep=same)
    assert images.get("goshfile-rebuild/a:check") is None and images.get("app:1") is not None
    other = images.add([layer(reg("other"))], tag="goshfile-rebuild/b:check")
    untag(images, "goshfile-rebuild/b:check", keep=same)
    assert images.get(other) is None


CONFIG = "sha256:" + "c" * 64
MANIFEST = "sha256:" + "m" * 64
OTHER = "sha256:" + "0" * 64


@pytest.mark.parametrize(
    ("rebuilt_id", "image_id", "digests", "same"),
    [
        (CONFIG, CONFIG, (), True),  # classic store: the IDs are config digests
        (MANIFEST, MANIFEST, (), True),  # containerd store, the image local: the IDs are manifest digests
        (MANIFEST, CONFIG, (OTHER, MANIFEST), True),  # containerd store, the image only in a registry
        (OTHER, CONFIG, (MANIFEST,), False),
        (None, CONFIG, (CONFIG,), False),  # no rebuild found
        ("", "", (), False),
        (CONFIG, None, (), False),
    ],
)
def test_the_rebuild_is_the_same_image_when_its_id_names_the_same_bytes(
    rebuilt_id: str | None, image_id: str | None, digests: tuple[str, ...], same: bool
) -> None:
    assert same_image(rebuilt_id, image_id, digests) is same
