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


MOUNT_TAGS = frozenset({"cache", "tmpfs", "bind", "gosh"})
Mount = Annotated[
    Annotated[CacheMount, Tag("cache")]
    | Annotated[TmpfsMount, Tag("tmpfs")]
    | Annotated[BindMount, Tag("bind")]
    | Annotated[GoshMount, Tag("gosh")],
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
