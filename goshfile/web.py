"""The web apps' shared request and response helpers: JSON errors, bodies within limits, the token check.

Every error response of the node (and the dashboard) is ``{"error": {"status", "code", "message"}}``
(:func:`error_response`, :func:`error_body`). :func:`read_body` and :func:`body_chunks` read request
bodies within a size limit and a time limit; :func:`authorized` checks the node token
(:mod:`goshfile.tokens`) in constant time.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hmac
import json
from collections.abc import AsyncIterator

from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response

CLOSE_HEADER = {"Connection": "close"}


class HttpError(Exception):
    """A response with an error status: ``code`` is a stable word, ``message`` a sentence for people."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.headers = headers or {}


def error_body(status: int, code: str, message: str) -> bytes:
    """The JSON error document every error response carries."""
    return (json.dumps({"error": {"status": status, "code": code, "message": message}}) + "\n").encode()


BODY_READ = "goshfile.body_read"  # set in the ASGI scope once the request body has been read to its end


def _has_unread_body(request: Request) -> bool:
    declared = request.headers.get("content-length", "0")
    has_body = declared not in ("", "0") or "transfer-encoding" in request.headers
    return has_body and not request.scope.get(BODY_READ)


def error_response(exc: HttpError, request: Request | None = None) -> JSONResponse:
    """The JSON response of ``exc``; the connection closes when ``request``'s body was left unread."""
    headers = {"Cache-Control": "no-store", **exc.headers}
    if request is not None and _has_unread_body(request):
        headers["Connection"] = "close"  # a large unread body is not worth draining
    error = {"status": exc.status, "code": exc.code, "message": exc.message}
    return JSONResponse({"error": error}, status_code=exc.status, headers=headers)


_WORDS = {404: "not_found", 405: "method_not_allowed"}


async def http_exception_response(request: Request, exc: Exception) -> Response:
    """Starlette's own errors (no route, wrong method) as JSON errors."""
    assert isinstance(exc, HTTPException)
    status = exc.status_code
    if status == 404:
        message = f"no such endpoint {request.url.path!r} (see docs/ledger.md)"
    elif status == 405:
        methods = (exc.headers or {}).get("Allow", "GET").split(",")
        allowed = " or ".join(sorted(m.strip() for m in methods if m.strip() not in ("HEAD", "")))
        message = f"{request.method} is not supported on {request.url.path}; use {allowed}"
    else:
        message = str(exc.detail)
    return error_response(HttpError(status, _WORDS.get(status, "error"), message, dict(exc.headers or {})), request)


def authorized(request: Request, token: str) -> bool:
    """True when the request carries ``token``: ``Authorization: Bearer <token>`` or as basic auth's password."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    given = value.strip()
    if scheme.lower() == "basic":
        try:
            user, _, password = base64.b64decode(given, validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        given = password or user
    elif scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.encode("utf-8", "replace"), token.encode("utf-8"))


async def read_body(request: Request, limit: int, timeout: float) -> bytes:
    """The whole request body within ``timeout`` s, at most ``limit`` bytes; HttpError (413, 408) otherwise."""
    data = bytearray()
    try:
        async with asyncio.timeout(timeout):
            async for chunk in body_chunks(request, limit, timeout):
                data += chunk
    except TimeoutError:
        raise HttpError(408, "request_timeout", f"the body did not arrive within {timeout:g} s", CLOSE_HEADER) from None
    return bytes(data)


async def body_chunks(request: Request, limit: int, timeout: float) -> AsyncIterator[bytes]:
    """The request body piece by piece (see :func:`read_body`)."""
    declared = request.headers.get("content-length")
    if declared is not None and int(declared) > limit:  # h11 has checked it is ASCII digits
        raise HttpError(413, "too_large", f"the body is {declared} bytes; at most {limit} are accepted", CLOSE_HEADER)
    received = 0
    stream = request.stream().__aiter__()
    while True:
        try:
            async with asyncio.timeout(timeout):
                chunk = await anext(stream)
        except StopAsyncIteration:
            request.scope[BODY_READ] = True
            return
        except TimeoutError:
            raise HttpError(408, "request_timeout", f"no body bytes arrived for {timeout:g} s", CLOSE_HEADER) from None
        except ClientDisconnect:
            raise HttpError(400, "bad_request", "the client went away before sending the whole body") from None
        received += len(chunk)
        if received > limit:
            raise HttpError(413, "too_large", f"the body is over {limit} bytes", CLOSE_HEADER)
        if chunk:
            yield chunk
