#!/usr/bin/env bash
# scripts/install-docker.sh — makes a Docker engine available for the chaos harness (chaos/).
# Installs docker.io, iptables and busybox-static from Debian when missing, starts dockerd in the
# background when it is not answering, and waits (bounded) until `docker info` answers.
# Idempotent: prints one line and exits 0 when the engine is already up. Needs root (or sudo).
set -euo pipefail
waitSec="${KEEL_DOCKER_WAIT_SEC:-60}"
log="${KEEL_DOCKERD_LOG:-/tmp/keel-dockerd.log}"

if docker info >/dev/null 2>&1; then
  echo "install-docker: docker engine already running" >&2
  exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "install-docker: needs root or sudo" >&2; exit 1; }
  sudo="sudo"
fi
need=()
command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
command -v iptables >/dev/null 2>&1 || need+=(iptables)
[ -x /bin/busybox ] || need+=(busybox-static)
if [ ${#need[@]} -gt 0 ]; then
  echo "install-docker: installing ${need[*]} ..." >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
if ! pgrep -x dockerd >/dev/null 2>&1; then
  echo "install-docker: starting dockerd (log: $log) ..." >&2
  $sudo sh -c "nohup dockerd >'$log' 2>&1 &"
fi
for _ in $(seq 1 "$waitSec"); do
  if docker info >/dev/null 2>&1; then
    echo "install-docker: docker engine is up" >&2
    exit 0
  fi
  sleep 1
done
echo "install-docker: docker did not answer within ${waitSec}s; see $log" >&2
exit 1
