"""Marshal an LLB graph into a ``pb.Definition``, and render one as JSON.

Ops are serialized deterministically (sorted map keys) and identified by
``sha256:`` of their exact bytes, as BuildKit does, so an unchanged goshfile
gives byte-identical ops and hits BuildKit's cache.
"""

from __future__ import annotations

import hashlib
from typing import Any

from goshfile.buildkit import ops_pb2 as pb
from goshfile.llb.vertex import Output, Vertex


def op_digest(data: bytes) -> str:
    """The digest BuildKit uses for an op: ``sha256:`` of its serialized bytes."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


def marshal(result: Output | None) -> pb.Definition:
    """Serialize the graph ending at ``result`` (None: an empty filesystem)."""
    definition = pb.Definition()
    if result is None:
        return definition
    digests: dict[int, str] = {}

    def emit(vertex: Vertex) -> str:
        op = vertex.to_op()
        for out in vertex.inputs():
            op.inputs.append(pb.Input(digest=digests[id(out.vertex)], index=out.index))
        data = op.SerializeToString(deterministic=True)
        digest = op_digest(data)
        if digest not in definition.metadata:
            getattr(definition, "def").append(data)
            definition.metadata[digest].CopyFrom(vertex.metadata.to_pb())
        digests[id(vertex)] = digest
        return digest

    # Depth first, inputs before the vertex that uses them, with an explicit stack: a goshfile of
    # thousands of steps is a chain thousands of vertices deep (no recursion limit applies).
    stack: list[tuple[Vertex, bool]] = [(result.vertex, False)]
    while stack:
        vertex, inputs_done = stack.pop()
        if id(vertex) in digests:
            continue
        if inputs_done:
            emit(vertex)
            continue
        stack.append((vertex, True))
        for out in reversed(vertex.inputs()):
            if id(out.vertex) not in digests:
                stack.append((out.vertex, False))
    root = digests[id(result.vertex)]
    # The last op is a bare op whose only input is the result.
    final = pb.Op(inputs=[pb.Input(digest=root, index=result.index)]).SerializeToString(deterministic=True)
    getattr(definition, "def").append(final)
    return definition


def serialize(definition: pb.Definition) -> bytes:
    """The Definition's own bytes (deterministic), as ``buildctl build`` reads them on stdin."""
    return definition.SerializeToString(deterministic=True)


def to_json(definition: pb.Definition) -> list[dict[str, Any]]:
    """One object per op (digest, type, op fields, metadata), like ``buildctl debug dump-llb``."""
    from google.protobuf import json_format  # here, not at the top: a build never needs it, and it costs

    out: list[dict[str, Any]] = []
    for data in getattr(definition, "def"):
        op = pb.Op()
        op.ParseFromString(data)
        digest = op_digest(data)
        entry: dict[str, Any] = {
            "digest": digest,
            "type": op.WhichOneof("op") or "result",
            "op": json_format.MessageToDict(op, preserving_proto_field_name=True),
        }
        if digest in definition.metadata:
            entry["metadata"] = json_format.MessageToDict(definition.metadata[digest], preserving_proto_field_name=True)
        out.append(entry)
    return out
