"""Property tests of the node's request parsing: whatever a client sends, the answer is JSON and never a 5xx."""

from __future__ import annotations

import http.client
import json
import socket
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from goshfile.errors import InputError
from goshfile.ledger.server import NodeServer, deployment_from_json, parse_json, query_int, serving
from goshfile.serving import Limits
from goshfile.web import HttpError
from tests.ledger.helpers import ALICE, DIGEST

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=50),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=12), inner, max_size=5),
    max_leaves=30,
)


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeServer]:
    path: Path = tmp_path_factory.mktemp("node") / "ledger.db"
    with serving(path, limits=Limits(idle_timeout=5.0)) as server:
        yield server


def exchange(node: NodeServer, method: str, target: str, body: bytes | None = None) -> tuple[int, Any]:
    conn = http.client.HTTPConnection("127.0.0.1", node.port, timeout=30)
    try:
        conn.request(method, target, body=body)
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    finally:
        conn.close()


@SETTINGS
@given(st.binary(max_size=2000))
def test_any_body_is_json_or_a_400(data: bytes) -> None:
    try:
        parse_json(data)
    except HttpError as exc:
        assert exc.status == 400


@SETTINGS
@given(st.sampled_from(["[", '{"a":']), st.integers(min_value=1, max_value=200_000))
def test_deep_nesting_is_a_400(opening: str, depth: int) -> None:
    with pytest.raises(HttpError) as caught:
        parse_json((opening * depth).encode())
    assert caught.value.status == 400


@SETTINGS
@given(json_values)
def test_any_json_value_is_a_deployment_or_a_400(value: Any) -> None:
    try:
        deployment_from_json(value)
    except HttpError as exc:
        assert exc.status == 400
    except InputError:
        pass  # also a 400


@SETTINGS
@given(st.text(max_size=40))
def test_query_integers_are_ascii_digits_only(text: str) -> None:
    try:
        value = query_int(text, "after")
    except HttpError as exc:
        assert exc.status == 400
    else:
        assert text.isascii() and text.isdigit() and 0 <= value < 10**18


@SETTINGS
@given(st.dictionaries(st.sampled_from(["after", "limit", "public", "content", "x"]), st.text(max_size=30), max_size=3))
def test_any_log_query_gets_json_and_no_5xx(node: NodeServer, query: dict[str, str]) -> None:
    status, answer = exchange(node, "GET", "/v1/log?" + urllib.parse.urlencode(query))
    assert status == 200 or (400 <= status < 500 and answer["error"]["status"] == status)


@SETTINGS
@given(json_values)
def test_any_posted_json_gets_json_and_no_5xx(node: NodeServer, value: Any) -> None:
    status, answer = exchange(node, "POST", "/v1/proofs", json.dumps(value).encode())
    assert 400 <= status < 500 and answer["error"]["status"] == status


@SETTINGS
@given(st.sampled_from(["/v1/check", "/v1/address", "/v1/proofs"]), st.text(max_size=80), st.text(max_size=80))
def test_any_public_and_content_get_json_and_no_5xx(node: NodeServer, path: str, public: str, content: str) -> None:
    status, answer = exchange(node, "GET", path + "?" + urllib.parse.urlencode({"public": public, "content": content}))
    assert status in (200, 404) or 400 <= status < 500
    assert isinstance(answer, dict)


def raw(node: NodeServer, data: bytes) -> bytes:
    chunks = []
    with socket.create_connection(("127.0.0.1", node.port), timeout=30) as sock:
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
        try:
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        except ConnectionResetError:
            pass
    return b"".join(chunks)


head_lines = st.lists(st.binary(min_size=0, max_size=60).filter(lambda b: b"\r\n" not in b), max_size=6)


@SETTINGS
@given(st.binary(max_size=80).filter(lambda b: b"\r\n" not in b), head_lines, st.binary(max_size=200))
def test_any_bytes_get_an_http_answer_with_json_and_no_5xx(
    node: NodeServer, line: bytes, headers: list[bytes], body: bytes
) -> None:
    reply = raw(node, line + b"\r\n" + b"".join(h + b"\r\n" for h in headers) + b"\r\n" + body)
    if not reply:
        return  # the node may close a connection that never sent a request
    status_line, _, rest = reply.partition(b"\r\n")
    assert status_line.startswith(b"HTTP/1.1 ")
    status = int(status_line.split()[1])
    assert status < 500, reply
    if status >= 400:
        assert json.loads(rest.partition(b"\r\n\r\n")[2])["error"]["status"] == status


@SETTINGS
@given(st.sampled_from(["١٢", "\uff11\uff12", "²", "-1", "1e3", "9" * 30, "9" * 5000, " 1", "0x10"]))
def test_odd_numbers_in_log_queries_are_400(node: NodeServer, text: str) -> None:
    status, answer = exchange(node, "GET", "/v1/log?" + urllib.parse.urlencode({"after": text}))
    assert status == 400 and "non-negative integer" in answer["error"]["message"]


@pytest.mark.parametrize("length", ["١٢", "\uff11", "1 2", "-1", "9" * 5000, "0x10", "+5"])
def test_a_content_length_that_is_not_ascii_digits_is_a_400(node: NodeServer, length: str) -> None:
    reply = raw(node, b"POST /v1/proofs HTTP/1.1\r\nHost: x\r\nContent-Length: " + length.encode() + b"\r\n\r\n{}")
    assert reply.startswith(b"HTTP/1.1 400 ")
    assert json.loads(reply.partition(b"\r\n\r\n")[2])["error"]["code"] == "bad_request"


def test_a_good_request_still_works(node: NodeServer) -> None:
    status, answer = exchange(node, "GET", f"/v1/check?public={ALICE.public_hex}&content={DIGEST}")
    assert status == 200 and answer["valid"] is False
