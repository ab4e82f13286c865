"""The few Docker Engine API calls that reading local images needs, over the engine's unix socket.

``goshfile verify`` only asks the engine what it knows about an image
(``GET /images/{name}/json``); importing the Docker SDK (requests, urllib3 and
the SDK's own modules) for that cost more than the rest of the command's start.
:class:`EngineApi` makes those read-only calls with the standard library's
HTTP client. It serves only the engine's unix socket (``DOCKER_HOST`` unset or
``unix://...``); for any other ``DOCKER_HOST`` (tcp, ssh, TLS) callers use the SDK.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import urllib.parse
from typing import Any

from goshfile.errors import EngineError

DEFAULT_SOCKET = "/var/run/docker.sock"
_TIMEOUT = 60.0


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str) -> None:
        super().__init__("localhost", timeout=_TIMEOUT)
        self._path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(_TIMEOUT)
        try:
            sock.connect(self._path)
        except OSError:
            sock.close()
            raise
        self.sock = sock


class EngineApi:
    """Read-only JSON calls to a Docker engine on a unix socket; one connection, kept open."""

    def __init__(self, socket_path: str) -> None:
        self.socket_path = socket_path
        self._conn: _UnixConnection | None = None

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> EngineApi | None:
        """The engine ``DOCKER_HOST`` names when it is a unix socket (or unset); None otherwise."""
        host = (os.environ if environ is None else environ).get("DOCKER_HOST", "")
        if not host:
            return cls(DEFAULT_SOCKET)
        if host.startswith("unix://"):
            return cls(host.removeprefix("unix://"))
        return None

    def get(self, path: str) -> tuple[int, Any]:
        """``GET path``: the status and the decoded JSON body (None when the body is not JSON)."""
        for attempt in (1, 2):  # a kept-alive connection the engine closed is opened again once
            if self._conn is None:
                self._conn = _UnixConnection(self.socket_path)
            try:
                self._conn.request("GET", path, headers={"Host": "docker"})
                response = self._conn.getresponse()
                body = response.read()
                break
            except (http.client.HTTPException, OSError) as exc:
                self.close()
                if attempt == 2 or isinstance(exc, FileNotFoundError | ConnectionRefusedError):
                    raise EngineError(f"cannot reach the Docker engine at unix://{self.socket_path}: {exc}") from None
        try:
            data = json.loads(body) if body else None
        except ValueError:
            data = None
        return response.status, data

    def ping(self) -> None:
        """Raise :class:`EngineError` unless the engine answers ``/_ping``."""
        status, _ = self.get("/_ping")
        if status != 200:
            raise EngineError(f"the Docker engine at unix://{self.socket_path} answered /_ping with {status}")

    def inspect_image(self, ref: str) -> dict[str, Any] | None:
        """``docker image inspect ref``; None when there is no such image.

        Raises ValueError for a reference the engine refuses, EngineError for other answers.
        """
        status, data = self.get(f"/images/{urllib.parse.quote(ref, safe='/:@')}/json")
        if status == 200 and isinstance(data, dict):
            return data
        message = data.get("message", "") if isinstance(data, dict) else ""
        if status == 404:
            return None
        if status == 400 and "invalid reference" in message:
            raise ValueError(message)
        raise EngineError(f"docker: image inspect {ref}: {status} {message}".rstrip())

    def image_ids(self) -> list[str]:
        """The IDs of the engine's images (``docker images -q``, untagged ones included)."""
        status, data = self.get("/images/json")
        if status != 200 or not isinstance(data, list):
            raise EngineError(f"docker: images: {status}")
        return [str(item.get("Id", "")) for item in data if isinstance(item, dict)]

    def close(self) -> None:
        """Close the connection (it opens again on the next call)."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None
