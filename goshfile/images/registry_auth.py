"""The user's registry credentials, read as Docker, cosign and skopeo read them.

``$DOCKER_CONFIG/config.json`` (default ``~/.docker/config.json``):

- ``credHelpers``: ``{"registry.example": "NAME"}`` runs ``docker-credential-NAME get``;
- ``credsStore``: the same helper for every registry;
- ``auths``: ``{"registry.example": {"auth": base64("user:password")}}`` (or ``identitytoken``).

A helper answers on stdout with ``{"ServerURL", "Username", "Secret"}``; a
``Username`` of ``<token>`` means ``Secret`` is an identity (refresh) token.
Docker Hub is stored under ``https://index.docker.io/v1/``. Secrets never
appear in errors or reprs (:class:`Credentials`).
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from goshfile.errors import InputError

DOCKER_HUB_KEYS = ("https://index.docker.io/v1/", "index.docker.io", "docker.io", "registry-1.docker.io")
TOKEN_USER = "<token>"


@dataclass(frozen=True)
class Credentials:
    """A user name and password (or an identity token) for one registry."""

    username: str = ""
    password: str = field(default="", repr=False)
    identity_token: str = field(default="", repr=False)

    def __bool__(self) -> bool:
        return bool(self.username or self.password or self.identity_token)


def docker_config_path() -> Path:
    """``$DOCKER_CONFIG/config.json``, else ``~/.docker/config.json``."""
    folder = os.environ.get("DOCKER_CONFIG")
    return (Path(folder) if folder else Path.home() / ".docker") / "config.json"


def _keys_for(host: str) -> tuple[str, ...]:
    if host in ("docker.io", "registry-1.docker.io", "index.docker.io"):
        return DOCKER_HUB_KEYS
    return (host, f"https://{host}", f"http://{host}", f"https://{host}/v1/", f"https://{host}/v2/")


def _lookup(table: dict[str, Any], host: str) -> Any:
    for key in _keys_for(host):
        if key in table:
            return table[key]
    return None


def _from_helper(helper: str, host: str, path: Path) -> Credentials:
    program = shutil.which(f"docker-credential-{helper}")
    if program is None:
        raise InputError(
            f"{path} names the credential helper {helper!r}, but docker-credential-{helper} is not on PATH"
        )
    server = DOCKER_HUB_KEYS[0] if host in ("docker.io", "registry-1.docker.io", "index.docker.io") else host
    try:
        done = subprocess.run([program, "get"], input=server, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise InputError(f"credential helper docker-credential-{helper} failed for {host}: {exc}") from exc
    if done.returncode != 0:  # "credentials not found in native keychain": no credentials for this host
        return Credentials()
    try:
        data = json.loads(done.stdout)
    except ValueError:
        raise InputError(f"credential helper docker-credential-{helper} answered something that is not JSON") from None
    user, secret = str(data.get("Username") or ""), str(data.get("Secret") or "")
    if user == TOKEN_USER:
        return Credentials(identity_token=secret)
    return Credentials(user, secret)


def _from_auths(entry: Any, host: str, path: Path) -> Credentials:
    if not isinstance(entry, dict):
        return Credentials()
    if entry.get("identitytoken"):
        return Credentials(identity_token=str(entry["identitytoken"]))
    if entry.get("auth"):
        try:
            user, sep, password = base64.b64decode(str(entry["auth"]), validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise InputError(f"{path}: the 'auth' of {host} is not base64 of user:password") from None
        if not sep:
            raise InputError(f"{path}: the 'auth' of {host} is not base64 of user:password")
        return Credentials(user, password)
    if entry.get("username"):
        return Credentials(str(entry["username"]), str(entry.get("password") or ""))
    return Credentials()


def credentials_for(host: str, path: Path | None = None) -> Credentials:
    """The credentials the user's Docker config holds for registry ``host`` (``domain[:port]``), or empty ones."""
    path = path or docker_config_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Credentials()
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read the Docker config {path}: {exc}") from None
    if not isinstance(data, dict):
        raise InputError(f"the Docker config {path} is not a JSON object")
    helpers = data.get("credHelpers")
    helper = _lookup(helpers, host) if isinstance(helpers, dict) else None
    if isinstance(helper, str) and helper:
        return _from_helper(helper, host, path)
    auths = data.get("auths")
    found = _from_auths(_lookup(auths, host), host, path) if isinstance(auths, dict) else Credentials()
    if found:
        return found
    store = data.get("credsStore")
    if isinstance(store, str) and store:
        return _from_helper(store, host, path)
    return Credentials()
