"""A ledger reached over HTTP: a node started with ``goshfile node serve``.

The client trusts the node with nothing it can check itself: the address is computed here,
deployments are signed here (the secret never leaves this process; only the signature is sent),
and every proof the node returns is verified here before ``check`` says true or ``sign``
returns. One connection is kept alive per :class:`HttpLedger`; calls from several threads
take turns on it (use one instance per thread for parallel requests).
"""

from __future__ import annotations

import http.client
import json
import ssl
import threading
import urllib.parse
from collections.abc import Iterator
from typing import Any

from goshfile.errors import EngineError, InputError, VerificationError
from goshfile.ledger import proof as proofs
from goshfile.ledger.log import Head, LogReport, Record, verify_records
from goshfile.ledger.proof import Proof
from goshfile.ledger.protocol import DeployingLedger, Deployment, check_proof

DEFAULT_TIMEOUT = 30.0
MAX_LOG_PAGE = 1000  # the node's page size
NO_PROOF = "no_proof"  # the error code of a 404 that means "nothing recorded at this address"
_RETRYABLE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError, http.client.CannotSendRequest)


class HttpLedger(DeployingLedger):
    """A ledger on a node at ``base`` (``http(s)://host[:port][/prefix]``); implements the Ledger protocol."""

    def __init__(self, base: str, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        parts = urllib.parse.urlsplit(base)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise InputError(f"invalid node URL {base!r}: expected http(s)://host[:port][/prefix]")
        self.base = base.rstrip("/")
        self._parts = parts
        self._prefix = parts.path.rstrip("/")
        self._timeout = timeout
        self._lock = threading.Lock()
        self._conn: http.client.HTTPConnection | None = None

    def __repr__(self) -> str:
        return f"HttpLedger({self.base!r})"

    def __str__(self) -> str:
        return f"node {self.base}"

    # -- transport ------------------------------------------------------------------------------------

    def _connect(self) -> http.client.HTTPConnection:
        host, port = self._parts.hostname or "", self._parts.port
        if self._parts.scheme == "https":
            return http.client.HTTPSConnection(host, port, timeout=self._timeout, context=ssl.create_default_context())
        return http.client.HTTPConnection(host, port, timeout=self._timeout)

    def _exchange(self, method: str, target: str, body: bytes | None) -> tuple[int, bytes]:
        headers = {"Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        for attempt in (1, 2):
            fresh = self._conn is None
            if self._conn is None:
                self._conn = self._connect()
            try:
                self._conn.request(method, target, body=body, headers=headers)
                response = self._conn.getresponse()
                data = response.read()
                if response.will_close:
                    self.close_locked()
                return response.status, data
            except _RETRYABLE as exc:
                self.close_locked()
                if fresh or attempt == 2:  # a kept-alive connection may have been closed by the node: retry once
                    raise EngineError(
                        f"the node {self.base} closed the connection: {exc or type(exc).__name__}"
                    ) from None
            except (OSError, http.client.HTTPException) as exc:
                self.close_locked()
                reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
                raise EngineError(f"cannot reach the node {self.base}: {reason}") from None
        raise AssertionError("unreachable")

    def _call(
        self, method: str, path: str, *, query: dict[str, str] | None = None, body: Any = None
    ) -> tuple[int, Any]:
        target = self._prefix + path + (f"?{urllib.parse.urlencode(query)}" if query else "")
        payload = None if body is None else json.dumps(body).encode()
        with self._lock:
            status, data = self._exchange(method, target, payload)
        try:
            value = json.loads(data)
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise EngineError(f"the node {self.base} answered {status} with something that is not JSON") from None
        if status < 400:
            return status, value
        error = value.get("error") if isinstance(value, dict) else None
        message = str(error.get("message")) if isinstance(error, dict) else f"status {status}"
        if status == 404 and isinstance(error, dict) and error.get("code") == NO_PROOF:
            return status, value
        if status == 404:
            raise EngineError(f"the node {self.base} does not serve {path} ({message}): is the URL right?")
        if status == 400:
            raise InputError(f"the node {self.base} refused the request: {message}")
        if status == 422:
            raise VerificationError(f"the node {self.base}: {message}")
        raise EngineError(f"the node {self.base} failed ({status}): {message}")

    def close_locked(self) -> None:
        """Drop the connection (the caller holds the lock)."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def close(self) -> None:
        """Close the kept-alive connection (the next call opens a new one)."""
        with self._lock:
            self.close_locked()

    # -- the Ledger protocol ---------------------------------------------------------------------------

    def deploy(self, deployment: Deployment) -> tuple[Proof, bool]:
        """Send a signed deployment; return the proof the node holds and whether it is new."""
        body = {
            "public": deployment.public,
            "content": deployment.content,
            "signature": deployment.signature.hex(),
            "payer": deployment.payer,
        }
        status, value = self._call("POST", "/v1/proofs", body=body)
        if status not in (200, 201) or not isinstance(value, dict):
            raise EngineError(f"the node {self.base} answered {status} to a deployment")
        proof = self._proof(value.get("proof"))
        if not proof.verifies(deployment.public, deployment.content):
            raise VerificationError(
                f"the node {self.base} returned a proof that does not verify for this key and content"
            )
        return proof, bool(value.get("created"))

    def get(self, public: str, content: str) -> Proof | None:
        """The proof the node holds at the address of ``public`` and ``content`` (not checked), or None."""
        return self.get_by_address(proofs.address(public, content))

    def get_by_address(self, address: str) -> Proof | None:
        """The proof the node holds at ``address`` (not checked), or None."""
        status, value = self._call("GET", f"/v1/proofs/{proofs.check_address(address)}")
        return None if status == 404 else self._proof(value)

    def check(self, public: str, content: str) -> bool:
        """True when the node holds the proof and it verifies here for this key and content."""
        return check_proof(self.get(public, content), public, content)

    # -- the log --------------------------------------------------------------------------------------

    def head(self) -> Head:
        """The head of the node's log, as the node states it."""
        _, value = self._call("GET", "/v1/info")
        try:
            return Head(int(value["records"]), str(value["head"]))
        except (KeyError, TypeError, ValueError):
            raise EngineError(f"the node {self.base} sent an unexpected /v1/info answer") from None

    def records(self, after: int = 0, limit: int = MAX_LOG_PAGE) -> list[Record]:
        """Up to ``limit`` records after ``after``."""
        _, value = self._call("GET", "/v1/log", query={"after": str(after), "limit": str(limit)})
        try:
            return [Record.from_json(item) for item in value["records"]]
        except (KeyError, TypeError, InputError) as exc:
            raise EngineError(f"the node {self.base} sent a malformed log page: {exc}") from None

    def iter_records(self) -> Iterator[Record]:
        """Every record of the node's log, in order."""
        after = 0
        while chunk := self.records(after):
            yield from chunk
            if chunk[-1].seq <= after:  # a node that does not advance: the check has already stopped
                return
            after = chunk[-1].seq

    def verify_log(self) -> LogReport:
        """Fetch the node's whole log and check it here."""
        stated = self.head()
        return verify_records(self.iter_records(), stated)

    def _proof(self, value: Any) -> Proof:
        try:
            return Proof.from_json(value)
        except InputError as exc:
            raise EngineError(f"the node {self.base} sent a malformed proof: {exc}") from None
