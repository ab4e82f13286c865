"""The dashboard's real services: the Docker engine, the ledger, the registry, the trusted signers.

A repository's tag list comes from the library's registry client
(:meth:`goshfile.images.registry.RegistryClient.list_tags`), with the user's credentials.
"""

from __future__ import annotations

import re

from goshfile.errors import InputError
from goshfile.images import reference
from goshfile.images.local import DockerImageStore
from goshfile.images.registry import RegistryClient
from goshfile.ledger import open_ledger
from goshfile.ui import tasks
from goshfile.ui.dashboard import ClosableLedger, Services
from goshfile.ui.evidence import Assessment
from goshfile.ui.jobs import Outcome, Progress
from goshfile.ui.trust import default_trust

MAX_TAGS = 200
_ARTIFACT_TAG = re.compile(r"^sha256-[0-9a-f]{64}(\.[a-z]+)?$")


def registry_tags(repository: str, timeout: float = 15) -> list[str]:
    """The tags of ``repository`` (``registry/name``), sorted, without cosign's artifact tags (at most 200).

    Through the library's registry client: the user's credentials, a token when asked for
    one, plain HTTP only where Docker allows it, as every other registry call.
    """
    if "@" in repository or ":" in repository.rsplit("/", 1)[-1]:
        raise InputError(f"{repository!r}: give a repository without a tag or digest")
    ref = reference.parse(repository)
    client = RegistryClient(timeout=timeout)
    try:
        tags = client.list_tags(ref, MAX_TAGS)
    finally:
        client.http.close()
    images = [t for t in tags if not _ARTIFACT_TAG.match(t)]  # not cosign's .sig/.att, not referrers
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
