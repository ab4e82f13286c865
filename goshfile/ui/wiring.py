"""The dashboard's real services: the Docker engine, the ledger, the registry, the trusted signers.

Also the one registry call the library does not have yet: a repository's tag
list (``GET /v2/<name>/tags/list``, anonymous, with the bearer challenge answered
anonymously; plain HTTP only for a loopback registry, as Docker allows).
"""

from __future__ import annotations

import re

import httpx

from goshfile.errors import EngineError, InputError
from goshfile.images import reference
from goshfile.images.local import DockerImageStore
from goshfile.images.registry import RegistryClient
from goshfile.ledger import open_ledger
from goshfile.ui import tasks
from goshfile.ui.dashboard import ClosableLedger, Services
from goshfile.ui.evidence import Assessment
from goshfile.ui.jobs import Outcome, Progress
from goshfile.ui.trust import default_trust

_LOOPBACK = re.compile(r"^(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?$")
MAX_TAGS = 200
_ARTIFACT_TAG = re.compile(r"^sha256-[0-9a-f]{64}(\.[a-z]+)?$")


def registry_tags(repository: str, timeout: float = 15) -> list[str]:
    """The tags of ``repository`` (``registry/name``), sorted; at most :data:`MAX_TAGS`."""
    ref = reference.parse(repository)
    if "@" in repository or ":" in repository.rsplit("/", 1)[-1]:
        raise InputError(f"{repository!r}: give a repository without a tag or digest")
    domain = "registry-1.docker.io" if ref.domain == "docker.io" else ref.domain
    scheme = "http" if _LOOPBACK.match(domain) else "https"
    url = f"{scheme}://{domain}/v2/{ref.path}/tags/list"
    try:
        with httpx.Client(timeout=timeout, follow_redirects=False) as client:
            res = client.get(url, params={"n": MAX_TAGS})
            challenge = res.headers.get("www-authenticate", "")
            if res.status_code == 401 and challenge.startswith("Bearer"):
                params = dict(re.findall(r'(\w+)="([^"]*)"', challenge))
                realm = params.pop("realm", "")
                if not realm:
                    raise EngineError(f"{domain} asked for a token without a realm")
                token = client.get(realm, params=params).json()
                bearer = token.get("token") or token.get("access_token") or ""
                res = client.get(url, params={"n": MAX_TAGS}, headers={"Authorization": f"Bearer {bearer}"})
    except httpx.HTTPError as exc:
        raise EngineError(f"cannot reach the registry {domain}: {exc}") from exc
    if res.status_code == 404:
        raise InputError(f"{ref.name}: no such repository in its registry")
    if res.status_code != 200:
        raise EngineError(f"the registry {domain} answered {res.status_code} for the tags of {ref.path}")
    try:
        tags = res.json().get("tags") or []
    except ValueError as exc:
        raise EngineError(f"the registry {domain} sent a tag list that is not JSON") from exc
    images = [str(t) for t in tags if not _ARTIFACT_TAG.match(str(t))]  # not cosign's .sig/.att, not referrers
    return sorted(images)[:MAX_TAGS]


def default_services(network: str | None = None) -> Services:
    """Services on the local engine and the ledger of ``-n`` (default: the local node)."""
    store = DockerImageStore()

    def ledger() -> ClosableLedger:
        return open_ledger(network)

    def validate(image: Assessment, progress: Progress) -> Outcome:
        return tasks.validate(image, store, progress)

    return Services(
        images=store,
        open_ledger=ledger,
        trust=default_trust(),
        registry=RegistryClient(),
        list_tags=registry_tags,
        validate=validate,
        hashes=tasks.hashes,
    )
