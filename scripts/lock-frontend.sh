#!/usr/bin/env bash
# Regenerate dockerfiles/frontend-requirements.txt: the frontend image's wheels, pinned with the
# sha256 of every file PyPI has for each version (so the lock serves every architecture).
# Run after changing [project] dependencies in pyproject.toml (tests/test_frontend_lock.py fails
# until then). Needs pip-tools (in the dev extra) and PyPI.
set -euo pipefail
cd "$(dirname "$0")/.."
py=${PYTHON:-.venv/bin/python}
in=$(mktemp --suffix=.in) && trap 'rm -f "$in"' EXIT
"$py" -c 'import tomllib; print("\n".join(tomllib.load(open("pyproject.toml","rb"))["project"]["dependencies"]))' >"$in"
out=dockerfiles/frontend-requirements.txt
# Start from the current lock, so that pins which still fit are kept (pip-compile reads its output
# file as the pins to keep); only what the dependency change needs moves.
grep -v '^# ' "$out" >"$out.new" || true
PIP_CONFIG_FILE=/dev/null PIP_FIND_LINKS= "$py" -m piptools compile --quiet --no-config --no-header \
  --generate-hashes --allow-unsafe --strip-extras --output-file "$out.new" "$in"
{ echo "# The frontend image's Python packages, locked with hashes (pip install --require-hashes)."
  echo "# Generated from pyproject.toml's [project] dependencies by scripts/lock-frontend.sh; do not edit."
  sed "s|$in|pyproject.toml|" "$out.new"; } >"$out"
rm -f "$out.new"
echo "wrote $out" >&2
