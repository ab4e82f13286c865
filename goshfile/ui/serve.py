"""Run the dashboard with uvicorn on a socket of its own: loopback unless remote use is allowed.

The socket is bound before uvicorn starts, so the start-up URL names the real
port (``--listen 127.0.0.1:0`` picks a free one) and is announced exactly once.
It is served as the node is (:class:`goshfile.serving.AppServer`: idle connections
closed, a cap on connections, bounded request heads). uvicorn's access log is off:
:mod:`goshfile.ui.security` logs requests without their query strings, where the
token travels on the first visit.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass

from goshfile.errors import InputError
from goshfile.serving import AppServer, Limits
from goshfile.ui.app import create_app
from goshfile.ui.dashboard import Dashboard
from goshfile.ui.security import TOKEN_PARAM, Access, loopback_hosts, new_token

DEFAULT_LISTEN = "127.0.0.1:8780"


@dataclass(frozen=True)
class Listen:
    """A parsed ``HOST:PORT``."""

    host: str
    port: int

    @property
    def loopback(self) -> bool:
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False

    def url_host(self) -> str:
        return f"[{self.host}]" if ":" in self.host else self.host


def parse_listen(text: str) -> Listen:
    """``HOST:PORT`` (``[::1]:PORT`` for IPv6); raise :class:`InputError` naming the problem."""
    host, sep, port = text.strip().rpartition(":")
    if not sep or not host:
        raise InputError(f"--listen {text!r}: give HOST:PORT, e.g. {DEFAULT_LISTEN}")
    host = host.removeprefix("[").removesuffix("]")
    if not port.isdigit() or int(port) > 65535:
        raise InputError(f"--listen {text!r}: the port must be a number from 0 to 65535")
    if host != "localhost":
        try:
            ipaddress.ip_address(host)
        except ValueError:
            raise InputError(f"--listen {text!r}: give an IP address (or localhost), not a host name") from None
    return Listen(host, int(port))


def require_allowed(listen: Listen, allow_remote: bool) -> None:
    """Raise :class:`InputError` for a non-loopback address unless remote use is allowed."""
    if not listen.loopback and not allow_remote:
        raise InputError(
            f"--listen {listen.host}: not a loopback address; anyone who reaches it could use the dashboard "
            "(rebuild images, trust signers) over plain HTTP: add --allow-remote if that is what you want"
        )


def bind(listen: Listen) -> socket.socket:
    """A listening socket on ``listen``."""
    family = socket.AF_INET6 if ":" in listen.host else socket.AF_INET
    host = "127.0.0.1" if listen.host == "localhost" else listen.host
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, listen.port))
    except OSError as exc:
        sock.close()
        raise InputError(f"cannot listen on {listen.host}:{listen.port}: {exc.strerror}") from exc
    sock.listen(64)
    sock.set_inheritable(True)
    return sock


def dashboard_server(
    dashboard: Dashboard, listen: Listen, allow_remote: bool, limits: Limits | None = None
) -> tuple[AppServer, str]:
    """The dashboard's server, listening on ``listen``, and the start-up URL (with a new token).

    It is :class:`goshfile.serving.AppServer`, as the node's, with the node's
    :class:`~goshfile.serving.Limits` unless others are given.
    """
    require_allowed(listen, allow_remote)
    sock = bind(listen)
    port = sock.getsockname()[1]
    token = new_token()
    hosts = frozenset() if allow_remote else loopback_hosts(listen.host, port)
    app = create_app(dashboard, Access(token, cookie=f"goshfile_ui_{port}", allowed_hosts=hosts))
    server = AppServer(app, limits=limits or Limits(), sock=sock)
    return server, f"http://{listen.url_host()}:{port}/?{TOKEN_PARAM}={token}"


def serve(dashboard: Dashboard, listen: Listen, allow_remote: bool, announce: Callable[[str], None]) -> None:
    """Serve ``dashboard`` until interrupted; ``announce`` gets the one start-up URL (with the token)."""
    server, url = dashboard_server(dashboard, listen, allow_remote)
    announce(url)
    try:
        server.serve_forever()
    finally:
        dashboard.jobs.shutdown()
        server.server_close()
