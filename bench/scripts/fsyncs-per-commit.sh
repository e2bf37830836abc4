#!/usr/bin/env bash
# Fsyncs per committed entry, Keel vs etcd 3.4, both as 3 members on loopback under the same put load
# (1000 clients, 100 connections, 8-byte keys over 100,000, 256-byte values). For each system in turn: start the
# cluster, warm up, read the members' Prometheus counters, measure, read them again, stop the cluster.
#
#   bash bench/scripts/fsyncs-per-commit.sh [MEASURE_SECONDS=30] [WARM_SECONDS=60]
#
# Keel: keel_wal_fsyncs_total (Raft log, every member) over the leader's keel_raft_commit_index growth; its
# RocksDB state is written without fsync (the log is the durable record). etcd: etcd_disk_wal_fsync_duration_seconds
# _count (Raft log) and etcd_disk_backend_commit_duration_seconds_count (bbolt commits, each fsync'd) over
# etcd_server_proposals_committed_total. Needs a built server jar and /usr/bin/etcd; every process it starts is
# stopped on exit.
set -euo pipefail
meas=${1:-30}
warm=${2:-60}
root=$(cd "$(dirname "$0")/../.." && pwd)
keel=$root/bin/keel
etcd=${ETCD_BIN:-/usr/bin/etcd}
dir=$(mktemp -d /tmp/keel-fsyncs.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT

# member i of a system: client 6i379/7i379, peer ..380, Keel metrics ..381 (loopback only)
port() { echo $(( $1 == 0 ? 61 : $1 == 1 ? 62 : 63 ))$2; }
cluster() {
  local ic=""
  for i in 0 1 2; do ic="$ic${ic:+,}m$i=http://127.0.0.1:$(port $i 380)"; done
  echo "$ic"
}

start() { # system
  local sys=$1 ic
  ic=$(cluster)
  for i in 0 1 2; do
    local flags=(--name m$i --data-dir $dir/$sys/m$i --listen-client-urls http://127.0.0.1:$(port $i 379)
      --advertise-client-urls http://127.0.0.1:$(port $i 379) --listen-peer-urls http://127.0.0.1:$(port $i 380)
      --initial-advertise-peer-urls http://127.0.0.1:$(port $i 380) --initial-cluster "$ic"
      --initial-cluster-token fsyncs --initial-cluster-state new)
    mkdir -p $dir/$sys
    if [ "$sys" = keel ]; then
      "$keel" server "${flags[@]}" --listen-metrics-urls http://127.0.0.1:$(port $i 381) > $dir/$sys/m$i.log 2>&1 &
    else
      "$etcd" "${flags[@]}" > $dir/$sys/m$i.log 2>&1 &
    fi
    pids+=($!)
  done
}

metrics_url() { # system member
  if [ "$1" = keel ]; then echo http://127.0.0.1:$(port $2 381)/metrics; else echo http://127.0.0.1:$(port $2 379)/metrics; fi
}

# a metric's first sample on each member, one per line
metric_values() { # system name
  for i in 0 1 2; do
    curl -sf "$(metrics_url $1 $i)" | awk -v n="$2" '$1 == n { printf "%.0f\n", $2; exit }'
  done
}
metric_sum() { metric_values "$1" "$2" | awk '{ t += $1 } END { print t + 0 }'; }
metric_max() { metric_values "$1" "$2" | awk '$1 > m { m = $1 } END { print m + 0 }'; }

await_ready() { # system
  for _ in $(seq 1 90); do
    if [ "$1" = keel ]; then
      [ "$(metric_sum keel keel_raft_is_leader)" = 1 ] && return 0
    else
      [ "$(metric_sum etcd etcd_server_is_leader)" = 1 ] && return 0
    fi
    sleep 1
  done
  echo "$1 cluster did not elect a leader; logs in $dir/$1" >&2
  exit 1
}

load() { # seconds
  "$keel" bench kv put --endpoints 127.0.0.1:61379,127.0.0.1:62379,127.0.0.1:63379 --clients 1000 --conns 100 \
    --key-space-size 100000 --val-size 256 --total 100000000 --max-seconds "$1" --no-progress
}

# "committed fsyncs backend-commits" of a system right now
counters() { # system
  if [ "$1" = keel ]; then
    echo "$(metric_max keel keel_raft_commit_index) $(metric_sum keel keel_wal_fsyncs_total) 0"
  else
    echo "$(metric_max etcd etcd_server_proposals_committed_total)" \
      "$(metric_sum etcd etcd_disk_wal_fsync_duration_seconds_count)" \
      "$(metric_sum etcd etcd_disk_backend_commit_duration_seconds_count)"
  fi
}

echo "| system | req/s | committed entries | log fsyncs (3 members) | log fsyncs per commit | backend commits (3 members) | backend commits per commit |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for sys in keel etcd; do
  start $sys
  await_ready $sys
  load "$warm" > $dir/$sys/warm.txt 2>&1
  read -r c0 f0 b0 < <(counters $sys)
  load "$meas" > $dir/$sys/measure.txt 2>&1
  read -r c1 f1 b1 < <(counters $sys)
  rate=$(awk '/Requests\/sec/ { print $2 }' $dir/$sys/measure.txt)
  awk -v s=$sys -v r="$rate" -v c=$((c1 - c0)) -v f=$((f1 - f0)) -v b=$((b1 - b0)) 'BEGIN {
    printf "| %s | %.0f | %d | %d | %.4f | %d | %.4f |\n", s, r, c, f, f / c, b, b / c }'
  cleanup
  pids=()
done
echo "(logs and load output in $dir)"
