"""An in-memory image engine with Docker's save, load, tag and push behaviour (for unit tests)."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from goshfile.errors import EngineError
from goshfile.images.local import LocalImage
from tests.images.layertars import archive


def digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass
class FakeImages:
    """Images by ID (config bytes and layer tars), tags, and a registry of pushed manifests."""

    configs: dict[str, bytes] = field(default_factory=dict)
    blobs: dict[str, bytes] = field(default_factory=dict)  # layer tars by diff ID
    tags: dict[str, str] = field(default_factory=dict)
    pushed: dict[str, str] = field(default_factory=dict)  # tag -> manifest digest
    legacy_save: bool = False  # write docker save archives as engines before 25 did
    containerd: bool = False  # say the engine uses the containerd image store
    loads: int = 0
    removed: list[str] = field(default_factory=list)

    def add(
        self,
        layers: Sequence[bytes],
        labels: dict[str, str] | None = None,
        tag: str | None = None,
        encode: Callable[[Any], bytes] = lambda value: json.dumps(value).encode(),
    ) -> str:
        """Store an image of ``layers`` (its config written by ``encode``); return its ID."""
        diff_ids = [digest(layer) for layer in layers]
        for diff_id, layer in zip(diff_ids, layers, strict=True):
            self.blobs[diff_id] = layer
        config = encode(
            {
                "architecture": "amd64",
                "os": "linux",
                "created": "2023-11-14T22:13:20Z",
                "config": {"Labels": labels or {}},
                "rootfs": {"type": "layers", "diff_ids": diff_ids},
            }
        )
        image_id = digest(config)
        self.configs[image_id] = config
        if tag:
            self.tags[tag] = image_id
        return image_id

    def _resolve(self, ref: str) -> str | None:
        return ref if ref in self.configs else self.tags.get(ref)

    def get(self, ref: str) -> LocalImage | None:
        image_id = self._resolve(ref)
        if image_id is None:
            return None
        config = json.loads(self.configs[image_id])
        return LocalImage(
            image_id,
            tuple(sorted(t for t, i in self.tags.items() if i == image_id)),
            (),
            dict(config["config"]["Labels"]),
            tuple(config["rootfs"]["diff_ids"]),
        )

    def all(self) -> list[LocalImage]:
        return [image for i in self.configs if (image := self.get(i)) is not None]

    def remove(self, ref: str) -> None:
        """As ``docker rmi -f``: a tag of an image with other tags is only untagged."""
        image_id = self._resolve(ref)
        if ref in self.tags and any(i == image_id and t != ref for t, i in self.tags.items()):
            del self.tags[ref]
            return
        if image_id is not None:
            self.removed.append(image_id)
            del self.configs[image_id]
            self.tags = {t: i for t, i in self.tags.items() if i != image_id}

    def save(self, image_id: str) -> Iterator[bytes]:
        config = self.configs[image_id]
        diff_ids = json.loads(config)["rootfs"]["diff_ids"]
        if self.legacy_save:
            names = [f"{d[7:19]}/layer.tar" for d in diff_ids]
            layers = [(n, self.blobs[d]) for n, d in zip(names, diff_ids, strict=True)]
            members = [(f"{image_id[7:]}.json", config), *layers]
            manifest = [{"Config": f"{image_id[7:]}.json", "Layers": names}]
            data = archive([("manifest.json", json.dumps(manifest).encode()), *members])
        else:  # Docker 25+: an OCI layout, blobs sorted by digest, manifest.json last
            blobs = {image_id: config, **{d: self.blobs[d] for d in diff_ids}}
            members = [(f"blobs/sha256/{d[7:]}", blobs[d]) for d in sorted(blobs)]
            paths = [f"blobs/sha256/{d[7:]}" for d in diff_ids]
            manifest = [{"Config": f"blobs/sha256/{image_id[7:]}", "Layers": paths}]
            data = archive([*members, ("manifest.json", json.dumps(manifest).encode())])
        return iter([data[i : i + 1000] for i in range(0, len(data), 1000)])

    def load(self, archive: Iterable[bytes]) -> str:
        """As ``docker load``: a layer file may be left out when the engine has that layer chain already."""
        self.loads += 1
        with tarfile.open(fileobj=io.BytesIO(b"".join(archive))) as tar:
            files = {m.name: tar.extractfile(m).read() for m in tar if m.isfile()}  # type: ignore[union-attr]
        [entry] = json.loads(files["manifest.json"])
        config = files[entry["Config"]]
        diff_ids = json.loads(config)["rootfs"]["diff_ids"]
        known = [json.loads(c)["rootfs"]["diff_ids"] for c in self.configs.values()]
        for i, (name, diff_id) in enumerate(zip(entry["Layers"], diff_ids, strict=True)):
            if name in files:
                if digest(files[name]) != diff_id:
                    raise EngineError(f"layer {name} is not {diff_id}")
                self.blobs[diff_id] = files[name]
            elif not any(k[: i + 1] == diff_ids[: i + 1] for k in known):
                raise EngineError(f"{name}: no such file (and no such layer chain in the engine)")
        image_id = digest(config)
        self.configs[image_id] = config
        return image_id

    def tag(self, image_id: str, ref: str) -> None:
        self.tags[ref] = image_id

    def containerd_store(self) -> bool:
        return self.containerd

    def push(self, ref: str, progress: Callable[[str], None] | None = None) -> str:
        image_id = self.tags[ref]
        manifest = json.dumps({"config": image_id, "layers": json.loads(self.configs[image_id])["rootfs"]["diff_ids"]})
        self.pushed[ref] = digest(manifest.encode())
        if progress is not None:
            progress(f"pushed {ref}")
        return self.pushed[ref]
