"""Making a local image reproducible, against an in-memory engine."""

from __future__ import annotations

import io
import json
import tarfile
import tempfile
from pathlib import Path

import pytest

from goshfile.errors import EngineError
from goshfile.images.reproducible import base_layer_count, rewrite_timestamps
from goshfile.images.tarstream import LayerError
from tests.images.fake_engine import FakeImages, digest
from tests.images.layertars import dir_, layer, reg

EPOCH = 1_600_000_000
BASE_TIME = 1_650_000_000  # the base image was built after the epoch: its layers must stay as they are


def timed(when: int, *items: tuple[tarfile.TarInfo, bytes | None]) -> bytes:
    for info, _ in items:
        info.mtime = when
    return layer(*items)


def base_layer() -> bytes:
    return timed(BASE_TIME, dir_("bin"), reg("bin/sh", b"#!shell", mode=0o755))


def build(images: FakeImages, when: int, tag: str = "app:1", message: bytes = b"hi") -> str:
    """What one build of the same inputs at wall-clock time ``when`` leaves in the engine."""
    own = [timed(when, dir_("etc"), reg("message.txt", message)), timed(when + 1, reg("app/run", b"run", mode=0o755))]
    return images.add([base_layer(), *own], {"goshfile.base.layers": "1"}, tag)


def mtimes(data: bytes) -> set[int]:
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        return {int(m.mtime) for m in tar}


def test_two_builds_at_different_times_become_one_image() -> None:
    images = FakeImages()
    first_raw = build(images, 1_700_000_000, "app:1")
    second_raw = build(images, 1_700_003_600, "app:2")
    assert first_raw != second_raw
    first = rewrite_timestamps(images, "app:1", EPOCH, tags=["app:1"])
    second = rewrite_timestamps(images, "app:2", EPOCH, tags=["app:2"])
    assert first.image_id == second.image_id and first.changed and second.changed
    assert (first.layers, first.rewritten, first.times) == (2, 2, 3)
    assert images.tags == {"app:1": first.image_id, "app:2": first.image_id}
    assert images.removed == [first_raw, second_raw]  # the untagged originals are gone
    image = images.get("app:1")
    assert image is not None
    assert image.layers[0] == digest(base_layer())  # the base layer is untouched (its times are after the epoch)
    assert all(mtimes(images.blobs[d]) == {EPOCH} for d in image.layers[1:])
    config = json.loads(images.configs[first.image_id])
    assert config["rootfs"]["diff_ids"] == list(image.layers)
    assert first.image_id == digest(images.configs[first.image_id])


def test_different_content_stays_different() -> None:
    images = FakeImages()
    build(images, 1_700_000_000, "app:1", b"hi")
    build(images, 1_700_000_000, "app:2", b"bye")
    a = rewrite_timestamps(images, "app:1", EPOCH)
    b = rewrite_timestamps(images, "app:2", EPOCH)
    assert a.image_id != b.image_id


def test_an_image_already_at_the_epoch_is_left_alone() -> None:
    images = FakeImages()
    build(images, 1_700_000_000)
    first = rewrite_timestamps(images, "app:1", EPOCH, tags=["app:1"])
    again = rewrite_timestamps(images, "app:1", EPOCH, tags=["app:1", "app:latest"])
    assert not again.changed and again.image_id == first.image_id and again.rewritten == 0
    assert images.loads == 1 and images.tags["app:latest"] == first.image_id


def go_json(value: object) -> bytes:
    """JSON as Go's encoder (and so BuildKit) writes it: no spaces, ``<``, ``>`` and ``&`` escaped."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026").encode()


def go_build(images: FakeImages, when: int, tag: str, labels: dict[str, str]) -> str:
    own = [timed(when, dir_("etc"), reg("message.txt", b"hi"))]
    return images.add([base_layer(), *own], {"goshfile.base.layers": "1", **labels}, tag, encode=go_json)


def test_an_image_that_needed_new_times_equals_one_at_the_epoch_byte_for_byte() -> None:
    # Whether a build needs its times set depends on when it ran (a step in the commit's own second
    # needs none); the config must not depend on it: only the diff IDs change, BuildKit's bytes stay.
    images = FakeImages()
    step = {"step": "bash /app/build.sh > /app/out.txt && echo <done>"}
    at_epoch = go_build(images, EPOCH, "app:1", step)
    later = go_build(images, 1_700_000_000, "app:2", step)
    kept = rewrite_timestamps(images, "app:1", EPOCH)
    made = rewrite_timestamps(images, "app:2", EPOCH)
    assert not kept.changed and kept.image_id == at_epoch
    assert made.changed and made.original_id == later
    assert made.image_id == at_epoch
    assert b"\\u003e" in images.configs[made.image_id] and b">" not in images.configs[made.image_id]


def test_a_base_layer_equal_to_an_own_layer_keeps_its_id_and_the_config_its_bytes() -> None:
    images = FakeImages()
    same = timed(1_700_000_000, reg("message.txt", b"hi"))  # the base's layer and the image's own, byte for byte
    labels = {"goshfile.base.layers": "1", "step": "a > b"}
    images.add([same, same], labels, "app:1", encode=go_json)
    made = rewrite_timestamps(images, "app:1", EPOCH)
    raw = images.configs[made.image_id]
    base_id, own_id = json.loads(raw)["rootfs"]["diff_ids"]
    assert base_id == digest(same) and own_id != digest(same)  # only the image's own layer got new times
    assert b"\\u003e" in raw and raw.replace(own_id.encode(), digest(same).encode()) == go_json(
        json.loads(raw) | {"rootfs": {"type": "layers", "diff_ids": [digest(same), digest(same)]}}
    )


def test_a_diff_id_that_also_appears_elsewhere_in_the_config_is_not_replaced_there() -> None:
    images = FakeImages()
    own = timed(1_700_000_000, reg("message.txt", b"hi"))
    label = {"copied.from": digest(own)}  # the same string as the layer's diff ID, outside rootfs
    images.add([base_layer(), own], {"goshfile.base.layers": "1", **label}, "app:1", encode=go_json)
    made = rewrite_timestamps(images, "app:1", EPOCH)
    config = json.loads(images.configs[made.image_id])
    assert config["config"]["Labels"]["copied.from"] == digest(own)
    assert config["rootfs"]["diff_ids"][1] != digest(own)
    assert made.image_id == digest(images.configs[made.image_id])


def test_layers_below_the_first_changed_one_are_not_sent_again() -> None:
    images = FakeImages()
    early = timed(EPOCH, reg("old", b"o"))  # already at the epoch: the same bytes come out
    images.add([base_layer(), early, timed(1_700_000_000, reg("new", b"n"))], {"goshfile.base.layers": "1"}, "app:1")
    result = rewrite_timestamps(images, "app:1", EPOCH)
    assert (result.layers, result.rewritten) == (2, 1)
    image = images.get(result.image_id)
    assert image is not None and image.layers[1] == digest(early)


def test_older_engines_save_format_works_too() -> None:
    images = FakeImages(legacy_save=True)
    build(images, 1_700_000_000, "app:1")
    modern = FakeImages()
    build(modern, 1_700_000_000, "app:1")
    assert rewrite_timestamps(images, "app:1", EPOCH).image_id == rewrite_timestamps(modern, "app:1", EPOCH).image_id


def test_without_the_label_every_layer_is_the_images_own() -> None:
    images = FakeImages()
    images.add([base_layer()], {}, "plain:1")
    result = rewrite_timestamps(images, "plain:1", EPOCH)
    assert (result.layers, result.rewritten) == (1, 1)


@pytest.mark.parametrize(("label", "count"), [("1", 1), ("7", 3), ("-2", 0), ("x", 0)])
def test_the_base_layer_count_is_bounded_by_the_image(label: str, count: int) -> None:
    images = FakeImages()
    images.add([base_layer(), layer(reg("a")), layer(reg("b"))], {"goshfile.base.layers": label}, "img")
    image = images.get("img")
    assert image is not None and base_layer_count(image) == count


def test_an_image_of_only_base_layers_needs_no_engine_work() -> None:
    images = FakeImages()
    image_id = images.add([base_layer()], {"goshfile.base.layers": "1"}, "base:1")
    result = rewrite_timestamps(images, "base:1", EPOCH)
    assert result.image_id == image_id and result.layers == 0 and images.loads == 0


def test_a_missing_image_and_a_save_without_the_layer_are_errors() -> None:
    images = FakeImages()
    with pytest.raises(EngineError, match="no image nope"):
        rewrite_timestamps(images, "nope", EPOCH)
    image_id = build(images, 1_700_000_000)
    image = images.get(image_id)
    assert image is not None
    images.blobs[image.layers[2]] = layer(reg("other"))  # the engine's layer is not what the config names
    with pytest.raises(LayerError, match="lacks layer"):
        rewrite_timestamps(images, image_id, EPOCH)


def test_progress_names_each_layer_and_a_missing_label() -> None:
    images = FakeImages()
    build(images, 1_700_000_000)
    said: list[str] = []
    rewrite_timestamps(images, "app:1", EPOCH, progress=said.append)
    assert said[0].startswith("setting file times in 2 layer(s)") and "label" not in said[0]
    assert [line.split(" ")[1] for line in said[1:]] == ["1/2", "2/2"] and all("time(s) set" in s for s in said[1:])
    images.add([base_layer()], {}, "plain:1")
    said.clear()
    rewrite_timestamps(images, "plain:1", EPOCH, progress=said.append)
    assert "no goshfile.base.layers label: all are its own" in said[0]


def test_a_temporary_folder_that_cannot_be_written_is_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    images = FakeImages()
    build(images, 1_700_000_000)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "missing"))
    with pytest.raises(EngineError, match=r"cannot rewrite app:1's layers in .*missing \(set TMPDIR\)"):
        rewrite_timestamps(images, "app:1", EPOCH)
    assert images.get("app:1") is not None and images.loads == 0  # nothing lost
