#!/usr/bin/env bash
# Regenerate goshfile/buildkit/*_pb2*.py from proto/ (needs grpcio-tools; dev only).
set -euo pipefail
cd "$(dirname "$0")/.."
py=${PYTHON:-.venv/bin/python}
"$py" -m grpc_tools.protoc -Iproto --python_out=. --pyi_out=. --grpc_python_out=. \
  proto/goshfile/buildkit/ops.proto proto/goshfile/buildkit/gateway.proto
rm -f goshfile/buildkit/ops_pb2_grpc.py   # ops.proto declares no service
