"""An in-memory :class:`goshfile.frontend.gateway.Gateway`: records what the frontend asks, serves canned answers."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from goshfile.buildkit import ops_pb2 as pb
from goshfile.errors import InputError
from goshfile.llb import Platform
from tests.helpers import Graph

IMAGE_DIGEST = "sha256:" + "d" * 64
IMAGE_CONFIG: dict[str, Any] = {
    "architecture": "amd64",
    "os": "linux",
    "config": {"Env": ["PATH=/usr/local/bin:/usr/bin:/bin"], "Cmd": ["bash"], "Labels": {"from.base": "yes"}},
    "rootfs": {"type": "layers", "diff_ids": ["sha256:" + "e" * 64]},
    "history": [{"created_by": "base layer"}],
}


@dataclass
class Resolve:
    ref: str
    platform: Platform
    mode: str
    log_name: str


@dataclass
class FakeGateway:
    """Serves files of the client's locals by local name and path; everything else is recorded."""

    locals: dict[str, dict[str, bytes]] = field(default_factory=dict)
    image_digest: str = IMAGE_DIGEST
    image_config: bytes = json.dumps(IMAGE_CONFIG).encode()
    solve_error: Exception | None = None
    solve_errors: list[Exception | None] = field(default_factory=list)  # per solve, before solve_error
    evaluated: list[bool] = field(default_factory=list)
    solves: list[pb.Definition] = field(default_factory=list)
    resolves: list[Resolve] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)
    results: list[tuple[str | None, dict[str, bytes]]] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)
    error_details: list[tuple[tuple[str, bytes], ...]] = field(default_factory=list)
    _refs: dict[str, str | None] = field(default_factory=dict)

    def solve(self, definition: pb.Definition, evaluate: bool = False) -> str:
        self.evaluated.append(evaluate)
        error = self.solve_errors.pop(0) if self.solve_errors else self.solve_error
        if error is not None:
            raise error
        self.solves.append(definition)
        ref = f"ref-{len(self.solves)}"
        result = Graph.of(definition).result
        identifier = result.source.identifier if result.WhichOneof("op") == "source" else ""
        self._refs[ref] = identifier.removeprefix("local://") if identifier.startswith("local://") else None
        return ref

    def read_file(self, ref: str, path: str) -> bytes:
        local = self._refs[ref]  # a KeyError here means the frontend read a ref it was never given
        files = self.locals.get(local or "", {})
        if path not in files:
            raise InputError(f"{path}: no such file")
        return files[path]

    def resolve_image_config(self, ref: str, platform: Platform, resolve_mode: str, log_name: str) -> tuple[str, bytes]:
        self.resolves.append(Resolve(ref, platform, resolve_mode, log_name))
        return self.image_digest, self.image_config

    def warn(self, vertex: str, message: str) -> None:
        self.warnings.append((vertex, message))

    def return_result(self, ref: str | None, metadata: dict[str, bytes]) -> None:
        self.results.append((ref, metadata))

    def return_error(self, code: int, message: str, details: tuple[tuple[str, bytes], ...] = ()) -> None:
        self.errors.append((code, message))
        self.error_details.append(details)

    def graph(self, index: int) -> Graph:
        """The ``index``-th solved Definition, parsed."""
        return Graph.of(self.solves[index])
