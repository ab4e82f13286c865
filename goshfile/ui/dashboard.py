"""What the dashboard does, without HTTP: list and assess images, start jobs, trust signers.

:class:`Dashboard` holds the outside world behind small interfaces (the
engine's images, the ledger, the registry, the trusted signers, the job
runners), so the web layer is a thin skin and the tests use in-memory fakes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from goshfile.errors import EngineError, GoshfileError, InputError
from goshfile.images.local import ImageArchives, ImageStore, LocalImage
from goshfile.images.registry import RegistryClient
from goshfile.ui.evidence import FILTERS, Assessment, assess
from goshfile.ui.jobs import Job, Jobs, Outcome, Progress
from goshfile.ui.trust import TrustedSigners
from goshfile.verify.signature import ProofLedger, Subject, find_subject
from goshfile.verify.trust import TrustedSigner
from goshfile.workflows.verify import NoLocalImages, Sources


class ClosableLedger(ProofLedger, Protocol):
    """A ledger the dashboard opens per request and closes."""

    def close(self) -> None:
        """Release the ledger."""


@dataclass
class Services:
    """The outside world of one dashboard."""

    images: ImageArchives
    open_ledger: Callable[[], ClosableLedger]
    trust: TrustedSigners
    registry: RegistryClient  # signatures and attestations, and images not in the engine
    list_tags: Callable[[str], list[str]]
    validate: Callable[[Assessment, Progress], Outcome]
    hashes: Callable[[str, Progress, Callable[[list[str]], None]], Outcome]


@dataclass(frozen=True)
class Listing:
    """The images page: the images shown and how many there are of each status."""

    images: list[Assessment]
    counts: dict[str, int]
    total: int
    registry_error: str | None = None


def _name(image: LocalImage) -> str:
    return image.tags[0] if image.tags else image.image_id


class Dashboard:
    """The dashboard's state: services, jobs and the content hashes computed so far."""

    def __init__(self, services: Services, jobs: Jobs | None = None) -> None:
        self.services = services
        self.jobs = jobs or Jobs()
        self._hashes: dict[str, list[str]] = {}  # image ID -> content hashes
        self._lock = threading.Lock()

    def _assess(
        self, subject: Subject, ledger: ProofLedger, tags: tuple[str, ...] = (), store: ImageStore | None = None
    ) -> Assessment:
        with self._lock:
            hashes = list(self._hashes.get(subject.image_id, ()))
        pins = [TrustedSigner(t.public, t.name or None, "dashboard") for t in self.services.trust.signers()]
        sources = Sources(store or self.services.images, self.services.registry, ledger, pins=pins)
        return assess(subject, sources, hashes, tags)

    def listing(self, show: str = "all", query: str = "", repository: str = "") -> Listing:
        """Every local image (and the tags of ``repository``), filtered by status and ``query``."""
        if show not in FILTERS:
            raise InputError(f"unknown filter {show!r}; use one of {', '.join(FILTERS)}")
        found: list[Assessment] = []
        registry_error = None
        ledger = self.services.open_ledger()
        try:
            for image in sorted(self.services.images.all(), key=_name):
                subject = find_subject(_name(image), self.services.images)
                found.append(self._assess(subject, ledger, image.tags))
            if repository.strip():
                try:
                    listed, skipped = self._registry_images(repository.strip(), ledger)
                    found += listed
                    registry_error = "; ".join(skipped) or None
                except (InputError, EngineError) as exc:
                    registry_error = str(exc)
        finally:
            ledger.close()
        counts = {name: sum(a.status in statuses for a in found) for name, statuses in FILTERS.items()}
        shown = [a for a in found if a.status in FILTERS[show] and a.matches(query)]
        return Listing(shown, counts, len(found), registry_error)

    def _registry_images(self, repository: str, ledger: ProofLedger) -> tuple[list[Assessment], list[str]]:
        """The registry's images of ``repository``, and one line for each tag that could not be read."""
        out, skipped = [], []
        for tag in self.services.list_tags(repository):
            ref = f"{repository}:{tag}"
            try:
                subject = find_subject(ref, NoLocalImages(), self.services.registry)
            except GoshfileError as exc:
                skipped.append(f"{ref}: {exc}")
                continue
            out.append(self._assess(subject, ledger, (ref,), NoLocalImages()))
        return out, skipped

    def image(self, ref: str) -> Assessment:
        """One image, local first, else from its registry."""
        ledger = self.services.open_ledger()
        try:
            subject = find_subject(ref, self.services.images, self.services.registry)
            local = self.services.images.get(ref)
            return self._assess(subject, ledger, local.tags if local else (ref,))
        finally:
            ledger.close()

    def start_validation(self, ref: str) -> Job:
        """Rebuild ``ref`` from its GOSH commit in the background and compare."""
        image = self.image(ref)
        if not image.rebuildable:
            raise InputError(f"{ref}: no GOSH_ADDRESS and GOSH_COMMIT_HASH labels: nothing to rebuild from")
        return self.jobs.start("validate", ref, lambda progress: self.services.validate(image, progress))

    def start_hashes(self, ref: str) -> Job:
        """Compute the content hashes of ``ref`` in the background; later assessments try them."""
        image = self.image(ref)

        def save(found: list[str]) -> None:
            with self._lock:
                self._hashes[image.image_id] = found

        return self.jobs.start("hashes", ref, lambda progress: self.services.hashes(ref, progress, save))

    def hashes_of(self, image_id: str) -> list[str]:
        """The content hashes computed for ``image_id`` (empty when not yet)."""
        with self._lock:
            return list(self._hashes.get(image_id, ()))

    def trust(self, ref: str, name: str = "") -> tuple[str, bool]:
        """Add the signer of ``ref`` to the trusted signers; return it and whether it was new."""
        image = self.image(ref)
        if not image.signer:
            raise InputError(f"{ref}: no WALLET_PUBLIC label: there is no signer to trust")
        return image.signer, self.services.trust.add(image.signer, name)
