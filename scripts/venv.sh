#!/usr/bin/env bash
# Create (or refresh) .venv with goshfile and its development tools. Needs no root and no
# engine; scripts/setup.sh runs it, and scripts/test.sh runs it alone for tests that need no engine.
set -euo pipefail
cd "$(dirname "$0")/.."
log() { printf 'goshfile setup: %s\n' "$*" >&2; }
# The project's virtual environment, reinstalled when pyproject.toml changes.
stamp=.venv/.goshfile-installed
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ ! -x .venv/bin/python ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  log "creating .venv with goshfile and its development tools"
  python3 -m venv .venv
  .venv/bin/python -m pip install -q --disable-pip-version-check -e '.[dev]' 2>&1 | grep -v '^WARNING: Location' >&2 || true
  .venv/bin/python -c 'import goshfile.cli.main' || { log "installing the project into .venv failed"; exit 1; }
  echo "$want" >"$stamp"
fi
# The editable install runs goshfile from this checkout: byte-compile it (only what changed), so the
# CLI starts as an installed one does even where PYTHONDONTWRITEBYTECODE keeps Python from doing it.
.venv/bin/python -m compileall -q goshfile >/dev/null || log "byte-compiling goshfile failed (it still runs, slower)"
