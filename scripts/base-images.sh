#!/usr/bin/env bash
# Offline path: make the base images goshfile needs from Debian packages on this
# machine, with no registry pull. Each image is made only when absent.
#   bash:latest                  busybox-static + bash-static at /usr/local/bin/bash
#   goshfile/python-base:bookworm  Debian bookworm minbase rootfs with python3 (debootstrap)
# and, for the two-platform tests, Debian's busybox-static package of a second architecture
# (arm64 on amd64), downloaded into $GOSHFILE_STATE/debs (unpacked by the tests, never run).
# Online, both come from Docker Hub instead (`docker pull bash`, python:3.11-slim);
# see README "Offline set-up".
set -euo pipefail

state=${GOSHFILE_STATE:-/var/lib/goshfile-dev}
log() { printf 'goshfile setup: %s\n' "$*" >&2; }
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
have_image() { docker image inspect "$1" >/dev/null 2>&1; }
PATH_ENV='PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

make_bash_image() {
  local root
  root=$(mktemp -d)
  trap 'rm -rf "$root"' RETURN
  mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,usr/local/bin,tmp,etc,root}
  chmod 1777 "$root/tmp"
  cp /bin/busybox "$root/bin/busybox"
  # One symlink per applet, as busybox --install -s would make.
  for applet in $(/bin/busybox --list-full); do
    [ -e "$root/$applet" ] || ln -s /bin/busybox "$root/$applet"
  done
  cp /bin/bash-static "$root/usr/local/bin/bash"
  printf 'root:x:0:0:root:/root:/usr/local/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
  tar -C "$root" --numeric-owner -c . | docker import \
    -c "ENV $PATH_ENV" -c 'CMD ["bash"]' -m 'goshfile offline bash image' - bash:latest >/dev/null
}

make_python_base() {
  local root mirror
  root=$(mktemp -d)
  trap 'rm -rf "$root"' RETURN
  mirror=$(debian_mirror)
  [ -n "$mirror" ] || { log "no Debian mirror in this machine's apt sources"; return 1; }
  log "debootstrap bookworm minbase + python3 (about a minute)"
  debootstrap --variant=minbase --include=python3-minimal,libpython3.11-stdlib \
    bookworm "$root" "$mirror" >"$state/debootstrap.log" 2>&1 \
    || { tail -n 20 "$state/debootstrap.log" >&2; return 1; }
  # Trim what a frontend never needs: docs, locales, apt lists and caches.
  rm -rf "$root"/usr/share/{doc,man,info,locale} "$root"/var/lib/apt/lists/* \
         "$root"/var/cache/apt/* "$root"/var/log/*
  tar -C "$root" --numeric-owner -c . | docker import \
    -c "ENV $PATH_ENV" -c 'CMD ["python3"]' -m 'goshfile offline python base' - goshfile/python-base:bookworm >/dev/null
}

mkdir -p "$state"
if have_image bash:latest; then log "bash:latest present"; else log "making bash:latest"; make_bash_image; fi
if have_image goshfile/python-base:bookworm; then
  log "goshfile/python-base:bookworm present"
else
  make_python_base
fi

other_arch=arm64
[ "$(dpkg --print-architecture)" = amd64 ] || other_arch=amd64
if ls "$state"/debs/busybox-static_*_"$other_arch".deb >/dev/null 2>&1; then
  log "busybox-static:$other_arch present"
else
  log "downloading busybox-static:$other_arch (for two-platform images)"
  mkdir -p "$state/debs"
  (cd "$state/debs" && apt-get download -qq "busybox-static:$other_arch") \
    || { log "could not download busybox-static:$other_arch (scripts/install-system.sh adds its package lists)"; exit 1; }
fi
