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
from goshfile.frontend.sourcemap import SourceMap
from goshfile.llb import Chown, MountKind, MountSpec, NetMode, Platform, Sharing, State
from goshfile.llb.vertex import Location, SecretEnv
from goshfile.spec import Loaded
from goshfile.spec.model import BindMount, CacheMount, Copy, GoshMount, Run, SecretMount, SshMount, TmpfsMount
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
class Needed:
    """A secret or ssh id a step needs, and where."""

    kind: str  # "secret" or "ssh"
    id: str
    step: str  # the step's progress name, [i/n] name
    location: Location | None


@dataclass(frozen=True)
class Conversion:
    """The result of converting a goshfile."""

    state: State
    config: ImageConfig
    hermetic: bool
    needs: tuple[Needed, ...] = ()  # the required secrets and ssh ids, first use of each


class _Converter:
    def __init__(
        self,
        loaded: Loaded,
        base: BaseImage,
        options: BuildOptions,
        resolve: ContextResolver,
        platform: Platform,
        source_map: SourceMap | None,
    ) -> None:
        self.loaded = loaded
        self.source_map = source_map
        self.needs: dict[tuple[str, str], Needed] = {}
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
        ssh_count = 0
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
            elif isinstance(m, SecretMount) and m.target is not None:
                out.append(
                    MountSpec(
                        m.target,
                        kind=MountKind.SECRET,
                        secret_id=m.id,
                        uid=m.uid,
                        gid=m.gid,
                        mode=m.mode,
                        optional=not m.required,
                    )
                )
            elif isinstance(m, SshMount):
                dst = m.dst or f"/run/buildkit/ssh_agent.{ssh_count}"
                ssh_count += 1
                out.append(
                    MountSpec(
                        dst,
                        kind=MountKind.SSH,
                        secret_id=m.id,
                        uid=m.uid,
                        gid=m.gid,
                        mode=m.mode,
                        optional=not m.required,
                    )
                )
        return out

    def _need(self, kind: str, ident: str, required: bool, step_name: str, index: int) -> None:
        if required and (kind, ident) not in self.needs:
            location = self.source_map.step(index) if self.source_map else None
            self.needs[(kind, ident)] = Needed(kind, ident, step_name, location)

    def location(self, index: int) -> Location | None:
        return self.source_map.step(index) if self.source_map else None

    def run(self, index: int, run: Run, name: str, env: list[str], workdir: str, user: str) -> None:
        mounts = self.mounts(run, index)
        step_env = merge_env(env, run.env)
        secret_env: list[SecretEnv] = []
        for m in run.mounts:
            if isinstance(m, SecretMount):
                self._need("secret", m.id, m.required, name, index)
                if m.env is not None:
                    secret_env.append(SecretEnv(m.id, m.env, optional=not m.required))
            elif isinstance(m, SshMount):
                self._need("ssh", m.id, m.required, name, index)
        sockets = [s for s in mounts if s.kind is MountKind.SSH]
        if sockets and "SSH_AUTH_SOCK" not in run.env:
            step_env = merge_env(step_env, {"SSH_AUTH_SOCK": sockets[0].dest})
        self.state = self.state.run(
            [*run.command, *run.args],
            env=ensure_path(step_env),
            cwd=run.workdir or workdir,
            user=run.user or user,
            mounts=mounts,
            network=NetMode.DEFAULT if run.network == "default" else NetMode.NONE,
            name=name,
            ignore_cache=self.options.ignores_cache(self.spec.steps[index].name),
            secret_env=secret_env,
            location=self.location(index),
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
            location=self.location(index),
        )

    def convert(self, created: datetime | None) -> Conversion:
        spec = self.spec
        env = merge_env(self.image.env, spec.env)
        workdir = spec.workdir or self.image.workdir
        user = spec.user or self.image.user
        hermetic = True
        steps = spec.steps[: self.target_index() + 1]
        total = len(steps)
        for i, step in enumerate(steps):
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
        return Conversion(self.state, self.image, hermetic, tuple(self.needs.values()))

    def target_index(self) -> int:
        """The index of the last step to build: ``--target``'s, or the last one."""
        target = self.options.target
        if target is None:
            return len(self.spec.steps) - 1
        for i, step in enumerate(self.spec.steps):
            if step.name == target:
                return i
        names = ", ".join(repr(s.name) for s in self.spec.steps[:20])
        more = ", ..." if len(self.spec.steps) > 20 else ""
        raise SpecError(
            [self.loaded.document.problem(("steps",), f"--target {target!r} is not a step name (steps: {names}{more})")]
        )


def convert(
    loaded: Loaded,
    base: BaseImage,
    options: BuildOptions,
    resolve: ContextResolver,
    platform: Platform,
    created: datetime | None,
    source_map: SourceMap | None = None,
) -> Conversion:
    """Build the LLB state and image config for ``loaded``; raise :class:`SpecError` on unresolved references.

    With ``source_map``, every op points at its step's lines in the goshfile.
    """
    return _Converter(loaded, base, options, resolve, platform, source_map).convert(created)
