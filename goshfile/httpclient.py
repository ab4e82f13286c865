"""httpx, imported without its command-line module, and clients that load TLS only for HTTPS.

``import httpx`` also imports ``httpx._main`` (the ``httpx`` console command) whenever
rich, pygments and click are installed, as they are with goshfile: that was about 40%
of httpx's import time, paid by every command that talks to a registry or a node.
goshfile never runs httpx's console command, so that module is marked as absent
before httpx is first imported (httpx then defines a stub ``main``, as it does when
its CLI extras are missing). Import httpx from here.

:func:`new_client` makes an ``httpx.Client`` whose default transport is made on first use,
one per scheme (:class:`SchemeTransport`): httpx's own transport builds its SSL context,
loading the CA bundle (about 30 ms), even for plain HTTP, which a loopback registry or
node speaks. HTTPS requests get httpx's transport with its usual verification, plain HTTP
requests one made with ``verify=False`` (no TLS happens on them). Proxies from the
environment are httpx's own mounts and are unchanged.
"""

from __future__ import annotations

import sys
import threading
from typing import Any

if "httpx" not in sys.modules:
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]  # None: "no such module"

import httpx


class SchemeTransport(httpx.BaseTransport):
    """httpx's default transport, made on the first request of each scheme (see the module docstring)."""

    def __init__(self) -> None:
        self._made: dict[str, httpx.HTTPTransport] = {}
        self._lock = threading.Lock()

    def transport(self, scheme: str) -> httpx.HTTPTransport:
        """The transport for ``scheme`` (``http`` or ``https``), made now if it is the first request."""
        with self._lock:
            made = self._made.get(scheme)
            if made is None:
                made = httpx.HTTPTransport(verify=scheme != "http")
                self._made[scheme] = made
            return made

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self.transport(request.url.scheme).handle_request(request)

    def close(self) -> None:
        with self._lock:
            made, self._made = list(self._made.values()), {}
        for transport in made:
            transport.close()


def new_client(**options: Any) -> httpx.Client:
    """``httpx.Client(**options)``, with :class:`SchemeTransport` unless a ``transport`` is given."""
    if options.get("transport") is None:
        options["transport"] = SchemeTransport()
    return httpx.Client(**options)


__all__ = ["SchemeTransport", "httpx", "new_client"]
