"""A ledger reached over HTTP: a node started with ``goshfile node serve``.

The client trusts the node with nothing it can check itself: the address is computed here,
deployments are signed here (the secret never leaves this process; only the signature is sent),
and every proof the node returns is verified here before ``check`` says true or ``sign``
returns. Connections are kept alive (httpx's pool; one :class:`HttpLedger` may be used from
several threads).
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Iterator
from typing import Any

from goshfile.endpoints import shown
from goshfile.errors import EngineError, InputError, VerificationError
from goshfile.httpclient import httpx, new_client
from goshfile.ledger import contract
from goshfile.ledger.log import Head, LogReport, Record, verify_records
from goshfile.ledger.proof import Proof
from goshfile.ledger.protocol import DeployingLedger, Deployment, check_proof

DEFAULT_TIMEOUT = 30.0
MAX_LOG_PAGE = 1000  # the node's page size
MAX_ANSWER = 16 * 1024 * 1024  # bytes of one answer (a log page is well under 1 MiB)
MAX_REDIRECTS = 5
NO_PROOF = "no_proof"  # the error code of a 404 that means "nothing recorded at this address"


def parse_node_url(base: str) -> urllib.parse.SplitResult:
    """``http(s)://host[:port][/prefix]``, split; InputError for anything else (one line, no traceback)."""
    try:
        parts = urllib.parse.urlsplit(base.strip())
        parts.port  # noqa: B018 - validates the port
    except ValueError as exc:
        raise InputError(f"invalid node URL {shown(base)!r}: {exc}; expected http(s)://host[:port][/prefix]") from None
    if parts.username is not None or parts.password is not None:
        raise InputError(f"invalid node URL {shown(base)!r}: no user or password in a node URL (use the node token)")
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise InputError(f"invalid node URL {base!r}: expected http(s)://host[:port][/prefix]")
    return parts


class HttpLedger(DeployingLedger):
    """A ledger on a node at ``base`` (``http(s)://host[:port][/prefix]``); implements the Ledger protocol.

    ``token`` (the node token, :mod:`goshfile.tokens`) is sent as ``Authorization: Bearer`` to the node
    only: redirects to another host, port or scheme are followed without it.
    """

    def __init__(self, base: str, *, timeout: float = DEFAULT_TIMEOUT, token: str | None = None) -> None:
        parts = parse_node_url(base)
        self.base = base.strip().rstrip("/")
        self._prefix = parts.path.rstrip("/")
        self._origin = f"{parts.scheme}://{parts.netloc}"
        self._timeout = timeout
        self._token = token
        self._client: httpx.Client | None = None

    def __repr__(self) -> str:
        return f"HttpLedger({self.base!r})"

    def __str__(self) -> str:
        return f"node {self.base}"

    # -- transport ------------------------------------------------------------------------------------

    def _http(self) -> httpx.Client:
        if self._client is None:
            headers = {"Accept": "application/json"}
            if self._token:
                headers["Authorization"] = f"Bearer {self._token}"  # httpx drops it on a cross-origin redirect
            self._client = new_client(
                headers=headers,
                timeout=self._timeout,
                follow_redirects=True,
                max_redirects=MAX_REDIRECTS,
                trust_env=False,  # no proxy or .netrc credentials from the environment
            )
        return self._client

    def _exchange(self, method: str, target: str, body: bytes | None) -> tuple[int, bytes]:
        url = self._origin + target
        headers = {"Content-Type": "application/json"} if body is not None else {}
        for attempt in (1, 2):
            try:
                with self._http().stream(method, url, content=body, headers=headers) as response:
                    data = bytearray()
                    for chunk in response.iter_bytes():
                        data += chunk
                        if len(data) > MAX_ANSWER:
                            raise EngineError(f"the node {self.base} sent an answer over {MAX_ANSWER} bytes")
                    return response.status_code, bytes(data)
            except httpx.RemoteProtocolError as exc:  # a kept-alive connection closed by the node: retry once
                if attempt == 2:
                    raise EngineError(f"the node {self.base} closed the connection: {exc}") from exc
            except httpx.TooManyRedirects as exc:
                raise EngineError(f"the node {self.base} redirects more than {MAX_REDIRECTS} times") from exc
            except httpx.InvalidURL as exc:
                raise InputError(f"invalid node URL {self.base!r}: {exc}") from None
            except httpx.HTTPError as exc:
                reason = str(exc) or type(exc).__name__
                raise EngineError(f"cannot reach the node {self.base}: {reason}") from exc
        raise AssertionError("unreachable")

    def _call(
        self, method: str, path: str, *, query: dict[str, str] | None = None, body: Any = None
    ) -> tuple[int, Any]:
        target = self._prefix + path + (f"?{urllib.parse.urlencode(query)}" if query else "")
        payload = None if body is None else json.dumps(body).encode()
        status, data = self._exchange(method, target, payload)
        try:
            value = json.loads(data)
        except (UnicodeDecodeError, ValueError, RecursionError) as exc:
            raise EngineError(f"the node {self.base} answered {status} with something that is not JSON") from exc
        if status < 400:
            return status, value
        error = value.get("error") if isinstance(value, dict) else None
        message = str(error.get("message"))[:500] if isinstance(error, dict) else f"status {status}"
        if status == 404 and isinstance(error, dict) and error.get("code") == NO_PROOF:
            return status, value
        if status == 404:
            raise EngineError(f"the node {self.base} does not serve {path} ({message}): is the URL right?")
        if status in (401, 403):
            hint = " (set $GOSHFILE_NODE_TOKEN or $GOSHFILE_NODE_TOKEN_FILE)" if status == 401 else ""
            raise InputError(f"the node {self.base} refused the request: {message}{hint}")
        if status == 400:
            raise InputError(f"the node {self.base} refused the request: {message}")
        if status == 422:
            raise VerificationError(f"the node {self.base}: {message}")
        raise EngineError(f"the node {self.base} failed ({status}): {message}")

    def close(self) -> None:
        """Close the kept-alive connections (the next call opens new ones)."""
        client, self._client = self._client, None
        if client is not None:
            client.close()

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
        return self.get_by_address(contract.address(public, content))

    def get_by_address(self, address: str) -> Proof | None:
        """The proof the node holds at ``address`` (not checked), or None."""
        status, value = self._call("GET", f"/v1/proofs/{contract.check_address(address)}")
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
        except (KeyError, TypeError, ValueError) as exc:
            raise EngineError(f"the node {self.base} sent an unexpected /v1/info answer") from exc

    def records(self, after: int = 0, limit: int = MAX_LOG_PAGE) -> list[Record]:
        """Up to ``limit`` records after ``after``."""
        _, value = self._call("GET", "/v1/log", query={"after": str(after), "limit": str(limit)})
        try:
            return [Record.from_json(item) for item in value["records"]]
        except (KeyError, TypeError, InputError) as exc:
            raise EngineError(f"the node {self.base} sent a malformed log page: {exc}") from exc

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
            raise EngineError(f"the node {self.base} sent a malformed proof: {exc}") from exc
