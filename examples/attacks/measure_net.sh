#!/bin/bash
# The figures of SECURITY.md, "Attacks without a password" (network layer), against one acdhub
# binary on loopback. usage: measure_net.sh BINARY CONFIG ATTACK
#   ATTACK: poll  (POST /rt/poll on one kept-alive connection for 10 s; RSS before, after, 20 s on)
#           slow  (299 bodies at 1 byte/s on /rt/send)
#           diag  (299 idle /diag/ws?idle_secs=300)
#           fds   (1200 idle connections to the metrics listener; set PREFIX="prlimit --nofile=1024:1024")
# CONFIG must serve ws on 127.0.0.1:18080 and metrics on 127.0.0.1:19464, with max_connections = 300
# and a principal a1 whose password is `secret`. During slow, diag and fds, 10 clients connect at
# once (ws, auth, ping; each stays 5 s) and print their time, or failed past 2 s.
set -u
BIN=$1; CONFIG=$2; ATTACK=$3; DATA=$(mktemp -d); HERE=$(dirname "$0")
${PREFIX:-} "$BIN" --config "$CONFIG" --data "$DATA" 2>"$DATA.log" & PID=$!
sleep 1.5
rss() { awk '/VmRSS/ {print $2/1024 " MB"}' /proc/$PID/status; }
case $ATTACK in
poll)
    echo "baseline RSS $(rss)"
    python3 "$HERE/net_attack.py" poll 127.0.0.1:18080 10
    echo "RSS at the end $(rss)"; sleep 20; echo "RSS 20 s later $(rss)" ;;
slow|diag|fds)
    PORT=18080; N=299
    if [ "$ATTACK" = fds ]; then PORT=19464; N=1200; fi
    python3 "$HERE/net_attack.py" "$ATTACK" 127.0.0.1:$PORT $N 25 & A=$!
    sleep 3
    for i in $(seq 10); do HOLD=5 timeout 60 python3 "$HERE/well_behaved.py" 127.0.0.1:18080 a1 secret 1 2 & done; wait $A
    echo "'accept failed' in the log: $(grep -c 'accept failed' "$DATA.log")" ;;
esac
curl -s -m 5 127.0.0.1:19464/metrics | grep -E '^acdhub_(http_refused|accept_errors|connections_opened)'
kill $PID; wait $PID 2>/dev/null; rm -rf "$DATA" "$DATA.log"
