#!/usr/bin/env bash
# Install the system packages goshfile needs, from Debian's own archives only:
#   Docker Engine (23+) with the buildx plugin, Debian's docker-registry,
#   debootstrap, busybox-static and bash-static, and for the signature tests
#   cosign, oras, skopeo and htpasswd (apache2-utils), and Debian's chromium for
#   the dashboard's browser test (Playwright drives it; it downloads no browser).
# Bookworm's docker.io (20.10) has no buildx and bookworm has no cosign or oras,
# so trixie is added as a second source at a low pin (100) and only those
# packages are taken from it.
# The trixie entry is derived from this machine's own Debian source; no mirror
# host is written here. Safe to run again: it does nothing when all is present.
set -euo pipefail

log() { printf 'goshfile setup: %s\n' "$*" >&2; }

need=()
command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
[ -x /usr/libexec/docker/cli-plugins/docker-buildx ] || need+=(docker-buildx)
command -v docker-registry >/dev/null 2>&1 || need+=(docker-registry)
command -v debootstrap >/dev/null 2>&1 || need+=(debootstrap)
[ -x /bin/busybox ] || need+=(busybox-static)
[ -x /bin/bash-static ] || need+=(bash-static)
command -v git >/dev/null 2>&1 || need+=(git)
command -v cosign >/dev/null 2>&1 || need+=(cosign)
command -v oras >/dev/null 2>&1 || need+=(oras)
command -v skopeo >/dev/null 2>&1 || need+=(skopeo)
command -v htpasswd >/dev/null 2>&1 || need+=(apache2-utils)
command -v chromium >/dev/null 2>&1 || need+=(chromium)

if [ ${#need[@]} -eq 0 ]; then
  log "system packages present"
  exit 0
fi
[ "$(id -u)" = 0 ] || { log "installing ${need[*]} needs root"; exit 1; }

export DEBIAN_FRONTEND=noninteractive
trixie_list=/etc/apt/sources.list.d/goshfile-trixie.sources
if [ ! -f "$trixie_list" ]; then
  src=/etc/apt/sources.list.d/debian.sources
  if [ -f "$src" ]; then
    # First deb822 stanza whose Suites name the release itself (not -security).
    awk -v RS= '/Suites:[^\n]*bookworm( |$|\n)/ && !/security/ {print; exit}' "$src" \
      | sed -E 's/^Suites:.*/Suites: trixie/' > "$trixie_list"
  elif [ -f /etc/apt/sources.list ]; then
    grep -E '^deb .* bookworm ' /etc/apt/sources.list | head -n1 \
      | sed -E 's/ bookworm / trixie /' > /etc/apt/sources.list.d/goshfile-trixie.list
    trixie_list=/etc/apt/sources.list.d/goshfile-trixie.list
  fi
  [ -s "$trixie_list" ] || { log "could not derive a trixie apt source from this machine's"; exit 1; }
  cat > /etc/apt/preferences.d/goshfile-trixie <<'PIN'
Package: *
Pin: release n=trixie
Pin-Priority: 100
PIN
fi

log "installing ${need[*]}"
apt-get update -qq || log "apt-get update reported errors (unreachable extra sources are fine)"
engine=() rest=()
for p in "${need[@]}"; do
  case "$p" in docker.io|docker-buildx|cosign|oras) engine+=("$p");; *) rest+=("$p");; esac
done
if [ ${#rest[@]} -gt 0 ]; then
  apt-get install -y -qq --no-install-recommends "${rest[@]}"
fi
if [ ${#engine[@]} -gt 0 ]; then
  # Name the release per package so that only what the engine needs comes
  # from trixie; fall back to trixie as target release if apt cannot solve it.
  apt-get install -y -qq --no-install-recommends "${engine[@]/%//trixie}" \
    || apt-get install -y -qq --no-install-recommends -t trixie "${engine[@]}"
fi
log "system packages installed"
