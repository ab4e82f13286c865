#!/usr/bin/env bash
# The main job on the embedded default (the local node, the local registry):
# build the example goshfile with the goshfile frontend, push it, sign its digest
# and provenance with a wallet key, and verify it as anyone would.
set -euo pipefail
cd "$(dirname "$0")/.."
img=${GOSHFILE_DEMO_IMAGE:-127.0.0.1:5000/goshfile/example:latest}
gf=.venv/bin/goshfile
log() { printf 'goshfile demo: %s\n' "$*" >&2; }

# A wallet key for the demo: the default key file (mode 0600), made once.
# WALLET_SECRET, --key-file or GOSH's ~/.gosh/config.json are used instead when present.
if [ -z "${WALLET_SECRET:-}" ]; then
  public=$("$gf" keys public 2>/dev/null || "$gf" keys generate)
else
  public=$("$gf" keys public)
fi
log "wallet public key $public"

log "goshfile build examples/seed -t $img --push --sign"
"$gf" build examples/seed -t "$img" --push --sign --progress plain
log "the image's /message.txt:"
docker run --rm "$img" cat /message.txt

digest=$(docker buildx imagetools inspect "$img" --format '{{json .Manifest.Digest}}' 2>/dev/null | tr -d '"' || true)
[ -n "$digest" ] || digest=$(docker inspect --format='{{index (split (index .RepoDigests 0) "@") 1}}' "$img")
log "goshfile check $public $digest"
"$gf" check "$public" "$digest"
log "goshfile verify --provenance $img"
"$gf" verify --provenance "$img"
