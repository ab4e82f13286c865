"""Images in the local Docker engine, read through the Docker SDK."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from typing import Any, Protocol

from goshfile.errors import EngineError, InputError
from goshfile.images import reference
from goshfile.images.engine_api import EngineApi


@dataclass(frozen=True)
class LocalImage:
    """What the engine knows about a local image."""

    image_id: str
    tags: tuple[str, ...]
    repo_digests: tuple[str, ...]
    labels: dict[str, str]
    layers: tuple[str, ...] = ()  # diff IDs, lowest first


class ImageStore(Protocol):
    """Local images, by reference."""

    def get(self, ref: str) -> LocalImage | None:
        """The image named ``ref``, or None when the engine has no such image."""

    def all(self) -> list[LocalImage]:
        """Every image in the engine."""

    def remove(self, ref: str) -> None:
        """Remove the tag ``ref`` (the image too when nothing else names it)."""


class ImageArchives(ImageStore, Protocol):
    """Local images, also written out and read in as archives, tagged and pushed."""

    def save(self, image_id: str) -> Iterator[bytes]:
        """The image as a ``docker save`` archive, in chunks."""

    def load(self, archive: Iterable[bytes]) -> str:
        """Load a ``docker load`` archive of one image, given in chunks; return its image ID."""

    def tag(self, image_id: str, ref: str) -> None:
        """Name the image ``ref`` (moving the name from another image)."""

    def push(self, ref: str, progress: Callable[[str], None] | None = None) -> str:
        """Push ``ref`` to its registry; return the pushed manifest digest."""

    def containerd_store(self) -> bool:
        """True when the engine keeps images in the containerd image store (image IDs are manifest digests)."""


def _local_image(attrs: dict[str, Any]) -> LocalImage:
    config = attrs.get("Config") or {}
    return LocalImage(
        image_id=str(attrs.get("Id", "")),
        tags=tuple(attrs.get("RepoTags") or ()),
        repo_digests=tuple(attrs.get("RepoDigests") or ()),
        labels=dict(config.get("Labels") or {}),
        layers=tuple((attrs.get("RootFS") or {}).get("Layers") or ()),
    )


class DockerImageStore:
    """:class:`ImageStore` backed by the Docker engine (``DOCKER_HOST`` or the default socket).

    Reading images (``get``, ``all``) on a unix-socket engine goes through
    :class:`goshfile.images.engine_api.EngineApi`; the Docker SDK is imported only
    for the rest (save, load, tag, push, remove) or another kind of ``DOCKER_HOST``.
    """

    def __init__(self) -> None:
        self._api = EngineApi.from_env()
        self._sdk: Any = None
        if self._api is None:
            self._connect()
        else:
            self._api.ping()

    def _connect(self) -> Any:
        try:
            import docker
            import docker.errors

            client = docker.from_env()
            client.ping()
        except Exception as exc:  # the SDK raises several types for an absent engine
            raise EngineError(f"cannot reach the Docker engine: {exc}") from None
        self._not_found = docker.errors.ImageNotFound
        self._api_error = docker.errors.APIError
        self._sdk = client
        return client

    @property
    def _client(self) -> Any:
        return self._sdk if self._sdk is not None else self._connect()

    def get(self, ref: str) -> LocalImage | None:
        if self._api is not None:
            try:
                attrs = self._api.inspect_image(ref)
            except ValueError:
                raise InputError(f"{ref!r} is not a valid image reference") from None
            return None if attrs is None else _local_image(attrs)
        try:
            return _local_image(self._client.images.get(ref).attrs)
        except self._not_found:
            return None
        except self._api_error as exc:
            if "invalid reference" in str(exc):
                raise InputError(f"{ref!r} is not a valid image reference") from None
            raise EngineError(f"docker: {exc}") from None

    def all(self) -> list[LocalImage]:
        if self._api is not None:
            found = (self._api.inspect_image(image_id) for image_id in self._api.image_ids())
            return [_local_image(attrs) for attrs in found if attrs is not None]  # None: removed meanwhile
        try:
            return [_local_image(image.attrs) for image in self._client.images.list()]
        except self._api_error as exc:
            raise EngineError(f"docker: {exc}") from None

    def remove(self, ref: str) -> None:
        try:
            self._client.images.remove(ref, force=True)
        except self._not_found:
            pass
        except self._api_error as exc:
            raise EngineError(f"docker: {exc}") from None

    def save(self, image_id: str) -> Iterator[bytes]:
        try:
            return iter(self._client.api.get_image(image_id, chunk_size=1 << 20))
        except self._api_error as exc:
            raise EngineError(f"docker save {image_id}: {exc}") from None

    def load(self, archive: Iterable[bytes]) -> str:
        try:
            loaded = self._client.images.load(iter(archive))
        except self._api_error as exc:
            raise EngineError(f"docker load: {exc}") from None
        if len(loaded) != 1:
            raise EngineError(f"docker load: expected one image, the engine reported {len(loaded)}")
        return str(loaded[0].id)

    def tag(self, image_id: str, ref: str) -> None:
        repository, tag = _split_tag(ref)
        try:
            if not self._client.api.tag(image_id, repository, tag, force=True):
                raise EngineError(f"docker tag {image_id} {ref}: refused")
        except self._api_error as exc:
            raise EngineError(f"docker tag {ref}: {exc}") from None

    def containerd_store(self) -> bool:
        try:
            status = self._client.info().get("DriverStatus") or []
        except self._api_error as exc:
            raise EngineError(f"docker info: {exc}") from None
        return any(pair[:2] == ["driver-type", "io.containerd.snapshotter.v1"] for pair in status)

    def push(self, ref: str, progress: Callable[[str], None] | None = None) -> str:
        repository, tag = _split_tag(ref)
        digest = ""
        try:
            for event in self._client.api.push(repository, tag, stream=True, decode=True):
                if "error" in event:
                    raise EngineError(f"docker push {ref}: {event['error']}")
                aux = event.get("aux") or {}
                digest = aux.get("Digest") or digest
                if progress is not None and event.get("status") and not event.get("progressDetail"):
                    progress(" ".join(str(event[k]) for k in ("id", "status") if event.get(k)))
        except self._api_error as exc:
            raise EngineError(f"docker push {ref}: {exc}") from None
        if not digest:
            raise EngineError(f"docker push {ref}: the engine did not report the pushed digest")
        return str(digest)


def _split_tag(ref: str) -> tuple[str, str]:
    """``repository, tag`` of a tag reference (``latest`` when none is given), as the engine takes them."""
    parsed = reference.parse(ref)
    if parsed.digest or not parsed.tag:
        raise InputError(f"{ref!r}: give a name with a tag, not a digest")
    return replace(parsed, tag=None).familiar(), parsed.tag
