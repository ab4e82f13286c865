"""Turn a loaded goshfile into an LLB state and an image config (pure: no I/O).

Everything that needs BuildKit (the base image's config, the contents of
named contexts) is handed in, so this module is unit-tested without an engine.
"""

from __future__ import annotations

import json
import posixpath
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from goshfile import labels
from goshfile.errors import SpecError
from goshfile.frontend.imageconfig import (
    ImageConfig,
    empty_config,
    ensure_path,
    merge_env,
)
from goshfile.frontend.options import MAIN_CONTEXT, BuildOptions
from goshfile.llb import Chown, MountKind, MountSpec, NetMode, Platform, Sharing, State
from goshfile.spec import Loaded
from goshfile.spec.model import BindMount, CacheMount, Copy, GoshMount, Run, TmpfsMount
from goshfile.spec.sources import SourceUse, mount_use, named_sources, split_url

_SHARING = {"shared": Sharing.SHARED, "private": Sharing.PRIVATE, "locked": Sharing.LOCKED}

ContextResolver = Callable[[str], State | None]
"""Returns the state of a build context by name (``context`` is the main one), or None if not given."""


@dataclass(frozen=True)
class BaseImage:
    """The resolved base image: a pinned reference (or None for scratch) and its config."""

    reference: str | None
    config: dict[str, Any]
    config_digest: str = ""  # sha256 of the config bytes BuildKit resolved (the image ID)

    @staticmethod
    def scratch(platform: Platform) -> BaseImage:
        """The empty base image."""
        return BaseImage(None, empty_config(platform))

    def labels(self) -> dict[str, str]:
        """What identifies the base image in the result's labels."""
        out = {labels.BASE: self.reference or "scratch"}
        if self.config_digest:
            out[labels.BASE_CONFIG] = self.config_digest
        rootfs = self.config.get("rootfs")
        diff_ids = rootfs.get("diff_ids") if isinstance(rootfs, dict) else None
        out[labels.BASE_LAYERS] = str(len(diff_ids) if isinstance(diff_ids, list) else 0)
        return out


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
        self.base = base
        self.image = ImageConfig(base.config, platform)
        self.steps: dict[str, State] = {}
        self.named = named_sources(self.spec)
        self.gosh_sources: list[dict[str, str]] = []
        if base.reference is None:
            self.state = State.scratch(platform)
        else:
            self.state = State.image(
                base.reference,
                platform=platform,
                resolve_mode=options.image_resolve_mode,
                name=f"[base] {base.reference}",
            )

    def gosh(self, use: SourceUse) -> State:
        """The state of a gosh source, provided as a named build context."""
        commit = use.revision if use.pinned else self.options.pins.get(use.pin_arg())
        if commit is None:
            message = f"{use.revision!r} is a branch or tag; pin a commit or build with goshfile build --allow-ref"
            raise SpecError([self.loaded.document.problem(use.path, message)])
        name = use.context_name(commit)
        state = self.resolve(name)
        if state is None:
            message = (
                f"gosh source {use.url} at {commit} was not provided: build with 'goshfile build' "
                f"(it fetches and verifies GOSH sources) or pass --build-context {name}=DIR "
                "with a checkout of that commit"
            )
            raise SpecError([self.loaded.document.problem(use.path, message)])
        record = {"url": use.url, "commit": commit}
        if not use.pinned:
            record["ref"] = use.revision
        if use.subdir:
            record["subdir"] = use.subdir
        if record not in self.gosh_sources:
            self.gosh_sources.append(record)
        return state

    def source(self, ref: str | None, path: tuple[str | int, ...]) -> State:
        name = ref or MAIN_CONTEXT
        if ref is not None and ref in self.steps:
            return self.steps[ref]
        if ref is not None and ref in self.named:
            return self.gosh(self.named[ref])
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
                use = mount_use(self.spec, m, (*path, "gosh"))
                assert use is not None  # the loader checked source names
                out.append(MountSpec(m.dst, source=self.gosh(use).output, readonly=m.readonly))
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
        if copy.gosh is not None:
            url, ref, subdir = split_url(copy.gosh)
            src = self.gosh(SourceUse(url, copy.commit or ref, subdir, ("steps", index, "copy", "gosh")))
        else:
            src = self.source(copy.from_, ("steps", index, "copy", "from"))
        paths = [posixpath.normpath("/" + p.lstrip("/")) for p in copy.sources]
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
        image_labels = {
            **spec.labels,
            labels.HERMETIC: str(hermetic).lower(),
            labels.DIGEST: self.loaded.document.sha256,
            **self.base.labels(),
        }
        if self.gosh_sources:
            image_labels[labels.SOURCES] = json.dumps(self.gosh_sources, sort_keys=True, separators=(",", ":"))
        self.image.add_labels({**image_labels, **self.options.labels})
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
