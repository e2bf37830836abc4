#!/bin/sh
# keel-node-run.sh — entry point of a Keel member's container when the chaos run uses file-system faults
# (nemeses lost-writes and bitflip). Before starting the member it applies what the nemesis asked for while
# the previous incarnation ran (files in $state):
#   crash      — the member was kill -9ed as in a power loss: revert every file under /data to what the
#                ledger says was fsynced (keel-fsrevert revert), as a file system that drops unsynced data
#   flip.todo  — "<file> <offset> <bit>": save the file to flip.orig, invert that bit (keel-fsrevert flip)
#   flip.done  — a flip from an earlier start: put the saved original back (the heal)
# It then records the files present (the manifest the next revert starts from), empties the ledger and
# starts the member with the ledger shim preloaded when KEEL_FS_LEDGER=1 and the clock shim when KEEL_CLOCK_SHIFT=1. Everything it does goes to stdout
# (the container log) and to $state/actions.log.
set -u
state=/var/lib/keel-fs
mkdir -p "$state"
say() { echo "keel-node-run: $*"; echo "$(date -u +%H:%M:%S) $*" >> "$state/actions.log"; }

if [ -f "$state/crash" ]; then
  out="$(/opt/keel/keel-fsrevert revert /data "$state/ledger" "$state/manifest" 2>&1)"; rc=$?
  echo "$out" >> "$state/actions.log"
  say "lost-writes revert (exit $rc): $(echo "$out" | tail -n 1)"
  [ $rc -eq 0 ] || { say "revert failed: refusing to start"; exit 70; }
  rm -f "$state/crash"
fi
if [ -f "$state/flip.done" ]; then
  read -r file rest < "$state/flip.done"
  cp "$state/flip.orig" "$file" && rm -f "$state/flip.orig" "$state/flip.done" && say "restored $file from the copy taken before the bit flip" \
    || { say "could not restore $file"; exit 71; }
fi
if [ -f "$state/flip.todo" ]; then
  read -r file offset bit < "$state/flip.todo"
  out="$(/opt/keel/keel-fsrevert flip "$file" "$offset" "$bit" "$state/flip.orig" 2>&1)"; rc=$?
  say "bit flip (exit $rc): $out"
  mv "$state/flip.todo" "$state/flip.done"
fi
/opt/keel/keel-fsrevert manifest /data "$state/manifest" || { say "manifest failed"; exit 72; }
: > "$state/ledger"
preload=""
if [ "${KEEL_FS_LEDGER:-0}" = 1 ]; then
  preload="/opt/keel/libkeelfsledger.so"
  export KEEL_FSLEDGER_ROOT=/data KEEL_FSLEDGER_FILE="$state/ledger"
fi
if [ "${KEEL_CLOCK_SHIFT:-0}" = 1 ]; then
  # Wall clock only (libkeelclock.so, chaos/src/main/c/clockshift.c): the offset in $state/clock-offset (e.g.
  # +90s, -86400s), re-read at most every 100 ms. The monotonic clock is left alone, as a real clock step leaves it.
  echo "+0" > "$state/clock-offset"
  preload="${preload:+$preload }/opt/keel/libkeelclock.so"
  export KEEL_CLOCK_OFFSET_FILE="$state/clock-offset"
fi
[ -z "$preload" ] || export LD_PRELOAD="$preload"

exec /opt/java/bin/java -XX:+UseSerialGC -Xms64m -Xmx256m -XX:TieredStopAtLevel=1 -jar /opt/keel/keel-server.jar "$@"
