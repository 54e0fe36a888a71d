#!/bin/bash
# Failover time over repeated kills (BENCHMARKS.md, "The cluster (issue 17)"):
#
#   tools/load/failover.sh ROUNDS AGENTS [OUT.jsonl]
#
# With the three NATS servers and acdhub nodes 1-3 of tools/load/cluster.sh running (`config`,
# `nats-start`, `node-start 1/2/3`), each round signs AGENTS agents in at one node (node 1, 2,
# 3, 1, ... in turn), kills that node with SIGKILL (`acdhub-load failover` does the kill, so the
# instant is on its clock), times each agent until it is signed in again at another node with
# its token, then starts the killed node again and waits for its /readyz before the next round.
# Each round's JSON line goes to OUT (default $DIR/failover.jsonl); at the end the samples of
# every round together give the p50, p99 and max (nearest rank, exact: the raw samples).
set -euo pipefail
here=$(dirname "$0")
ROUNDS=${1:?rounds}
AGENTS=${2:?agents}
DIR=${DIR:-/tmp/acdhub-load-cluster}
OUT=${3:-$DIR/failover.jsonl}
LOAD=${LOAD:-target/release/acdhub-load}
WS_PORT=${WS_PORT:-30080}
SETTLE=${SETTLE:-3}
url() { echo "ws://127.0.0.1:$((WS_PORT + $1))/ws"; }

: > "$OUT"
for round in $(seq 1 "$ROUNDS"); do
  victim=$(((round - 1) % 3 + 1))
  a=$((victim % 3 + 1))
  b=$((a % 3 + 1))
  echo "round $round: kill node$victim, agents move to node$a and node$b" >&2
  "$LOAD" failover --url "$(url "$victim")" --url "$(url "$a")" --url "$(url "$b")" \
    --kill-pid "$("$here/cluster.sh" pid "node$victim")" --agents "$AGENTS" \
    --token-cache "$DIR/tokens.json" >> "$OUT"
  "$here/cluster.sh" node-start "$victim" >&2
  sleep "$SETTLE"
done

python3 - "$OUT" <<'PY'
import json, math, sys
runs = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
samples = sorted(s for run in runs for s in run["figures"]["live_after_kill_samples_ms"])
def rank(p):
    return samples[max(1, math.ceil(p / 100 * len(samples))) - 1]
agents = sum(run["parameters"]["agents"] for run in runs)
print(json.dumps({
    "rounds": len(runs), "agents_per_round": runs[0]["parameters"]["agents"],
    "samples": len(samples), "agents_not_live_again": agents - len(samples),
    "live_after_kill_ms": {"p50": rank(50), "p90": rank(90), "p99": rank(99),
                           "max": samples[-1], "min": samples[0]},
    "per_round_p50_ms": [run["figures"]["live_after_kill"]["p50_ms"] for run in runs],
    "per_round_max_ms": [run["figures"]["live_after_kill"]["max_ms"] for run in runs],
    "drop_seen_p99_ms": [run["figures"]["drop_seen_after_kill"]["p99_ms"] for run in runs],
    "ready_answered_p50_ms": [run["figures"]["ready_answered_after_kill"]["p50_ms"] for run in runs],
    "failures": [f for run in runs for f in run["figures"]["failures"]],
    "load_average_before": [run["load_average_before"][0] for run in runs],
}))
PY
