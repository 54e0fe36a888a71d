#!/bin/bash
# Offer latency, CPU and the nodes' memory of two acdhub builds on three nodes, in the order
# A B B A, each run on a fresh NATS cluster (BENCHMARKS.md, "Sessions that resume at another
# node"):
#
#   tools/load/cluster-abba.sh BINARY_A BINARY_B
#
# Each run: cluster.sh wipe, config 1000 20 0, nats-start, node-start 1..3, then the `agents`
# run of "Offer latency at 200 calls/s". Its JSON line goes to $OUT/N-a.json or N-b.json.
set -euo pipefail
here=$(dirname "$0")
C=$here/cluster.sh
A=$1
B=$2
LOAD=${LOAD:-target/release/acdhub-load}
OUT=${OUT:-/tmp/acdhub-abba}
mkdir -p "$OUT"
NODES="--url ws://127.0.0.1:30081/ws --url ws://127.0.0.1:30082/ws --url ws://127.0.0.1:30083/ws"
n=0
for which in a b b a; do
  n=$((n + 1))
  if [ "$which" = a ]; then BIN=$A; else BIN=$B; fi
  export DIR=${DIR:-/tmp/acdhub-abba-run} ACDHUB=$BIN LOAD
  "$C" wipe > /dev/null 2>&1 || true
  "$C" config 1000 20 0 > /dev/null
  "$C" nats-start > /dev/null
  for i in 1 2 3; do "$C" node-start "$i" > /dev/null; done
  PIDS=$(for p in node1 node2 node3 nats1 nats2 nats3; do echo "--server-pid $("$C" pid $p)"; done)
  sleep 3
  echo "$(date -u +%T) run $n $which load $(cut -d' ' -f1 /proc/loadavg)" | tee -a "$OUT/log"
  # shellcheck disable=SC2086
  "$LOAD" agents $NODES --agents 1000 --rate 200 --seconds 30 --warmup 5 $PIDS \
    > "$OUT/$n-$which.json" 2> "$OUT/$n-$which.err"
  "$C" wipe > /dev/null 2>&1 || true
done
