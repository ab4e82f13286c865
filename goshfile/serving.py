"""Serve a Starlette (ASGI) app with uvicorn, with the limits a server on a hostile network needs.

One process can serve several apps (the node and the dashboard) by mounting them in one Starlette app
and giving that to :class:`AppServer`. The limits, all in :class:`Limits`:

- **idle timeout**: a connection must send a complete request line and headers within
  ``idle_timeout`` seconds of being opened or of its previous response, or it is closed (with a 408
  JSON error when part of a request had come). A slow-header client cannot hold a connection;
- **connection cap**: at ``max_connections`` open connections a new one makes room by closing the
  connection that has been idle longest; when every connection is busy it gets a 503 and is closed.
  Idle connections cost a file descriptor and a few kilobytes each, never a thread;
- **header size**: request line and headers at most ``max_header_bytes`` together;
- **malformed requests** (request line, header syntax, a ``Content-Length`` that is not ASCII digits)
  get a 400 JSON error, never a traceback.

Body sizes, body read timeouts and handler timeouts are the app's business (it knows what it
expects); :mod:`goshfile.web` has the helpers apps use, and the JSON error shape this module also
answers protocol errors with.

:func:`in_background` runs a server on a thread for tests and embedding, and returns once it is
listening.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import socketserver
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import h11
import uvicorn
from starlette.types import ASGIApp
from uvicorn.protocols.http.h11_impl import H11Protocol

from goshfile.errors import EngineError
from goshfile.web import error_body

log = logging.getLogger("goshfile.server")
CLOSE = (b"connection", b"close")


@dataclass(frozen=True)
class Limits:
    """The server's limits (see the module docstring); the defaults suit a team's node."""

    idle_timeout: float = 10.0  # seconds to send a request head after connecting or after a response
    body_timeout: float = 30.0  # seconds without any body bytes before a request is abandoned (408)
    request_timeout: float = 30.0  # seconds a JSON handler may take before the client gets a 503
    max_connections: int = 1024  # open connections at once (idle ones are closed first to make room)
    max_header_bytes: int = 16 * 1024  # request line + headers


def _raw_response(status: int, code: str, message: str) -> bytes:
    body = error_body(status, code, message)
    head = (
        f"HTTP/1.1 {status} {code.replace('_', ' ')}\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\ncache-control: no-store\r\nconnection: close\r\n\r\n"
    )
    return head.encode() + body


class _Protocol(H11Protocol):
    """uvicorn's h11 protocol with the idle timeout, the connection cap and JSON protocol errors."""

    limits = Limits()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self._timer: asyncio.TimerHandle | None = None
        self._idle_since: float | None = time.monotonic()
        self._partial = False
        self._current: Any = None  # the request cycle being served, once its head has arrived
        if len(self.connections) >= self.limits.max_connections and not self._make_room():
            log.warning("connection limit (%d) reached with every connection busy", self.limits.max_connections)
            transport.write(_raw_response(503, "too_many_connections", "the server is busy; try again"))
            transport.close()
            return
        super().connection_made(transport)
        self._arm()

    def _make_room(self) -> bool:
        """Close the connection idle for longest; False when none is idle."""
        idle = [c for c in self.connections if isinstance(c, _Protocol) and c._idle_since is not None]
        if not idle:
            return False
        oldest = min(idle, key=lambda c: c._idle_since or 0.0)
        oldest._close_idle()
        self.connections.discard(oldest)
        return True

    def _arm(self) -> None:
        self._disarm()
        self._idle_since = time.monotonic()
        self._partial = False
        self._timer = self.loop.call_later(self.limits.idle_timeout, self._expire)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _close_idle(self) -> None:
        self._disarm()
        if not self.transport.is_closing():
            with contextlib.suppress(h11.LocalProtocolError):
                self.conn.send(h11.ConnectionClosed())
            self.transport.close()

    def _expire(self) -> None:
        self._timer = None
        if self.transport.is_closing():
            return
        if self._partial and self.conn.our_state in (h11.IDLE, h11.SEND_RESPONSE):
            message = f"the request line and headers did not arrive within {self.limits.idle_timeout:g} s"
            self.transport.write(_raw_response(408, "request_timeout", message))
        self._close_idle()

    def data_received(self, data: bytes) -> None:
        if self._idle_since is not None:
            self._partial = True
        super().data_received(data)
        if self.cycle is not None and self.cycle is not self._current:  # a new request head arrived
            self._current = self.cycle
            self._idle_since = None
            self._disarm()
            if self.timeout_keep_alive_task is not None:  # uvicorn's own timer: this one replaces it
                self.timeout_keep_alive_task.cancel()
                self.timeout_keep_alive_task = None

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self.cycle is not None and self.cycle is not self._current:  # a pipelined request started
            self._current = self.cycle
            return
        if not self.transport.is_closing() and (self.cycle is None or self.cycle.response_complete):
            self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        self._idle_since = None
        if self.transport is not None:
            super().connection_lost(exc)

    def send_400_response(self, msg: str) -> None:
        message = "malformed HTTP request (request line, headers or Content-Length), or headers over "
        message += f"{self.limits.max_header_bytes} bytes"
        body = error_body(400, "bad_request", message)
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), CLOSE]
        try:
            self.transport.write(self.conn.send(h11.Response(status_code=400, headers=headers, reason=b"Bad Request")))
            self.transport.write(self.conn.send(h11.Data(data=body)))
            self.transport.write(self.conn.send(h11.EndOfMessage()))
        except h11.LocalProtocolError:  # a response was already under way: only closing is left
            pass
        self._disarm()
        self.transport.close()


class _Server(uvicorn.Server):
    """uvicorn's server with an event set once it is listening (or has failed to start)."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = threading.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        try:
            await super().startup(sockets)
        finally:
            self.ready.set()


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (port 0 picks a free one); EngineError when it cannot be had."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        family, kind, proto, _, address = infos[0]
        sock = socket.socket(family, kind, proto)
    except OSError as exc:
        raise EngineError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(256)
    except OSError as exc:
        sock.close()
        raise EngineError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.setblocking(False)
    return sock


class AppServer:
    """An ASGI app served by uvicorn on one socket, with :class:`Limits`.

    ``access_log`` logs one line per request on the ``uvicorn.access`` logger; errors are always
    logged (``uvicorn.error`` and ``goshfile.server``), whatever ``access_log`` says.
    """

    def __init__(
        self,
        app: ASGIApp,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        limits: Limits | None = None,
        access_log: bool = False,
        sock: socket.socket | None = None,
    ) -> None:
        self.limits = limits or Limits()
        protocol = type("LimitedH11Protocol", (_Protocol,), {"limits": self.limits})
        if sock is not None:  # bound by the caller (host and port are then not used)
            sock.setblocking(False)
        self.socket = sock or bind(host, port)
        config = uvicorn.Config(
            app,
            http=protocol,
            ws="none",
            lifespan="on",
            log_config=None,
            access_log=access_log,
            timeout_keep_alive=int(self.limits.idle_timeout) + 1,  # ours closes first
            timeout_graceful_shutdown=5,
            h11_max_incomplete_event_size=self.limits.max_header_bytes,
            server_header=False,
        )
        self._server = _Server(config)

    @property
    def port(self) -> int:
        """The port it listens on."""
        return int(self.socket.getsockname()[1])

    @property
    def server_address(self) -> tuple[str, int]:
        """The host and port it listens on."""
        name = self.socket.getsockname()
        return str(name[0]), int(name[1])

    @property
    def url(self) -> str:
        """``http://host:port`` (``http://[v6]:port``)."""
        name = str(self.socket.getsockname()[0])
        return f"http://[{name}]:{self.port}" if ":" in name else f"http://{name}:{self.port}"

    @property
    def connections(self) -> int:
        """Open connections right now."""
        return len(self._server.server_state.connections)

    def serve_forever(self) -> None:
        """Serve until :meth:`shutdown` (or SIGINT/SIGTERM in the main thread, which are re-raised after)."""
        asyncio.run(self._server.serve(sockets=[self.socket]))
        self._server.ready.set()

    def wait_ready(self, timeout: float = 30.0) -> bool:
        """True once the server is listening (False when it has not started within ``timeout``)."""
        return self._server.ready.wait(timeout) and self._server.started

    def shutdown(self) -> None:
        """Ask the server to stop (it finishes the requests under way, up to 5 s)."""
        self._server.should_exit = True

    def server_close(self) -> None:
        """Close the listening socket."""
        self.socket.close()


S = TypeVar("S", bound="socketserver.BaseServer | AppServer")


@contextlib.contextmanager
def in_background(server: S, poll_interval: float = 0.05) -> Iterator[S]:
    """Serve ``server`` on a daemon thread (listening when the block starts); stop and close it at the end.

    Takes an :class:`AppServer` or a :mod:`socketserver` server (tests' small fakes).
    """
    if isinstance(server, AppServer):
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        if not server.wait_ready():
            server.server_close()
            raise EngineError("the server did not start (see its log)")
    else:
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": poll_interval}, daemon=True)
        thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        thread.join()
        server.server_close()
