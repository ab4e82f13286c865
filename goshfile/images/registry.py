"""A small read-only client of the OCI distribution API: manifests, configs and layer blobs.

Used to verify and hash images that are not in the local engine. Anonymous
access (with the registry's bearer-token challenge answered anonymously); plain
HTTP only for loopback registries, as Docker allows by default. Nothing the
registry sends is trusted: the manifest's digest is computed from its bytes
(and must equal the reference's digest when it has one), the config must have
the digest the manifest names, and :class:`Blob` checks each layer's digest as
it streams.
"""

from __future__ import annotations

import hashlib
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from goshfile.errors import EngineError, InputError, VerificationError
from goshfile.images.reference import Reference

INDEX_TYPES = ("application/vnd.oci.image.index.v1+json", "application/vnd.docker.distribution.manifest.list.v2+json")
MANIFEST_TYPES = ("application/vnd.oci.image.manifest.v1+json", "application/vnd.docker.distribution.manifest.v2+json")
_LOOPBACK = re.compile(r"^(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?$")


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

    def __init__(self, response: Any, digest: str) -> None:
        algorithm, _, _ = digest.partition(":")
        if algorithm != "sha256":
            raise InputError(f"blob {digest}: only sha256 digests are supported")
        self._response = response
        self._digest = digest
        self._hash = hashlib.sha256()
        self.read_bytes = 0

    def readinto(self, buffer: memoryview) -> int:
        n = self._response.readinto(buffer) or 0
        if n:
            self._hash.update(buffer[:n])
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


class RegistryClient:
    """Fetch manifests and configs from a registry."""

    def __init__(self, platform: tuple[str, str] = ("linux", "amd64"), timeout: float = 30) -> None:
        self.platform = platform
        self.timeout = timeout
        self._tokens: dict[str, str] = {}

    def _base(self, ref: Reference) -> str:
        domain = "registry-1.docker.io" if ref.domain == "docker.io" else ref.domain
        scheme = "http" if _LOOPBACK.match(domain) else "https"
        return f"{scheme}://{domain}/v2/{ref.path}"

    def _open(self, url: str, accept: tuple[str, ...], repo: str) -> Any:
        headers = {"Accept": ", ".join(accept)}
        if repo in self._tokens:
            headers["Authorization"] = f"Bearer {self._tokens[repo]}"
        try:
            return urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=self.timeout)
        except urllib.error.HTTPError as exc:
            challenge = exc.headers.get("WWW-Authenticate", "")
            if exc.code == 401 and challenge.startswith("Bearer") and repo not in self._tokens:
                self._tokens[repo] = self._token(challenge)
                return self._open(url, accept, repo)
            if exc.code == 404:
                raise InputError(f"{url}: not found in the registry") from None
            raise EngineError(f"registry answered {exc.code} for {url}") from None
        except OSError as exc:
            raise EngineError(f"cannot reach the registry for {url}: {exc}") from None

    def _get(self, url: str, accept: tuple[str, ...], repo: str) -> tuple[bytes, dict[str, str]]:
        with self._open(url, accept, repo) as res:
            try:
                return res.read(), dict(res.headers.items())
            except OSError as exc:
                raise EngineError(f"reading {url} from the registry: {exc}") from None

    def _token(self, challenge: str) -> str:
        params = dict(re.findall(r'(\w+)="([^"]*)"', challenge))
        realm = params.pop("realm", "")
        if not realm:
            raise EngineError("registry asked for a token without a realm")
        url = realm + "?" + urllib.parse.urlencode(params)
        try:
            with urllib.request.urlopen(url, timeout=self.timeout) as res:
                body = json.loads(res.read())
        except (OSError, ValueError) as exc:
            raise EngineError(f"registry token request failed: {exc}") from None
        return str(body.get("token") or body.get("access_token") or "")

    def inspect(self, ref: Reference) -> RemoteImage:
        """The manifest digest of ``ref`` (index digest for multi-platform images), its config and layers."""
        base = self._base(ref)
        target = ref.digest or ref.tag or "latest"
        body, _ = self._get(f"{base}/manifests/{target}", INDEX_TYPES + MANIFEST_TYPES, ref.path)
        digest = _sha256(body)
        if ref.digest and ref.digest != digest:
            raise VerificationError(f"{ref}: the registry sent a manifest with digest {digest}")
        manifest = json.loads(body)
        if manifest.get("mediaType") in INDEX_TYPES or "manifests" in manifest:
            os_, arch = self.platform
            platforms = [(m, m.get("platform") or {}) for m in manifest.get("manifests", [])]
            chosen = next((m for m, p in platforms if p.get("os") == os_ and p.get("architecture") == arch), None)
            if chosen is None:
                raise InputError(f"{ref}: no {os_}/{arch} image in its index")
            body, _ = self._get(f"{base}/manifests/{chosen['digest']}", MANIFEST_TYPES, ref.path)
            if _sha256(body) != chosen["digest"]:
                raise VerificationError(f"{ref}: the registry sent a platform manifest with another digest")
            manifest = json.loads(body)
        config_digest = manifest["config"]["digest"]
        config, _ = self._get(f"{base}/blobs/{config_digest}", ("*/*",), ref.path)
        if _sha256(config) != config_digest:
            raise VerificationError(f"{ref}: the registry sent a config with another digest than {config_digest}")
        layers = tuple((str(d["digest"]), int(d.get("size") or 0)) for d in manifest.get("layers") or ())
        return RemoteImage(digest, json.loads(config), config_digest, layers)

    def blob(self, ref: Reference, digest: str) -> Blob:
        """A blob of ``ref``'s repository, streamed; its digest is checked when it has been read to the end."""
        return Blob(self._open(f"{self._base(ref)}/blobs/{digest}", ("*/*",), ref.path), digest)
