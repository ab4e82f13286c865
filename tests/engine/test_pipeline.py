"""A build as goshfile build runs it (build, rewrite, push), with fakes of the builder and the engine."""

from __future__ import annotations

import io
import tarfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from goshfile.engine.buildx import BuildRequest, BuildResult
from goshfile.engine.pipeline import build_image
from goshfile.errors import InputError
from tests.images.fake_engine import FakeImages
from tests.images.layertars import layer, reg


@dataclass
class FakeBuilder:
    """Builds an image whose own layer has the wall-clock time ``now`` (as a real engine's layers do)."""

    images: FakeImages
    now: int = 1_700_000_000
    requests: list[BuildRequest] = field(default_factory=list)

    def build(self, request: BuildRequest) -> BuildResult:
        self.requests.append(request)
        info, data = reg("message.txt", request.build_args.get("MSG", "hi").encode())
        info.mtime = self.now
        own = layer((info, data))
        base = layer(reg("bin/sh", b"sh"))
        image_id = self.images.add([base, own], {"goshfile.base.layers": "1"})
        for tag in request.tags:
            self.images.tag(image_id, tag)
        self.now += 3600
        return BuildResult(image_id, None, {})


def request(tmp_path: Path, **kw: Any) -> BuildRequest:
    return BuildRequest(
        context=tmp_path, file=tmp_path / "goshfile.yaml", build_args={"SOURCE_DATE_EPOCH": "1600000000"}, **kw
    )


def test_two_clean_builds_give_one_image_id_and_one_pushed_digest(tmp_path: Path) -> None:
    images = FakeImages()
    builder = FakeBuilder(images)
    first = build_image(request(tmp_path, tags=("reg/app:1",), push=True), builder, images, {})
    second = build_image(request(tmp_path, tags=("reg/app:1",), push=True), builder, images, {})
    assert first.image_id == second.image_id and first.digest == second.digest is not None
    assert first.rewritten is not None and first.rewritten.original_id != second.rewritten.original_id  # type: ignore[union-attr]
    assert all(r.push is False for r in builder.requests)  # the engine never pushes the unfinished image
    assert images.pushed == {"reg/app:1": first.digest}


def test_the_epoch_reaches_the_build_and_is_reported(tmp_path: Path) -> None:
    images = FakeImages()
    builder = FakeBuilder(images)
    built = build_image(
        BuildRequest(context=tmp_path, file=tmp_path / "goshfile.yaml"), builder, images, {"SOURCE_DATE_EPOCH": "42"}
    )
    assert builder.requests[0].build_args["SOURCE_DATE_EPOCH"] == "42"
    assert (built.epoch.value, built.epoch.origin) == (42, "environment")
    assert built.request.build_args["SOURCE_DATE_EPOCH"] == "42"
    own = images.blobs[images.get(built.image_id).layers[1]]  # type: ignore[union-attr]
    with tarfile.open(fileobj=io.BytesIO(own)) as tar:
        assert [m.mtime for m in tar] == [42]


def test_without_the_rewrite_the_engines_image_stays(tmp_path: Path) -> None:
    images = FakeImages()
    built = build_image(request(tmp_path), FakeBuilder(images), images, {}, rewrite=False)
    assert built.rewritten is None and images.loads == 0 and images.get(built.image_id) is not None


def test_push_needs_a_tag(tmp_path: Path) -> None:
    images = FakeImages()
    builder = FakeBuilder(images)
    with pytest.raises(InputError, match="-t"):
        build_image(request(tmp_path, push=True), builder, images, {})
    assert builder.requests == []


def test_progress_tells_what_happens(tmp_path: Path) -> None:
    images = FakeImages()
    said: list[str] = []
    wanted = request(tmp_path, tags=("reg/app:1",), push=True)
    build_image(wanted, FakeBuilder(images), images, {}, progress=said.append)
    assert said[0] == "SOURCE_DATE_EPOCH=1600000000 (given)"
    assert said[1].startswith("setting file times in 1 layer(s)") and "pushing reg/app:1" in said


def test_on_a_containerd_image_store_the_rewrite_is_skipped_and_said(tmp_path: Path) -> None:
    images = FakeImages(containerd=True)
    said: list[str] = []
    built = build_image(request(tmp_path, tags=("reg/app:1",)), FakeBuilder(images), images, {}, progress=said.append)
    assert built.rewritten is None and images.loads == 0
    assert any("containerd image store" in line for line in said)
