"""Who may use the dashboard: a random access token, a cookie, a CSRF field, the Host header, headers.

- The token is made at start and shown once, in the start-up URL (as Jupyter
  does). A request carrying it as ``?token=`` gets it as an HttpOnly,
  SameSite=Strict cookie and is redirected to the same URL without it, so the
  token leaves the address bar and the history. Every other request needs the
  cookie; without it: 403.
- Every state-changing request is a POST that must also carry the CSRF field,
  an HMAC of the token (never the token itself), which only the dashboard's own
  pages contain: a page elsewhere can neither read it nor send the cookie.
- The Host header must name the address listened on (no DNS rebinding).
- Every response forbids scripts and styles from anywhere but the dashboard
  (Content-Security-Policy), framing, sniffing, referrers and caching.
- The request log names method, path and status only: never the query string.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode

from starlette.datastructures import URL
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

TOKEN_PARAM = "token"
CSRF_FIELD = "csrf"
PUBLIC_PREFIXES = ("/static/",)
log = logging.getLogger("goshfile.ui")

HEADERS = {
    "content-security-policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; object-src 'none'; "
        "base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    ),
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
}


def new_token() -> str:
    """A fresh random access token (256 bits)."""
    return secrets.token_urlsafe(32)


@dataclass(frozen=True)
class Access:
    """The secret of one dashboard process and the names it travels under."""

    token: str
    cookie: str = "goshfile_ui"
    allowed_hosts: frozenset[str] = frozenset()  # empty: any Host (remote use)

    @property
    def csrf(self) -> str:
        """The value every form carries: derived from the token, not the token."""
        return hmac.new(self.token.encode(), b"goshfile-ui csrf", hashlib.sha256).hexdigest()

    def valid_token(self, candidate: str | None) -> bool:
        return bool(candidate) and hmac.compare_digest(str(candidate).encode(), self.token.encode())

    def valid_csrf(self, candidate: str | None) -> bool:
        return bool(candidate) and hmac.compare_digest(str(candidate).encode(), self.csrf.encode())


def _cookies(scope: Scope) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            for part in value.decode("latin-1").split(";"):
                key, _, val = part.strip().partition("=")
                out.setdefault(key, val)
    return out


def _host(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == b"host":
            return str(value.decode("latin-1")).lower()
    return ""


def refusal(status: int, text: str) -> Response:
    """A plain refusal (no page template: nothing of the request is echoed)."""
    return PlainTextResponse(text, status_code=status, headers=HEADERS)


class AccessMiddleware:
    """Refuse requests without the token; trade a token in the URL for a cookie; add the headers."""

    def __init__(self, app: ASGIApp, access: Access) -> None:
        self.app = app
        self.access = access

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path, method = scope.get("path", ""), scope.get("method", "GET")

        async def send_logged(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.decode().lower() not in HEADERS]
                headers += [(k.encode(), v.encode()) for k, v in HEADERS.items()]
                message = {**message, "headers": headers}
                log.info("%s %s %s", method, path, message["status"])
            await send(message)

        if self.access.allowed_hosts and _host(scope) not in self.access.allowed_hosts:
            await refusal(421, "goshfile ui: unexpected Host header")(scope, receive, send_logged)
            return
        if path.removeprefix(str(scope.get("root_path", ""))).startswith(PUBLIC_PREFIXES):
            await self.app(scope, receive, send_logged)
            return
        query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        given = next((v for k, v in query if k == TOKEN_PARAM), None)
        if given is not None and method in ("GET", "HEAD"):
            if not self.access.valid_token(given):
                await refusal(403, "goshfile ui: wrong access token")(scope, receive, send_logged)
                return
            rest = urlencode([(k, v) for k, v in query if k != TOKEN_PARAM])
            target = str(URL(path=path, query=rest)) if rest else path
            redirect = RedirectResponse(target or "/", status_code=303)
            redirect.set_cookie(self.access.cookie, self.access.token, httponly=True, samesite="strict", path="/")
            await redirect(scope, receive, send_logged)
            return
        if not self.access.valid_token(_cookies(scope).get(self.access.cookie)):
            text = "goshfile ui: open the URL that `goshfile ui` printed (it carries the access token)"
            await refusal(403, text)(scope, receive, send_logged)
            return
        await self.app(scope, receive, send_logged)


def loopback_hosts(host: str, port: int) -> frozenset[str]:
    """The Host header values a browser sends for ``host:port`` (and its other loopback names)."""
    names: Iterable[str] = {host, "localhost", "127.0.0.1"} if host != "::1" else {"[::1]", "localhost"}
    return frozenset(f"{name}:{port}" for name in names)
