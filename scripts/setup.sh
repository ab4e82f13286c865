#!/usr/bin/env bash
# Set up everything goshfile needs on a fresh Debian machine, then run the
# example: build examples/seed with docker buildx and the goshfile frontend and
# print the message from the image. Re-running is fast and harmless: each step
# does nothing when its result is already there.
#   scripts/setup.sh            set up and run the example
#   scripts/setup.sh --no-demo  set up only (scripts/test.sh uses this)
set -euo pipefail
cd "$(dirname "$0")/.."
export GOSHFILE_STATE=${GOSHFILE_STATE:-/var/lib/goshfile-dev}
log() { printf 'goshfile setup: %s\n' "$*" >&2; }
demo=1
for arg in "$@"; do
  case "$arg" in
    --no-demo) demo=0 ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) log "unknown option $arg"; exit 2 ;;
  esac
done

bash scripts/install-system.sh
bash scripts/start-services.sh

bash scripts/venv.sh

bash scripts/base-images.sh

# The frontend image, rebuilt when the library or its image recipe changes.
src_hash=$( { find goshfile -name '*.py' -print0 | sort -z | xargs -0 sha256sum; sha256sum pyproject.toml dockerfiles/frontend.Dockerfile dockerfiles/frontend-requirements.txt; } | sha256sum | cut -c1-16)
have=$(docker image inspect teamgosh/goshfile:latest --format '{{index .Config.Labels "goshfile.source-hash"}}' 2>/dev/null || true)
if [ "$have" != "$src_hash" ]; then
  GOSHFILE_SOURCE_HASH=$src_hash bash scripts/build-frontend-image.sh
else
  log "frontend image teamgosh/goshfile:latest is up to date"
fi

if [ "$demo" = 1 ]; then
  bash scripts/demo.sh
fi
