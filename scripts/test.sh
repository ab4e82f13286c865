#!/usr/bin/env bash
# Run the whole test suite: set-up check (installs what is missing), lint, types,
# layer contracts, then all tests, the end-to-end ones against the real Docker engine
# included. Extra arguments go to pytest. When they select no test that needs the engine
# (e.g. -m "not docker", or a folder of unit tests), only .venv is set up: no root, no
# system packages, no engine.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/venv.sh
# Does the selection hold a test marked `docker`? (collect only; exit 10 when it does)
set +e
.venv/bin/python - "$@" >/dev/null 2>&1 <<'PY'
import sys

import pytest


class Engine:
    needed = False

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        Engine.needed = any(item.get_closest_marker("docker") for item in session.items)


rc = pytest.main(["--collect-only", "-q", "-p", "no:cacheprovider", *sys.argv[1:]], plugins=[Engine()])
sys.exit(10 if Engine.needed or rc not in (0, 5) else 0)
PY
needs=$?
set -e
if [ "$needs" -ne 0 ]; then
  bash scripts/setup.sh --no-demo
else
  echo "== no selected test needs the engine: system set-up skipped" >&2
fi
echo "== ruff" >&2
.venv/bin/ruff check goshfile tests bench
.venv/bin/ruff format --check goshfile tests bench
echo "== mypy" >&2
.venv/bin/mypy
echo "== import-linter" >&2
.venv/bin/lint-imports --no-cache
echo "== pytest" >&2
exec .venv/bin/pytest "$@"
