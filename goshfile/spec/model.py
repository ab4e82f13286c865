"""The typed goshfile model (apiVersion 1).

Pydantic models in strict mode: no coercion (``8080`` is not a string, so
YAML's ``yes``/``no``/number surprises become errors), unknown keys are
errors (``x-`` keys are removed before validation), and the JSON schema that
editors use is generated from these classes (:func:`goshfile.spec.schema.json_schema`).
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Discriminator, Field, Tag, model_validator

from goshfile.errors import InputError
from goshfile.gosh.url import GoshUrl as ParsedGoshUrl

_GOSH_NAME = r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}"  # DAO and repository names, as the node stores them
GOSH_URL = re.compile(
    rf"^gosh(::[A-Za-z0-9][A-Za-z0-9_.-]{{0,99}})?://([A-Za-z0-9_][A-Za-z0-9_.-]{{0,99}}@)?0:[0-9a-fA-F]{{64}}"
    rf"/{_GOSH_NAME}/{_GOSH_NAME}(#.*)?$"
)
COMMIT = re.compile(r"^[0-9a-f]{40}$")
REVISION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,254}$")
NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _absolute(value: str) -> str:
    if not value.startswith("/"):
        raise ValueError("must be an absolute path (start with /)")
    return value


def _env_name(value: str) -> str:
    if not value or "=" in value:
        raise ValueError("must be a variable name without '='")
    return value


NonEmpty = Annotated[str, Field(min_length=1)]
AbsPath = Annotated[str, Field(min_length=1), AfterValidator(_absolute)]
EnvMap = dict[Annotated[str, AfterValidator(_env_name)], str]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, populate_by_name=True)


class CacheMount(_Model):
    """A persistent cache directory shared between builds (BuildKit cache mount)."""

    type: Literal["cache"]
    dst: AbsPath
    id: NonEmpty | None = Field(None, description="Cache namespace; defaults to dst.")
    sharing: Literal["shared", "private", "locked"] = "shared"


class TmpfsMount(_Model):
    """An empty tmpfs, gone after the step."""

    type: Literal["tmpfs"]
    dst: AbsPath
    size: Annotated[int, Field(gt=0)] | None = Field(None, description="Size limit in bytes.")


class BindMount(_Model):
    """A directory of an earlier step's result or of a named build context."""

    type: Literal["bind"]
    dst: AbsPath
    from_: NonEmpty = Field(alias="from", description="An earlier step's name or a named build context.")
    src: AbsPath = "/"
    readonly: bool = True


def _gosh_url(value: str) -> str:
    """Checked by the parser the fetch uses (:mod:`goshfile.gosh.url`): lint refuses what the fetch would."""
    try:
        ParsedGoshUrl.parse(value)
    except InputError as exc:
        raise ValueError(str(exc)) from None
    return value


SECRET_ID = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
MAX_ID = 2**32 - 1  # uid, gid: uint32 in BuildKit's LLB
SecretId = Annotated[str, Field(pattern=SECRET_ID.pattern)]
Uint32 = Annotated[int, Field(ge=0, le=MAX_ID)]
FileMode = Annotated[
    int, Field(ge=0, le=0o7777, description="File mode: a number, e.g. 0400 (YAML reads a leading 0 as octal) or 256.")
]


class SecretMount(_Model):
    """A build secret (``--secret id=ID,src=FILE|env=VAR``) as a file and/or an environment variable.

    The value is never stored: not in the image, its labels or its provenance (which records the id).
    """

    type: Literal["secret"]
    id: SecretId
    dst: AbsPath | None = Field(None, description="File path; default /run/secrets/<id> (unless only env is given).")
    env: Annotated[str, Field(pattern=NAME.pattern)] | None = Field(
        None, description="Also (or only) expose the value as this environment variable."
    )
    required: bool = Field(True, description="Fail the build before any step runs when the secret is not given.")
    mode: FileMode = 0o400
    uid: Uint32 = 0
    gid: Uint32 = 0

    @property
    def target(self) -> str | None:
        """The file path of the secret, or None when it is given only as an environment variable."""
        if self.dst is None and self.env is not None:
            return None
        return self.dst or f"/run/secrets/{self.id}"


class SshMount(_Model):
    """The client's ssh agent (``--ssh ID[=SOCKET|KEY]``), as a socket with SSH_AUTH_SOCK pointing at it."""

    type: Literal["ssh"]
    id: SecretId = "default"
    dst: AbsPath | None = Field(None, description="Socket path; default /run/buildkit/ssh_agent.<n>.")
    required: bool = True
    mode: FileMode = 0o600
    uid: Uint32 = 0
    gid: Uint32 = 0


GoshUrl = Annotated[
    str,
    Field(pattern=GOSH_URL.pattern, description="gosh[::net]://0:<64 hex>/<dao>/<repo>[#ref][:subdir]"),
    AfterValidator(_gosh_url),
]
Revision = Annotated[
    str,
    Field(
        pattern=REVISION.pattern,
        description="A commit id (40 hex); a branch or tag only with goshfile build --allow-ref.",
    ),
]


class GoshSource(_Model):
    """A GOSH repository at a commit."""

    gosh: GoshUrl
    commit: Revision | None = None

    @model_validator(mode="after")
    def _pinned(self) -> GoshSource:
        if self.commit is None and "#" not in self.gosh:
            raise ValueError("a gosh source needs 'commit' (or a #ref in its URL)")
        return self


class GoshMount(_Model):
    """A GOSH repository mounted into a run step: inline (GOSH's field names) or a named source."""

    type: Literal["gosh"] = "gosh"
    gosh: GoshUrl | None = None
    commit: Revision | None = None
    source: NonEmpty | None = Field(None, description="A name from the top-level 'sources'.")
    dst: AbsPath
    readonly: bool = True

    @model_validator(mode="after")
    def _one_form(self) -> GoshMount:
        if (self.gosh is None) == (self.source is None):
            raise ValueError("a gosh mount needs either 'gosh' (with 'commit') or 'source'")
        if self.source is not None and self.commit is not None:
            raise ValueError("'commit' goes with 'gosh', not with 'source'")
        if self.gosh is not None and self.commit is None and "#" not in self.gosh:
            raise ValueError("a gosh mount needs 'commit' (or a #ref in its URL)")
        return self


def _mount_kind(value: Any) -> str | None:
    if isinstance(value, dict):
        kind = value.get("type", "gosh" if "gosh" in value or "source" in value else None)
        return kind if isinstance(kind, str) else None
    return None


MOUNT_TAGS = frozenset({"cache", "tmpfs", "bind", "gosh", "secret", "ssh"})
Mount = Annotated[
    Annotated[CacheMount, Tag("cache")]
    | Annotated[TmpfsMount, Tag("tmpfs")]
    | Annotated[BindMount, Tag("bind")]
    | Annotated[GoshMount, Tag("gosh")]
    | Annotated[SecretMount, Tag("secret")]
    | Annotated[SshMount, Tag("ssh")],
    Discriminator(_mount_kind, custom_error_type="mount_kind", custom_error_message="unknown mount"),
]


class Run(_Model):
    """Run a command in the image being built."""

    command: Annotated[list[str], Field(min_length=1)]
    args: list[str] = []
    env: EnvMap = {}
    workdir: AbsPath | None = None
    user: NonEmpty | None = None
    network: Literal["none", "default"] = Field(
        "none",
        description="none (the default), or default: the step may reach the network and the image is non-hermetic.",
    )
    mounts: list[Mount] = []

    @model_validator(mode="after")
    def _distinct_mounts(self) -> Run:
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
        return self


class Copy(_Model):
    """Copy files from the build context, a named context, a gosh source or an earlier step."""

    src: NonEmpty | Annotated[list[NonEmpty], Field(min_length=1)]
    dst: NonEmpty
    from_: NonEmpty | None = Field(
        None, alias="from", description="An earlier step's name, a name from 'sources', or a named build context."
    )
    gosh: GoshUrl | None = None
    commit: Revision | None = None
    chown: NonEmpty | None = None

    @model_validator(mode="after")
    def _one_origin(self) -> Copy:
        if self.gosh is not None and self.from_ is not None:
            raise ValueError("a copy takes either 'from' or 'gosh', not both")
        if self.commit is not None and self.gosh is None:
            raise ValueError("'commit' goes with 'gosh'")
        if self.gosh is not None and self.commit is None and "#" not in self.gosh:
            raise ValueError("a copy from gosh needs 'commit' (or a #ref in its URL)")
        return self

    @property
    def sources(self) -> list[str]:
        """``src`` as a list."""
        return [self.src] if isinstance(self.src, str) else list(self.src)


class Step(_Model):
    """One build step: exactly one of ``run`` or ``copy``."""

    name: NonEmpty
    run: Run | None = None
    copy_: Copy | None = Field(None, alias="copy")

    @model_validator(mode="after")
    def _one_action(self) -> Step:
        if (self.run is None) == (self.copy_ is None):
            raise ValueError("a step needs exactly one of 'run' or 'copy'")
        return self


class Goshfile(_Model):
    """A goshfile, apiVersion 1."""

    apiVersion: Literal[1]
    image: NonEmpty = Field(description="Base image: a tag (bash:latest) or a digest (name@sha256:...).")
    entrypoint: list[str] | None = None
    cmd: list[str] | None = None
    env: EnvMap = {}
    workdir: AbsPath | None = None
    user: NonEmpty | None = None
    labels: dict[NonEmpty, str] = {}
    args: dict[Annotated[str, Field(pattern=NAME.pattern)], str | None] = Field(
        {}, description="Build arguments: name -> default (null: must be given with --build-arg)."
    )
    sources: dict[Annotated[str, Field(pattern=NAME.pattern)], GoshSource] = Field(
        {}, description="GOSH repositories named once, used by 'source:' mounts and 'from:' copies."
    )
    steps: list[Step] = []
