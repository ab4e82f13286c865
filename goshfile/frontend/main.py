"""The frontend image's entry point: connect to BuildKit over stdio and run the build."""

from __future__ import annotations

import os
import sys

GRPC_OPTIONS = [
    ("grpc.max_receive_message_length", 256 << 20),
    ("grpc.max_send_message_length", 256 << 20),
    ("grpc.enable_http_proxy", 0),
]


def main() -> int:
    """Run one build as a BuildKit gateway frontend; the exit status tells BuildKit whether we returned."""
    from goshfile import startup

    startup.pause()

    from goshfile.frontend.stdio import StdioRelay

    relay = StdioRelay.take_stdio()  # first: nothing may write to the real stdout

    import grpc

    from goshfile.frontend.build import run
    from goshfile.frontend.gateway import GrpcGateway
    from goshfile.frontend.options import opts_from_environ

    startup.resume()

    with grpc.insecure_channel(relay.address, options=GRPC_OPTIONS) as channel:
        return run(GrpcGateway(channel), opts_from_environ(os.environ), os.environ, sys.stderr)
