"""Immutable build states, the way BuildKit's Go client (``llb.State``) works.

Every method returns a new :class:`State`; nothing talks to BuildKit and
nothing is serialized until :func:`goshfile.llb.marshal` is called.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace

from goshfile.llb.vertex import (
    Chown,
    CopyVertex,
    ExecVertex,
    Location,
    Metadata,
    MkFileVertex,
    MountKind,
    MountSpec,
    NetMode,
    Output,
    Platform,
    SecretEnv,
    SourceVertex,
)

_MOUNT_CAPS = {MountKind.SECRET: "exec.mount.secret", MountKind.SSH: "exec.mount.ssh"}


@dataclass(frozen=True)
class State:
    """A filesystem state: the output of a vertex, or scratch (``output`` None)."""

    output: Output | None = None
    platform: Platform | None = None

    @staticmethod
    def scratch(platform: Platform | None = None) -> State:
        """An empty filesystem."""
        return State(None, platform)

    @staticmethod
    def image(ref: str, *, platform: Platform | None = None, resolve_mode: str = "", name: str = "") -> State:
        """A container image, ``ref`` fully qualified (``docker.io/library/bash:latest@sha256:...``)."""
        attrs = (("image.resolvemode", resolve_mode),) if resolve_mode and resolve_mode != "default" else ()
        vertex = SourceVertex(f"docker-image://{ref}", attrs, platform, Metadata(name=name))
        return State(Output(vertex), platform)

    @staticmethod
    def local(
        name: str,
        *,
        session_id: str = "",
        shared_key_hint: str = "",
        follow_paths: Sequence[str] = (),
        exclude_patterns: Sequence[str] = (),
        progress_name: str = "",
    ) -> State:
        """Files sent by the client session (``--local name=dir``, the build context)."""
        attrs: dict[str, str] = {}
        if session_id:
            attrs["local.session"] = session_id
        if shared_key_hint:
            attrs["local.sharedkeyhint"] = shared_key_hint
        if follow_paths:
            attrs["local.followpaths"] = json.dumps(list(follow_paths))
        if exclude_patterns:
            attrs["local.excludepatterns"] = json.dumps(list(exclude_patterns))
        vertex = SourceVertex(f"local://{name}", tuple(sorted(attrs.items())), None, Metadata(name=progress_name))
        return State(Output(vertex))

    def with_platform(self, platform: Platform | None) -> State:
        """The same state, recorded as being for ``platform``."""
        return replace(self, platform=platform)

    def run(
        self,
        args: Sequence[str],
        *,
        env: Sequence[str] = (),
        cwd: str = "/",
        user: str = "",
        mounts: Sequence[MountSpec] = (),
        network: NetMode = NetMode.NONE,
        name: str = "",
        ignore_cache: bool = False,
        secret_env: Sequence[SecretEnv] = (),
        location: Location | None = None,
    ) -> State:
        """Run ``args`` on this state as the root filesystem; the result is the changed root."""
        root = MountSpec(dest="/", source=self.output, produces_output=True)
        caps = sorted({_MOUNT_CAPS[m.kind] for m in mounts if m.kind in _MOUNT_CAPS})
        if secret_env:
            caps.append("exec.secretenv")
        vertex = ExecVertex(
            tuple(args),
            tuple(env),
            cwd,
            user,
            (root, *mounts),
            network,
            self.platform,
            Metadata(name=name, ignore_cache=ignore_cache, caps=tuple(sorted(caps)), location=location),
            tuple(secret_env),
        )
        return State(Output(vertex, 0), self.platform)

    def copy(
        self,
        source: State,
        paths: Sequence[str],
        dest: str,
        *,
        chown: Chown | None = None,
        name: str = "",
        ignore_cache: bool = False,
        location: Location | None = None,
    ) -> State:
        """Copy ``paths`` of ``source`` to ``dest`` on this state (directories: their contents)."""
        if not paths:
            raise ValueError("copy needs at least one path")
        vertex = CopyVertex(
            self.output,
            source.output,
            tuple(paths),
            dest,
            chown,
            self.platform,
            Metadata(name=name, ignore_cache=ignore_cache, location=location),
        )
        return State(Output(vertex), self.platform)

    def mkfile(self, path: str, data: bytes, *, mode: int = 0o644, name: str = "") -> State:
        """Write a file with ``data`` at ``path`` on this state."""
        vertex = MkFileVertex(self.output, path, data, mode, self.platform, Metadata(name=name))
        return State(Output(vertex), self.platform)
