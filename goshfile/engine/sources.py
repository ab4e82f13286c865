"""Prepare a goshfile's GOSH sources for a build: fetch, verify, and name them as build contexts.

The fetch happens here, on the client, before BuildKit runs anything: run
steps keep network none, and each source reaches BuildKit as a named build
context holding exactly the verified tree of its commit
(``--build-context gosh-…=DIR``). Branches and tags are resolved only when
allowed, and the resolved commit is passed to the frontend as a pin.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from goshfile.gosh.fetch import FetchedSource, fetch
from goshfile.gosh.url import GoshUrl
from goshfile.spec import load_text
from goshfile.spec.loader import read_goshfile
from goshfile.spec.sources import uses

Fetcher = Callable[..., FetchedSource]
"""``fetch(url, revision, allow_ref=...)`` as in :func:`goshfile.gosh.fetch.fetch`."""


@dataclass(frozen=True)
class ResolvedSource:
    """One source as it will be built: where it came from and the build context that carries it."""

    url: str
    revision: str
    commit: str
    subdir: str
    context_name: str
    path: Path


@dataclass(frozen=True)
class PreparedSources:
    """What ``docker buildx build`` needs for a goshfile's sources."""

    sources: list[ResolvedSource] = field(default_factory=list)

    @property
    def build_contexts(self) -> dict[str, str]:
        """``--build-context`` values."""
        return {s.context_name: str(s.path) for s in self.sources}

    @property
    def pins(self) -> dict[str, str]:
        """Build args that tell the frontend which commit a branch or tag resolved to."""
        from goshfile.spec.pins import PIN_PREFIX

        return {f"{PIN_PREFIX}{s.url}#{s.revision}": s.commit for s in self.sources if s.revision != s.commit}


def prepare_sources(
    goshfile: Path,
    build_args: dict[str, str],
    *,
    allow_refs: bool = False,
    fetcher: Fetcher = fetch,
) -> PreparedSources:
    """Fetch and verify every gosh source ``goshfile`` uses; raise on the first that fails."""
    text = read_goshfile(goshfile)
    loaded = load_text(text, str(goshfile), build_args, allow_refs=allow_refs)
    resolved: list[ResolvedSource] = []
    for use in uses(loaded.spec):
        url = replace(GoshUrl.parse(use.url), ref=None, subdir=use.subdir or None)
        fetched = fetcher(url, use.revision, allow_ref=allow_refs)
        resolved.append(
            ResolvedSource(
                url=use.url,
                revision=use.revision,
                commit=fetched.commit,
                subdir=use.subdir,
                context_name=use.context_name(fetched.commit),
                path=fetched.path,
            )
        )
    return PreparedSources(resolved)
