"""The node's HTTP/JSON API: the local ledger (and the node's git repositories) for a team.

API (all JSON, ``docs/ledger.md`` has the details):

- ``GET /v1/info``: the contract identifier, the number of records and the log's head;
- ``GET /v1/address?public=HEX&content=TEXT``: the proof address;
- ``GET /v1/proofs/<address>`` or ``GET /v1/proofs?public=HEX&content=TEXT``: the proof, 404 when none;
- ``GET /v1/check?public=HEX&content=TEXT``: ``{"address": ..., "valid": true|false}``;
- ``POST /v1/proofs`` with ``{"public", "content", "signature", "payer"?}``: the signature is
  verified before anything is written; 201 with the new proof, 200 with the existing one. With
  ``deploy_needs_token`` the request must also carry the node's token (``Authorization: Bearer``);
- ``GET /v1/log?after=SEQ&limit=N``: log records in order, for ``goshfile node verify-log``;
- ``/git/...``: git smart HTTP for the node's repositories (:mod:`goshfile.gosh.http_git`).

Errors are ``{"error": {"status": N, "code": "...", "message": "..."}}`` with a 4xx status for a
bad request and 5xx when the ledger itself fails (logged, never a traceback in the answer).
:func:`create_app` returns the Starlette app (mountable beside the dashboard); :class:`NodeServer`
serves it with the limits of :mod:`goshfile.serving`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import urllib.parse
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from goshfile import __version__
from goshfile.errors import EngineError, GoshfileError, InputError, VerificationError
from goshfile.gosh import http_git
from goshfile.keys.keypair import SIGNATURE_HEX
from goshfile.ledger import contract
from goshfile.ledger import proof as proofs
from goshfile.ledger.protocol import Deployment, check_proof
from goshfile.ledger.sqlite import SqliteLedger
from goshfile.serving import AppServer, Limits, in_background
from goshfile.web import HttpError, authorized, error_response, http_exception_response, read_body

__all__ = ["Limits", "NodeAuth", "NodeServer", "create_app", "parse_listen", "serving"]
log = logging.getLogger("goshfile.server")
MAX_BODY = 64 * 1024
MAX_LOG_PAGE = 1000
MAX_INT_DIGITS = 18  # query integers and JSON numbers: anything longer is refused, never converted
MAX_QUERY_FIELDS = 16
_DEPLOY_FIELDS = {"public", "content", "signature", "payer"}
_ASCII_INT = re.compile(rf"[0-9]{{1,{MAX_INT_DIGITS}}}")
TOKEN_REALM = 'Bearer realm="goshfile node"'


def parse_listen(text: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[v6]:PORT`` for IPv6; port 0 picks a free one); InputError otherwise."""
    host, sep, port = text.strip().rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not sep or not host or not _ASCII_INT.fullmatch(port) or int(port) > 65535:
        raise InputError(f"--listen {text!r}: expected HOST:PORT, e.g. 127.0.0.1:8750")
    return host, int(port)


@dataclass(frozen=True)
class NodeAuth:
    """Who may write: ``token`` is the node's secret; deployments also need it when ``deploy_needs_token``."""

    token: str | None = None
    deploy_needs_token: bool = False

    def __post_init__(self) -> None:
        if self.deploy_needs_token and not self.token:
            raise InputError("requiring a token for deployments needs a token (--token-file)")


def parse_query(request: Request, required: tuple[str, ...] = (), optional: tuple[str, ...] = ()) -> dict[str, str]:
    """The query parameters, each known and given once; HttpError 400 otherwise."""
    query = request.scope["query_string"].decode("latin-1")
    try:
        pairs = urllib.parse.parse_qsl(
            query, keep_blank_values=True, strict_parsing=bool(query), max_num_fields=MAX_QUERY_FIELDS
        )
    except ValueError:
        raise HttpError(400, "bad_request", "malformed query string") from None
    values: dict[str, str] = {}
    for name, value in pairs:
        if name not in required and name not in optional:
            raise HttpError(400, "bad_request", f"unknown query parameter {name[:40]!r}")
        if name in values:
            raise HttpError(400, "bad_request", f"query parameter {name!r} given twice")
        values[name] = value
    missing = [name for name in required if name not in values]
    if missing:
        raise HttpError(400, "bad_request", f"missing query parameter {missing[0]!r}")
    return values


def query_int(text: str, name: str) -> int:
    """A non-negative integer of ASCII digits (at most 18 of them); HttpError 400 otherwise."""
    if not _ASCII_INT.fullmatch(text):
        raise HttpError(
            400, "bad_request", f"query parameter {name!r} must be a non-negative integer of at most 18 digits"
        )
    return int(text)


def _json_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise ValueError(f"a number of {len(text)} digits")
    return int(text)


def _no_constant(text: str) -> Any:
    raise ValueError(f"{text} is not JSON")


def parse_json(data: bytes) -> Any:
    """The JSON document in ``data``; HttpError 400 for anything else (deep nesting and long numbers too)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise HttpError(400, "bad_request", "the body is not JSON: it is not UTF-8") from None
    try:
        return json.loads(text, parse_int=_json_int, parse_constant=_no_constant)
    except RecursionError:
        raise HttpError(400, "bad_request", "the body is not JSON this node takes: it nests too deeply") from None
    except ValueError as exc:  # JSONDecodeError is a ValueError
        raise HttpError(400, "bad_request", f"the body is not JSON: {str(exc)[:200]}") from None


def deployment_from_json(body: Any) -> Deployment:
    """The deployment in a POST body; HttpError or InputError (both 400) when malformed."""
    if not isinstance(body, dict):
        raise HttpError(400, "bad_request", "the body must be a JSON object with public, content and signature")
    unknown = sorted(set(body) - _DEPLOY_FIELDS)
    if unknown:
        raise HttpError(400, "bad_request", f"unknown field {unknown[0][:40]!r}")
    for name in ("public", "content", "signature"):
        if not isinstance(body.get(name), str):
            raise HttpError(400, "bad_request", f"field {name!r} is required and must be a string")
    payer = body.get("payer")
    if payer is not None and not isinstance(payer, str):
        raise HttpError(400, "bad_request", "field 'payer' must be a string or null")
    if not re.match(SIGNATURE_HEX, body["signature"]):
        raise HttpError(400, "bad_request", "field 'signature' must be 128 hex characters (an ed25519 signature)")
    contract.check_content(body["content"])
    return Deployment(body["public"], body["content"], bytes.fromhex(body["signature"]),
                      proofs.normalize_payer(payer))  # fmt: skip


Handler = Callable[[Request], Awaitable[tuple[int, Any]]]
T = TypeVar("T")


def _endpoint(handler: Handler, limits: Limits) -> Callable[[Request], Awaitable[Response]]:
    """``handler`` with every failure turned into its JSON error (5xx ones logged)."""

    async def endpoint(request: Request) -> Response:
        try:
            status, body = await handler(request)
            return JSONResponse(body, status_code=status, headers={"Cache-Control": "no-store"})
        except HttpError as exc:
            error = exc
        except InputError as exc:
            error = HttpError(400, "bad_request", str(exc))
        except VerificationError as exc:
            error = HttpError(422, "verification_failed", str(exc))
        except EngineError as exc:
            log.error("ledger failure on %s %s: %s", request.method, request.url.path, exc)
            error = HttpError(503, "ledger_unavailable", str(exc))
        except TimeoutError:
            log.error("%s %s took over %g s", request.method, request.url.path, limits.request_timeout)
            error = HttpError(503, "timeout", f"the node did not answer within {limits.request_timeout:g} s")
        except GoshfileError as exc:
            log.error("error on %s %s: %s", request.method, request.url.path, exc)
            error = HttpError(500, "internal_error", str(exc))
        except Exception:  # a bug: logged with its traceback, the client gets one line
            log.exception("internal error on %s %s", request.method, request.url.path)
            error = HttpError(500, "internal_error", "internal error (see the node's log)")
        return error_response(error, request)

    return endpoint


def create_app(
    ledger: SqliteLedger,
    *,
    node_path: Path | None = None,
    auth: NodeAuth | None = None,
    limits: Limits | None = None,
    max_body: int = MAX_BODY,
) -> Starlette:
    """The node's Starlette app over ``ledger`` (and the git repositories of ``node_path`` under ``/git``)."""
    auth = auth or NodeAuth()
    limits = limits or Limits()

    async def work(call: Callable[..., T], *args: Any) -> T:
        """``call(*args)`` on the worker pool, within the request timeout."""
        async with asyncio.timeout(limits.request_timeout):
            return await run_in_threadpool(call, *args)

    async def info(request: Request) -> tuple[int, Any]:
        parse_query(request)
        head = await work(ledger.head)
        return 200, {"contract": contract.CONTRACT, "records": head.seq, "head": head.hash, "version": __version__}

    async def log_page(request: Request) -> tuple[int, Any]:
        args = parse_query(request, (), ("after", "limit"))
        after = query_int(args.get("after", "0"), "after")
        limit = min(max(query_int(args.get("limit", str(MAX_LOG_PAGE)), "limit"), 1), MAX_LOG_PAGE)
        records = await work(ledger.records, after, limit)
        return 200, {"records": [record.to_json() for record in records]}

    async def by_address(request: Request) -> tuple[int, Any]:
        parse_query(request)
        found = await work(ledger.get_by_address, request.path_params["address"])
        return _found(found)

    async def address(request: Request) -> tuple[int, Any]:
        args = parse_query(request, ("public", "content"))
        return 200, {"address": contract.address(args["public"], args["content"])}

    async def check(request: Request) -> tuple[int, Any]:
        args = parse_query(request, ("public", "content"))
        public, content = args["public"], args["content"]
        where = contract.address(public, content)
        found = await work(ledger.get_by_address, where)
        return 200, {"address": where, "valid": check_proof(found, public, content)}

    async def proofs_root(request: Request) -> tuple[int, Any]:
        if request.method == "POST":
            return await deploy(request)
        args = parse_query(request, ("public", "content"))
        return _found(await work(ledger.get, args["public"], args["content"]))

    async def deploy(request: Request) -> tuple[int, Any]:
        parse_query(request)
        presented = "authorization" in request.headers and auth.token is not None  # a tokenless node ignores it
        if (presented or auth.deploy_needs_token) and not (auth.token and authorized(request, auth.token)):
            why = "the token is not this node's" if presented else "this node takes deployments only with its token"
            raise HttpError(401, "unauthorized", why, {"WWW-Authenticate": TOKEN_REALM})
        deployment = deployment_from_json(parse_json(await read_body(request, max_body, limits.body_timeout)))
        if not deployment.verifies():
            raise HttpError(422, "bad_signature", "the signature does not verify for this public key and content")
        proof, created = await work(ledger.deploy, deployment)
        return (201 if created else 200), {"created": created, "proof": proof.to_json()}

    def route(path: str, handler: Handler, methods: list[str]) -> Route:
        return Route(path, _endpoint(handler, limits), methods=methods)

    routes: list[BaseRoute] = [
        route("/v1/info", info, ["GET"]),
        route("/v1/address", address, ["GET"]),
        route("/v1/check", check, ["GET"]),
        route("/v1/proofs", proofs_root, ["GET", "POST"]),
        route("/v1/proofs/{address}", by_address, ["GET"]),
        route("/v1/log", log_page, ["GET"]),
    ]
    if node_path is not None:
        routes.append(Mount("/git", http_git.create_app(node_path, token=auth.token, limits=limits)))

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await work(ledger.close)

    return Starlette(routes=routes, exception_handlers={HTTPException: http_exception_response}, lifespan=lifespan)


def _found(found: proofs.Proof | None) -> tuple[int, Any]:
    if found is None:
        raise HttpError(404, "no_proof", "no proof is recorded at that address")
    return 200, found.to_json()


class NodeServer(AppServer):
    """The node's app served on ``host:port`` (see :mod:`goshfile.serving` for the limits)."""

    def __init__(
        self,
        ledger: SqliteLedger,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        node_path: Path | None = None,
        quiet: bool = True,
        auth: NodeAuth | None = None,
        limits: Limits | None = None,
    ) -> None:
        self.ledger = ledger
        self.node_path = node_path
        app = create_app(ledger, node_path=node_path, auth=auth, limits=limits)
        super().__init__(app, host, port, limits=limits, access_log=not quiet)

    def server_close(self) -> None:
        super().server_close()
        self.ledger.close()


@contextlib.contextmanager
def serving(
    ledger_path: Path,
    *,
    node_path: Path | None = None,
    auth: NodeAuth | None = None,
    limits: Limits | None = None,
) -> Iterator[NodeServer]:
    """A node on 127.0.0.1 (a free port) in a background thread, for the duration of the block."""
    server = NodeServer(SqliteLedger(ledger_path), node_path=node_path, auth=auth, limits=limits)
    with in_background(server) as running:
        yield running
