#!/usr/bin/env bash
# A private Docker daemon for the container tests (tests/FedMesh.Containers.Tests), inside its own network namespace:
#   tests/docker/dockerd-netns.sh start   → prints the DOCKER_HOST to use; run the tests with
#                                            nsenter --net=/run/netns/$NETNS (the containers' bridge lives there)
#   tests/docker/dockerd-netns.sh stop    → stops that daemon and removes the namespace (its images are kept in
#                                            $DATA_ROOT so the next run does not rebuild from nothing)
# Why a namespace: dockerd rewrites iptables and adds bridges; in a namespace it touches nothing of the host's
# network. `nsenter --net=` (not `ip netns exec`, which remounts /sys and hides the cgroup hierarchy dockerd needs).
# Needs root and the Debian package docker.io (20.10, API 1.41).
set -euo pipefail

NETNS=${FEDMESH_DOCKER_NETNS:-fedmesh-docker}
RUN_DIR=${FEDMESH_DOCKER_RUN:-/run/fedmesh-docker}
DATA_ROOT=${FEDMESH_DOCKER_DATA:-/var/lib/fedmesh-docker}
SOCKET="$RUN_DIR/docker.sock"

start() {
  [ "$(id -u)" = 0 ] || { echo "dockerd-netns: needs root" >&2; exit 1; }
  command -v dockerd >/dev/null || { echo "dockerd-netns: dockerd not installed (Debian package docker.io)" >&2; exit 1; }
  mkdir -p "$RUN_DIR" "$DATA_ROOT"
  if [ -S "$SOCKET" ] && [ -f "$RUN_DIR/dockerd.pid" ] && kill -0 "$(cat "$RUN_DIR/dockerd.pid")" 2>/dev/null; then
    echo "unix://$SOCKET"
    return
  fi
  [ -e "/run/netns/$NETNS" ] || ip netns add "$NETNS"
  ip -n "$NETNS" link set lo up
  # Its own containerd, exec root and pid file, so it never meets a host dockerd.
  nsenter --net="/run/netns/$NETNS" dockerd \
    --host "unix://$SOCKET" --data-root "$DATA_ROOT" --exec-root "$RUN_DIR/exec" --pidfile "$RUN_DIR/dockerd.pid" \
    --storage-driver overlay2 >"$RUN_DIR/dockerd.log" 2>&1 &
  for _ in $(seq 1 120); do
    if DOCKER_HOST="unix://$SOCKET" DOCKER_API_VERSION=1.41 docker version >/dev/null 2>&1; then
      echo "unix://$SOCKET"
      return
    fi
    sleep 0.5
  done
  echo "dockerd-netns: dockerd did not answer within 60 s; its log:" >&2
  tail -20 "$RUN_DIR/dockerd.log" >&2
  exit 1
}

stop() {
  if [ -f "$RUN_DIR/dockerd.pid" ]; then
    pid=$(cat "$RUN_DIR/dockerd.pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  fi
  [ -e "/run/netns/$NETNS" ] && ip netns del "$NETNS" || true
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
