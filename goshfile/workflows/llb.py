"""The LLB of a goshfile without an engine: the frontend's own code over an offline gateway.

``goshfile llb`` runs :class:`goshfile.frontend.build.Frontend` exactly as BuildKit would,
against :class:`OfflineGateway`, which serves the goshfile and ``.dockerignore`` from local
folders and resolves no base image (the base is used by name; the frontend pins it by digest
when building). So there is one path from a goshfile to LLB, and this shows what it gives.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from goshfile.buildkit import ops_pb2 as pb
from goshfile.errors import EngineError, InputError
from goshfile.files import read_small_file
from goshfile.frontend.build import DOCKERFILE_LOCAL, Frontend
from goshfile.frontend.gateway import Detail
from goshfile.frontend.options import MAIN_CONTEXT, BuildOptions
from goshfile.llb import Platform
from goshfile.spec.limits import MAX_FILE_BYTES

EPOCH = datetime.fromtimestamp(0, UTC)  # LLB carries no times; the image config would


class OfflineGateway:
    """A :class:`goshfile.frontend.gateway.Gateway` that answers from local folders."""

    def __init__(self, folders: dict[str, Path]) -> None:
        self.folders = folders
        self.solved: list[pb.Definition] = []
        self.warnings: list[str] = []

    def solve(self, definition: pb.Definition, evaluate: bool = False) -> str:
        self.solved.append(definition)
        return str(len(self.solved) - 1)

    def _local(self, ref: str) -> Path:
        for data in getattr(self.solved[int(ref)], "def"):
            op = pb.Op.FromString(data)
            if op.WhichOneof("op") == "source" and op.source.identifier.startswith("local://"):
                name = op.source.identifier.removeprefix("local://")
                if name in self.folders:
                    return self.folders[name]
                raise InputError(f"the local {name!r} is not available without an engine")
        raise EngineError("offline LLB: only local files can be read")

    def read_file(self, ref: str, path: str) -> bytes:
        target = self._local(ref) / path
        return read_small_file(target, limit=MAX_FILE_BYTES, what="file")[0]  # a device or FIFO: refused

    def resolve_image_config(self, ref: str, platform: Platform, resolve_mode: str, log_name: str) -> tuple[str, bytes]:
        return "", b"{}"  # used by name, with an empty config

    def warn(self, vertex: str, message: str) -> None:
        self.warnings.append(message)

    def return_result(self, ref: str | None, metadata: dict[str, bytes]) -> None:  # pragma: no cover - not called here
        raise EngineError("offline LLB returns no result")

    def return_refs(self, refs: dict[str, str], metadata: dict[str, bytes]) -> None:  # pragma: no cover
        raise EngineError("offline LLB returns no result")

    def return_error(self, code: int, message: str, details: tuple[Detail, ...] = ()) -> None:  # pragma: no cover
        raise EngineError(message)


@dataclass(frozen=True)
class Llb:
    """The LLB a goshfile turns into, and the warnings met on the way."""

    definition: pb.Definition
    warnings: list[str] = field(default_factory=list)


def goshfile_llb(
    file: str,
    build_args: dict[str, str],
    platform: Platform,
    context: Path = Path("."),
    contexts: dict[str, str] | None = None,
) -> Llb:
    """The LLB of ``file`` for ``platform`` with ``build_args``; ``context`` holds its ``.dockerignore``.

    ``contexts`` are named contexts as the frontend takes them (``NAME: "local:NAME"``).
    """
    if not Path(file).is_file():
        raise InputError(f"{file}: no such file")
    gateway = OfflineGateway({DOCKERFILE_LOCAL: Path("."), MAIN_CONTEXT: context})
    frontend = Frontend(
        gateway, BuildOptions(filename=file, build_args=build_args, contexts=contexts or {}), "", platform
    )
    frontend.build(EPOCH)
    return Llb(gateway.solved[-1], gateway.warnings)
