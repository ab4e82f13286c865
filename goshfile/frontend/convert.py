"""Turn a loaded goshfile into an LLB state and an image config (pure: no I/O).

Everything that needs BuildKit (the base image's config, the contents of
named contexts) is handed in, so this module is unit-tested without an engine.
"""

from __future__ import annotations

import posixpath
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from goshfile.errors import SpecError
from goshfile.frontend.imageconfig import HERMETIC_LABEL, ImageConfig, empty_config, ensure_path, merge_env
from goshfile.frontend.options import BuildOptions
from goshfile.llb import Chown, MountKind, MountSpec, NetMode, Platform, Sharing, State
from goshfile.spec import Loaded
from goshfile.spec.model import BindMount, CacheMount, Copy, GoshMount, Run, TmpfsMount

MAIN_CONTEXT = "context"
_SHARING = {"shared": Sharing.SHARED, "private": Sharing.PRIVATE, "locked": Sharing.LOCKED}

ContextResolver = Callable[[str], State | None]
"""Returns the state of a build context by name (``context`` is the main one), or None if not given."""


@dataclass(frozen=True)
class BaseImage:
    """The resolved base image: a pinned reference (or None for scratch) and its config."""

    reference: str | None
    config: dict[str, Any]

    @staticmethod
    def scratch(platform: Platform) -> BaseImage:
        """The empty base image."""
        return BaseImage(None, empty_config(platform))


@dataclass(frozen=True)
class Conversion:
    """The result of converting a goshfile."""

    state: State
    config: ImageConfig
    hermetic: bool


class _Converter:
    def __init__(
        self, loaded: Loaded, base: BaseImage, options: BuildOptions, resolve: ContextResolver, platform: Platform
    ) -> None:
        self.loaded = loaded
        self.spec = loaded.spec
        self.options = options
        self.resolve = resolve
        self.platform = platform
        self.image = ImageConfig(base.config, platform)
        self.steps: dict[str, State] = {}
        if base.reference is None:
            self.state = State.scratch(platform)
        else:
            self.state = State.image(
                base.reference,
                platform=platform,
                resolve_mode=options.image_resolve_mode,
                name=f"[base] {base.reference}",
            )

    def source(self, ref: str | None, path: tuple[str | int, ...]) -> State:
        name = ref or MAIN_CONTEXT
        if ref is not None and ref in self.steps:
            return self.steps[ref]
        state = self.resolve(name)
        if state is None:
            raise SpecError(
                [
                    self.loaded.document.problem(
                        path,
                        f"{name!r} is neither an earlier step nor a build context "
                        f"(give one with --build-context {name}=DIR)",
                    )
                ]
            )
        return state

    def mounts(self, run: Run, step: int) -> list[MountSpec]:
        out: list[MountSpec] = []
        for j, m in enumerate(run.mounts):
            path = ("steps", step, "run", "mounts", j)
            if isinstance(m, CacheMount):
                out.append(MountSpec(m.dst, kind=MountKind.CACHE, cache_id=m.id or m.dst, sharing=_SHARING[m.sharing]))
            elif isinstance(m, TmpfsMount):
                out.append(MountSpec(m.dst, kind=MountKind.TMPFS, tmpfs_size=m.size or 0))
            elif isinstance(m, BindMount):
                src = self.source(m.from_, (*path, "from"))
                out.append(MountSpec(m.dst, source=src.output, selector=m.src, readonly=m.readonly))
            elif isinstance(m, GoshMount):
                raise SpecError(
                    [
                        self.loaded.document.problem(
                            (*path, "gosh"), "gosh:// mounts are not supported by this version of goshfile yet"
                        )
                    ]
                )
        return out

    def run(self, index: int, run: Run, name: str, env: list[str], workdir: str, user: str) -> None:
        self.state = self.state.run(
            [*run.command, *run.args],
            env=ensure_path(merge_env(env, run.env)),
            cwd=run.workdir or workdir,
            user=run.user or user,
            mounts=self.mounts(run, index),
            network=NetMode.DEFAULT if run.network == "default" else NetMode.NONE,
            name=name,
            ignore_cache=self.options.ignores_cache(self.spec.steps[index].name),
        )

    def copy(self, index: int, copy: Copy, name: str, workdir: str) -> None:
        src = self.source(copy.from_, ("steps", index, "copy", "from"))
        paths = [posixpath.normpath("/" + p) for p in copy.sources]
        dest = copy.dst if copy.dst.startswith("/") else posixpath.join(workdir, copy.dst)
        if copy.dst.endswith("/") and not dest.endswith("/"):
            dest += "/"
        chown = None
        if copy.chown:
            user, _, group = copy.chown.partition(":")
            chown = Chown(user, group or None)
        self.state = self.state.copy(
            src,
            paths,
            dest,
            chown=chown,
            name=name,
            ignore_cache=self.options.ignores_cache(self.spec.steps[index].name),
        )

    def convert(self, created: datetime) -> Conversion:
        spec = self.spec
        env = merge_env(self.image.env, spec.env)
        workdir = spec.workdir or self.image.workdir
        user = spec.user or self.image.user
        hermetic = True
        total = len(spec.steps)
        for i, step in enumerate(spec.steps):
            name = f"[{i + 1}/{total}] {step.name}"
            if step.run is not None:
                hermetic = hermetic and step.run.network == "none"
                self.run(i, step.run, name, env, workdir, user)
                created_by = f"goshfile: {step.name}: run " + shlex.join([*step.run.command, *step.run.args])
            else:
                assert step.copy_ is not None
                self.copy(i, step.copy_, name, workdir)
                created_by = f"goshfile: {step.name}: copy {' '.join(step.copy_.sources)} {step.copy_.dst}"
            self.image.add_history(created_by, created)
            self.steps[step.name] = self.state
        self.image.set_process(env=env, workdir=spec.workdir, user=spec.user, entrypoint=spec.entrypoint, cmd=spec.cmd)
        self.image.add_labels({**spec.labels, HERMETIC_LABEL: str(hermetic).lower(), **self.options.labels})
        return Conversion(self.state, self.image, hermetic)


def convert(
    loaded: Loaded,
    base: BaseImage,
    options: BuildOptions,
    resolve: ContextResolver,
    platform: Platform,
    created: datetime,
) -> Conversion:
    """Build the LLB state and image config for ``loaded``; raise :class:`SpecError` on unresolved references."""
    return _Converter(loaded, base, options, resolve, platform).convert(created)
