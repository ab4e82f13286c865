"""A small read-only client of the OCI distribution API: manifests, configs and layer blobs.

Used to verify and hash images that are not in the local engine, and to write
signatures and attestations next to them. Credentials, auth and redirects are
:mod:`goshfile.images.registry_http`'s. Nothing the
registry sends is trusted: the manifest's digest is computed from its bytes
(and must equal the reference's digest when it has one), the config must have
the digest the manifest names, and :class:`Blob` checks each layer's digest as
it streams.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from goshfile.errors import EngineError, InputError, VerificationError
from goshfile.httpclient import httpx
from goshfile.images.reference import Reference
from goshfile.images.registry_http import CredentialSource, RegistryHTTP

INDEX_TYPES = ("application/vnd.oci.image.index.v1+json", "application/vnd.docker.distribution.manifest.list.v2+json")
MANIFEST_TYPES = ("application/vnd.oci.image.manifest.v1+json", "application/vnd.docker.distribution.manifest.v2+json")
MAX_SMALL_BLOB = 16 << 20  # configs, signature payloads, attestations


@dataclass(frozen=True)
class RemoteImage:
    """What a registry says about an image: its manifest digest and its config."""

    digest: str
    config: dict[str, Any]

    config_digest: str = ""
    layers: tuple[tuple[str, int], ...] = ()  # (digest, size) of each layer blob, lowest first

    @property
    def labels(self) -> dict[str, str]:
        """The image's labels."""
        return dict((self.config.get("config") or {}).get("Labels") or {})


def _sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


class Blob:
    """A layer blob as it streams from the registry (a Source); raises at its end unless its digest matches."""

    def __init__(self, response: httpx.Response, digest: str) -> None:
        algorithm, _, _ = digest.partition(":")
        if algorithm != "sha256":
            response.close()
            raise InputError(f"blob {digest}: only sha256 digests are supported")
        self._response = response
        self._chunks: Iterator[bytes] = response.iter_raw(1 << 16)
        self._pending = b""
        self._digest = digest
        self._hash = hashlib.sha256()
        self.read_bytes = 0

    def readinto(self, buffer: memoryview) -> int:
        while not self._pending:
            try:
                self._pending = next(self._chunks)
            except StopIteration:
                break
            except httpx.HTTPError as exc:
                raise EngineError(f"reading blob {self._digest} from the registry: {exc}") from exc
        n = min(len(buffer), len(self._pending))
        if n:
            buffer[:n] = self._pending[:n]
            self._hash.update(self._pending[:n])
            self._pending = self._pending[n:]
            self.read_bytes += n
            return n
        if "sha256:" + self._hash.hexdigest() != self._digest:
            raise VerificationError(
                f"layer blob {self._digest} from the registry has another digest: corrupt or tampered"
            )
        return 0

    def close(self) -> None:
        """Close the connection."""
        self._response.close()


@dataclass(frozen=True)
class Manifest:
    """A manifest as the registry sent it: its bytes, media type and (computed) digest."""

    body: bytes
    media_type: str
    digest: str

    def json(self) -> dict[str, Any]:
        """The manifest's JSON object."""
        try:
            value = json.loads(self.body)
        except ValueError:
            raise VerificationError(f"manifest {self.digest} is not JSON") from None
        if not isinstance(value, dict):
            raise VerificationError(f"manifest {self.digest} is not a JSON object")
        return value


def _raise_for(response: httpx.Response, what: str) -> None:
    if response.status_code == 404:
        raise InputError(f"{what}: not found in the registry")
    if response.status_code >= 300:
        raise EngineError(f"the registry answered {response.status_code} for {what}")


class RegistryClient:
    """Read and write manifests and blobs of registries (see :mod:`goshfile.images.registry_http`)."""

    def __init__(
        self,
        platform: tuple[str, str] = ("linux", "amd64"),
        timeout: float = 30,
        *,
        insecure: Iterable[str] = (),
        credentials: CredentialSource | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.platform = platform
        self.http = RegistryHTTP(timeout, insecure, credentials, transport)

    def _repo(self, ref: Reference) -> str:
        return f"{self.http.base(ref.domain)}/v2/{ref.path}"

    @staticmethod
    def _scope(ref: Reference, push: bool = False) -> str:
        return f"repository:{ref.path}:{'pull,push' if push else 'pull'}"

    def _get(self, ref: Reference, url: str, accept: tuple[str, ...], what: str) -> httpx.Response:
        response = self.http.request("GET", url, self._scope(ref), headers={"Accept": ", ".join(accept)})
        _raise_for(response, what)
        return response

    def manifest(self, ref: Reference, target: str | None = None, accept: tuple[str, ...] = ()) -> Manifest:
        """The manifest ``target`` (a tag or digest; default: the reference's) with its digest checked."""
        target = target or ref.digest or ref.tag or "latest"
        what = f"{ref.name}@{target}" if target.startswith("sha256:") else f"{ref.name}:{target}"
        response = self._get(ref, f"{self._repo(ref)}/manifests/{target}", accept or INDEX_TYPES + MANIFEST_TYPES, what)
        body = response.content
        digest = _sha256(body)
        if target.startswith("sha256:") and digest != target:
            raise VerificationError(f"{what}: the registry sent a manifest with digest {digest}")
        media = response.headers.get("content-type", "").split(";")[0].strip()
        return Manifest(body, media, digest)

    def find_manifest(self, ref: Reference, target: str, accept: tuple[str, ...] = ()) -> Manifest | None:
        """:meth:`manifest`, or None when the registry has no such tag or digest."""
        try:
            return self.manifest(ref, target, accept)
        except InputError:
            return None

    def list_tags(self, ref: Reference, limit: int = 200) -> list[str]:
        """The repository's tags (``GET /v2/<name>/tags/list?n=limit``), as the registry lists them."""
        what = f"the tags of {ref.name}"
        response = self.http.request("GET", f"{self._repo(ref)}/tags/list?n={limit}", self._scope(ref))
        if response.status_code == 404:
            raise InputError(f"{ref.name}: no such repository in its registry")
        _raise_for(response, what)
        try:
            tags = response.json().get("tags") or []
        except (ValueError, AttributeError) as exc:
            raise EngineError(f"the registry sent {what} in a form that is not a JSON tag list") from exc
        return [str(tag) for tag in tags][:limit]

    def inspect(self, ref: Reference) -> RemoteImage:
        """The manifest digest of ``ref`` (index digest for multi-platform images), its config and layers."""
        top = self.manifest(ref)
        digest = top.digest
        manifest = top.json()
        if manifest.get("mediaType") in INDEX_TYPES or "manifests" in manifest:
            os_, arch = self.platform
            platforms = [(m, m.get("platform") or {}) for m in manifest.get("manifests", [])]
            chosen = next((m for m, p in platforms if p.get("os") == os_ and p.get("architecture") == arch), None)
            if chosen is None:
                raise InputError(f"{ref}: no {os_}/{arch} image in its index")
            manifest = self.manifest(ref, str(chosen["digest"]), MANIFEST_TYPES).json()
        config_digest = manifest["config"]["digest"]
        try:
            config = self.blob_bytes(ref, config_digest)
        except VerificationError:
            raise VerificationError(
                f"{ref}: the registry sent a config with another digest than {config_digest}"
            ) from None
        layers = tuple((str(d["digest"]), int(d.get("size") or 0)) for d in manifest.get("layers") or ())
        return RemoteImage(digest, json.loads(config), config_digest, layers)

    def blob(self, ref: Reference, digest: str) -> Blob:
        """A blob of ``ref``'s repository, streamed; its digest is checked when it has been read to the end."""
        url = f"{self._repo(ref)}/blobs/{digest}"
        response = self.http.request("GET", url, self._scope(ref), headers={"Accept": "*/*"}, stream=True)
        if response.status_code >= 300:
            response.close()
            _raise_for(response, f"blob {digest} of {ref.name}")
        return Blob(response, digest)

    def blob_bytes(self, ref: Reference, digest: str, limit: int = MAX_SMALL_BLOB) -> bytes:
        """A small blob (a config, a signature payload, an envelope), whole, its digest checked."""
        response = self._get(ref, f"{self._repo(ref)}/blobs/{digest}", ("*/*",), f"blob {digest} of {ref.name}")
        data = response.content
        if len(data) > limit:
            raise VerificationError(f"blob {digest} of {ref.name} is larger than {limit} bytes")
        if _sha256(data) != digest:
            raise VerificationError(f"blob {digest} of {ref.name}: the registry sent bytes with another digest")
        return data

    def has_blob(self, ref: Reference, digest: str) -> bool:
        """True when the repository holds the blob."""
        response = self.http.request("HEAD", f"{self._repo(ref)}/blobs/{digest}", self._scope(ref, push=True))
        response.close()
        return response.status_code == 200

    def push_blob(self, ref: Reference, data: bytes) -> str:
        """Upload ``data`` as a blob of ``ref``'s repository (unless it is there); return its digest."""
        digest = _sha256(data)
        if self.has_blob(ref, digest):
            return digest
        scope = self._scope(ref, push=True)
        started = self.http.request("POST", f"{self._repo(ref)}/blobs/uploads/", scope, content=b"")
        if started.status_code != 202 or "location" not in started.headers:
            _raise_for(started, f"starting a blob upload to {ref.name}")
            raise EngineError(f"the registry answered {started.status_code} without a location to a blob upload")
        location = httpx.URL(self._repo(ref)).join(started.headers["location"])
        url = location.copy_merge_params({"digest": digest})
        done = self.http.request(
            "PUT", str(url), scope, headers={"Content-Type": "application/octet-stream"}, content=data
        )
        if done.status_code != 201:
            _raise_for(done, f"uploading blob {digest} to {ref.name}")
            raise EngineError(f"the registry answered {done.status_code} to the upload of blob {digest}")
        return digest

    def push_manifest(self, ref: Reference, target: str, body: bytes, media_type: str) -> str:
        """Put a manifest under ``target`` (a tag, or its own digest); return its digest."""
        digest = _sha256(body)
        url = f"{self._repo(ref)}/manifests/{target}"
        done = self.http.request(
            "PUT", url, self._scope(ref, push=True), headers={"Content-Type": media_type}, content=body
        )
        if done.status_code not in (200, 201):
            _raise_for(done, f"putting manifest {target} in {ref.name}")
            raise EngineError(f"the registry answered {done.status_code} to a manifest put in {ref.name}")
        return digest

    def delete_manifest(self, ref: Reference, digest: str) -> None:
        """Delete a manifest by digest (registries may refuse: EngineError)."""
        done = self.http.request("DELETE", f"{self._repo(ref)}/manifests/{digest}", self._scope(ref, push=True))
        if done.status_code not in (200, 202):
            _raise_for(done, f"deleting manifest {digest} of {ref.name}")

    def referrers(self, ref: Reference, digest: str) -> list[dict[str, Any]] | None:
        """The OCI 1.1 referrers of ``digest``, or None when the registry has no referrers API."""
        url = f"{self._repo(ref)}/referrers/{digest}"
        response = self.http.request("GET", url, self._scope(ref), headers={"Accept": INDEX_TYPES[0]})
        if response.status_code != 200:
            response.close()
            if response.status_code in (404, 405, 400):
                return None
            _raise_for(response, f"referrers of {ref.name}@{digest}")
        try:
            index = response.json()
        except ValueError:
            return None  # some registries answer unknown routes with an HTML page
        if not isinstance(index, dict) or not isinstance(index.get("manifests"), list):
            return None
        return [m for m in index["manifests"] if isinstance(m, dict)]
