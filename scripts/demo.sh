#!/usr/bin/env bash
# The main job on the embedded default: build the example goshfile with
# docker buildx and the goshfile frontend, then show what the image holds.
set -euo pipefail
cd "$(dirname "$0")/.."
img=${GOSHFILE_DEMO_IMAGE:-goshfile-example:latest}
log() { printf 'goshfile demo: %s\n' "$*" >&2; }

log "docker buildx build -f examples/seed/goshfile.yaml -t $img examples/seed"
docker buildx build --progress=plain -f examples/seed/goshfile.yaml -t "$img" examples/seed
log "the image's /message.txt:"
docker run --rm "$img" cat /message.txt
