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


def _post_order(root: Vertex) -> list[Vertex]:
    """Every vertex reachable from ``root``, each after its inputs (iterative: any depth)."""
    order: list[Vertex] = []
    done: set[int] = set()
    stack: list[tuple[Vertex, bool]] = [(root, False)]
    while stack:
        vertex, expanded = stack.pop()
        if id(vertex) in done:
            continue
        if expanded:
            done.add(id(vertex))
            order.append(vertex)
            continue
        stack.append((vertex, True))
        # reversed, so that inputs are emitted in their own order
        stack.extend((out.vertex, False) for out in reversed(vertex.inputs()) if id(out.vertex) not in done)
    return order


def marshal(result: Output | None) -> pb.Definition:
    """Serialize the graph ending at ``result`` (None: an empty filesystem).

    Ops that carry a :class:`~goshfile.llb.vertex.Location` are mapped to their
    lines in the Definition's source map, so BuildKit shows them when an op fails.
    """
    definition = pb.Definition()
    if result is None:
        return definition
    digests: dict[int, str] = {}
    sources: dict[int, int] = {}  # id(SourceFile) -> index in Source.infos
    for vertex in _post_order(result.vertex):
        op = vertex.to_op()
        for out in vertex.inputs():
            op.inputs.append(pb.Input(digest=digests[id(out.vertex)], index=out.index))
        data = op.SerializeToString(deterministic=True)
        digest = op_digest(data)
        if digest not in definition.metadata:
            getattr(definition, "def").append(data)
            definition.metadata[digest].CopyFrom(vertex.metadata.to_pb())
        location = vertex.metadata.location
        if location is not None:
            index = sources.get(id(location.source))
            if index is None:
                index = sources[id(location.source)] = len(definition.Source.infos)
                definition.Source.infos.append(location.source.to_pb())
            entry = definition.Source.locations[digest].locations.add(sourceIndex=index)
            entry.ranges.extend(span.to_pb() for span in location.spans)
        digests[id(vertex)] = digest
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
