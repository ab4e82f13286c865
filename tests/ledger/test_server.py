"""The node over HTTP: the client, every error status, a lying node, and many writers at once."""

from __future__ import annotations

import http.client
import json
import socket
import sqlite3
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from goshfile.errors import EngineError, InputError, VerificationError
from goshfile.keys import KeyPair
from goshfile.ledger import Deployment, HttpLedger, SqliteLedger, address, message
from goshfile.ledger.server import MAX_BODY, NodeServer, parse_listen, serving
from tests.ledger.helpers import ALICE, BOB, DIGEST, OTHER_DIGEST, digest, run_concurrently


@pytest.fixture
def node(tmp_path: Path) -> Iterator[NodeServer]:
    with serving(tmp_path / "ledger.db", node_path=tmp_path) as server:
        yield server


@pytest.fixture
def client(node: NodeServer) -> Iterator[HttpLedger]:
    with HttpLedger(node.url) as ledger:
        yield ledger


def request(
    node: NodeServer, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
) -> tuple[int, Any]:
    """One request on a fresh connection; the status and the JSON answer."""
    conn = http.client.HTTPConnection("127.0.0.1", node.server_address[1], timeout=10)
    data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    conn.request(method, path, body=data, headers=headers or {})
    response = conn.getresponse()
    text = response.read().decode()
    conn.close()
    assert "Traceback" not in text
    assert response.getheader("Content-Type") == "application/json"
    return response.status, json.loads(text)


def deployment(key: KeyPair = ALICE, content: str = DIGEST, **change: Any) -> dict[str, Any]:
    body = {"public": key.public_hex, "content": content, "signature": key.sign(message(key.public_hex, content)).hex()}
    return {**body, **change}


def test_sign_check_and_get_through_the_node(node: NodeServer, client: HttpLedger) -> None:
    proof = client.sign(ALICE, DIGEST, payer="cd" * 32)
    assert proof.address == address(ALICE.public_hex, DIGEST) and proof.payer == "0:" + "cd" * 32
    assert client.check(ALICE.public_hex, DIGEST)
    assert not client.check(BOB.public_hex, DIGEST)
    assert client.get(ALICE.public_hex, OTHER_DIGEST) is None
    assert client.sign(ALICE, DIGEST) == proof  # nothing new
    assert SqliteLedger(node.ledger.path).get(ALICE.public_hex, DIGEST) == proof  # it is in the file
    assert client.verify_log().ok and client.head().seq == 1


def test_the_json_api(node: NodeServer) -> None:
    status, created = request(node, "POST", "/v1/proofs", deployment())
    assert status == 201 and created["created"] is True
    status, again = request(node, "POST", "/v1/proofs", deployment())
    assert status == 200 and again == {"created": False, "proof": created["proof"]}
    where = created["proof"]["address"]
    assert request(node, "GET", f"/v1/proofs/{where}") == (200, created["proof"])
    query = f"public={ALICE.public_hex}&content={DIGEST}"
    assert request(node, "GET", f"/v1/proofs?{query}") == (200, created["proof"])
    assert request(node, "GET", f"/v1/address?{query}") == (200, {"address": where})
    assert request(node, "GET", f"/v1/check?{query}") == (200, {"address": where, "valid": True})
    status, other = request(node, "GET", f"/v1/check?public={BOB.public_hex}&content={DIGEST}")
    assert status == 200 and other["valid"] is False
    status, info = request(node, "GET", "/v1/info")
    assert status == 200 and info["records"] == 1 and info["contract"] == "goshfile/content-signature/v1"
    status, log = request(node, "GET", "/v1/log?after=0&limit=10")
    assert status == 200 and [r["seq"] for r in log["records"]] == [1] and log["records"][0]["hash"] == info["head"]


BAD_SIGNATURE = ALICE.sign(message(ALICE.public_hex, OTHER_DIGEST)).hex()


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "code", "text"),
    [
        ("POST", "/v1/proofs", b"{nope", 400, "bad_request", "not JSON"),
        ("POST", "/v1/proofs", b"\xff\xfe", 400, "bad_request", "not JSON"),
        ("POST", "/v1/proofs", [1], 400, "bad_request", "must be a JSON object"),
        ("POST", "/v1/proofs", deployment(extra=1), 400, "bad_request", "unknown field 'extra'"),
        ("POST", "/v1/proofs", {"public": ALICE.public_hex}, 400, "bad_request", "'content' is required"),
        ("POST", "/v1/proofs", deployment(signature="ab"), 400, "bad_request", "128 hex"),
        ("POST", "/v1/proofs", {**deployment(), "public": "ab"}, 400, "bad_request", "not 64 hex"),
        ("POST", "/v1/proofs", {**deployment(), "content": "sha256:abc"}, 400, "bad_request", "looks like a digest"),
        ("POST", "/v1/proofs", deployment(payer="nope"), 400, "bad_request", "not a GOSH address"),
        ("POST", "/v1/proofs", deployment(payer=5), 400, "bad_request", "'payer' must be a string"),
        ("POST", "/v1/proofs", deployment(signature=BAD_SIGNATURE), 422, "bad_signature", "does not verify"),
        ("POST", "/v1/check", deployment(), 405, "method_not_allowed", "use GET"),
        ("POST", "/v1/proofs?x=1", deployment(), 400, "bad_request", "unknown query parameter 'x'"),
        ("DELETE", "/v1/proofs", None, 405, "method_not_allowed", "DELETE is not supported"),
        ("PUT", "/v1/proofs", deployment(), 405, "method_not_allowed", "PUT is not supported"),
        ("GET", "/", None, 404, "not_found", "no such endpoint"),
        ("GET", "/v2/proofs", None, 404, "not_found", "no such endpoint"),
        ("GET", "/v1/proofs/0:" + "0" * 64, None, 404, "no_proof", "no proof"),
        ("GET", "/v1/proofs/zzz", None, 400, "bad_request", "not a proof address"),
        ("GET", "/v1/proofs?public=" + "ab" * 32, None, 400, "bad_request", "missing query parameter 'content'"),
        ("GET", f"/v1/check?public={'ab' * 32}&content=a&content=b", None, 400, "bad_request", "given twice"),
        ("GET", f"/v1/check?public=xyz&content={DIGEST}", None, 400, "bad_request", "not 64 hex"),
        ("GET", f"/v1/address?public={'ab' * 32}&content=sha256:1", None, 400, "bad_request", "looks like a digest"),
        ("GET", "/v1/info?verbose=1", None, 400, "bad_request", "unknown query parameter"),
        ("GET", "/v1/log?after=-1", None, 400, "bad_request", "non-negative integer"),
        ("GET", "/v1/log?limit=x", None, 400, "bad_request", "non-negative integer"),
        ("GET", "/git/nope", None, 404, "not_found", "not a git repository URL"),
    ],
)
def test_bad_requests_get_a_4xx_and_a_clear_message(
    node: NodeServer, method: str, path: str, body: Any, status: int, code: str, text: str
) -> None:
    answer = request(node, method, path, body)
    assert answer[0] == status, answer
    assert answer[1]["error"]["status"] == status and answer[1]["error"]["code"] == code
    assert text in answer[1]["error"]["message"]
    assert SqliteLedger(node.ledger.path).records() == []


def _exchange_raw(node: NodeServer, data: bytes) -> str:
    """Send raw bytes, read the reply until the node closes the connection."""
    chunks = []
    with socket.create_connection(("127.0.0.1", node.server_address[1]), timeout=10) as sock:
        sock.sendall(data)
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks).decode()


def test_body_size_and_length_limits(node: NodeServer) -> None:
    status, answer = request(node, "POST", "/v1/proofs", b"x" * (64 * 1024 + 1))
    assert status == 413 and answer["error"]["code"] == "too_large"
    chunked = b"POST /v1/proofs HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    reply = _exchange_raw(node, chunked + b"%x\r\n%s\r\n0\r\n\r\n" % (MAX_BODY + 1, b"x" * (MAX_BODY + 1)))
    assert reply.startswith("HTTP/1.1 413") and '"code":"too_large"' in reply
    reply = _exchange_raw(node, chunked + b"2\r\n[]\r\n0\r\n\r\n")  # chunked bodies are read like others
    assert reply.startswith("HTTP/1.1 400") and "must be a JSON object" in reply


@pytest.mark.parametrize("line", [b"GET /v1/info HTTX/1.1", b"NONSENSE", b"GET /v1/info HTTP/1.1 more"])
def test_a_malformed_request_line_gets_json(node: NodeServer, line: bytes) -> None:
    reply = _exchange_raw(node, line + b"\r\n\r\n")
    body = reply.partition("\r\n\r\n")[2] if reply.startswith("HTTP/") else reply  # HTTP/0.9 has no headers
    assert json.loads(body)["error"]["code"] == "bad_request"
    assert "Traceback" not in reply


def test_git_is_served_only_when_asked(tmp_path: Path) -> None:
    path = "/git/0:" + "ab" * 32 + "/dao/repo.git/info/refs?service=git-upload-pack"
    with serving(tmp_path / "ledger.db", node_path=tmp_path) as with_git:
        status, answer = request(with_git, "GET", path)
        assert status == 404 and answer["error"]["message"] == "repository not found"
    with serving(tmp_path / "ledger.db") as without:
        status, answer = request(without, "GET", path)
        assert status == 404 and "no such endpoint" in answer["error"]["message"]


def test_the_connection_is_kept_alive_across_requests_and_errors(node: NodeServer) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", node.server_address[1], timeout=10)
    statuses = []
    for body in (b"{nope", json.dumps(deployment()).encode(), json.dumps(deployment()).encode()):
        conn.request("POST", "/v1/proofs", body=body)
        response = conn.getresponse()
        response.read()
        statuses.append(response.status)
    conn.request("PUT", "/v1/proofs", body=b"x" * 100)  # refused unread: the connection must not be reused
    response = conn.getresponse()
    response.read()
    conn.close()
    assert statuses == [400, 201, 200]
    assert response.status == 405 and response.getheader("Connection") == "close"


def test_client_errors(node: NodeServer, client: HttpLedger) -> None:
    with pytest.raises(VerificationError, match="does not verify"):
        client.deploy(Deployment(ALICE.public_hex, DIGEST, bytes.fromhex(BAD_SIGNATURE)))
    with pytest.raises(InputError, match="looks like a digest"):
        client.sign(ALICE, "sha256:12")  # refused here, before any request
    unreachable = HttpLedger("http://127.0.0.1:1")
    with pytest.raises(EngineError, match=r"cannot reach the node http://127.0.0.1:1"):
        unreachable.check(ALICE.public_hex, DIGEST)
    with pytest.raises(InputError, match="invalid node URL"):
        HttpLedger("ftp://x")
    wrong_prefix = HttpLedger(node.url + "/prefix")
    with pytest.raises(EngineError, match=r"does not serve /v1/proofs/0:.*: is the URL right"):
        wrong_prefix.check(ALICE.public_hex, DIGEST)


class _Liar(BaseHTTPRequestHandler):
    """A node that answers every request with a proof it made up."""

    answer: ClassVar[dict[str, Any]] = {}

    def _reply(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        data = json.dumps(self.answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = _reply

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def liar() -> Iterator[tuple[str, type[_Liar]]]:
    handler = type("Liar", (_Liar,), {})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", handler
    server.shutdown()
    server.server_close()
    thread.join()


def test_a_lying_node_cannot_make_check_true(tmp_path: Path, liar: tuple[str, type[_Liar]]) -> None:
    url, handler = liar
    forged = SqliteLedger(tmp_path / "real.db").sign(BOB, DIGEST).to_json()
    forged.update(public=ALICE.public_hex, address=address(ALICE.public_hex, DIGEST))  # Bob's signature as Alice's
    handler.answer = forged
    ledger = HttpLedger(url)
    assert ledger.get(ALICE.public_hex, DIGEST) is not None
    assert not ledger.check(ALICE.public_hex, DIGEST)
    handler.answer = {"created": True, "proof": forged}
    with pytest.raises(VerificationError, match="returned a proof that does not verify"):
        ledger.sign(ALICE, DIGEST)
    handler.answer = {"not": "a proof"}
    with pytest.raises(EngineError, match="sent a malformed proof"):
        ledger.check(ALICE.public_hex, DIGEST)


def test_verify_log_over_http_finds_tampering(node: NodeServer, client: HttpLedger) -> None:
    for i in range(3):
        client.sign(ALICE, digest(i))
    node.ledger.close()
    with sqlite3.connect(node.ledger.path, isolation_level=None) as conn:
        conn.execute("DROP TRIGGER proofs_no_update")
        conn.execute("UPDATE proofs SET content = 'changed' WHERE seq = 2")
    conn.close()
    report = client.verify_log()
    assert report.broken is not None and report.broken.seq == 2 and report.records == 1


def test_many_processes_signing_through_the_node(node: NodeServer) -> None:
    shared = [digest(i) for i in range(8)]
    jobs = [
        (key, [*shared, *(digest(1000 * (n + 1) + i) for i in range(12))]) for n, key in enumerate([ALICE, BOB] * 3)
    ]
    results = run_concurrently(node.url, jobs)
    expected = {address(key.public_hex, content) for key, contents in jobs for content in contents}
    assert {a for out in results for a in out} == expected
    assert sum(len(out) for out in results) == sum(len(contents) for _, contents in jobs)
    records = node.ledger.records()
    assert len(records) == len(expected) and {r.proof.address for r in records} == expected
    assert [r.seq for r in records] == list(range(1, len(expected) + 1))
    assert node.ledger.verify_log().ok


@pytest.mark.parametrize(
    ("text", "parsed"),
    [("127.0.0.1:8750", ("127.0.0.1", 8750)), ("localhost:0", ("localhost", 0)), ("[::1]:80", ("::1", 80))],
)
def test_parse_listen(text: str, parsed: tuple[str, int]) -> None:
    assert parse_listen(text) == parsed


@pytest.mark.parametrize("text", ["127.0.0.1", ":80", "host:port", "127.0.0.1:65536", ""])
def test_parse_listen_refuses(text: str) -> None:
    with pytest.raises(InputError, match="expected HOST:PORT"):
        parse_listen(text)


def test_a_port_in_use_is_an_engine_error(node: NodeServer, tmp_path: Path) -> None:
    with pytest.raises(EngineError, match=r"cannot listen on 127.0.0.1"):
        NodeServer(SqliteLedger(tmp_path / "other.db"), "127.0.0.1", node.server_address[1])
