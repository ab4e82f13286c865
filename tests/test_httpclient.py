"""httpx through goshfile.httpclient: the library, without its console command."""

from __future__ import annotations

import subprocess
import sys
from typing import ClassVar

import pytest

from goshfile.httpclient import httpx, new_client


def test_httpx_works_without_importing_its_command_line_module() -> None:
    code = (
        "import sys\n"
        "from goshfile.httpclient import httpx\n"
        "assert 'httpx._main' not in sys.modules or sys.modules['httpx._main'] is None\n"
        "assert 'rich' not in sys.modules\n"
        "transport = httpx.MockTransport(lambda request: httpx.Response(200, json={'ok': True}))\n"
        "with httpx.Client(transport=transport) as client:\n"
        "    print(client.get('http://registry.invalid/v2/').json()['ok'])\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "True\n"


class Recorder(httpx.BaseTransport):
    """Stands in for httpx.HTTPTransport: records how it was made and what it was asked."""

    made: ClassVar[list[Recorder]] = []

    def __init__(self, verify: bool = True) -> None:
        self.verify = verify
        self.urls: list[str] = []
        self.closed = False
        Recorder.made.append(self)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.urls.append(str(request.url))
        return httpx.Response(200, text=request.url.scheme)

    def close(self) -> None:
        self.closed = True


def test_tls_is_set_up_only_for_https_and_once_per_scheme(monkeypatch: pytest.MonkeyPatch) -> None:
    Recorder.made = []
    monkeypatch.setattr(httpx, "HTTPTransport", Recorder)
    client = new_client(timeout=5)
    assert Recorder.made == []  # nothing made (no CA bundle read) before a request
    assert client.get("http://127.0.0.1:5000/v2/").text == "http"
    assert client.get("http://127.0.0.1:5000/v2/x").text == "http"
    assert [t.verify for t in Recorder.made] == [False]  # plain HTTP: no TLS, no certificates loaded
    assert client.get("https://registry.example/v2/").text == "https"
    assert [t.verify for t in Recorder.made] == [False, True]  # HTTPS: httpx's verification as always
    assert [len(t.urls) for t in Recorder.made] == [2, 1]
    client.close()
    assert all(t.closed for t in Recorder.made)


def test_a_given_transport_is_kept() -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(204))
    with new_client(transport=transport) as client:
        assert client.get("https://registry.example/").status_code == 204
