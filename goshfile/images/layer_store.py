"""An image's layers from the local Docker engine, read as changes (:mod:`goshfile.images.layers`).

Two ways, the same result:

- ``save``: the engine's ``GET /images/{id}/get`` (``docker save``), streamed
  through :func:`goshfile.images.layers.read_saved_image` while it arrives;
  works with any engine the Docker SDK reaches. The engine itself writes the
  whole archive to a temporary directory before it sends the first byte, so
  this costs about as much as the engine's own export of the image.
- ``storage``: the layer directories of the engine's overlay2 storage driver,
  which the engine names in the image's ``GraphDriver`` data; read in place
  (several files hashed at once). Only when the engine runs on this host
  (a unix socket), uses overlay2 without user-namespace remapping or rootless
  mode, and its directories are readable here (in practice: as root).

``auto`` (the default) takes ``storage`` when it is available, ``save`` otherwise.
Images that are not in the engine are read from their registry
(:mod:`goshfile.images.registry_layers`).
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Any, Final

from goshfile.errors import EngineError, InputError
from goshfile.images.layers import read_layer_dir, read_saved_image, sha256_file
from goshfile.images.tree import Change, Node

SOURCES: Final = ("auto", "storage", "save", "registry")
Progress = Callable[[int, int], None]
"""Called as ``progress(done, total)`` with bytes; ``total`` is the engine's size of the image."""

_CHUNK: Final = 1 << 20
_PREFETCH: Final = 32  # chunks read ahead of the parser
INLINE_HASH: Final = 64 << 10  # storage files up to this size are hashed by the walking thread


class ImageNotFoundError(InputError):
    """The engine has no such image."""


@dataclass(frozen=True)
class ImageLayers:
    """An image's layers as changes, lowest first, and where they were read from."""

    image_id: str
    source: str
    layers: list[list[Change]]
    size: int


class ChunkSource:
    """A Source over an iterator of byte chunks, read ahead by a thread (the parser does not wait on the socket)."""

    _END = object()

    def __init__(self, chunks: Iterator[bytes], progress: Progress | None, total: int) -> None:
        self._queue: queue.Queue[object] = queue.Queue(_PREFETCH)
        self._stop = threading.Event()
        self._current = memoryview(b"")
        self._progress = progress
        self._total = total
        self.done = 0
        self._thread = threading.Thread(target=self._pump, args=(chunks,), name="image-save-reader", daemon=True)
        self._thread.start()

    def _pump(self, chunks: Iterator[bytes]) -> None:
        item: object = self._END
        try:
            for chunk in chunks:
                while not self._stop.is_set():
                    try:
                        self._queue.put(chunk, timeout=0.2)
                        break
                    except queue.Full:
                        continue
                if self._stop.is_set():
                    close = getattr(chunks, "close", None)
                    if close is not None:
                        close()
                    return
        except BaseException as exc:  # handed to the reading thread
            item = exc
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.2)
                return
            except queue.Full:
                continue

    def readinto(self, buffer: memoryview) -> int:
        if not self._current:
            item = self._queue.get()
            if item is self._END:
                self._queue.put(item)
                return 0
            if isinstance(item, BaseException):
                raise EngineError(f"docker save: {item}") from item
            assert isinstance(item, bytes)
            self._current = memoryview(item)
            self.done += len(item)
            if self._progress is not None:
                self._progress(min(self.done, self._total), self._total)
        k = min(len(buffer), len(self._current))
        buffer[:k] = self._current[:k]
        self._current = self._current[k:]
        return k

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


class _Hasher:
    """Hashes regular files of storage layers: small ones at once, large ones on worker threads."""

    def __init__(self, pool: ThreadPoolExecutor) -> None:
        self._pool = pool
        self.jobs: list[Future[int]] = []
        self.inline_bytes = 0

    def __call__(self, path: bytes, node: Node) -> None:
        if node.size <= INLINE_HASH:
            node.digest = sha256_file(path, node.size)
            self.inline_bytes += node.size
        else:
            self.jobs.append(self._pool.submit(self._hash, path, node))

    @staticmethod
    def _hash(path: bytes, node: Node) -> int:
        node.digest = sha256_file(path, node.size)
        return node.size


class DockerLayers:
    """Read images' layers from the Docker engine (``DOCKER_HOST`` or the default socket)."""

    def __init__(self, client: Any = None) -> None:
        try:
            import docker
            import docker.errors

            self._client = client if client is not None else docker.from_env()
            self._client.ping()
        except Exception as exc:  # the SDK raises several types for an absent engine
            raise EngineError(f"cannot reach the Docker engine: {exc}") from None
        self._errors = docker.errors
        self._info: dict[str, Any] | None = None

    def _image(self, ref: str) -> Any:
        try:
            return self._client.images.get(ref)
        except self._errors.ImageNotFound:
            raise ImageNotFoundError(f"no image {ref!r} in the Docker engine (pull or build it first)") from None
        except self._errors.APIError as exc:
            if "invalid reference" in str(exc):
                raise InputError(f"{ref!r} is not a valid image reference") from None
            raise EngineError(f"docker: {exc}") from None

    def storage_dirs(self, attrs: dict[str, Any]) -> tuple[list[bytes] | None, str]:
        """The image's overlay2 layer directories, lowest first, or None and why not."""
        if not str(getattr(self._client.api, "base_url", "")).startswith("http+docker://localhost"):
            return None, "the engine is not reached through a local unix socket"
        driver = attrs.get("GraphDriver") or {}
        if driver.get("Name") != "overlay2":
            return None, f"the engine's storage driver is {driver.get('Name')!r}, not overlay2"
        if self._info is None:
            try:
                self._info = dict(self._client.info())
            except self._errors.APIError as exc:
                raise EngineError(f"docker info: {exc}") from None
        options = " ".join(self._info.get("SecurityOptions") or ())
        if "userns" in options or "rootless" in options:
            return None, "the engine remaps user ids (userns or rootless)"
        data = driver.get("Data") or {}
        upper, lower = data.get("UpperDir"), data.get("LowerDir")
        if not upper:
            return None, "the engine names no layer directory"
        dirs = [*reversed(lower.split(":")), upper] if lower else [upper]
        if len(dirs) != len((attrs.get("RootFS") or {}).get("Layers") or ()):
            return None, "the layer directories do not match the image's layers"
        root = str(self._info.get("DockerRootDir") or "")
        for d in dirs:
            if not root or not d.startswith(root + "/") or not os.path.isdir(d) or not os.access(d, os.R_OK | os.X_OK):
                return None, f"{d} is not readable here (the engine's storage needs root on the engine's host)"
        return [os.fsencode(d) for d in dirs], ""

    def read(self, ref: str, source: str = "auto", progress: Progress | None = None) -> ImageLayers:
        """The layers of the local image ``ref``."""
        if source not in SOURCES or source == "registry":
            engine = ", ".join(s for s in SOURCES if s != "registry")
            raise InputError(f"unknown engine layer source {source!r}; use one of {engine}")
        image = self._image(ref)
        attrs = image.attrs
        image_id = str(attrs.get("Id", ""))
        size = int(attrs.get("Size") or 0)
        if source in ("auto", "storage"):
            dirs, why = self.storage_dirs(attrs)
            if dirs is not None:
                try:
                    return ImageLayers(image_id, "storage", _read_storage(dirs, size, progress), size)
                except PermissionError as exc:
                    if source == "storage":
                        raise EngineError(f"cannot read the engine's storage: {exc}") from None
            elif source == "storage":
                raise EngineError(f"cannot read the image's layers from the engine's storage: {why}")
        return ImageLayers(image_id, "save", self._read_save(image_id, size, progress), size)

    def _read_save(self, image_id: str, size: int, progress: Progress | None) -> list[list[Change]]:
        try:
            chunks = self._client.api.get_image(image_id, chunk_size=_CHUNK)
        except self._errors.APIError as exc:
            raise EngineError(f"docker save: {exc}") from None
        stream = ChunkSource(iter(chunks), progress, size)
        try:
            layers = read_saved_image(stream)
        finally:
            stream.close()
        if progress is not None:
            progress(size, size)
        return layers


def _read_storage(dirs: list[bytes], size: int, progress: Progress | None) -> list[list[Change]]:
    """Read overlay2 layer directories, using every core the layers allow.

    Each layer is walked by its own thread (small files are hashed by the walking thread), and the
    large files of every layer go to a shared pool of hashing threads as soon as they are met.
    Hashing and the walks' system calls release the interpreter lock, so a layer of large files is
    hashed on one core while another layer's many small files are walked on the other, instead of
    after it.
    """
    cores = os.cpu_count() or 1
    hash_workers = max(2, min(4, cores))
    walkers = max(1, min(len(dirs), cores, 4))
    with (
        ThreadPoolExecutor(hash_workers, thread_name_prefix="image-hash") as pool,
        ThreadPoolExecutor(walkers, thread_name_prefix="layer-walk") as walk_pool,
    ):
        hashers = [_Hasher(pool) for _ in dirs]
        walks = [walk_pool.submit(read_layer_dir, d, h) for d, h in zip(dirs, hashers, strict=True)]
        try:
            layers = [walk.result() for walk in walks]
            jobs = [job for h in hashers for job in h.jobs]
            done = sum(h.inline_bytes for h in hashers)
            if progress is None:
                for job in jobs:
                    job.result()
            else:
                progress(min(done, size), size)
                for job in as_completed(jobs):
                    done += job.result()
                    progress(min(done, size), size)
        except FileNotFoundError as exc:
            _cancel(walks, hashers)
            raise EngineError(f"a layer changed while it was read (image removed?): {exc}") from None
        except BaseException:
            _cancel(walks, hashers)
            raise
    if progress is not None:
        progress(size, size)
    return layers


def _cancel(walks: list[Future[list[Change]]], hashers: list[_Hasher]) -> None:
    for walk in walks:
        walk.cancel()
    for hasher in hashers:
        for job in hasher.jobs:
            job.cancel()
