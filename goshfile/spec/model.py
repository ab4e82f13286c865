"""The typed goshfile model (apiVersion 1).

Frozen records (:mod:`goshfile.spec.records`) whose fields carry their shapes
(:mod:`goshfile.spec.shapes`): strict, with no coercion (``8080`` is not a string, so
YAML's ``yes``/``no``/number surprises become errors), unknown keys are errors (``x-``
keys are removed before validation), and the JSON schema that editors use is generated
from the same declarations (:func:`goshfile.spec.schema.json_schema`). It imports no
validation library, so the frontend pays nothing for it at start-up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from goshfile.errors import InputError
from goshfile.spec.records import Record, Ref, attr
from goshfile.spec.shapes import Either, Flag, ListOf, MapOf, Maybe, Number, OneOf, Shape, Tagged, Text

_GOSH_NAME = r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}"  # DAO and repository names, as the node stores them
GOSH_URL = re.compile(
    rf"^gosh(::[A-Za-z0-9][A-Za-z0-9_.-]{{0,99}})?://([A-Za-z0-9_][A-Za-z0-9_.-]{{0,99}}@)?0:[0-9a-fA-F]{{64}}"
    rf"/{_GOSH_NAME}/{_GOSH_NAME}(#.*)?$"
)
COMMIT = re.compile(r"^[0-9a-f]{40}$")
# Patterns the shapes compile (with their JSON-schema end of text) and the schema publishes.
REVISION = r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,254}$"
NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"
SECRET_ID = r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$"
MAX_ID = (1 << 32) - 1
"""The largest user or group id (BuildKit stores them as 32-bit unsigned numbers)."""


def _absolute(value: str) -> None:
    if not value.startswith("/"):
        raise ValueError("must be an absolute path (start with /)")


def _env_name(value: str) -> None:
    if not value or "=" in value:
        raise ValueError("must be a variable name without '='")


def _gosh_url(value: str) -> None:
    """Checked by the parser the fetch uses (:mod:`goshfile.gosh.url`): lint refuses what the fetch would."""
    from goshfile.gosh.url import GoshUrl  # only goshfiles with GOSH sources pay for its patterns

    try:
        GoshUrl.parse(value)
    except InputError as exc:
        raise ValueError(str(exc)) from None


_NAME_HINT = "must be a name of letters, digits and _ (not starting with a digit)"
NON_EMPTY = Text(min_length=1)
ABS_PATH = Text(min_length=1, after=_absolute)
STRING = Text()
STRINGS = ListOf(STRING)
ENV_MAP = MapOf(Text(after=_env_name), STRING)
NAME_KEY = Text(pattern=NAME, invalid=_NAME_HINT)
SECRET_ID_TEXT = Text(pattern=SECRET_ID)
UINT32 = Number(ge=0, le=MAX_ID)
FILE_MODE = Number(ge=0, le=0o7777, doc="File mode: a number, e.g. 0400 (YAML reads a leading 0 as octal) or 256.")
GOSH_URL_TEXT = Text(
    pattern=GOSH_URL.pattern,
    invalid="must be a gosh:// URL: gosh://0:<64 hex>/<dao>/<repo>",
    after=_gosh_url,
    doc="gosh[::net]://0:<64 hex>/<dao>/<repo>[#ref][:subdir]",
)
REVISION_TEXT = Text(
    pattern=REVISION,
    invalid="must be a full commit id (40 lowercase hex characters)",
    doc="A commit id (40 hex); a branch or tag only with goshfile build --allow-ref.",
)


@dataclass(frozen=True, kw_only=True)
class CacheMount(Record):
    """A persistent cache directory shared between builds (BuildKit cache mount)."""

    type: str = attr(OneOf("cache"))
    dst: str = attr(ABS_PATH)
    id: str | None = attr(Maybe(NON_EMPTY), default=None, doc="Cache namespace; defaults to dst.")
    sharing: str = attr(OneOf("shared", "private", "locked"), default="shared")


@dataclass(frozen=True, kw_only=True)
class TmpfsMount(Record):
    """An empty tmpfs, gone after the step."""

    type: str = attr(OneOf("tmpfs"))
    dst: str = attr(ABS_PATH)
    size: int | None = attr(Maybe(Number(gt=0)), default=None, doc="Size limit in bytes.")


@dataclass(frozen=True, kw_only=True)
class BindMount(Record):
    """A directory of an earlier step's result or of a named build context."""

    type: str = attr(OneOf("bind"))
    dst: str = attr(ABS_PATH)
    from_: str = attr(NON_EMPTY, alias="from", doc="An earlier step's name or a named build context.")
    src: str = attr(ABS_PATH, default="/")
    readonly: bool = attr(Flag(), default=True)


@dataclass(frozen=True, kw_only=True)
class SecretMount(Record):
    """A build secret (``--secret id=ID,src=FILE|env=VAR``) as a file and/or an environment variable.

    The value is never stored: not in the image, its labels or its provenance (which records the id).
    """

    type: str = attr(OneOf("secret"))
    id: str = attr(SECRET_ID_TEXT)
    dst: str | None = attr(
        Maybe(ABS_PATH), default=None, doc="File path; default /run/secrets/<id> (unless only env is given)."
    )
    env: str | None = attr(
        Maybe(Text(pattern=NAME)),
        default=None,
        doc="Also (or only) expose the value as this environment variable.",
    )
    required: bool = attr(Flag(), default=True, doc="Fail the build before any step runs when the secret is not given.")
    mode: int = attr(FILE_MODE, default=0o400)
    uid: int = attr(UINT32, default=0)
    gid: int = attr(UINT32, default=0)

    @property
    def target(self) -> str | None:
        """The file path of the secret, or None when it is given only as an environment variable."""
        if self.dst is None and self.env is not None:
            return None
        return self.dst or f"/run/secrets/{self.id}"


@dataclass(frozen=True, kw_only=True)
class SshMount(Record):
    """The client's ssh agent (``--ssh ID[=SOCKET|KEY]``), as a socket with SSH_AUTH_SOCK pointing at it."""

    type: str = attr(OneOf("ssh"))
    id: str = attr(SECRET_ID_TEXT, default="default")
    dst: str | None = attr(Maybe(ABS_PATH), default=None, doc="Socket path; default /run/buildkit/ssh_agent.<n>.")
    required: bool = attr(Flag(), default=True)
    mode: int = attr(FILE_MODE, default=0o600)
    uid: int = attr(UINT32, default=0)
    gid: int = attr(UINT32, default=0)


@dataclass(frozen=True, kw_only=True)
class GoshSource(Record):
    """A GOSH repository at a commit."""

    gosh: str = attr(GOSH_URL_TEXT)
    commit: str | None = attr(Maybe(REVISION_TEXT), default=None)

    def check(self) -> None:
        if self.commit is None and "#" not in self.gosh:
            raise ValueError("a gosh source needs 'commit' (or a #ref in its URL)")


@dataclass(frozen=True, kw_only=True)
class GoshMount(Record):
    """A GOSH repository mounted into a run step: inline (GOSH's field names) or a named source."""

    type: str = attr(OneOf("gosh"), default="gosh")
    gosh: str | None = attr(Maybe(GOSH_URL_TEXT), default=None)
    commit: str | None = attr(Maybe(REVISION_TEXT), default=None)
    source: str | None = attr(Maybe(NON_EMPTY), default=None, doc="A name from the top-level 'sources'.")
    dst: str = attr(ABS_PATH)
    readonly: bool = attr(Flag(), default=True)

    def check(self) -> None:
        if (self.gosh is None) == (self.source is None):
            raise ValueError("a gosh mount needs either 'gosh' (with 'commit') or 'source'")
        if self.source is not None and self.commit is not None:
            raise ValueError("'commit' goes with 'gosh', not with 'source'")
        if self.gosh is not None and self.commit is None and "#" not in self.gosh:
            raise ValueError("a gosh mount needs 'commit' (or a #ref in its URL)")


Mount = CacheMount | TmpfsMount | BindMount | GoshMount | SecretMount | SshMount
MOUNT_SHAPES: dict[str, Shape] = {
    "cache": Ref(CacheMount),
    "tmpfs": Ref(TmpfsMount),
    "bind": Ref(BindMount),
    "gosh": Ref(GoshMount),
    "secret": Ref(SecretMount),
    "ssh": Ref(SshMount),
}


def _mount_kind(value: Any) -> str | None:
    if isinstance(value, dict):
        kind = value.get("type", "gosh" if "gosh" in value or "source" in value else None)
        return kind if isinstance(kind, str) else None
    return None


MOUNT = Tagged(
    _mount_kind,
    MOUNT_SHAPES,
    tag_key="type",
    untagged="a mount needs a 'type' (cache, tmpfs, bind, secret or ssh) or a 'gosh' URL",
    unknown="must be one of: " + ", ".join(MOUNT_SHAPES),
)


@dataclass(frozen=True, kw_only=True)
class Run(Record):
    """Run a command in the image being built."""

    command: list[str] = attr(ListOf(STRING, min_length=1))
    args: list[str] = attr(STRINGS, default=[])
    env: dict[str, str] = attr(ENV_MAP, default={})
    workdir: str | None = attr(Maybe(ABS_PATH), default=None)
    user: str | None = attr(Maybe(NON_EMPTY), default=None)
    network: str = attr(
        OneOf("none", "default"),
        default="none",
        doc="none (the default), or default: the step may reach the network and the image is non-hermetic.",
    )
    mounts: list[Mount] = attr(ListOf(MOUNT), default=[])

    def check(self) -> None:
        seen: dict[str, int] = {}
        for j, mount in enumerate(self.mounts):
            dst = mount.target if isinstance(mount, SecretMount) else mount.dst
            if dst is None:
                continue
            dst = dst.rstrip("/") or "/"
            if dst == "/":
                raise ValueError(f"mounts[{j}] cannot be mounted at / (the step's root filesystem)")
            if dst in seen:
                raise ValueError(f"mounts[{j}] and mounts[{seen[dst]}] are both mounted at {dst}")
            seen[dst] = j


@dataclass(frozen=True, kw_only=True)
class Copy(Record):
    """Copy files from the build context, a named context, a gosh source or an earlier step."""

    src: str | list[str] = attr(Either(NON_EMPTY, ListOf(NON_EMPTY, min_length=1)))
    dst: str = attr(NON_EMPTY)
    from_: str | None = attr(
        Maybe(NON_EMPTY),
        default=None,
        alias="from",
        doc="An earlier step's name, a name from 'sources', or a named build context.",
    )
    gosh: str | None = attr(Maybe(GOSH_URL_TEXT), default=None)
    commit: str | None = attr(Maybe(REVISION_TEXT), default=None)
    chown: str | None = attr(Maybe(NON_EMPTY), default=None)

    def check(self) -> None:
        if self.gosh is not None and self.from_ is not None:
            raise ValueError("a copy takes either 'from' or 'gosh', not both")
        if self.commit is not None and self.gosh is None:
            raise ValueError("'commit' goes with 'gosh'")
        if self.gosh is not None and self.commit is None and "#" not in self.gosh:
            raise ValueError("a copy from gosh needs 'commit' (or a #ref in its URL)")

    @property
    def sources(self) -> list[str]:
        """``src`` as a list."""
        return [self.src] if isinstance(self.src, str) else list(self.src)


@dataclass(frozen=True, kw_only=True)
class Step(Record):
    """One build step: exactly one of ``run`` or ``copy``."""

    name: str = attr(NON_EMPTY)
    run: Run | None = attr(Maybe(Ref(Run)), default=None)
    copy_: Copy | None = attr(Maybe(Ref(Copy)), default=None, alias="copy")

    def check(self) -> None:
        if (self.run is None) == (self.copy_ is None):
            raise ValueError("a step needs exactly one of 'run' or 'copy'")


@dataclass(frozen=True, kw_only=True)
class Goshfile(Record):
    """A goshfile, apiVersion 1."""

    apiVersion: int = attr(OneOf(1))
    image: str = attr(NON_EMPTY, doc="Base image: a tag (bash:latest) or a digest (name@sha256:...).")
    entrypoint: list[str] | None = attr(Maybe(STRINGS), default=None)
    cmd: list[str] | None = attr(Maybe(STRINGS), default=None)
    env: dict[str, str] = attr(ENV_MAP, default={})
    workdir: str | None = attr(Maybe(ABS_PATH), default=None)
    user: str | None = attr(Maybe(NON_EMPTY), default=None)
    labels: dict[str, str] = attr(MapOf(NON_EMPTY, STRING), default={})
    args: dict[str, str | None] = attr(
        MapOf(NAME_KEY, Maybe(STRING)),
        default={},
        doc="Build arguments: name -> default (null: must be given with --build-arg).",
    )
    sources: dict[str, GoshSource] = attr(
        MapOf(NAME_KEY, Ref(GoshSource)),
        default={},
        doc="GOSH repositories named once, used by 'source:' mounts and 'from:' copies.",
    )
    steps: list[Step] = attr(ListOf(Ref(Step)), default=[])


GOSHFILE = Ref(Goshfile)
"""The shape of a whole goshfile: ``GOSHFILE.check(data, (), failures)``."""
