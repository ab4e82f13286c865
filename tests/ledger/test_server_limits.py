"""The node on a hostile network: idle connections are closed, the connection cap makes room, no thread per client."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from goshfile.ledger import HttpLedger
from goshfile.ledger.server import NodeServer, serving
from goshfile.serving import Limits
from tests.ledger.helpers import ALICE, DIGEST

WAIT = 60.0  # generous: how long a socket read may wait for the node to close (not a timing claim)


def connect(node: NodeServer, data: bytes = b"") -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", node.port), timeout=WAIT)
    if data:
        sock.sendall(data)
    return sock


def read_to_close(sock: socket.socket) -> bytes:
    """Everything the node sends until it closes the connection."""
    chunks = []
    try:
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    except ConnectionResetError:
        pass
    sock.close()
    return b"".join(chunks)


@pytest.fixture
def node(tmp_path: Path) -> Iterator[NodeServer]:
    with serving(tmp_path / "ledger.db", limits=Limits(idle_timeout=1.0)) as server:
        yield server


def test_idle_connections_are_closed_while_a_real_client_is_served(node: NodeServer) -> None:
    threads = threading.active_count()
    idle = [connect(node) for _ in range(200)]
    slow = [connect(node, b"GET /v1/info HTTP/1.1\r\nHost: x\r\n") for _ in range(20)]  # headers never end
    with HttpLedger(node.url) as client:
        assert client.sign(ALICE, DIGEST).address == client.address(ALICE.public_hex, DIGEST)
        assert client.check(ALICE.public_hex, DIGEST)
    assert threading.active_count() <= threads + 8  # the node's worker pool, not one thread per connection
    assert all(read_to_close(sock) == b"" for sock in idle)
    for sock in slow:
        reply = read_to_close(sock)
        assert reply.startswith(b"HTTP/1.1 408 ")
        assert json.loads(reply.partition(b"\r\n\r\n")[2])["error"]["code"] == "request_timeout"
    with HttpLedger(node.url) as client:  # and it still serves
        assert client.head().seq == 1


def test_a_kept_alive_connection_is_closed_once_idle(node: NodeServer) -> None:
    sock = connect(node, b"GET /v1/info HTTP/1.1\r\nHost: x\r\n\r\n")
    reply = read_to_close(sock)
    assert reply.startswith(b"HTTP/1.1 200 ") and b'"records":0' in reply


def test_the_connection_cap_closes_the_longest_idle_connection(tmp_path: Path) -> None:
    with serving(tmp_path / "ledger.db", limits=Limits(idle_timeout=WAIT * 2, max_connections=30)) as node:
        idle = [connect(node) for _ in range(30)]
        with HttpLedger(node.url) as client:
            assert client.head().seq == 0  # served: the oldest idle connection made room
            assert node.connections == 30
            assert read_to_close(idle[0]) == b""
            more = [connect(node) for _ in range(3)]  # each evicts the next oldest
            assert client.head().seq == 0  # its kept-alive connection is newer than those
            assert [read_to_close(sock) for sock in idle[1:4]] == [b""] * 3
        assert node.connections <= 30
        for sock in idle[4:] + more:
            sock.close()


def test_a_body_that_does_not_arrive_in_time_gets_a_408(tmp_path: Path) -> None:
    with serving(tmp_path / "ledger.db", limits=Limits(body_timeout=1.0, idle_timeout=WAIT)) as node:
        sock = connect(node, b'POST /v1/proofs HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"public"')
        reply = read_to_close(sock)
        assert reply.startswith(b"HTTP/1.1 408 ")
        assert json.loads(reply.partition(b"\r\n\r\n")[2])["error"]["code"] == "request_timeout"
        assert node.ledger.records() == []


def test_when_every_connection_is_busy_a_new_one_gets_a_503(tmp_path: Path) -> None:
    limits = Limits(idle_timeout=WAIT, body_timeout=WAIT, max_connections=3)
    with serving(tmp_path / "ledger.db", limits=limits) as node:
        head = b"POST /v1/proofs HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\nExpect: 100-continue\r\n\r\n"
        busy = [connect(node, head) for _ in range(3)]
        for sock in busy:  # the node reads the body: each request is under way
            assert sock.recv(100).startswith(b"HTTP/1.1 100 ")
        reply = read_to_close(connect(node))
        assert reply.startswith(b"HTTP/1.1 503 ")
        assert json.loads(reply.partition(b"\r\n\r\n")[2])["error"]["code"] == "too_many_connections"
        for sock in busy:
            sock.close()
