"""Reading images from a registry over HTTP: manifests, configs and layers, every digest checked."""

from __future__ import annotations

import gzip
from collections.abc import Iterator

import pytest

from goshfile.errors import InputError, VerificationError
from goshfile.images import reference
from goshfile.images.content_hash import GOSHFILE_V2, content_hash, image_hash
from goshfile.images.registry import RegistryClient
from goshfile.images.registry_layers import read_registry
from goshfile.images.tree import Tree
from tests.images.fake_registry import Registry, digest, serving
from tests.images.layertars import dir_, layer, reg, tree, whiteout

BASE = layer(dir_("etc"), reg("etc/os", b"fake os"), reg("bin/sh", b"shell", mode=0o755))
TOP = layer(reg("app/run", b"run", mode=0o4755), whiteout("etc/os"))


@pytest.fixture
def registry() -> Iterator[Registry]:
    with serving(Registry()) as served:
        served.image("v1", [BASE, TOP], {"who": "test"})
        yield served


def name(registry: Registry, ref: str = "v1") -> str:
    separator = "@" if ref.startswith("sha256:") else ":"
    return f"{registry.host}/team/app{separator}{ref}"


def local_hash(*layers: bytes) -> str:
    return content_hash(tree(*layers), GOSHFILE_V2)


def test_the_registry_image_hashes_like_the_same_layers_read_locally(registry: Registry) -> None:
    seen: list[tuple[int, int]] = []
    read = read_registry(name(registry), progress=lambda done, total: seen.append((done, total)))
    assert read.source == "registry" and len(read.layers) == 2
    assert content_hash(Tree.merge(read.layers), GOSHFILE_V2) == local_hash(BASE, TOP)
    total = sum(len(gzip.compress(data, mtime=0)) for data in (BASE, TOP))
    assert seen[-1] == (total, total) and all(done <= total for done, _ in seen)
    assert read.image_id.startswith("sha256:") and read.image_id in registry.blobs


def test_image_hash_reads_the_registry_when_asked(registry: Registry) -> None:
    result = image_hash(name(registry), source="registry")
    assert result.digest == local_hash(BASE, TOP) and result.source == "registry"
    assert result.files == 2  # bin/sh and app/run; etc/os is whited out


def test_inspect_computes_the_digest_and_follows_an_index(registry: Registry) -> None:
    manifest_digest = registry.image("amd", [BASE], {"arch": "amd64"})
    arm_digest = registry.image("arm", [TOP], {"arch": "arm64"})
    index_digest = registry.index("multi", {("linux", "arm64"): arm_digest, ("linux", "amd64"): manifest_digest})
    remote = RegistryClient().inspect(reference.parse(name(registry, "multi")))
    assert remote.digest == index_digest and remote.labels == {"arch": "amd64"}
    assert remote.layers[0][0] == digest(gzip.compress(BASE, mtime=0))
    by_digest = RegistryClient().inspect(reference.parse(name(registry, manifest_digest)))
    assert by_digest.digest == manifest_digest


def test_an_altered_layer_blob_is_refused(registry: Registry) -> None:
    remote = RegistryClient().inspect(reference.parse(name(registry)))
    top_blob = remote.layers[1][0]
    registry.blobs[top_blob] = gzip.compress(layer(reg("app/run", b"evil", mode=0o4755)), mtime=0)
    with pytest.raises(VerificationError, match=f"layer blob {top_blob} .* another digest"):
        read_registry(name(registry))


def test_an_altered_config_or_manifest_is_refused(registry: Registry) -> None:
    remote = RegistryClient().inspect(reference.parse(name(registry)))
    registry.blobs[remote.config_digest] = b'{"rootfs": {"diff_ids": []}}'
    with pytest.raises(VerificationError, match="config with another digest"):
        read_registry(name(registry))
    media, body = registry.manifests["v1"]
    registry.manifests[remote.digest] = (media, body.replace(b"schemaVersion", b"schemaversion"))
    with pytest.raises(VerificationError, match="manifest with digest"):
        RegistryClient().inspect(reference.parse(name(registry, remote.digest)))


def test_a_missing_image_is_an_input_error(registry: Registry) -> None:
    with pytest.raises(InputError, match="not found in the registry"):
        read_registry(name(registry, "nope"))
