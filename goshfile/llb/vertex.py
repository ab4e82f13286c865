"""LLB vertices: immutable descriptions of BuildKit ops.

A vertex knows its inputs and how to render itself as a ``pb.Op`` once the
digests of its inputs are known. Nothing is serialized until
:func:`goshfile.llb.definition.marshal` walks the graph.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from enum import Enum

from goshfile.buildkit import ops_pb2 as pb

EMPTY = -1  # "no input": an op starts from an empty filesystem
SKIP_OUTPUT = -1  # a mount whose changes are not returned


@dataclass(frozen=True)
class Platform:
    """An OCI platform (os/architecture[/variant])."""

    os: str
    architecture: str
    variant: str = ""

    @classmethod
    def parse(cls, text: str) -> Platform:
        """Parse ``linux/amd64`` or ``linux/arm/v7``."""
        parts = text.strip().split("/")
        if len(parts) not in (2, 3) or not all(parts):
            raise ValueError(f"platform {text!r} is not of the form os/arch[/variant]")
        return cls(parts[0], parts[1], parts[2] if len(parts) == 3 else "")

    def __str__(self) -> str:
        return "/".join(p for p in (self.os, self.architecture, self.variant) if p)

    def to_pb(self) -> pb.Platform:
        """The wire form."""
        return pb.Platform(OS=self.os, Architecture=self.architecture, Variant=self.variant)


@dataclass(frozen=True, eq=False)
class SourceFile:
    """A build definition file carried in the Definition's source map (BuildKit's ``pb.SourceInfo``)."""

    filename: str
    data: bytes
    language: str = ""

    def to_pb(self) -> pb.SourceInfo:
        """The wire form."""
        return pb.SourceInfo(filename=self.filename, data=self.data, language=self.language)


@dataclass(frozen=True)
class Span:
    """Lines ``start``..``end`` (1-based, inclusive) of a source file; characters count from 0, as in BuildKit."""

    start: int
    end: int
    start_column: int = 0
    end_column: int = 0

    def to_pb(self) -> pb.Range:
        """The wire form (BuildKit's ``pb.Range``)."""
        return pb.Range(
            start=pb.Position(line=self.start, character=self.start_column),
            end=pb.Position(line=self.end, character=self.end_column),
        )


@dataclass(frozen=True)
class Location:
    """Where in a source file an op comes from: BuildKit shows these lines when the op fails."""

    source: SourceFile
    spans: tuple[Span, ...]


@dataclass(frozen=True)
class Metadata:
    """Per-vertex metadata that does not change the op's digest."""

    name: str = ""
    ignore_cache: bool = False
    caps: tuple[str, ...] = ()
    location: Location | None = None

    def to_pb(self) -> pb.OpMetadata:
        """The wire form (``llb.customname`` is what progress output shows)."""
        md = pb.OpMetadata(ignore_cache=self.ignore_cache)
        if self.name:
            md.description["llb.customname"] = self.name
        for cap in self.caps:
            md.caps[cap] = True
        return md


@dataclass(frozen=True, eq=False)
class Output:
    """One output of a vertex: what a State points at."""

    vertex: Vertex
    index: int = 0


class Vertex(ABC):
    """A node of the LLB graph."""

    metadata: Metadata
    platform: Platform | None

    @abstractmethod
    def inputs(self) -> tuple[Output, ...]:
        """The outputs this vertex reads, in the order of the op's ``inputs``."""

    @abstractmethod
    def to_op(self) -> pb.Op:
        """The op without its ``inputs`` (the marshaller fills those in)."""


@dataclass(frozen=True, eq=False)
class SourceVertex(Vertex):
    """A source: ``docker-image://``, ``local://``, ``git://`` ..."""

    identifier: str
    attrs: tuple[tuple[str, str], ...] = ()
    platform: Platform | None = None
    metadata: Metadata = field(default_factory=Metadata)

    def inputs(self) -> tuple[Output, ...]:
        return ()

    def to_op(self) -> pb.Op:
        op = pb.Op(source=pb.SourceOp(identifier=self.identifier, attrs=dict(self.attrs)))
        if self.platform is not None:
            op.platform.CopyFrom(self.platform.to_pb())
        return op


class MountKind(Enum):
    """How a mount is provided to an exec."""

    BIND = pb.BIND
    SECRET = pb.SECRET
    SSH = pb.SSH
    CACHE = pb.CACHE
    TMPFS = pb.TMPFS


class Sharing(Enum):
    """Cache mount sharing modes."""

    SHARED = pb.SHARED
    PRIVATE = pb.PRIVATE
    LOCKED = pb.LOCKED


@dataclass(frozen=True, eq=False)
class MountSpec:
    """One mount of an exec. ``source`` None means an empty directory."""

    dest: str
    source: Output | None = None
    selector: str = ""
    readonly: bool = False
    kind: MountKind = MountKind.BIND
    cache_id: str = ""
    sharing: Sharing = Sharing.SHARED
    tmpfs_size: int = 0
    produces_output: bool = False
    secret_id: str = ""  # SECRET and SSH mounts: the id the client gave (--secret id=..., --ssh ID)
    uid: int = 0
    gid: int = 0
    mode: int = 0o400
    optional: bool = False


@dataclass(frozen=True)
class SecretEnv:
    """A secret given to an exec as an environment variable (never stored in the op or the image)."""

    secret_id: str
    name: str
    optional: bool = False


class NetMode(Enum):
    """Network mode of an exec."""

    DEFAULT = pb.UNSET
    HOST = pb.HOST
    NONE = pb.NONE


@dataclass(frozen=True, eq=False)
class ExecVertex(Vertex):
    """Run a process with a root filesystem and mounts."""

    args: tuple[str, ...]
    env: tuple[str, ...]
    cwd: str
    user: str
    mounts: tuple[MountSpec, ...]
    network: NetMode = NetMode.NONE
    platform: Platform | None = None
    metadata: Metadata = field(default_factory=Metadata)
    secret_env: tuple[SecretEnv, ...] = ()

    def inputs(self) -> tuple[Output, ...]:
        seen: list[Output] = []
        for m in self.mounts:
            if m.source is not None and not any(m.source is s for s in seen):
                seen.append(m.source)
        return tuple(seen)

    def to_op(self) -> pb.Op:
        inputs = self.inputs()
        meta = pb.Meta(
            args=list(self.args), env=list(self.env), cwd=self.cwd, user=self.user, removeMountStubsRecursive=True
        )
        exec_op = pb.ExecOp(meta=meta, network=self.network.value)
        outputs = 0
        for m in self.mounts:
            mount = pb.Mount(dest=m.dest, selector=m.selector, readonly=m.readonly, mountType=m.kind.value)
            mount.input = EMPTY if m.source is None else next(i for i, s in enumerate(inputs) if s is m.source)
            if m.produces_output:
                mount.output, outputs = outputs, outputs + 1
            else:
                mount.output = SKIP_OUTPUT
            if m.kind is MountKind.CACHE:
                mount.cacheOpt.CopyFrom(pb.CacheOpt(ID=m.cache_id, sharing=m.sharing.value))
            elif m.kind is MountKind.TMPFS:
                mount.TmpfsOpt.CopyFrom(pb.TmpfsOpt(size=m.tmpfs_size))
            elif m.kind is MountKind.SECRET:
                mount.secretOpt.CopyFrom(
                    pb.SecretOpt(ID=m.secret_id, uid=m.uid, gid=m.gid, mode=m.mode, optional=m.optional)
                )
            elif m.kind is MountKind.SSH:
                mount.SSHOpt.CopyFrom(pb.SSHOpt(ID=m.secret_id, uid=m.uid, gid=m.gid, mode=m.mode, optional=m.optional))
            exec_op.mounts.append(mount)
        for secret in self.secret_env:
            exec_op.secretenv.append(pb.SecretEnv(ID=secret.secret_id, name=secret.name, optional=secret.optional))
        op = pb.Op(exec=exec_op)
        if self.platform is not None:
            op.platform.CopyFrom(self.platform.to_pb())
        return op


@dataclass(frozen=True)
class Chown:
    """Owner for copied files: numeric ids, or names resolved in the destination's /etc files."""

    user: str
    group: str | None = None


@dataclass(frozen=True, eq=False)
class CopyVertex(Vertex):
    """Copy paths from ``source`` onto ``base`` (None: an empty filesystem), one file op."""

    base: Output | None
    source: Output | None
    paths: tuple[str, ...]
    dest: str
    chown: Chown | None = None
    platform: Platform | None = None
    metadata: Metadata = field(default_factory=Metadata)

    def inputs(self) -> tuple[Output, ...]:
        return tuple(o for o in (self.base, self.source) if o is not None)

    def _user(self, name: str, base_index: int) -> pb.UserOpt:
        if name.isdigit():
            return pb.UserOpt(byID=int(name))
        return pb.UserOpt(byName=pb.NamedUserOpt(name=name, input=base_index))

    def to_op(self) -> pb.Op:
        base_index = 0 if self.base is not None else EMPTY
        src_index = (1 if self.base is not None else 0) if self.source is not None else EMPTY
        n_inputs = len(self.inputs())
        file_op = pb.FileOp()
        for k, path in enumerate(self.paths):
            copy = pb.FileActionCopy(
                src=path,
                dest=self.dest,
                mode=-1,
                timestamp=-1,
                followSymlink=True,
                dirCopyContents=True,
                createDestPath=True,
                allowWildcard=True,
                allowEmptyWildcard=False,
            )
            if self.chown is not None:
                copy.owner.user.CopyFrom(self._user(self.chown.user, base_index))
                if self.chown.group is not None:
                    copy.owner.group.CopyFrom(self._user(self.chown.group, base_index))
            action_input = base_index if k == 0 else n_inputs + k - 1
            last = k == len(self.paths) - 1
            file_op.actions.append(
                pb.FileAction(
                    input=action_input, secondaryInput=src_index, output=0 if last else SKIP_OUTPUT, copy=copy
                )
            )
        return pb.Op(file=file_op)


@dataclass(frozen=True, eq=False)
class MkFileVertex(Vertex):
    """Write one file with ``data`` onto ``base`` (None: an empty filesystem)."""

    base: Output | None
    path: str
    data: bytes
    mode: int = 0o644
    platform: Platform | None = None
    metadata: Metadata = field(default_factory=Metadata)

    def inputs(self) -> tuple[Output, ...]:
        return () if self.base is None else (self.base,)

    def to_op(self) -> pb.Op:
        action = pb.FileAction(
            input=EMPTY if self.base is None else 0,
            secondaryInput=EMPTY,
            output=0,
            mkfile=pb.FileActionMkFile(path=self.path, mode=self.mode, data=self.data, timestamp=-1),
        )
        return pb.Op(file=pb.FileOp(actions=[action]))
