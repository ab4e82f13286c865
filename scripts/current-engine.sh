#!/usr/bin/env bash
# Today's Docker (Debian testing's docker.io 28 with buildx and containerd) with the
# containerd image store, run in a privileged container on the host engine. Offline:
# its rootfs is made by debootstrap from this machine's own Debian mirror.
#
#   scripts/current-engine.sh start       make the image (once, a few minutes) and start the engine
#   scripts/current-engine.sh env         print `export DOCKER_HOST=...` for it (starts it if needed)
#   scripts/current-engine.sh run CMD...  run CMD inside it, with its own docker CLI and buildx 0.2x
#   scripts/current-engine.sh stop        stop it (its images stay in its volumes)
#   scripts/current-engine.sh status      print its versions, or exit 1 when it is not running
#
# Example: eval "$(scripts/current-engine.sh env)"; goshfile build examples/seed -t seed:try
#
# Two engines are named here, and kept apart:
#   the host engine:    HOST_DOCKER_HOST, else DOCKER_HOST as given to this script, else the
#                       default socket; the container runs there;
#   the current engine: CURRENT_DOCKER_HOST, its socket in a folder bind-mounted from the host.
# The images goshfile needs (bash:latest, teamgosh/goshfile) move in with docker save | docker load.
set -euo pipefail
caller=$PWD
cd "$(dirname "$0")/.."
repo=$PWD
log() { printf 'goshfile current-engine: %s\n' "$*" >&2; }
source "$repo/scripts/lib.sh"

# After `eval "$(scripts/current-engine.sh env)"` DOCKER_HOST is the current engine itself, not a host.
case "${DOCKER_HOST:-}" in
  unix:///run/goshfile-current*/docker.sock)
    if [ -z "${HOST_DOCKER_HOST:-}" ]; then
      if [ "${1:-}" = env ] && docker info >/dev/null 2>&1; then echo "export DOCKER_HOST=$DOCKER_HOST"; exit 0; fi
      log "DOCKER_HOST ($DOCKER_HOST) is a current engine: give the engine it runs on as HOST_DOCKER_HOST"
      exit 2
    fi ;;
esac
HOST_DOCKER_HOST=${HOST_DOCKER_HOST:-${DOCKER_HOST:-unix:///var/run/docker.sock}}
# One current engine per host engine: the default host engine's is /run/goshfile-current.
if [ "$HOST_DOCKER_HOST" = unix:///var/run/docker.sock ]; then
  id=""
else
  id=-$(printf '%s' "$HOST_DOCKER_HOST" | sha256sum | cut -c1-8)
fi
name=goshfile-current$id
sockdir=/run/goshfile-current$id
CURRENT_DOCKER_HOST=unix://$sockdir/docker.sock
image=goshfile/current-engine:forky
state=${GOSHFILE_STATE:-/var/lib/goshfile-dev}
share=${TMPDIR:-/tmp}
# Images copied from the host engine when the current engine lacks them (every tag of a repository).
copy_repos=(${GOSHFILE_CURRENT_IMAGES:-bash:latest teamgosh/goshfile})

host_docker() { DOCKER_HOST=$HOST_DOCKER_HOST docker "$@"; }
current_docker() { DOCKER_HOST=$CURRENT_DOCKER_HOST docker "$@"; }

make_image() {
  local root mirror
  command -v debootstrap >/dev/null || { log "debootstrap is missing: run scripts/install-system.sh"; return 1; }
  mirror=$(debian_mirror)
  [ -n "$mirror" ] || { log "no Debian mirror in this machine's apt sources"; return 1; }
  mkdir -p "$state"
  if [ -n "${GOSHFILE_CURRENT_ROOTFS:-}" ]; then
    # A forky minbase rootfs already made by debootstrap (completed in place, kept).
    root=$GOSHFILE_CURRENT_ROOTFS
  else
    root=$(mktemp -d "${TMPDIR:-/var/tmp}/goshfile-current-root.XXXXXX")
  fi
  # shellcheck disable=SC2064
  trap "umount -l '$root/proc' '$root/dev' 2>/dev/null || true; [ -n '${GOSHFILE_CURRENT_ROOTFS:-}' ] || rm -rf '$root'" RETURN
  if [ -z "${GOSHFILE_CURRENT_ROOTFS:-}" ]; then
    # Bookworm's debootstrap has no script for testing (forky): sid's works for it.
    log "debootstrap forky minbase from $mirror (log: $state/current-engine-debootstrap.log; a few minutes)"
    debootstrap --variant=minbase forky "$root" "$mirror" /usr/share/debootstrap/scripts/sid \
      >"$state/current-engine-debootstrap.log" 2>&1 \
      || { tail -n 20 "$state/current-engine-debootstrap.log" >&2; return 1; }
  fi
  printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"  # no service starts in the chroot
  chmod +x "$root/usr/sbin/policy-rc.d"
  cp /etc/resolv.conf "$root/etc/resolv.conf"
  mount -t proc proc "$root/proc"
  mount --bind /dev "$root/dev"
  log "installing docker.io, docker-cli, docker-buildx, containerd, runc, iptables, tini (log: $state/current-engine-apt.log)"
  chroot "$root" env DEBIAN_FRONTEND=noninteractive sh -c \
    'apt-get -o Acquire::Check-Valid-Until=false update -qq && apt-get install -y -qq --no-install-recommends docker.io docker-cli docker-buildx containerd runc iptables iproute2 tini ca-certificates' \
    >"$state/current-engine-apt.log" 2>&1 \
    || { tail -n 20 "$state/current-engine-apt.log" >&2; return 1; }
  umount -l "$root/proc" "$root/dev"
  rm -f "$root/usr/sbin/policy-rc.d" "$root/etc/resolv.conf"
  rm -rf "$root"/usr/share/{doc,man,info,locale} "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/* "$root"/var/log/*
  cat >"$root/usr/local/bin/goshfile-current-engine" <<'ENTRY'
#!/bin/sh
# dockerd with the containerd image store; its socket in the bind-mounted folder.
# The container shares the host's network (so 127.0.0.1:5000 is the host's registry):
# its containers get a bridge of their own, no iptables rules.
set -e
bridge=$1 subnet=$2
ip link show "$bridge" >/dev/null 2>&1 || ip link add "$bridge" type bridge
ip addr show dev "$bridge" | grep -q "$subnet" || ip addr add "$subnet" dev "$bridge"
ip link set "$bridge" up
mkdir -p /etc/docker
printf '{"features": {"containerd-snapshotter": true}}\n' >/etc/docker/daemon.json
rm -f /var/run/docker.pid /run/goshfile-current/docker.sock
exec dockerd --host unix:///run/goshfile-current/docker.sock --bridge "$bridge" --iptables=false --ip6tables=false
ENTRY
  chmod +x "$root/usr/local/bin/goshfile-current-engine"
  log "importing the rootfs as $image"
  tar -C "$root" --numeric-owner -c . | host_docker import \
    -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    -c 'ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/bin/goshfile-current-engine"]' \
    -m 'goshfile current engine: Debian testing docker.io with the containerd image store' - "$image" >/dev/null
}

running() { [ "$(host_docker inspect -f '{{.State.Running}}' "$name" 2>/dev/null)" = true ]; }

start() {
  if running && current_docker info >/dev/null 2>&1; then
    copy_in
    return 0
  fi
  host_docker info >/dev/null 2>&1 || { log "the host engine ($HOST_DOCKER_HOST) does not answer: run scripts/start-services.sh"; return 1; }
  host_docker image inspect "$image" >/dev/null 2>&1 || make_image
  host_docker rm -f "$name" >/dev/null 2>&1 || true
  mkdir -p "$sockdir"
  # A bridge name (at most 15 characters) and a /24 of its own for the engine's containers.
  local n bridge
  n=$(( $(printf '%s' "$name" | cksum | cut -d' ' -f1) % 200 + 20 ))
  bridge=gcur$(printf '%s' "$name" | sha256sum | cut -c1-8)
  log "starting $name on the host engine $HOST_DOCKER_HOST"
  host_docker run -d --name "$name" --privileged --network host \
    -v "$name-docker:/var/lib/docker" -v "$name-containerd:/var/lib/containerd" \
    -v "$sockdir:/run/goshfile-current" -v "$repo:$repo" -v "$share:$share" \
    "$image" "$bridge" "10.249.$n.1/24" >/dev/null
  if ! wait_for 90 current_docker info; then
    log "the current engine did not come up; its last log lines:"
    host_docker logs --tail 20 "$name" >&2 || true
    return 1
  fi
  copy_in
  log "$(current_docker version --format 'Docker {{.Server.Version}}') at $CURRENT_DOCKER_HOST"
}

copy_in() {
  local missing=() img have mine repo
  for repo in "${copy_repos[@]}"; do
    for img in $(host_docker images --format '{{.Repository}}:{{.Tag}}' "$repo" | grep -v '<none>'); do
      # The two stores give one image different IDs: compare what the config says instead.
      have=$(current_docker image inspect -f '{{index .Config.Labels "goshfile.source-hash"}}|{{.Created}}' "$img" 2>/dev/null || true)
      mine=$(host_docker image inspect -f '{{index .Config.Labels "goshfile.source-hash"}}|{{.Created}}' "$img")
      [ "$have" = "$mine" ] || missing+=("$img")
    done
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "copying ${missing[*]} into the current engine"
  host_docker save "${missing[@]}" | current_docker load >/dev/null
}

stop() {
  if host_docker inspect "$name" >/dev/null 2>&1; then
    host_docker stop -t 20 "$name" >/dev/null && host_docker rm "$name" >/dev/null
    log "stopped $name (its volumes $name-docker and $name-containerd keep its images)"
  else
    log "$name is not running"
  fi
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case "$cmd" in
  start) start ;;
  stop) stop ;;
  env) start && echo "export DOCKER_HOST=$CURRENT_DOCKER_HOST" ;;
  status)
    running && current_docker version --format 'Docker {{.Server.Version}} (client {{.Client.Version}})' \
      && current_docker info --format 'storage driver {{.Driver}}; {{json .DriverStatus}}' ;;
  run)
    [ $# -gt 0 ] || { log "run needs a command, e.g. run docker buildx version"; exit 2; }
    start
    tty=(-i); [ -t 0 ] && [ -t 1 ] && tty=(-it)
    workdir=()
    case "$caller/" in "$repo"/*|"$share"/*) workdir=(-w "$caller") ;; esac
    exec env DOCKER_HOST="$HOST_DOCKER_HOST" docker exec "${tty[@]}" "${workdir[@]}" \
      -e DOCKER_HOST=unix:///run/goshfile-current/docker.sock "$name" "$@" ;;
  -h|--help|"") sed -n '2,18p' "$0"; [ -n "$cmd" ] ;;
  *) log "unknown command $cmd (start, stop, env, status, run CMD...)"; exit 2 ;;
esac
