"""Images in the local Docker engine, read through the Docker SDK."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from goshfile.errors import EngineError, InputError


@dataclass(frozen=True)
class LocalImage:
    """What the engine knows about a local image."""

    image_id: str
    tags: tuple[str, ...]
    repo_digests: tuple[str, ...]
    labels: dict[str, str]


class ImageStore(Protocol):
    """Local images, by reference."""

    def get(self, ref: str) -> LocalImage | None:
        """The image named ``ref``, or None when the engine has no such image."""

    def all(self) -> list[LocalImage]:
        """Every image in the engine."""

    def remove(self, ref: str) -> None:
        """Remove the tag ``ref`` (the image too when nothing else names it)."""


def _local_image(attrs: dict[str, Any]) -> LocalImage:
    config = attrs.get("Config") or {}
    return LocalImage(
        image_id=str(attrs.get("Id", "")),
        tags=tuple(attrs.get("RepoTags") or ()),
        repo_digests=tuple(attrs.get("RepoDigests") or ()),
        labels=dict(config.get("Labels") or {}),
    )


class DockerImageStore:
    """:class:`ImageStore` backed by the Docker engine (``DOCKER_HOST`` or the default socket)."""

    def __init__(self) -> None:
        try:
            import docker
            import docker.errors

            self._client = docker.from_env()
            self._client.ping()
        except Exception as exc:  # the SDK raises several types for an absent engine
            raise EngineError(f"cannot reach the Docker engine: {exc}") from None
        self._not_found = docker.errors.ImageNotFound
        self._api_error = docker.errors.APIError

    def get(self, ref: str) -> LocalImage | None:
        try:
            return _local_image(self._client.images.get(ref).attrs)
        except self._not_found:
            return None
        except self._api_error as exc:
            if "invalid reference" in str(exc):
                raise InputError(f"{ref!r} is not a valid image reference") from None
            raise EngineError(f"docker: {exc}") from None

    def all(self) -> list[LocalImage]:
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
