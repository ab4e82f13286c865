#!/usr/bin/env bash
# Run the whole test suite: set-up check (installs what is missing), lint,
# types, then all tests, the end-to-end ones against the real Docker engine
# included. Extra arguments go to pytest (e.g. -m "not docker" for unit tests only).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --no-demo
echo "== ruff" >&2
.venv/bin/ruff check goshfile tests bench
.venv/bin/ruff format --check goshfile tests bench
echo "== mypy" >&2
.venv/bin/mypy
echo "== pytest" >&2
exec .venv/bin/pytest "$@"
