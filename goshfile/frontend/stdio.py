"""Carry gRPC over the frontend's stdin/stdout.

BuildKit talks HTTP/2 to a frontend over the container's stdin/stdout, but
grpcio can only dial sockets. :class:`StdioRelay` moves the real stdio aside
(fd 1 then points at stderr, so a stray print cannot corrupt the stream),
listens on an abstract unix socket and copies bytes both ways between that
socket and the saved stdio descriptors.
"""

from __future__ import annotations

import os
import socket
import threading

_CHUNK = 1 << 16


class StdioRelay:
    """A one-connection relay between a unix socket and this process's original stdin/stdout."""

    def __init__(self, in_fd: int, out_fd: int) -> None:
        self._in = in_fd
        self._out = out_fd
        self.name = f"goshfile-frontend-{os.getpid()}-{os.urandom(6).hex()}"  # not `secrets`: its import costs
        self._listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._listener.bind("\0" + self.name)
        self._listener.listen(1)
        threading.Thread(target=self._accept, name="stdio-relay", daemon=True).start()

    @classmethod
    def take_stdio(cls) -> StdioRelay:
        """Save fds 0 and 1 for the relay; point fd 1 at stderr and fd 0 at /dev/null."""
        in_fd, out_fd = os.dup(0), os.dup(1)
        os.dup2(2, 1)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        return cls(in_fd, out_fd)

    @property
    def address(self) -> str:
        """The gRPC target to dial."""
        return f"unix-abstract:{self.name}"

    def _accept(self) -> None:
        conn, _ = self._listener.accept()
        self._listener.close()
        threading.Thread(target=self._pump_in, args=(conn,), name="stdio-in", daemon=True).start()
        self._pump_out(conn)

    def _pump_in(self, conn: socket.socket) -> None:
        try:
            while data := os.read(self._in, _CHUNK):
                conn.sendall(data)
            conn.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def _pump_out(self, conn: socket.socket) -> None:
        try:
            while data := conn.recv(_CHUNK):
                view = memoryview(data)
                while view:
                    view = view[os.write(self._out, view) :]
        except OSError:
            pass
