"""``goshfile build``: plan, build reproducibly, push, then sign and verify; one typed outcome.

With signing, the key and the node are checked *before* anything is built (:func:`preflight`),
so a build is not pushed only to find that it cannot be signed. When signing still fails after
the push, :class:`PushedNotSigned` says so and carries the command that finishes the job.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from goshfile.engine import Builder, BuildRequest, BuildxBuilder
from goshfile.engine.epoch import Epoch
from goshfile.engine.pipeline import build_image
from goshfile.engine.plan import plan_build
from goshfile.errors import EngineError, GoshfileError, InputError
from goshfile.images.local import DockerImageStore, ImageArchives
from goshfile.keys import KeyPair, load_signer
from goshfile.keys.sources import refuse_secret
from goshfile.ledger import open_ledger
from goshfile.workflows.publish import Published, publish_and_verify

Progress = Callable[[str], None]
PROBE = "sha256:" + "0" * 64  # a content nobody signed: asking for it shows that the node answers


@dataclass(frozen=True)
class BuildJob:
    """What ``goshfile build`` was asked to do."""

    request: BuildRequest
    gosh_context: str | None = None  # a gosh:// URL: build that repository at ``commit``
    commit: str | None = None
    allow_refs: bool = False
    rewrite: bool = True
    sign: bool = False
    network: str | None = None
    key_file: Path | None = None


@dataclass(frozen=True)
class Resolved:
    """A branch or tag that stood for a commit."""

    url: str
    revision: str
    commit: str


@dataclass(frozen=True)
class BuildOutcome:
    """A finished ``goshfile build``."""

    image_id: str  # the final image's config digest (after the file-time rewrite)
    tags: tuple[str, ...]
    epoch: Epoch
    digest: str | None = None  # the pushed manifest digest
    original_id: str | None = None  # the engine's image ID before the rewrite, when it changed
    resolved: list[Resolved] = field(default_factory=list)
    published: Published | None = None
    signer: str | None = None


class PushedNotSigned(EngineError):
    """The image is pushed, but signing it failed; ``finish`` is the command that signs it."""

    def __init__(self, image: str, digest: str, cause: GoshfileError, finish: str) -> None:
        self.image, self.digest, self.finish = image, digest, finish
        super().__init__(f"{image}@{digest} is pushed but NOT signed ({cause}); to sign it, run: {finish}")


def check_signing(job: BuildJob, wallet_public: str | None) -> KeyPair | None:
    """The signing key when the job signs; InputError for options that cannot go together."""
    refuse_secret(wallet_public, "--wallet-public", key_file=job.key_file)  # would become a label anyone reads
    if not job.sign:
        return None
    if not job.request.push or not job.request.tags:
        raise InputError("--sign signs the pushed digest: use it with --push and -t IMAGE")
    signer = load_signer(key_file=job.key_file)
    if wallet_public and wallet_public.lower().removeprefix("0x") != signer.public_hex:
        raise InputError("--wallet-public is not the signing key's public key")
    return signer


def preflight(job: BuildJob, signer: KeyPair) -> None:
    """Before building: the node that will record the proofs answers (EngineError otherwise)."""
    ledger = open_ledger(job.network)
    try:
        ledger.get(signer.public_hex, PROBE)
    except EngineError as exc:
        raise EngineError(f"nothing was built: the node cannot record the signature: {exc}") from exc
    finally:
        ledger.close()


def finish_command(job: BuildJob, digest: str) -> str:
    """The ``goshfile sign`` command that signs ``digest`` as this build would have."""
    cmd = ["goshfile", "sign"]
    if job.network:
        cmd += ["-n", job.network]
    if job.key_file:
        cmd += ["--key-file", str(job.key_file)]
    return shlex.join([*cmd, digest])


def run_build(
    job: BuildJob,
    signer: KeyPair | None = None,
    *,
    builder: Builder | None = None,
    images: ImageArchives | None = None,
    progress: Progress | None = None,
    environ: dict[str, str] | None = None,
) -> BuildOutcome:
    """Plan, build, rewrite, push; with a ``signer``, sign the digest and the provenance and verify."""
    if signer is not None:
        preflight(job, signer)
    request = job.request
    plan = plan_build(request, gosh_context=job.gosh_context, commit=job.commit, allow_refs=job.allow_refs)
    sources = ([plan.context_source] if plan.context_source else []) + plan.sources
    resolved = [Resolved(s.url, s.revision, s.commit) for s in sources if s.revision != s.commit]
    for item in resolved:
        if progress is not None:
            progress(f"{item.url} {item.revision} is commit {item.commit}")
    started = datetime.now(UTC)
    built = build_image(
        plan.request,
        builder or BuildxBuilder(),
        images or DockerImageStore(),
        dict(os.environ) if environ is None else environ,
        rewrite=job.rewrite,
        progress=progress,
    )
    changed = built.rewritten is not None and built.rewritten.changed
    original = built.rewritten.original_id if changed and built.rewritten is not None else None
    outcome = BuildOutcome(built.image_id, request.tags, built.epoch, built.digest, original, resolved)
    if signer is None:
        return outcome
    image = request.tags[0]
    if not built.digest:
        raise EngineError("the engine did not report the pushed digest; nothing was signed")
    named: dict[str, str] = {}
    if plan.context_source is not None:  # not this machine's copy of the repository: the repository
        source = plan.context_source
        at = f"{source.url}#{source.commit}" + (f":{source.subdir}" if source.subdir else "")
        named = {"goshfile_path": str(request.file), "context": at}
    try:
        published = publish_and_verify(
            image, built.digest, built.request, signer, job.network, started, datetime.now(UTC), **named
        )
    except GoshfileError as exc:
        raise PushedNotSigned(image, built.digest, exc, finish_command(job, built.digest)) from exc
    return BuildOutcome(
        built.image_id, request.tags, built.epoch, built.digest, original, resolved, published, signer.public_hex
    )
