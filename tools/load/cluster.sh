#!/bin/bash
# Runs what the cluster measurements of BENCHMARKS.md ("The cluster (issue 17)") need on one
# machine: three nats-server (one JetStream cluster) and up to three acdhub nodes with the same
# configuration but for `[cluster] node`, plus a single acdhub with the embedded journal to
# compare with. Everything lives in $DIR; every process started is recorded in $DIR/*.pid.
#
#   tools/load/cluster.sh config AGENTS QUEUES [WALLBOARDS]  # node1..3.toml and single.toml
#   tools/load/cluster.sh nats-start                # three nats-server, waits for a meta leader
#   tools/load/cluster.sh node-start I              # acdhub node I (1..3), waits for /readyz
#   tools/load/cluster.sh node-kill I               # SIGKILL
#   tools/load/cluster.sh node-stop I               # SIGTERM, waits for it to end
#   tools/load/cluster.sh single-start              # acdhub with the journal (fsync always)
#   tools/load/cluster.sh single-stop
#   tools/load/cluster.sh pid NAME                  # pid of nats1..3, node1..3 or single
#   tools/load/cluster.sh stopall                   # everything above, SIGTERM
#   tools/load/cluster.sh wipe                      # stopall, then remove $DIR
#
# Ports (loopback), all overridable: NATS clients $NATS_PORT+0..2 (34222..), routes
# $ROUTE_PORT+0..2 (36222..), monitoring $NATS_HTTP_PORT+0..2 (38222..); node I serves ws on
# $WS_PORT+I (30080+I) and, with METRICS=on, metrics on $METRICS_PORT+I (39460+I); the single
# server ws on $WS_PORT (30080) and metrics on $METRICS_PORT (39460).
set -euo pipefail

DIR=${DIR:-/tmp/acdhub-load-cluster}
ACDHUB=${ACDHUB:-target/release/acdhub}
LOAD=${LOAD:-target/release/acdhub-load}
NATS_SERVER=${NATS_SERVER:-nats-server}
NATS_PORT=${NATS_PORT:-34222}
ROUTE_PORT=${ROUTE_PORT:-36222}
NATS_HTTP_PORT=${NATS_HTTP_PORT:-38222}
WS_PORT=${WS_PORT:-30080}
METRICS_PORT=${METRICS_PORT:-39460}

mkdir -p "$DIR"

wait_http() { # URL SECONDS [PID]: until it answers 200 (or PID is gone)
  local url=$1 deadline=$((SECONDS + $2)) pid=${3:-}
  until curl -fsS -o /dev/null "$url" 2>/dev/null; do
    if ((SECONDS >= deadline)); then echo "no answer from $url" >&2; return 1; fi
    if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then echo "pid $pid ended: see $DIR/*.log" >&2; return 1; fi
    sleep 0.05
  done
}

# METRICS=on serves /metrics on METRICS_PORT(+I); off by default: a port fewer for other work's
# ephemeral ports to take (a test binding port 0 took 39460 once during these runs).
metrics() { if [ "${METRICS:-off}" = on ]; then echo "127.0.0.1:$1"; else echo off; fi; }

nats_urls() {
  echo "\"nats://127.0.0.1:$NATS_PORT\", \"nats://127.0.0.1:$((NATS_PORT + 1))\", \"nats://127.0.0.1:$((NATS_PORT + 2))\""
}

config() {
  local agents=$1 queues=$2 wallboards=${3:-0}
  # One hash for every file: a token names the hash its user had, so the nodes must agree.
  local hash
  hash=$(printf %s secret | "$ACDHUB" hash-password)
  "$LOAD" config --agents "$agents" --queues "$queues" --wallboards "$wallboards" --hash "$hash" \
    --ws "127.0.0.1:$WS_PORT" --wss off --metrics "$(metrics "$METRICS_PORT")" --journal \
    > "$DIR/single.toml"
  for i in 1 2 3; do
    "$LOAD" config --agents "$agents" --queues "$queues" --wallboards "$wallboards" --hash "$hash" \
      --ws "127.0.0.1:$((WS_PORT + i))" --wss off --metrics "$(metrics $((METRICS_PORT + i)))" \
      --journal > "$DIR/node$i.toml"
    printf '\n[cluster]\nnats = [%s]\nnode = "node%s"\n' "$(nats_urls)" "$i" >> "$DIR/node$i.toml"
  done
  echo "$DIR/single.toml, $DIR/node{1,2,3}.toml: $agents agents, $queues queues"
}

nats_start() {
  for i in 0 1 2; do
    local n=$((i + 1))
    mkdir -p "$DIR/nats$n"
    cat > "$DIR/nats$n.conf" <<CONF
server_name: n$n
listen: 127.0.0.1:$((NATS_PORT + i))
http: 127.0.0.1:$((NATS_HTTP_PORT + i))
jetstream { store_dir: "$DIR/nats$n" }
cluster {
  name: acdload
  listen: 127.0.0.1:$((ROUTE_PORT + i))
  routes: [
    nats-route://127.0.0.1:$ROUTE_PORT
    nats-route://127.0.0.1:$((ROUTE_PORT + 1))
    nats-route://127.0.0.1:$((ROUTE_PORT + 2))
  ]
}
CONF
    "$NATS_SERVER" -c "$DIR/nats$n.conf" >> "$DIR/nats$n.log" 2>&1 &
    echo $! > "$DIR/nats$n.pid"
  done
  # /healthz answers 503 until JetStream has a meta leader.
  for i in 0 1 2; do wait_http "http://127.0.0.1:$((NATS_HTTP_PORT + i))/healthz" 30; done
  echo "nats: $(cat "$DIR"/nats?.pid | tr '\n' ' ')"
}

node_start() {
  local i=$1
  "$ACDHUB" --config "$DIR/node$i.toml" --data "$DIR/data$i" >> "$DIR/node$i.log" 2>&1 &
  echo $! > "$DIR/node$i.pid"
  wait_http "http://127.0.0.1:$((WS_PORT + i))/readyz" 60 "$(cat "$DIR/node$i.pid")"
  echo "node$i: pid $(cat "$DIR/node$i.pid"), ws://127.0.0.1:$((WS_PORT + i))/ws"
}

single_start() {
  "$ACDHUB" --config "$DIR/single.toml" --data "$DIR/single-data" >> "$DIR/single.log" 2>&1 &
  echo $! > "$DIR/single.pid"
  wait_http "http://127.0.0.1:$WS_PORT/readyz" 60 "$(cat "$DIR/single.pid")"
  echo "single: pid $(cat "$DIR/single.pid"), ws://127.0.0.1:$WS_PORT/ws"
}

stop() { # NAME [SIGNAL]: signals it and waits for it to end
  local file="$DIR/$1.pid" signal=${2:-TERM}
  [ -f "$file" ] || return 0
  local pid
  pid=$(cat "$file")
  kill "-$signal" "$pid" 2>/dev/null || true
  while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
  rm -f "$file"
}

case "${1:-}" in
  config) shift; config "$@" ;;
  nats-start) nats_start ;;
  node-start) node_start "$2" ;;
  node-kill) stop "node$2" KILL ;;
  node-stop) stop "node$2" ;;
  single-start) single_start ;;
  single-stop) stop single ;;
  pid) cat "$DIR/$2.pid" ;;
  stopall) for name in single node1 node2 node3 nats1 nats2 nats3; do stop "$name"; done ;;
  wipe) for name in single node1 node2 node3 nats1 nats2 nats3; do stop "$name"; done; rm -rf "$DIR" ;;
  *) sed -n '2,22p' "$0"; exit 2 ;;
esac
