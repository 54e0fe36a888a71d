#!/bin/bash
# The runs of BENCHMARKS.md "The cluster (issue 17)", in the order they were made:
#
#   tools/load/cluster-bench.sh offer|commands|fanout|failover|all
#
# Needs tools/load/cluster.sh `config 1000 20 3000` and `nats-start` done (nodes 1-3 and the
# single server are started and stopped here as each step needs). Each run's JSON line goes to
# $DIR/out/NAME.json, its table to NAME.err. The single server (the embedded journal, fsync
# always) and the three-node cluster run back to back, one after the other and then in the
# other order, with only the side measured running (the NATS servers run throughout).
set -euo pipefail
here=$(dirname "$0")
C=$here/cluster.sh
DIR=${DIR:-/tmp/acdhub-load-cluster}
LOAD=${LOAD:-target/release/acdhub-load}
OUT=$DIR/out
mkdir -p "$OUT"
NODES="--url ws://127.0.0.1:30081/ws --url ws://127.0.0.1:30082/ws --url ws://127.0.0.1:30083/ws"
SINGLE="--url ws://127.0.0.1:30080/ws"

cluster_up() {
  "$C" single-stop
  for i in 1 2 3; do [ -f "$DIR/node$i.pid" ] || "$C" node-start "$i" >&2; done
  # The PBX's node first, then the other nodes, then the NATS servers.
  PIDS=$(for n in node1 node2 node3 nats1 nats2 nats3; do echo "--server-pid $("$C" pid $n)"; done)
  for n in node1 node2 node3 nats1 nats2 nats3; do echo "$n $("$C" pid $n)"; done >> "$OUT/pids.txt"
  sleep 3
}
single_up() {
  for i in 1 2 3; do "$C" node-stop "$i"; done
  [ -f "$DIR/single.pid" ] || "$C" single-start >&2
  PIDS="--server-pid $("$C" pid single)"
  echo "single $("$C" pid single)" >> "$OUT/pids.txt"
  sleep 3
}
run() { # NAME ARGS...: one run of the load tool
  local name=$1
  shift
  echo "$(date -u +%T) $name" >&2
  "$LOAD" "$@" > "$OUT/$name.json" 2> "$OUT/$name.err"
}

offer() {
  local common="--agents 1000 --rate 200 --seconds 30 --warmup 5"
  single_up; run offer-single-1 agents $SINGLE $common --token-cache "$DIR/tokens-single.json" $PIDS
  cluster_up; run offer-cluster-1 agents $NODES $common --token-cache "$DIR/tokens-cluster.json" $PIDS
  sleep 5; run offer-cluster-2 agents $NODES $common --token-cache "$DIR/tokens-cluster.json" $PIDS
  single_up; run offer-single-2 agents $SINGLE $common --token-cache "$DIR/tokens-single.json" $PIDS
}

commands() {
  local common="--seconds 20 --warmup 3"
  single_up
  run commands-single-100-1 commands $SINGLE --agents 100 $common --token-cache "$DIR/tokens-single.json" $PIDS
  run commands-single-500-1 commands $SINGLE --agents 500 $common --token-cache "$DIR/tokens-single.json" $PIDS
  cluster_up
  run commands-cluster-100-1 commands $NODES --agents 100 $common --token-cache "$DIR/tokens-cluster.json" $PIDS
  run commands-cluster-500-1 commands $NODES --agents 500 $common --token-cache "$DIR/tokens-cluster.json" $PIDS
  run commands-cluster-500-2 commands $NODES --agents 500 $common --token-cache "$DIR/tokens-cluster.json" $PIDS
  run commands-cluster-100-2 commands $NODES --agents 100 $common --token-cache "$DIR/tokens-cluster.json" $PIDS
  single_up
  run commands-single-500-2 commands $SINGLE --agents 500 $common --token-cache "$DIR/tokens-single.json" $PIDS
  run commands-single-100-2 commands $SINGLE --agents 100 $common --token-cache "$DIR/tokens-single.json" $PIDS
}

fanout() {
  # 3,000 wallboards on node 1 alone, or 1,000 on each node; the PBX on node 1 either way.
  local common="--subscribers 3000 --queues 4 --rate 200 --seconds 20 --warmup 3"
  cluster_up
  run fanout-spread-1 wallboards $NODES $common $PIDS
  run fanout-one-1 wallboards --url ws://127.0.0.1:30081/ws $common $PIDS
  run fanout-one-2 wallboards --url ws://127.0.0.1:30081/ws $common $PIDS
  run fanout-spread-2 wallboards $NODES $common $PIDS
}

failover() {
  cluster_up
  DIR=$DIR LOAD=$LOAD "$here/failover.sh" 12 100 "$OUT/failover-100.jsonl" 2> "$OUT/failover-100.err" \
    > "$OUT/failover-100.summary.json"
  DIR=$DIR LOAD=$LOAD "$here/failover.sh" 10 1000 "$OUT/failover-1000.jsonl" 2> "$OUT/failover-1000.err" \
    > "$OUT/failover-1000.summary.json"
}

case "${1:-}" in
  offer | commands | fanout | failover) "$1" ;;
  all) offer; commands; fanout; failover ;;
  *) sed -n '2,10p' "$0"; exit 2 ;;
esac
