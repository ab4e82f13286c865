"""A tiny OCI registry over real HTTP on loopback (manifests and blobs of one repository), for unit tests.

It reads and writes (monolithic blob uploads, manifest puts), answers the OCI 1.1
referrers API only when ``referrers_api`` is set (Debian's registry 2.8 does not),
asks for basic auth when ``basic_auth`` is set, and sends blob downloads to another
host (``redirect_blobs_to``, a :class:`Storage` on 127.0.0.2) as registries on object
storage do; every request's Authorization header is recorded.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import threading
import urllib.parse
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MANIFEST = "application/vnd.oci.image.manifest.v1+json"
INDEX = "application/vnd.oci.image.index.v1+json"


def digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass
class Registry:
    """What the fake serves: manifests by tag or digest, blobs by digest; ``host`` once started."""

    manifests: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # ref -> (media type, body)
    blobs: dict[str, bytes] = field(default_factory=dict)
    host: str = ""
    requests: list[str] = field(default_factory=list)
    referrers_api: bool = False
    basic_auth: tuple[str, str] | None = None
    redirect_blobs_to: str = ""  # host:port of a Storage serving the blobs
    authorizations: list[tuple[str, str]] = field(default_factory=list)  # (path, Authorization header)
    uploads: dict[str, bytes] = field(default_factory=dict)

    def referrers(self, subject: str) -> list[dict[str, object]]:
        """The referrers index entries of ``subject`` (manifests whose ``subject`` names it)."""
        out: list[dict[str, object]] = []
        for ref, (media, body) in self.manifests.items():
            if not ref.startswith("sha256:"):
                continue
            manifest = json.loads(body)
            if (manifest.get("subject") or {}).get("digest") == subject:
                kind = manifest.get("artifactType") or manifest["config"]["mediaType"]
                out.append({"mediaType": media, "digest": ref, "size": len(body), "artifactType": kind})
        return out

    def blob(self, data: bytes) -> str:
        self.blobs[digest(data)] = data
        return digest(data)

    def image(self, tag: str, layers: Sequence[bytes], labels: dict[str, str] | None = None) -> str:
        """Publish an image of uncompressed ``layers`` (stored gzip-compressed) under ``tag``; return its digest."""
        config = json.dumps(
            {
                "architecture": "amd64",
                "os": "linux",
                "config": {"Labels": labels or {}},
                "rootfs": {"type": "layers", "diff_ids": [digest(layer) for layer in layers]},
            }
        ).encode()
        compressed = [gzip.compress(layer, mtime=0) for layer in layers]
        manifest = json.dumps(
            {
                "schemaVersion": 2,
                "mediaType": MANIFEST,
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": self.blob(config)},
                "layers": [
                    {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": self.blob(c), "size": len(c)}
                    for c in compressed
                ],
            }
        ).encode()
        self.manifests[tag] = self.manifests[digest(manifest)] = (MANIFEST, manifest)
        return digest(manifest)

    def index(self, tag: str, platform_digests: dict[tuple[str, str], str]) -> str:
        """Publish an index of already published manifests under ``tag``; return its digest."""
        body = json.dumps(
            {
                "schemaVersion": 2,
                "mediaType": INDEX,
                "manifests": [
                    {"mediaType": MANIFEST, "digest": d, "platform": {"os": os_, "architecture": arch}}
                    for (os_, arch), d in platform_digests.items()
                ],
            }
        ).encode()
        self.manifests[tag] = self.manifests[digest(body)] = (INDEX, body)
        return digest(body)


def _handler(registry: Registry) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _authorized(self) -> bool:
            header = self.headers.get("Authorization", "")
            registry.authorizations.append((self.path, header))
            if registry.basic_auth is None:
                return True
            user, password = registry.basic_auth
            if header == "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode():
                return True
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="fake"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return False

        def _send(
            self, status: int, body: bytes = b"", media: str = "application/octet-stream", **headers: str
        ) -> None:
            self.send_response(status)
            self.send_header("Content-Type", media)
            self.send_header("Content-Length", str(len(body)))
            for key, value in headers.items():
                self.send_header(key.replace("_", "-"), value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _body(self) -> bytes:
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def do_GET(self) -> None:
            registry.requests.append(self.path)
            if not self._authorized():
                return
            path = self.path.split("?", 1)[0]
            parts = path.split("/")  # /v2/<name...>/manifests/<ref>, /blobs/<digest> or /referrers/<digest>
            kind, ref = parts[-2], parts[-1]
            if kind == "manifests" and ref in registry.manifests:
                media, body = registry.manifests[ref]
            elif kind == "blobs" and ref in registry.blobs:
                if registry.redirect_blobs_to and self.command == "GET":
                    self._send(307, Location=f"http://{registry.redirect_blobs_to}/storage/{ref}")
                    return
                media, body = "application/octet-stream", registry.blobs[ref]
            elif kind == "tags" and ref == "list":  # one repository per fake: every tag it holds
                media = "application/json"
                tags = sorted(r for r in registry.manifests if not r.startswith("sha256:"))
                body = json.dumps({"name": "/".join(parts[2:-2]), "tags": tags}).encode()
            elif kind == "referrers" and registry.referrers_api:
                media = INDEX
                body = json.dumps(
                    {"schemaVersion": 2, "mediaType": INDEX, "manifests": registry.referrers(ref)}
                ).encode()
            else:
                self._send(404, b'{"errors":[{"code":"NOT_FOUND"}]}', "application/json")
                return
            self._send(200, body, media)

        do_HEAD = do_GET

        def do_POST(self) -> None:
            registry.requests.append("POST " + self.path)
            self._body()
            if not self._authorized():
                return
            if self.path.rstrip("/").endswith("/blobs/uploads"):
                upload = uuid.uuid4().hex
                registry.uploads[upload] = b""
                self._send(202, Location=f"{self.path.rstrip('/')}/{upload}?state=x")
                return
            self._send(404)

        def do_PUT(self) -> None:
            registry.requests.append("PUT " + self.path)
            data = self._body()
            if not self._authorized():
                return
            path, _, query = self.path.partition("?")
            parts = path.split("/")
            if "uploads" in parts:
                params = urllib.parse.parse_qs(query)
                if parts[-1] not in registry.uploads or [digest(data)] != params.get("digest"):
                    self._send(400, b"bad upload")
                    return
                registry.blobs[digest(data)] = data
                self._send(201, Location=f"/v2/x/blobs/{digest(data)}")
                return
            if parts[-2] == "manifests":
                manifest = json.loads(data)
                if "manifests" in manifest:  # an index: the manifests it names must be there
                    missing = [d["digest"] for d in manifest["manifests"] if d["digest"] not in registry.manifests]
                else:
                    wanted = [manifest["config"], *manifest.get("layers", [])]
                    missing = [d["digest"] for d in wanted if d["digest"] not in registry.blobs]
                if missing:
                    self._send(400, json.dumps({"errors": [{"code": "BLOB_UNKNOWN"}]}).encode(), "application/json")
                    return
                media = self.headers.get("Content-Type", MANIFEST)
                registry.manifests[digest(data)] = (media, data)
                registry.manifests[parts[-1]] = (media, data)
                self._send(201, Docker_Content_Digest=digest(data))
                return
            self._send(404)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@dataclass
class Storage:
    """Another host that serves the registry's blobs (where blob downloads are redirected)."""

    registry: Registry
    host: str = ""
    authorizations: list[str] = field(default_factory=list)


def _storage_handler(storage: Storage) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            storage.authorizations.append(self.headers.get("Authorization", ""))
            body = storage.registry.blobs.get(self.path.rsplit("/", 1)[-1])
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@contextmanager
def _serve(handler: type[BaseHTTPRequestHandler], address: str) -> Iterator[str]:
    server = ThreadingHTTPServer((address, 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield f"{address}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def serving(registry: Registry) -> Iterator[Registry]:
    """Serve ``registry`` on 127.0.0.1 (a free port) while in the block."""
    with _serve(_handler(registry), "127.0.0.1") as host:
        registry.host = host
        yield registry


@contextmanager
def storage_for(registry: Registry) -> Iterator[Storage]:
    """Serve ``registry``'s blobs from 127.0.0.2 and redirect its blob downloads there while in the block."""
    storage = Storage(registry)
    with _serve(_storage_handler(storage), "127.0.0.2") as host:
        storage.host = registry.redirect_blobs_to = host
        try:
            yield storage
        finally:
            registry.redirect_blobs_to = ""
