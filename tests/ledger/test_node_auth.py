"""Writes to a node: deployments with the signer's signature (and the token when the node asks for it),
the token sent only to the node's own origin, malformed node URLs refused in one line."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from goshfile.errors import InputError
from goshfile.ledger import HttpLedger, open_ledger
from goshfile.ledger.server import NodeAuth, NodeServer, serving
from goshfile.tokens import ENV_TOKEN
from tests.ledger.helpers import ALICE, DIGEST, OTHER_DIGEST

TOKEN = "node-token-" + "5" * 24


@pytest.fixture
def strict(tmp_path: Path) -> Iterator[NodeServer]:
    """A node that takes deployments only with its token."""
    with serving(tmp_path / "ledger.db", auth=NodeAuth(TOKEN, deploy_needs_token=True)) as server:
        yield server


def test_a_node_that_requires_the_token(strict: NodeServer) -> None:
    with HttpLedger(strict.url) as anonymous:
        with pytest.raises(InputError, match=r"takes deployments only with its token.*GOSHFILE_NODE_TOKEN"):
            anonymous.sign(ALICE, DIGEST)
        assert not anonymous.check(ALICE.public_hex, DIGEST)  # reads need nothing
    with HttpLedger(strict.url, token="wrong-" + "0" * 20) as wrong, pytest.raises(InputError, match="not this node's"):
        wrong.sign(ALICE, DIGEST)
    with HttpLedger(strict.url, token=TOKEN) as member:
        assert member.sign(ALICE, DIGEST).seq == 1
        assert member.check(ALICE.public_hex, DIGEST)
    assert strict.ledger.head().seq == 1


def test_the_token_comes_from_the_environment(strict: NodeServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_TOKEN, TOKEN)
    ledger = open_ledger(strict.url)
    assert ledger.sign(ALICE, DIGEST).seq == 1
    ledger.close()
    monkeypatch.setenv(ENV_TOKEN, "short")
    with pytest.raises(InputError, match="node token from \\$GOSHFILE_NODE_TOKEN must be"):
        open_ledger(strict.url)


def test_by_default_the_signature_is_enough_and_a_wrong_token_is_refused(tmp_path: Path) -> None:
    with serving(tmp_path / "ledger.db", auth=NodeAuth(TOKEN)) as node:
        with HttpLedger(node.url) as anonymous:
            assert anonymous.sign(ALICE, DIGEST).seq == 1
        with HttpLedger(node.url, token="wrong-" + "0" * 20) as wrong, pytest.raises(InputError, match="not this"):
            wrong.sign(ALICE, OTHER_DIGEST)


def test_a_node_without_a_token_ignores_one(tmp_path: Path) -> None:
    with serving(tmp_path / "ledger.db") as node, HttpLedger(node.url, token=TOKEN) as client:
        assert client.sign(ALICE, DIGEST).seq == 1


def test_requiring_a_token_needs_one() -> None:
    with pytest.raises(InputError, match="needs a token"):
        NodeAuth(None, deploy_needs_token=True)


class _Hop(BaseHTTPRequestHandler):
    """Records the Authorization header it gets, then redirects to ``target`` or answers a node's /v1/info."""

    seen: ClassVar[list[str | None]]
    target: ClassVar[str | None]

    def do_GET(self) -> None:
        self.seen.append(self.headers.get("Authorization"))
        if self.target is not None:
            self.send_response(307)
            self.send_header("Location", self.target + self.path)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        data = json.dumps({"records": 0, "head": "0" * 64}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def hops() -> Iterator[list[tuple[str, type[_Hop]]]]:
    """Two servers on loopback (different ports: different origins)."""
    running = []
    for _ in range(2):
        handler = type("Hop", (_Hop,), {"seen": [], "target": None})
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        running.append((server, thread, handler))
    yield [(f"http://127.0.0.1:{server.server_address[1]}", handler) for server, _, handler in running]
    for server, thread, _ in running:
        server.shutdown()
        server.server_close()
        thread.join()


def test_the_token_is_not_sent_to_another_origin(hops: list[tuple[str, type[_Hop]]]) -> None:
    (first_url, first), (second_url, second) = hops
    first.target = second_url
    with HttpLedger(first_url, token=TOKEN) as ledger:
        assert ledger.head().seq == 0
    assert first.seen == [f"Bearer {TOKEN}"]
    assert second.seen == [None]


def test_the_token_follows_a_redirect_on_the_same_origin(hops: list[tuple[str, type[_Hop]]]) -> None:
    (url, hop), _ = hops
    hop.target = url + "/moved"
    with HttpLedger(url, token=TOKEN) as ledger, pytest.raises(Exception, match="redirects more than 5 times"):
        ledger.head()
    assert hop.seen and all(seen == f"Bearer {TOKEN}" for seen in hop.seen)


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://[::1", "Invalid IPv6 URL"),
        ("http://[::1]:99999", "Port out of range"),
        ("http://127.0.0.1:port", "invalid node URL"),
        ("http://user:hunter2hunter2@127.0.0.1:1", "no user or password"),
        ("ftp://x", "http(s)://"),
        ("http://x/?q=1", "://host[:port][/prefix]"),
    ],
)
def test_a_malformed_node_url_is_one_input_error(url: str, words: str) -> None:
    attempts: list[Callable[[], object]] = [lambda: open_ledger(url), lambda: HttpLedger(url)]
    for attempt in attempts:
        with pytest.raises(InputError, match=r"invalid (node|file) URL|unsupported node endpoint") as caught:
            attempt()
        assert words in str(caught.value) and "\n" not in str(caught.value)
        assert "hunter2" not in str(caught.value)
