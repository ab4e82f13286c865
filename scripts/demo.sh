#!/usr/bin/env bash
# The main job on the embedded default (the local node, the local registry):
# build the example goshfile with the goshfile frontend, push it, sign its digest
# and provenance with a wallet key, and verify it as anyone would; then build an
# app from GOSH at a pinned commit, sign it, and verify it by rebuilding it.
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

# Code from GOSH: push examples/gosh-app to the local node with plain git (git-remote-gosh),
# build it from there at its commit, sign it, and have anyone rebuild it from that commit.
# The commit's author, committer and dates are fixed, so its id (and so the image) is the
# same on every machine with the same Docker engine.
url="gosh://0:$(printf 'ab%.0s' $(seq 32))/goshfile-demo/app"
app=${GOSHFILE_DEMO_APP_IMAGE:-127.0.0.1:5000/goshfile/gosh-app:demo}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -R examples/gosh-app/. "$work"
helpers="$PWD/.venv/bin"  # git-remote-gosh
(
  cd "$work"
  export GIT_AUTHOR_NAME=goshfile GIT_AUTHOR_EMAIL=demo@goshfile.invalid GIT_AUTHOR_DATE="1700000000 +0000"
  export GIT_COMMITTER_NAME=goshfile GIT_COMMITTER_EMAIL=demo@goshfile.invalid GIT_COMMITTER_DATE="1700000000 +0000"
  git init -q -b main . && git add -A && git commit -q -m "goshfile demo app"
  log "git push $url main"
  PATH="$helpers:$PATH" git push -q -f "$url" main
)
commit=$(git -C "$work" rev-parse HEAD)
log "goshfile build $url --commit $commit -t $app --push --sign"
"$gf" build "$url" --commit "$commit" -t "$app" --push --sign --progress plain
docker run --rm --network none "$app"
log "goshfile verify --provenance --rebuild $app"
"$gf" verify --provenance --rebuild "$app"
