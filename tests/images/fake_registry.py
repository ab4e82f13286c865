"""A tiny OCI registry over real HTTP on loopback (manifests and blobs of one repository), for unit tests."""

from __future__ import annotations

import gzip
import hashlib
import json
import threading
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
        def do_GET(self) -> None:
            registry.requests.append(self.path)
            parts = self.path.split("/")  # /v2/<name...>/manifests/<ref> or /blobs/<digest>
            kind, ref = parts[-2], parts[-1]
            if kind == "manifests" and ref in registry.manifests:
                media, body = registry.manifests[ref]
            elif kind == "blobs" and ref in registry.blobs:
                media, body = "application/octet-stream", registry.blobs[ref]
            else:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", media)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@contextmanager
def serving(registry: Registry) -> Iterator[Registry]:
    """Serve ``registry`` on 127.0.0.1 (a free port) while in the block."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(registry))
    registry.host = f"127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield registry
    finally:
        server.shutdown()
        server.server_close()
