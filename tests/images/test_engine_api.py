"""The light engine client against a fake Docker engine on a unix socket."""

from __future__ import annotations

import json
import socketserver
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from goshfile.errors import EngineError
from goshfile.images.engine_api import DEFAULT_SOCKET, EngineApi

IMAGE_ID = "sha256:" + "a" * 64
IMAGE: dict[str, object] = {"Id": IMAGE_ID, "RepoTags": ["app:1"], "Config": {"Labels": {"k": "v"}}}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def address_string(self) -> str:
        return "fake"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _send(self, status: int, body: object) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        if self.path == "/_ping":
            self._send(200, "OK")
        elif self.path == "/images/json":
            self._send(200, [{"Id": IMAGE_ID}])
        elif self.path in ("/images/app:1/json", f"/images/{IMAGE['Id']}/json"):
            self._send(200, IMAGE)
        elif self.path == "/images/Bad::ref/json":
            self._send(400, {"message": "invalid reference format"})
        elif self.path == "/images/broken/json":
            self._send(500, {"message": "storage is broken"})
        else:
            self._send(404, {"message": "No such image"})


class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[EngineApi]:
    path = str(tmp_path / "docker.sock")
    server = Server(path, Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    api = EngineApi(path)
    try:
        yield api
    finally:
        api.close()
        server.shutdown()
        server.server_close()


def test_inspect_ping_and_list(engine: EngineApi) -> None:
    engine.ping()
    assert engine.inspect_image("app:1") == IMAGE
    assert engine.inspect_image("missing:1") is None
    assert engine.image_ids() == [IMAGE_ID]
    assert engine.inspect_image(IMAGE_ID) == IMAGE  # the same connection, kept alive


def test_refused_references_and_engine_errors(engine: EngineApi) -> None:
    with pytest.raises(ValueError, match="invalid reference"):
        engine.inspect_image("Bad::ref")
    with pytest.raises(EngineError, match="500 storage is broken"):
        engine.inspect_image("broken")


def test_an_absent_engine_is_an_engine_error(tmp_path: Path) -> None:
    with pytest.raises(EngineError, match="cannot reach the Docker engine"):
        EngineApi(str(tmp_path / "none.sock")).ping()


def test_only_unix_sockets_are_served() -> None:
    default = EngineApi.from_env({})
    assert default is not None and default.socket_path == DEFAULT_SOCKET
    named = EngineApi.from_env({"DOCKER_HOST": "unix:///run/x/docker.sock"})
    assert named is not None and named.socket_path == "/run/x/docker.sock"
    assert EngineApi.from_env({"DOCKER_HOST": "tcp://127.0.0.1:2375"}) is None
