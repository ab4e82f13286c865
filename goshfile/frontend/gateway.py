"""The BuildKit gateway as a small interface, and its gRPC implementation.

:class:`Gateway` is what the frontend logic needs from BuildKit; unit tests
use an in-memory fake of it, the frontend image uses :class:`GrpcGateway`.
"""

from __future__ import annotations

import contextlib
from typing import Any, Protocol

from goshfile.buildkit import gateway_pb2 as gw
from goshfile.buildkit import gateway_pb2_grpc as gw_grpc
from goshfile.buildkit import ops_pb2 as pb
from goshfile.errors import EngineError, InputError
from goshfile.llb.vertex import Platform

# google.rpc.Code values used in Return
INVALID_ARGUMENT = 3
UNKNOWN = 2
NOT_FOUND = 5


class Gateway(Protocol):
    """What a frontend asks of BuildKit."""

    def solve(self, definition: pb.Definition) -> str:
        """Solve ``definition``; return the result's ref id."""

    def read_file(self, ref: str, path: str) -> bytes:
        """Read a file of a solved ref; raise :class:`InputError` if it does not exist."""

    def resolve_image_config(self, ref: str, platform: Platform, resolve_mode: str, log_name: str) -> tuple[str, bytes]:
        """The manifest digest and the config JSON of image ``ref`` for ``platform``."""

    def warn(self, vertex: str, message: str) -> None:
        """Show a warning on vertex ``vertex`` (an op digest) in the build's progress."""

    def return_result(self, ref: str, metadata: dict[str, bytes]) -> None:
        """Hand the final result to BuildKit."""

    def return_refs(self, refs: dict[str, str], metadata: dict[str, bytes]) -> None:
        """Hand BuildKit a multi-platform result: one ref per platform id."""

    def return_error(self, code: int, message: str) -> None:
        """Fail the build with ``message`` (shown to the user by the client)."""


def _engine_error(action: str, exc: Any) -> EngineError:
    details = exc.details() if hasattr(exc, "details") else str(exc)
    return EngineError(f"{action}: {details}")


class GrpcGateway:
    """:class:`Gateway` over BuildKit's ``LLBBridge`` gRPC service."""

    def __init__(self, channel: Any) -> None:
        import grpc

        self._rpc_error = grpc.RpcError
        self._not_found = grpc.StatusCode.NOT_FOUND
        self._stub: Any = gw_grpc.LLBBridgeStub(channel)  # type: ignore[no-untyped-call]

    def ping(self) -> gw.PongResponse:
        """Capabilities and workers of the BuildKit daemon."""
        try:
            pong: gw.PongResponse = self._stub.Ping(gw.PingRequest())
            return pong
        except self._rpc_error as exc:
            raise _engine_error("ping", exc) from None

    def solve(self, definition: pb.Definition) -> str:
        req = gw.SolveRequest(Definition=definition, allowResultReturn=True, allowResultArrayRef=True)
        try:
            res = self._stub.Solve(req)
        except self._rpc_error as exc:
            raise _engine_error("solve", exc) from None
        if res.HasField("result") and res.result.WhichOneof("result") == "ref":
            return str(res.result.ref.id)
        return str(res.result.refDeprecated or res.ref)

    def read_file(self, ref: str, path: str) -> bytes:
        try:
            return bytes(self._stub.ReadFile(gw.ReadFileRequest(Ref=ref, FilePath=path)).Data)
        except self._rpc_error as exc:
            if exc.code() == self._not_found or "no such file" in str(exc.details()):
                raise InputError(f"{path}: no such file") from None
            raise _engine_error(f"read {path}", exc) from None

    def resolve_image_config(self, ref: str, platform: Platform, resolve_mode: str, log_name: str) -> tuple[str, bytes]:
        req = gw.ResolveImageConfigRequest(
            Ref=ref, Platform=platform.to_pb(), ResolveMode=resolve_mode, LogName=log_name
        )
        try:
            res = self._stub.ResolveImageConfig(req)
        except self._rpc_error as exc:
            raise _engine_error(f"resolve image {ref}", exc) from None
        return str(res.Digest), bytes(res.Config)

    def warn(self, vertex: str, message: str) -> None:
        # a warning that cannot be shown must not fail the build
        with contextlib.suppress(self._rpc_error):
            self._stub.Warn(gw.WarnRequest(digest=vertex, level=1, short=message.encode()))

    def return_result(self, ref: str, metadata: dict[str, bytes]) -> None:
        result = gw.Result(ref=gw.Ref(id=ref), metadata=metadata)
        self._stub.Return(gw.ReturnRequest(result=result))

    def return_refs(self, refs: dict[str, str], metadata: dict[str, bytes]) -> None:
        ref_map = gw.RefMap(refs={key: gw.Ref(id=ref) for key, ref in refs.items()})
        self._stub.Return(gw.ReturnRequest(result=gw.Result(refs=ref_map, metadata=metadata)))

    def return_error(self, code: int, message: str) -> None:
        self._stub.Return(gw.ReturnRequest(error=gw.Status(code=code, message=message)))
