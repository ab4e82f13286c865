"""The GOSH sources a goshfile uses, and the build-context names that carry them into a build.

A gosh source reaches BuildKit as a named build context whose name is derived
from the repository URL, the commit and the subdirectory
(:meth:`SourceUse.context_name`). ``goshfile build`` fetches and verifies each
source and passes ``--build-context NAME=DIR``; the frontend looks the same
name up. A branch or tag is resolved by ``goshfile build --allow-ref`` and
handed to the frontend as the build arg ``gosh-pin:<url>#<ref>=<commit>``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass

from goshfile.spec.document import Path
from goshfile.spec.model import COMMIT, Goshfile, GoshMount
from goshfile.spec.pins import PIN_PREFIX


def split_url(text: str) -> tuple[str, str, str]:
    """``gosh://…/repo#ref:subdir`` -> (URL without fragment, ref, subdir), by the fetch's parser.

    The URL part is kept as written (it names the build context); ``text`` has been validated by the model.
    """
    from goshfile.gosh.url import GoshUrl  # only goshfiles with GOSH sources pay for its patterns

    parsed = GoshUrl.parse(text)
    return text.partition("#")[0], parsed.ref or "", parsed.subdir or ""


@dataclass(frozen=True)
class SourceUse:
    """One gosh source as the goshfile names it."""

    url: str
    revision: str
    subdir: str
    path: Path

    @property
    def pinned(self) -> bool:
        """Whether the revision is a full commit id."""
        return bool(COMMIT.match(self.revision))

    def context_name(self, commit: str | None = None) -> str:
        """The build-context name for this source at ``commit`` (default: the pinned revision)."""
        key = f"{self.url}\n{commit or self.revision}\n{self.subdir}"
        return "gosh-" + hashlib.sha256(key.encode()).hexdigest()[:24]

    def pin_arg(self) -> str:
        """The build-arg name that carries the resolved commit of a ref."""
        return f"{PIN_PREFIX}{self.url}#{self.revision}"


def _use(url_text: str, commit: str | None, path: Path) -> SourceUse:
    url, ref, subdir = split_url(url_text)
    return SourceUse(url, commit or ref, subdir, path)


def named_sources(spec: Goshfile) -> dict[str, SourceUse]:
    """The top-level ``sources`` map as :class:`SourceUse` values."""
    return {name: _use(s.gosh, s.commit, ("sources", name)) for name, s in spec.sources.items()}


def mount_use(spec: Goshfile, mount: GoshMount, path: Path) -> SourceUse | None:
    """The source a gosh mount uses (None for an unknown source name)."""
    if mount.source is not None:
        return named_sources(spec).get(mount.source)
    assert mount.gosh is not None
    return _use(mount.gosh, mount.commit, path)


def uses(spec: Goshfile) -> Iterator[SourceUse]:
    """Every gosh source the goshfile uses, each once (named ones by their definition)."""
    seen: set[tuple[str, str, str]] = set()
    found: list[SourceUse] = list(named_sources(spec).values())
    for i, step in enumerate(spec.steps):
        if step.run is not None:
            for j, mount in enumerate(step.run.mounts):
                if isinstance(mount, GoshMount) and mount.gosh is not None:
                    found.append(_use(mount.gosh, mount.commit, ("steps", i, "run", "mounts", j, "gosh")))
        if step.copy_ is not None and step.copy_.gosh is not None:
            found.append(_use(step.copy_.gosh, step.copy_.commit, ("steps", i, "copy", "gosh")))
    for use in found:
        key = (use.url, use.revision, use.subdir)
        if key not in seen:
            seen.add(key)
            yield use
