"""An image's layers read straight from its registry, as changes (:mod:`goshfile.images.layers`).

Nothing is pulled into the engine and nothing is written to disk: each layer
blob streams from the registry through the decompressor into
:func:`goshfile.images.layers.read_layer`, and its digest is checked against the
manifest when it has been read to the end (:class:`goshfile.images.registry.Blob`).
The manifest and the config are checked against their digests as well, so the
hash of a registry image is as trustworthy as its reference's digest.
"""

from __future__ import annotations

from goshfile.images import reference
from goshfile.images.layer_store import ImageLayers, Progress
from goshfile.images.layers import read_layer
from goshfile.images.registry import Blob, RegistryClient
from goshfile.images.tarstream import LayerError
from goshfile.images.tree import Change


class _Counted:
    """A Blob that reports the bytes read so far of all layers to ``progress``."""

    def __init__(self, blob: Blob, progress: Progress | None, before: int, total: int) -> None:
        self._blob = blob
        self._progress = progress
        self._before = before
        self._total = total

    def readinto(self, buffer: memoryview) -> int:
        n = self._blob.readinto(buffer)
        if self._progress is not None and n:
            self._progress(min(self._before + self._blob.read_bytes, self._total), self._total)
        return n

    def drain(self) -> None:
        """Read to the end (checking the digest), whatever the tar reader left."""
        buffer = memoryview(bytearray(1 << 16))
        while self.readinto(buffer):
            pass


def read_registry(image: str, client: RegistryClient | None = None, progress: Progress | None = None) -> ImageLayers:
    """The layers of ``image`` (a registry reference) from its registry; ``image_id`` is its config digest."""
    ref = reference.parse(image)
    registry = client or RegistryClient()
    remote = registry.inspect(ref)
    rootfs = remote.config.get("rootfs")
    diff_ids = rootfs.get("diff_ids") if isinstance(rootfs, dict) else None
    if not isinstance(diff_ids, list) or len(diff_ids) != len(remote.layers):
        raise LayerError(f"{image}: the config's rootfs does not match the manifest's {len(remote.layers)} layers")
    total = sum(size for _, size in remote.layers)
    done = 0
    layers: list[list[Change]] = []
    for digest, _size in remote.layers:
        blob = registry.blob(ref, digest)
        try:
            counted = _Counted(blob, progress, done, total)
            layers.append(read_layer(counted))
            counted.drain()
            done += blob.read_bytes
        finally:
            blob.close()
    if progress is not None:
        progress(total, total)
    return ImageLayers(remote.config_digest, "registry", layers, total)
