"""Generated protobuf/gRPC modules for the BuildKit messages goshfile uses.

Sources are in ``proto/goshfile/buildkit``; regenerate with ``scripts/gen-proto.sh``.
"""
