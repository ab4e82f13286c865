"""Turn what the user asked for into a :class:`BuildRequest`: local or GOSH context, gosh sources, labels."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import PurePosixPath

from goshfile import labels as names
from goshfile.engine.buildx import BuildRequest
from goshfile.engine.sources import Fetcher, ResolvedSource, prepare_sources
from goshfile.errors import InputError
from goshfile.gosh.fetch import fetch
from goshfile.gosh.url import GoshUrl

DEFAULT_FILE = "goshfile.yaml"


def gosh_labels(url: str, commit: str, file: str) -> dict[str, str]:
    """Provenance labels of an image built from a GOSH repository (both generations of GOSH's names)."""
    return {
        names.GOSH_ADDRESS: url,
        names.GOSH_COMMIT_HASH: commit,
        names.GOSH_ADDRESS_DOTTED: url,
        names.GOSH_COMMIT_DOTTED: commit,
        names.GOSH_GOSHFILE: file,
    }


@dataclass(frozen=True)
class BuildPlan:
    """The request to run, and what was resolved on the way (for the user to see)."""

    request: BuildRequest
    context_source: ResolvedSource | None = None
    sources: list[ResolvedSource] = field(default_factory=list)


def plan_build(
    request: BuildRequest,
    *,
    gosh_context: str | None = None,
    commit: str | None = None,
    allow_refs: bool = False,
    fetcher: Fetcher = fetch,
) -> BuildPlan:
    """Complete ``request``: fetch a GOSH context and the goshfile's gosh sources, add labels and pins.

    With ``gosh_context`` (a gosh:// URL) the repository at ``commit`` is the build
    context and ``request.file`` is a path inside it.
    """
    context_source = None
    if gosh_context is not None:
        url = GoshUrl.parse(gosh_context)
        revision = commit or url.ref
        if not revision:
            raise InputError("building from GOSH needs --commit SHA (or a branch or tag with --allow-ref)")
        fetched = fetcher(replace(url, ref=None), revision, allow_ref=allow_refs)
        in_repo = PurePosixPath(str(request.file) if str(request.file) not in ("", ".") else DEFAULT_FILE)
        if in_repo.is_absolute() or ".." in in_repo.parts:
            raise InputError(f"-f {in_repo}: give a path inside the repository")
        repository = url.repository
        context_source = ResolvedSource(repository, revision, fetched.commit, url.subdir or "", "context", fetched.path)
        labels = {**gosh_labels(repository, fetched.commit, str(in_repo)), **request.labels}
        build_args = dict(request.build_args)
        build_args.setdefault("SOURCE_DATE_EPOCH", str(fetched.commit_time))
        request = replace(
            request, context=fetched.path, file=fetched.path / in_repo, labels=labels, build_args=build_args
        )
    prepared = prepare_sources(request.file, request.build_args, allow_refs=allow_refs, fetcher=fetcher)
    if prepared.sources:
        request = replace(
            request,
            build_contexts={**prepared.build_contexts, **request.build_contexts},
            build_args={**request.build_args, **prepared.pins},
        )
    return BuildPlan(request, context_source, prepared.sources)
