"""The node's HTTP/JSON server: the local ledger (and the node's git repositories) for a team.

API (all JSON, ``docs/ledger.md`` has the details):

- ``GET /v1/info``: the contract identifier, the number of records and the log's head;
- ``GET /v1/address?public=HEX&content=TEXT``: the proof address;
- ``GET /v1/proofs/<address>`` or ``GET /v1/proofs?public=HEX&content=TEXT``: the proof, 404 when none;
- ``GET /v1/check?public=HEX&content=TEXT``: ``{"address": ..., "valid": true|false}``;
- ``POST /v1/proofs`` with ``{"public", "content", "signature", "payer"?}``: the signature is
  verified before anything is written; 201 with the new proof, 200 with the existing one;
- ``GET /v1/log?after=SEQ&limit=N``: log records in order, for ``goshfile node verify-log``;
- ``/git/...``: git smart HTTP for the node's repositories (:mod:`goshfile.gosh.http_git`).

Errors are ``{"error": {"status": N, "code": "...", "message": "..."}}`` with a 4xx status for a
bad request and 5xx when the ledger itself fails; never a traceback.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from goshfile import __version__
from goshfile.errors import EngineError, GoshfileError, InputError, VerificationError
from goshfile.gosh import http_git
from goshfile.keys.keypair import SIGNATURE_HEX
from goshfile.ledger import proof as proofs
from goshfile.ledger.protocol import Deployment, check_proof
from goshfile.ledger.sqlite import SqliteLedger
from goshfile.serving import in_background

MAX_BODY = 64 * 1024
CHUNK = 64 * 1024
LINGER_SECONDS = 2.0  # how long an unread request body is drained before closing
MAX_LINGER_BYTES = 16 * 1024 * 1024
MAX_LOG_PAGE = 1000
_PROOF_PATH = re.compile(r"^/v1/proofs/(?P<address>[^/]+)$")
_DEPLOY_FIELDS = {"public", "content", "signature", "payer"}


class HttpError(Exception):
    """A response with an error status: ``code`` is a stable word, ``message`` a sentence for people."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def parse_listen(text: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[v6]:PORT`` for IPv6; port 0 picks a free one); InputError otherwise."""
    host, sep, port = text.strip().rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not sep or not host or not port.isdigit() or int(port) > 65535:
        raise InputError(f"--listen {text!r}: expected HOST:PORT, e.g. 127.0.0.1:8750")
    return host, int(port)


class _Handler(BaseHTTPRequestHandler):
    server: NodeServer
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are two writes: do not wait for an ACK between them
    server_version = f"goshfile-node/{__version__}"

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def _not_allowed(self) -> None:
        self._consumed = self._no_body()
        self._error(HttpError(405, "method_not_allowed", f"{self.command} is not supported; use GET or POST"))

    do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _not_allowed

    # -- plumbing -------------------------------------------------------------------------------------

    def _no_body(self) -> bool:
        """True when the request has no body (so nothing is left unread on the connection)."""
        return self.headers.get("Content-Length", "0") in ("", "0") and not self.headers.get("Transfer-Encoding")

    def _dispatch(self) -> None:
        self._consumed = self._no_body()  # set again once a body is read
        try:
            split = urllib.parse.urlsplit(self.path)
            path = urllib.parse.unquote(split.path)
            if self.server.node_path is not None and http_git.handle(self, self.server.node_path):
                self._consumed = True  # git's backend read the body
                return
            status, body = self._route(path, split.query)
            self._send_json(status, body)
        except HttpError as exc:
            self._error(exc)
        except InputError as exc:
            self._error(HttpError(400, "bad_request", str(exc)))
        except VerificationError as exc:
            self._error(HttpError(422, "verification_failed", str(exc)))
        except EngineError as exc:
            self.log_error("ledger failure: %s", exc)
            self._error(HttpError(503, "ledger_unavailable", str(exc)))
        except GoshfileError as exc:
            self._error(HttpError(500, "internal_error", str(exc)))
        except Exception as exc:  # a bug: say so without a traceback, keep serving
            self.log_error("internal error on %s %s: %r", self.command, self.path, exc)
            self._error(HttpError(500, "internal_error", "internal error (see the node's log)"))

    def _send_json(self, status: int, body: Any) -> None:
        data = (json.dumps(body, separators=(",", ":")) + "\n").encode()
        if not getattr(self, "_consumed", True):
            self.close_connection = True  # an unread body would be taken for the next request
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _error(self, exc: HttpError) -> None:
        self._send_json(exc.status, {"error": {"status": exc.status, "code": exc.code, "message": exc.message}})

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Errors found by the HTTP layer itself (malformed request line, headers) as JSON too."""
        self.close_connection = True
        words = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 414: "uri_too_long"}
        text = message or self.responses.get(code, ("error",))[0]
        with contextlib.suppress(OSError):
            self._error(HttpError(code, words.get(code, "error"), text))

    def finish(self) -> None:
        """Close gently when a request body was left unread: stop sending, then drain what the client sent.

        Closing a socket with unread input makes the kernel reset the connection, and the client may then
        lose the error response it was about to read.
        """
        super().finish()
        if getattr(self, "_consumed", True) or not self.close_connection:
            return
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_WR)
            self.connection.settimeout(LINGER_SECONDS)
            drained = 0
            while drained < MAX_LINGER_BYTES and (data := self.connection.recv(CHUNK)):
                drained += len(data)

    def log_message(self, format: str, *args: Any) -> None:
        if not self.server.quiet:
            super().log_message(format, *args)

    # -- routes -----------------------------------------------------------------------------------------

    def _query(self, query: str, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> dict[str, str]:
        try:
            pairs = urllib.parse.parse_qsl(query, keep_blank_values=True, strict_parsing=bool(query))
        except ValueError:
            raise HttpError(400, "bad_request", "malformed query string") from None
        values: dict[str, str] = {}
        for name, value in pairs:
            if name not in required and name not in optional:
                raise HttpError(400, "bad_request", f"unknown query parameter {name!r}")
            if name in values:
                raise HttpError(400, "bad_request", f"query parameter {name!r} given twice")
            values[name] = value
        missing = [name for name in required if name not in values]
        if missing:
            raise HttpError(400, "bad_request", f"missing query parameter {missing[0]!r}")
        return values

    def _route(self, path: str, query: str) -> tuple[int, Any]:
        ledger = self.server.ledger
        known = path in ("/v1/info", "/v1/address", "/v1/check", "/v1/proofs", "/v1/log") or _PROOF_PATH.match(path)
        if not known:
            raise HttpError(404, "not_found", f"no such endpoint {path!r} (see docs/ledger.md)")
        if self.command == "POST":
            if path != "/v1/proofs":
                raise HttpError(405, "method_not_allowed", f"use GET for {path}")
            return self._deploy(query)
        if path == "/v1/info":
            self._query(query, ())
            head = ledger.head()
            return 200, {"contract": proofs.CONTRACT, "records": head.seq, "head": head.hash, "version": __version__}
        if path == "/v1/log":
            args = self._query(query, (), ("after", "limit"))
            after, limit = _int(args.get("after", "0"), "after"), _int(args.get("limit", str(MAX_LOG_PAGE)), "limit")
            records = ledger.records(after, min(max(limit, 1), MAX_LOG_PAGE))
            return 200, {"records": [record.to_json() for record in records]}
        if match := _PROOF_PATH.match(path):
            self._query(query, ())
            found = ledger.get_by_address(match["address"])
        else:
            args = self._query(query, ("public", "content"))
            public, content = args["public"], args["content"]
            if path == "/v1/address":
                return 200, {"address": proofs.address(public, content)}
            found = ledger.get(public, content)
            if path == "/v1/check":
                return 200, {"address": proofs.address(public, content), "valid": check_proof(found, public, content)}
        if found is None:
            raise HttpError(404, "no_proof", "no proof is recorded at that address")
        return 200, found.to_json()

    def _deploy(self, query: str) -> tuple[int, Any]:
        self._query(query, ())
        deployment = _deployment(self._body())
        if not deployment.verifies():
            raise HttpError(422, "bad_signature", "the signature does not verify for this public key and content")
        proof, created = self.server.ledger.deploy(deployment)
        return (201 if created else 200), {"created": created, "proof": proof.to_json()}

    def _body(self) -> Any:
        if self.headers.get("Transfer-Encoding"):
            self.close_connection = True
            raise HttpError(411, "length_required", "send the body with a Content-Length (no chunked encoding)")
        length = self.headers.get("Content-Length")
        if length is None or not length.isdigit():
            self.close_connection = True
            raise HttpError(411, "length_required", "a POST needs a Content-Length header")
        if int(length) > MAX_BODY:
            self.close_connection = True  # the body is not read: the connection cannot be reused
            raise HttpError(413, "too_large", f"the body is {length} bytes; at most {MAX_BODY} are accepted")
        data = self.rfile.read(int(length))
        self._consumed = True
        try:
            return json.loads(data)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise HttpError(400, "bad_request", f"the body is not JSON: {exc}") from None


def _int(text: str, name: str) -> int:
    if not text.isdigit():
        raise HttpError(400, "bad_request", f"query parameter {name!r} must be a non-negative integer")
    return int(text)


def _deployment(body: Any) -> Deployment:
    if not isinstance(body, dict):
        raise HttpError(400, "bad_request", "the body must be a JSON object with public, content and signature")
    unknown = sorted(set(body) - _DEPLOY_FIELDS)
    if unknown:
        raise HttpError(400, "bad_request", f"unknown field {unknown[0]!r}")
    for name in ("public", "content", "signature"):
        if not isinstance(body.get(name), str):
            raise HttpError(400, "bad_request", f"field {name!r} is required and must be a string")
    payer = body.get("payer")
    if payer is not None and not isinstance(payer, str):
        raise HttpError(400, "bad_request", "field 'payer' must be a string or null")
    if not SIGNATURE_HEX.match(body["signature"]):
        raise HttpError(400, "bad_request", "field 'signature' must be 128 hex characters (an ed25519 signature)")
    proofs.check_content(body["content"])
    return Deployment(body["public"], body["content"], bytes.fromhex(body["signature"]),
                      proofs.normalize_payer(payer))  # fmt: skip


class NodeServer(ThreadingHTTPServer):
    """The node's HTTP server over one ledger (and, with ``node_path``, its git repositories)."""

    daemon_threads = True
    request_queue_size = 128

    def __init__(
        self,
        ledger: SqliteLedger,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        node_path: Path | None = None,
        quiet: bool = True,
    ) -> None:
        self.ledger = ledger
        self.node_path = node_path
        self.quiet = quiet
        if ":" in host:
            self.address_family = socket.AF_INET6
        try:
            super().__init__((host, port), _Handler)
        except OSError as exc:
            raise EngineError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None

    @property
    def url(self) -> str:
        """The node URL, the form ``-n`` and ``GOSH_NETWORK`` take."""
        name, port = str(self.server_address[0]), self.server_address[1]
        return f"http://[{name}]:{port}" if ":" in name else f"http://{name}:{port}"

    def server_close(self) -> None:
        super().server_close()
        self.ledger.close()


@contextlib.contextmanager
def serving(ledger_path: Path, *, node_path: Path | None = None) -> Iterator[NodeServer]:
    """A node on 127.0.0.1 (a free port) in a background thread, for the duration of the block."""
    with in_background(NodeServer(SqliteLedger(ledger_path), node_path=node_path)) as server:
        yield server
