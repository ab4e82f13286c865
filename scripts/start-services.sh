#!/usr/bin/env bash
# Start dockerd (embedded BuildKit) and a local OCI registry on 127.0.0.1:5000
# unless they already answer. There is no systemd on these machines, so both
# are started directly and detached; their logs go under $GOSHFILE_STATE.
set -euo pipefail

state=${GOSHFILE_STATE:-/var/lib/goshfile-dev}
mkdir -p "$state"
log() { printf 'goshfile setup: %s\n' "$*" >&2; }
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if docker info >/dev/null 2>&1; then
  log "docker engine running"
else
  [ "$(id -u)" = 0 ] || { log "starting dockerd needs root"; exit 1; }
  # A dockerd killed with the previous session leaves pid files that stop the next start.
  for pidfile in /var/run/docker.pid /var/run/docker/containerd/containerd.pid; do
    pid=$(cat "$pidfile" 2>/dev/null || true)
    case "$(ps -o stat= -p "${pid:-0}" 2>/dev/null)" in
      ""|Z*) rm -f "$pidfile" ;;  # gone, or a zombie
    esac
  done
  log "starting dockerd (log: $state/dockerd.log)"
  setsid nohup dockerd --host unix:///var/run/docker.sock >"$state/dockerd.log" 2>&1 </dev/null &
  if ! wait_for 60 docker info; then
    log "dockerd did not come up; last lines of its log:"
    tail -n 20 "$state/dockerd.log" >&2
    exit 1
  fi
fi

registry_up() { curl -fs http://127.0.0.1:5000/v2/ >/dev/null; }
if registry_up; then
  log "registry on 127.0.0.1:5000 running"
else
  cat >"$state/registry.yml" <<YML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $state/registry
  delete:
    enabled: true
http:
  addr: 127.0.0.1:5000
YML
  log "starting registry on 127.0.0.1:5000 (log: $state/registry.log)"
  setsid nohup docker-registry serve "$state/registry.yml" >"$state/registry.log" 2>&1 </dev/null &
  if ! wait_for 20 registry_up; then
    log "registry did not come up; last lines of its log:"
    tail -n 20 "$state/registry.log" >&2
    exit 1
  fi
fi
