"""Choosing and reading an image's layer source, with a stand-in for the Docker SDK client."""

from __future__ import annotations

import io
import os
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker.errors
import pytest

from goshfile.errors import EngineError, InputError
from goshfile.images import layer_store
from goshfile.images.content_hash import GOSH_V1, GOSHFILE_V2, content_hash, image_hash
from goshfile.images.layer_store import DockerLayers
from goshfile.images.layers import read_layer, sha256_file
from goshfile.images.tarstream import LayerError
from goshfile.images.tree import Tree
from tests.images.fake_registry import Registry, serving
from tests.images.layertars import dir_, docker_archive, layer, reg, sym

LOWER = layer(dir_("d"), reg("d/a", b"a" * 200_000), reg("d/b", b"b", 0o4755), sym("d/l", "a"))
UPPER = layer(dir_("d"), reg("d/a", b"new"), reg("d/c", b"c" * 100_000))


class FakeClient:
    """What DockerLayers uses of docker.DockerClient."""

    def __init__(self, attrs: dict[str, Any], archive: bytes, root: str, security: list[str] | None = None) -> None:
        self.attrs, self.archive, self.root, self.security = attrs, archive, root, security or []
        self.api = self
        self.images = self
        self.base_url = "http+docker://localhost"

    def ping(self) -> bool:
        return True

    def info(self) -> dict[str, Any]:
        return {"SecurityOptions": self.security, "DockerRootDir": self.root}

    def get(self, ref: str) -> Any:
        if ref != "img":
            raise docker.errors.ImageNotFound(ref)
        return type("Image", (), {"attrs": self.attrs})()

    def get_image(self, image: str, chunk_size: int) -> Iterator[bytes]:
        assert image == self.attrs["Id"]
        for i in range(0, len(self.archive), 4096):  # small chunks: many hand-overs between the threads
            yield self.archive[i : i + 4096]


def unpack(data: bytes, target: Path) -> None:
    target.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        tar.extractall(target, filter="fully_trusted")


def attrs_for(dirs: list[str]) -> dict[str, Any]:
    data = {"UpperDir": dirs[-1]}
    if len(dirs) > 1:
        data["LowerDir"] = ":".join(reversed(dirs[:-1]))  # the engine lists the topmost lower first
    return {
        "Id": "sha256:" + "1" * 64,
        "Size": 300_000,
        "GraphDriver": {"Name": "overlay2", "Data": data},
        "RootFS": {"Layers": ["sha256:x"] * len(dirs)},
    }


@pytest.fixture
def storage(tmp_path: Path) -> tuple[FakeClient, list[str]]:
    dirs = []
    for i, data in enumerate([LOWER, UPPER]):
        diff = tmp_path / "overlay2" / f"layer{i}" / "diff"
        unpack(data, diff)
        dirs.append(str(diff))
    return FakeClient(attrs_for(dirs), docker_archive([LOWER, UPPER]), str(tmp_path)), dirs


def expected(algorithm: str) -> str:
    return content_hash(Tree.merge([read_layer(io.BytesIO(LOWER)), read_layer(io.BytesIO(UPPER))]), algorithm)


@pytest.mark.parametrize("source", ["auto", "storage", "save"])
def test_both_sources_give_the_layers_hash(storage: tuple[FakeClient, list[str]], source: str) -> None:
    client, _ = storage
    seen: list[tuple[int, int]] = []
    for algorithm in (GOSH_V1, GOSHFILE_V2):
        result = image_hash(
            "img", algorithm, source=source, engine=DockerLayers(client), progress=lambda d, t: seen.append((d, t))
        )
        assert result.digest == expected(algorithm)
        assert result.source == ("save" if source == "save" else "storage")
        assert result.image_id == "sha256:" + "1" * 64
    assert seen and seen[-1] == (300_000, 300_000) and all(d <= t for d, t in seen)


def test_auto_falls_back_to_save_when_the_storage_is_not_usable(storage: tuple[FakeClient, list[str]]) -> None:
    client, _ = storage
    client.security = ["name=seccomp", "name=userns"]
    assert image_hash("img", source="auto", engine=DockerLayers(client)).source == "save"
    with pytest.raises(EngineError, match="userns"):
        image_hash("img", source="storage", engine=DockerLayers(client))


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda c: setattr(c, "base_url", "http://10.0.0.1:2375"), "unix socket"),
        (lambda c: c.attrs["GraphDriver"].update(Name="vfs"), "vfs"),
        (lambda c: c.attrs["RootFS"].update(Layers=["one"]), "do not match"),
        (lambda c: setattr(c, "root", "/nonexistent-docker-root"), "not readable"),
    ],
)
def test_storage_is_used_only_when_it_can_be_trusted(
    storage: tuple[FakeClient, list[str]], change: Any, reason: str
) -> None:
    client, _ = storage
    change(client)
    with pytest.raises(EngineError, match=reason):
        image_hash("img", source="storage", engine=DockerLayers(client))
    assert image_hash("img", engine=DockerLayers(client)).digest == expected(GOSHFILE_V2)


def test_a_layer_changing_during_the_read_is_an_engine_error(
    storage: tuple[FakeClient, list[str]], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    client, _ = storage

    def vanished(path: bytes, size: int) -> str:
        raise FileNotFoundError(2, "No such file or directory", os.fsdecode(path))

    monkeypatch.setattr(layer_store, "sha256_file", vanished)
    with pytest.raises(EngineError, match="changed while it was read"):
        image_hash("img", source="storage", engine=DockerLayers(client))
    grown = tmp_path / "grown"
    grown.write_bytes(b"longer than announced")
    with pytest.raises(LayerError, match="changed while it was read"):
        sha256_file(os.fsencode(grown), 3)


def test_an_unknown_image_or_algorithm_is_an_input_error(storage: tuple[FakeClient, list[str]]) -> None:
    client, _ = storage
    with serving(Registry()) as empty:  # not in the engine, nor in its registry
        with pytest.raises(InputError, match=f"no image '{empty.host}/other'.*nor from its registry: .*not found"):
            image_hash(f"{empty.host}/other", engine=DockerLayers(client))
        with pytest.raises(InputError, match="no image 'other' in the Docker engine"):
            image_hash("other", source="save", engine=DockerLayers(client))  # no registry fallback asked for
    with pytest.raises(InputError, match="algorithm"):
        image_hash("img", "md5", engine=DockerLayers(client))
