#!/usr/bin/env bash
# The real agent in a private network namespace: adding and removing a veth and an address show
# up in `ztagent status` as network changes, the upstream pool reconnects, and queries in flight
# during the changes get their answers.     agent-netlink.sh ZTSERVER ZTAGENT
set -euo pipefail
fail() { echo "FAIL: $*"; for f in "${WORK:-/nonexistent}"/*.log; do [ -f "$f" ] && { echo "== $f"; tail -20 "$f"; }; done; exit 1; }
if [ "${1:-}" != "--inside" ]; then
  [ "$(id -u)" -eq 0 ] || fail "needs root (network namespaces); CI runs as root"
  for tool in unshare ip dig; do command -v "$tool" >/dev/null || fail "$tool is missing (scripts/install-deps.sh)"; done
  exec unshare -n "$0" --inside "$@"
fi
shift
S="$1"; A="$2"
WORK="$(mktemp -d /tmp/zt-agent-netlink.XXXXXX)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
ip link set lo up

# A private namespace: fixed loopback ports cannot collide with anything.
"$S" init --state "$WORK/server" --server-name ztserver.test --dot-listen 127.0.0.1:8853 --api-listen 127.0.0.1:5001 >/dev/null
records=()
for i in $(seq 1 80); do records+=(--record "n$i A 198.18.0.$i"); done
"$S" zone add corp.test --state "$WORK/server" "${records[@]}" --allow laptop >/dev/null
python3 - "$WORK/server/server.json" <<'PY'
import json, sys
p = sys.argv[1]; c = json.load(open(p)); c["privateTTL"] = 1; json.dump(c, open(p, "w"))
PY
"$S" token create --state "$WORK/server" --name laptop >"$WORK/token"
"$S" run --state "$WORK/server" >"$WORK/server.out" 2>"$WORK/server.log" &
pids+=($!)
for _ in $(seq 100); do grep -q "ztserver listening" "$WORK/server.out" && break; sleep 0.05; done
"$A" enroll --token "$WORK/token" --state "$WORK/agent" >/dev/null || fail "enroll failed"
"$A" run --state "$WORK/agent" --listen 127.0.0.1:53 >"$WORK/agent.out" 2>"$WORK/agent.log" &
pids+=($!)
for _ in $(seq 100); do grep -q "ztagent listening" "$WORK/agent.out" && break; sleep 0.05; done
grep -q "ztagent listening" "$WORK/agent.out" || fail "the agent did not start"

dig @127.0.0.1 n1.corp.test +short +time=2 +tries=1 | grep -q 198.18.0.1 || fail "no answer before the changes"
status_field() { "$A" status --state "$WORK/agent" --json | python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
[ "$(status_field 'd["network"]["changes"]')" = "0" ] || fail "changes seen before any change"
opened_before="$(status_field 'd["upstreamConnectionsOpened"]')"

# Queries in flight across the changes: 80 names, each forwarded (TTL 1), one every 50 ms.
( for round in 1 2; do for i in $(seq 1 80); do
    dig @127.0.0.1 "n$i.corp.test" +time=3 +tries=1 +noall +answer +comments >>"$WORK/digs" 2>&1 &
    sleep 0.05
  done; done; wait ) &
loader=$!
sleep 0.5
ip link add ztv0 type veth peer name ztv1
ip addr add 10.99.0.1/24 dev ztv0
ip link set ztv0 up; ip link set ztv1 up
sleep 1
ip addr del 10.99.0.1/24 dev ztv0
ip link del ztv0
wait "$loader"

changes="$(status_field 'd["network"]["changes"]')"
[ "$changes" -ge 1 ] || fail "status shows no network change"
echo "ok: status shows $changes network changes"
status_field 'd["network"]["lastChange"]' | grep -q "T" || fail "no last change time"
echo "ok: last change time"
grep -q "network changed: upstream connections renewed" "$WORK/agent.log" || fail "the pool was not reset"
# The next query opens a new connection: the pool reconnected.
dig @127.0.0.1 n2.corp.test +short +time=2 +tries=1 | grep -q 198.18.0.2 || fail "no answer after the changes"
opened_after="$(status_field 'd["upstreamConnectionsOpened"]')"
[ "$opened_after" -gt "$opened_before" ] || fail "no new upstream connection ($opened_before -> $opened_after)"
echo "ok: upstream pool reconnected ($opened_before -> $opened_after connections opened)"
answered="$(grep -c 'status: NOERROR' "$WORK/digs" || true)"
failed="$(grep -cE 'status: (SERVFAIL|REFUSED)|timed out|no servers' "$WORK/digs" || true)"
[ "$answered" -eq 160 ] && [ "$failed" -eq 0 ] || fail "queries during the changes: $answered of 160 answered, $failed failed"
echo "ok: all 160 queries in flight during the changes were answered"
