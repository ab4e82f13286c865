"""HTTP to OCI registries as Docker does it: credentials, token and basic auth, safe redirects.

- Plain HTTP only for loopback registries (``localhost``, ``127.0.0.0/8``, ``[::1]``)
  and those the user names as insecure (``insecure=`` or ``GOSHFILE_INSECURE_REGISTRIES``,
  comma-separated ``host[:port]``); every other registry is spoken to over HTTPS.
- A ``401`` challenge is answered once: ``Bearer`` by asking the named realm for
  a token (with the user's credentials when the Docker config has some, else
  anonymously), ``Basic`` with the user's credentials.
- Redirects are followed by hand: the ``Authorization`` header goes only to the
  registry's own host; a redirect to another host (blob storage) gets none.
"""

from __future__ import annotations

import base64
import os
import re
import urllib.parse
from collections.abc import Callable, Iterable
from typing import Any

from goshfile.errors import EngineError
from goshfile.httpclient import httpx, new_client
from goshfile.images.registry_auth import Credentials, credentials_for

INSECURE_ENV = "GOSHFILE_INSECURE_REGISTRIES"
_LOOPBACK = re.compile(r"^(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?$")
MAX_REDIRECTS = 5
CredentialSource = Callable[[str], Credentials]


def _host(url: str) -> str:
    return urllib.parse.urlsplit(url).netloc.lower()


def _challenge(header: str) -> tuple[str, dict[str, str]]:
    scheme, _, rest = header.strip().partition(" ")
    return scheme.lower(), {k.lower(): v for k, v in re.findall(r'(\w+)="([^"]*)"', rest)}


def _basic(creds: Credentials) -> str:
    return "Basic " + base64.b64encode(f"{creds.username}:{creds.password}".encode()).decode()


class RegistryHTTP:
    """Requests to registries with the user's credentials; one token per repository and access."""

    def __init__(
        self,
        timeout: float = 30,
        insecure: Iterable[str] = (),
        credentials: CredentialSource | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        named = [h.strip().lower() for h in os.environ.get(INSECURE_ENV, "").split(",") if h.strip()]
        self.insecure = frozenset([*named, *(h.lower() for h in insecure)])
        self._credentials = credentials or credentials_for
        self._client = new_client(timeout=timeout, follow_redirects=False, transport=transport)
        self._auth: dict[tuple[str, str], str] = {}  # (host, scope) -> Authorization header

    def base(self, domain: str) -> str:
        """``scheme://host`` of a registry (Docker Hub's API host for ``docker.io``)."""
        host = "registry-1.docker.io" if domain == "docker.io" else domain
        scheme = "http" if _LOOPBACK.match(host) or host.lower() in self.insecure else "https"
        return f"{scheme}://{host}"

    def close(self) -> None:
        """Close the connections."""
        self._client.close()

    def request(
        self,
        method: str,
        url: str,
        scope: str,
        *,
        headers: dict[str, str] | None = None,
        content: bytes | None = None,
        stream: bool = False,
    ) -> httpx.Response:
        """Send with the registry's authorization; answer one challenge; follow redirects safely.

        ``scope`` is the token scope (``repository:NAME:pull`` or ``...:pull,push``).
        The caller closes a streamed response.
        """
        registry = _host(url)
        response = self._send(method, url, registry, scope, headers or {}, content, stream)
        if response.status_code == 401 and (registry, scope) not in self._auth:
            challenge = response.headers.get("WWW-Authenticate", "")
            response.close()
            self._auth[(registry, scope)] = self._authorize(registry, scope, challenge)
            response = self._send(method, url, registry, scope, headers or {}, content, stream)
        if response.status_code == 401:
            response.close()
            raise EngineError(
                f"the registry {registry} refused the credentials for {scope.split(':')[1]} "
                f"(log in with: docker login {registry})"
            )
        return response

    def _send(
        self,
        method: str,
        url: str,
        registry: str,
        scope: str,
        headers: dict[str, str],
        content: bytes | None,
        stream: bool,
    ) -> httpx.Response:
        for _ in range(MAX_REDIRECTS + 1):
            sent = dict(headers)
            if _host(url) == registry and (registry, scope) in self._auth:
                sent["Authorization"] = self._auth[(registry, scope)]
            try:
                request = self._client.build_request(method, url, headers=sent, content=content)
                response = self._client.send(request, stream=stream)
            except httpx.HTTPError as exc:
                raise EngineError(f"cannot reach the registry {registry} ({method} {url}): {exc}") from exc
            if response.status_code in (301, 302, 303, 307, 308) and "location" in response.headers:
                url = urllib.parse.urljoin(url, response.headers["location"])
                response.close()
                if response.status_code == 303:
                    method, content = "GET", None
                continue
            return response
        raise EngineError(f"the registry {registry} redirected more than {MAX_REDIRECTS} times for {method}")

    def _authorize(self, registry: str, scope: str, header: str) -> str:
        scheme, params = _challenge(header)
        creds = self._credentials(registry)
        if scheme == "basic":
            if not creds or not creds.username:
                raise EngineError(f"the registry {registry} needs a user name and password: docker login {registry}")
            return _basic(creds)
        if scheme != "bearer" or not params.get("realm"):
            raise EngineError(f"the registry {registry} asked for authentication goshfile does not speak: {header!r}")
        query = {"service": params.get("service", ""), "scope": scope}
        headers: dict[str, str] = {}
        try:
            if creds.identity_token:
                form = {**query, "grant_type": "refresh_token", "refresh_token": creds.identity_token}
                form["client_id"] = "goshfile"
                answer = self._client.post(params["realm"], data=form)
            else:
                if creds.username:
                    headers["Authorization"] = _basic(creds)
                answer = self._client.get(params["realm"], params=query, headers=headers)
        except httpx.HTTPError as exc:
            raise EngineError(f"the token service of {registry} is unreachable: {exc}") from exc
        if answer.status_code != 200:
            raise EngineError(f"the token service of {registry} answered {answer.status_code} for {scope}")
        try:
            body: Any = answer.json()
        except ValueError:
            raise EngineError(f"the token service of {registry} answered something that is not JSON") from None
        token = str(body.get("token") or body.get("access_token") or "") if isinstance(body, dict) else ""
        if not token:
            raise EngineError(f"the token service of {registry} gave no token for {scope}")
        return f"Bearer {token}"
