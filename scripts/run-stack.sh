#!/usr/bin/env bash
# Starts a working local stack and leaves it running until Ctrl-C:
#   - ztserver with a fresh P-256 CA, DoT with mutual TLS on 127.0.0.1:8853,
#     a sample private zone (internal.corp) and one the agent may not see (secret.corp);
#     public names go to $ZT_UPSTREAM (IP:PORT) or, by default, to a local dnsmasq that knows
#     www.example.test and forwards nowhere (the demo sends nothing off this host);
#   - ztagent enrolled with a one-time token (it pins the CA, makes its key here, gets its
#     certificate and signed config from the enrollment API on 127.0.0.1:5001), its stub on
#     127.0.0.1:53 when run as root and the port is free, else 127.0.0.1:5300.
# Everything lives in .run/ (or $ZT_RUN_DIR). Installs what it needs first.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

scripts/install-deps.sh
swift build
BIN="$(swift build --show-bin-path)"

RUN="${ZT_RUN_DIR:-$ROOT/.run}"
DOT="${ZT_DOT_LISTEN:-127.0.0.1:8853}"
API="${ZT_API_LISTEN:-127.0.0.1:5001}"
rm -rf "$RUN"
mkdir -p "$RUN"
chmod 700 "$RUN"

# Public names go to ZT_UPSTREAM (IP:PORT of a resolver you choose) when set. Otherwise a local
# dnsmasq plays the public upstream (it answers www.example.test and forwards nowhere), so the
# demo stack never sends a query off this host.
pids=()
if [ -n "${ZT_UPSTREAM:-}" ]; then
  UPSTREAM="$ZT_UPSTREAM"
else
  UPSTREAM="127.0.0.1:5399"
  dnsmasq -k -p 5399 --listen-address=127.0.0.1 --bind-interfaces --no-resolv --no-hosts \
    --address=/example.test/192.0.2.10 --log-facility="$RUN/dnsmasq.log" &
  pids+=($!)
fi
UPSTREAM_ARGS=(--upstream dns --upstream-server "$UPSTREAM")

"$BIN/ztserver" init --state "$RUN/server" --server-name ztserver.local --router-address 127.0.0.1 \
  --dot-listen "$DOT" --api-listen "$API" "${UPSTREAM_ARGS[@]}"
"$BIN/ztserver" zone add internal.corp --state "$RUN/server" \
  --record "@ A 127.0.0.1" --record "db A 127.0.0.1" --record "www CNAME db" \
  --record "@ TXT \"private zone served by ztserver\"" --allow laptop
"$BIN/ztserver" zone add secret.corp --state "$RUN/server" --allow someone-else
"$BIN/ztserver" token create --name laptop --state "$RUN/server" >"$RUN/laptop.token"

cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

wait_for_line() {  # file prefix
  for _ in $(seq 1 100); do
    if grep -q "^$2" "$1" 2>/dev/null; then grep "^$2" "$1" | head -1; return 0; fi
    sleep 0.1
  done
  echo "run-stack: timed out waiting for '$2' in $1" >&2
  return 1
}

"$BIN/ztserver" run --state "$RUN/server" >"$RUN/server.out" 2>"$RUN/server.log" &
pids+=($!)
wait_for_line "$RUN/server.out" "ztserver listening" || { cat "$RUN/server.log" >&2; exit 1; }

"$BIN/ztagent" enroll --token "$RUN/laptop.token" --state "$RUN/agent"

start_agent() {  # listen
  : >"$RUN/agent.out"
  "$BIN/ztagent" run --state "$RUN/agent" --listen "$1" >"$RUN/agent.out" 2>"$RUN/agent.log" &
  agent_pid=$!
  wait_for_line "$RUN/agent.out" "ztagent listening" >/dev/null 2>&1
}

PORT=5300
if [ "$(id -u)" -eq 0 ] && start_agent "127.0.0.1:53"; then
  PORT=53
else
  kill "${agent_pid:-0}" 2>/dev/null || true
  start_agent "127.0.0.1:$PORT" || { cat "$RUN/agent.log" >&2; exit 1; }
fi
pids+=("$agent_pid")

cat <<EOT

ztserver: DoT (mutual TLS) on $DOT, enrollment API on https://$API, state in $RUN/server, log $RUN/server.log
ztagent:  enrolled as 'laptop' with a one-time token (state in $RUN/agent), stub on 127.0.0.1:$PORT
          (UDP and TCP), log $RUN/agent.log; it renews its certificate and refreshes its signed config itself

Try:
  dig @127.0.0.1 -p $PORT db.internal.corp          # private answer: 127.0.0.1
  dig @127.0.0.1 -p $PORT www.internal.corp +tcp    # CNAME inside the zone, over TCP
  dig @127.0.0.1 -p $PORT x.secret.corp             # NXDOMAIN: laptop may not see secret.corp
  dig @127.0.0.1 -p $PORT www.example.test          # public name, forwarded by the server to $UPSTREAM

The server answers DoT clients that present a certificate from its CA:
  kdig @${DOT%:*} -p ${DOT##*:} +tls +tls-ca=$RUN/agent/ca.pem +tls-hostname=ztserver.local \\
       +tls-certfile=$RUN/agent/identity.pem +tls-keyfile=$RUN/agent/identity.pem db.internal.corp

Identity: 'ztserver endpoint list --state $RUN/server', 'ztserver endpoint revoke laptop --state $RUN/server'
(private answers stop within a second), 'ztagent renew --state $RUN/agent'.

Ctrl-C stops both.
EOT
wait
