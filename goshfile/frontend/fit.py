"""Keep a build definition within what BuildKit's gateway accepts.

BuildKit 0.13's gateway server takes gRPC messages of at most 4 MiB (grpc-go's default;
BuildKit 0.14 raised it to 16 MiB), and a Solve request carries the whole Definition. A
definition over the limit is sent without its source map (the goshfile's lines in errors)
before it is refused; one still over it is refused here with what to do, and ``lint``
reports the same, so that what lint accepts the build accepts.
"""

from __future__ import annotations

from goshfile.buildkit import ops_pb2 as pb
from goshfile.errors import SpecError
from goshfile.spec.document import Document

GATEWAY_LIMIT = 4 << 20  # bytes of one gRPC message BuildKit 0.13's gateway accepts
MAX_DEFINITION = GATEWAY_LIMIT - (64 << 10)  # room for the rest of the Solve request


def too_large(size: int, steps: int) -> str:
    """Why a definition of ``size`` bytes for ``steps`` steps cannot be built, and what to do."""
    fit = max(1, steps * MAX_DEFINITION // max(size, 1))
    return (
        f"the build definition is {size / (1 << 20):.1f} MiB: BuildKit's gateway accepts at most "
        f"{GATEWAY_LIMIT >> 20} MiB (about {fit} of these steps); split the goshfile into images "
        "built on one another, or use fewer, larger steps"
    )


def fit(definition: pb.Definition, document: Document, steps: int) -> pb.Definition:
    """``definition``, without its source map if that makes it fit; SpecError if nothing does."""
    if definition.ByteSize() <= MAX_DEFINITION:
        return definition
    lean = pb.Definition()
    lean.CopyFrom(definition)
    lean.ClearField("Source")
    size = lean.ByteSize()
    if size <= MAX_DEFINITION:
        return lean
    raise SpecError([document.problem(("steps",), too_large(size, steps), at_key=True)])
