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

Detail = tuple[str, bytes]
"""A typed error detail (a google.protobuf.Any): type URL and value."""


class SolveError(EngineError):
    """BuildKit failed a solve (a step failed): its message and typed details, to hand back unchanged.

    The details carry what buildx shows under the error: the failing vertex and
    the goshfile lines of the step (from the Definition's source map).
    """

    def __init__(self, message: str, code: int = UNKNOWN, details: tuple[Detail, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.details = details


class Gateway(Protocol):
    """What a frontend asks of BuildKit."""

    def solve(self, definition: pb.Definition, evaluate: bool = False) -> str:
        """Solve ``definition``; return the result's ref id (``evaluate``: run it now, not lazily)."""

    def read_file(self, ref: str, path: str) -> bytes:
        """Read a file of a solved ref; raise :class:`InputError` if it does not exist."""

    def resolve_image_config(self, ref: str, platform: Platform, resolve_mode: str, log_name: str) -> tuple[str, bytes]:
        """The manifest digest and the config JSON of image ``ref`` for ``platform``."""

    def warn(self, vertex: str, message: str) -> None:
        """Show a warning on vertex ``vertex`` (an op digest) in the build's progress."""

    def return_result(self, ref: str | None, metadata: dict[str, bytes]) -> None:
        """Hand the final result to BuildKit (``ref`` None: metadata only, as subrequests answer)."""

    def return_error(self, code: int, message: str, details: tuple[Detail, ...] = ()) -> None:
        """Fail the build with ``message`` (shown to the user by the client) and typed ``details``."""


def _engine_error(action: str, exc: Any) -> EngineError:
    details = exc.details() if hasattr(exc, "details") else str(exc)
    return EngineError(f"{action}: {details}")


def _solve_error(exc: Any) -> SolveError:
    """The error of a failed solve with BuildKit's typed details (from the grpc-status-details-bin trailer)."""
    message = str(exc.details()) if hasattr(exc, "details") else str(exc)
    code = UNKNOWN
    details: list[Detail] = []
    trailer = exc.trailing_metadata() if hasattr(exc, "trailing_metadata") else None
    for key, value in trailer or ():
        if key == "grpc-status-details-bin" and isinstance(value, bytes):
            status = gw.Status()
            try:
                status.ParseFromString(value)
            except Exception:
                continue
            code = status.code or code
            message = status.message or message
            details = [(d.type_url, bytes(d.value)) for d in status.details]
    return SolveError(message, code, tuple(details))


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

    def solve(self, definition: pb.Definition, evaluate: bool = False) -> str:
        req = gw.SolveRequest(
            Definition=definition, allowResultReturn=True, allowResultArrayRef=True, Evaluate=evaluate
        )
        try:
            res = self._stub.Solve(req)
        except self._rpc_error as exc:
            raise _solve_error(exc) from None
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

    def return_result(self, ref: str | None, metadata: dict[str, bytes]) -> None:
        result = gw.Result(metadata=metadata) if ref is None else gw.Result(ref=gw.Ref(id=ref), metadata=metadata)
        self._stub.Return(gw.ReturnRequest(result=result))

    def return_error(self, code: int, message: str, details: tuple[Detail, ...] = ()) -> None:
        status = gw.Status(code=code, message=message, details=[gw.Any(type_url=u, value=v) for u, v in details])
        self._stub.Return(gw.ReturnRequest(error=status))
