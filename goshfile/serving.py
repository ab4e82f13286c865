"""Run an HTTP server on a background thread for the duration of a ``with`` block (tests, embedding)."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from socketserver import BaseServer
from typing import TypeVar

S = TypeVar("S", bound=BaseServer)


@contextlib.contextmanager
def in_background(server: S, poll_interval: float = 0.05) -> Iterator[S]:
    """Serve ``server`` on a daemon thread; shut it down and close it when the block ends."""
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": poll_interval}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
