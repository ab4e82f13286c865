#!/usr/bin/env bash
# Build the frontend image teamgosh/goshfile:latest and :<version>.
#   Offline (default): FROM goshfile/python-base:bookworm, made by scripts/base-images.sh.
#   Online: GOSHFILE_FRONTEND_BASE=python:3.11-slim scripts/build-frontend-image.sh
# The library and its dependencies are installed on the host into the build
# context as wheels for CPython 3.11 on this machine's architecture; the
# dependencies at the versions and sha256 hashes of dockerfiles/frontend-requirements.txt
# (pip --require-hashes; regenerate it with scripts/lock-frontend.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
py=${PYTHON:-.venv/bin/python}
base=${GOSHFILE_FRONTEND_BASE:-goshfile/python-base:bookworm}
image=${GOSHFILE_FRONTEND_IMAGE:-teamgosh/goshfile}
version=$("$py" -c 'import goshfile; print(goshfile.__version__)')
ctx=build/frontend-image
log() { printf 'goshfile setup: %s\n' "$*" >&2; }

case "$(uname -m)" in
  x86_64) plat=(--platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 --platform manylinux_2_28_x86_64) ;;
  aarch64) plat=(--platform manylinux_2_17_aarch64 --platform manylinux2014_aarch64 --platform manylinux_2_28_aarch64) ;;
  *) log "unsupported architecture $(uname -m)"; exit 1 ;;
esac
lock=dockerfiles/frontend-requirements.txt

rm -rf "$ctx" && mkdir -p "$ctx/site"
pipq() { "$py" -m pip install -q --disable-pip-version-check --no-compile --target "$ctx/site" "$@" 2>&1 | grep -v '^WARNING: Location' >&2 || true; }
pipq --no-deps .
rm -rf "$ctx/site/bin"  # its console script; the next install would warn that bin/ exists
pipq --only-binary=:all: --implementation cp --python-version 3.11 "${plat[@]}" --require-hashes -r "$lock"
[ -d "$ctx/site/goshfile" ] && [ -d "$ctx/site/grpc" ] || { log "installing the frontend's Python packages failed"; exit 1; }
rm -rf "$ctx/site/bin"
find "$ctx/site" -name '__pycache__' -prune -exec rm -rf {} +

log "building $image:latest ($image:$version) from $base"
docker buildx build -q --load --network none --build-arg BASE="$base" -f dockerfiles/frontend.Dockerfile \
  --label goshfile.source-hash="${GOSHFILE_SOURCE_HASH:-}" \
  -t "$image:latest" -t "$image:$version" "$ctx" >/dev/null
log "frontend image $image:$version ready"
