#!/usr/bin/env bash
# Connection exhaustion against a real ztserver, in private namespaces (root; CI runs as root):
# from 127.0.0.2, 5,000 half-open connections (a ClientHello then silence, and silent TCP) to
# each of DoT and the router's tunnel listener and 2,000 silent connections to the API, while an
# agent on 127.0.0.1 keeps resolving through DoT and psql keeps reaching PostgreSQL through the
# tunnel; every held connection must be closed within the handshake timeout and the server's
# descriptors must come back to their baseline. Then one enrolled client pipelines 500,000
# queries for a 3 KB TXT answer over DoT and reads nothing: the server's RSS must stay bounded.
# Same setup as router-namespace.sh (server, PostgreSQL behind a service agent, psql through
# the client agent's intercept), reduced to what this needs.
#       admission-exhaustion.sh ZTSERVER ZTAGENT
# Prints "ok: <check>" and "measured: ..." lines and PASS at the end; a failure prints FAIL.
set -euo pipefail
fail() {
  echo "FAIL: $*"
  for f in "${WORK:-/nonexistent}"/*.log; do [ -f "$f" ] && { echo "== $f"; tail -25 "$f"; }; done
  exit 1
}
ok() { echo "ok: $*"; }
HERE="$(cd "$(dirname "$0")" && pwd)"
if [ "${1:-}" != "--inside" ]; then
  [ "$(id -u)" -eq 0 ] || fail "needs root (network and mount namespaces); CI runs as root"
  for tool in unshare ip dig psql python3 runuser curl; do
    command -v "$tool" >/dev/null || fail "$tool is missing (scripts/install-deps.sh installs it)"
  done
  PGBIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
  [ -x "$PGBIN/pg_ctl" ] || fail "PostgreSQL server binaries missing (scripts/install-deps.sh installs postgresql)"
  exec unshare -n -m "$0" --inside "$@"
fi
shift
S="$1"; A="$2"
PGBIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
WORK="$(mktemp -d /tmp/zt-admission.XXXXXX)"
chmod 755 "$WORK"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for d in "$WORK"/pg*; do [ -d "$d" ] && runuser -u postgres -- "$PGBIN/pg_ctl" -D "$d" -m immediate stop >/dev/null 2>&1 || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
wait_for() {  # wait_for SECONDS DESCRIPTION COMMAND...
  local seconds="$1" what="$2"; shift 2
  for _ in $(seq $((seconds * 10))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  fail "timed out waiting for $what"
}
# The flood holds 12,000 sockets at once (the server closes most of them at once).
HARD="$(ulimit -Hn)"
[ "$HARD" = unlimited ] || [ "$HARD" -ge 14000 ] || fail "the hard descriptor limit ($HARD) is below the 14,000 the flood needs"
ulimit -Sn "$([ "$HARD" = unlimited ] && echo 65536 || echo $((HARD < 65536 ? HARD : 65536)))"
ip link set lo up
mount --make-rprivate /
printf 'nameserver 127.0.0.1\noptions timeout:2 attempts:1\n' >"$WORK/resolv.conf"
mount --bind "$WORK/resolv.conf" /etc/resolv.conf

HANDSHAKE_TIMEOUT=3
# ---- server
SV="$WORK/server"
"$S" init --state "$SV" --server-name ztserver.test --router-address 127.0.0.1 \
  --dot-listen 127.0.0.1:853 --api-listen 127.0.0.1:5001 --tunnel-listen 127.0.0.1:8443 >/dev/null
BIG="$(python3 -c 'print(" ".join("\"" + chr(97 + i) * 250 + "\"" for i in range(12)))')"
"$S" zone add svc.corp.test --state "$SV" --service-cn s-direct --allow c-app --record "big TXT $BIG" >/dev/null
for n in c-app; do "$S" token create --state "$SV" --name "$n" --kind client >"$WORK/$n.token"; done
"$S" token create --state "$SV" --name s-direct --kind service >"$WORK/s-direct.token"
python3 - "$SV/server.json" "$HANDSHAKE_TIMEOUT" <<'PY'
import json, sys
path, timeout = sys.argv[1], float(sys.argv[2])
settings = json.load(open(path))
settings["handshakeTimeoutSeconds"] = timeout
# The backend runs on loopback in this namespace.
settings["serviceBackendAllowNetworks"] = ["127.0.0.0/8"]
json.dump(settings, open(path, "w"), indent=2)
PY
# Started with the kernel's usual soft limit of 1024: the server raises it itself.
(ulimit -Sn 1024; exec "$S" run --state "$SV" --metrics-listen 127.0.0.1:9154) >"$WORK/server.out" 2>"$WORK/server.log" &
SERVER_PID=$!
pids+=($SERVER_PID)
wait_for 20 "the server" grep -q "ztserver listening" "$WORK/server.out"
SOFT="$(awk '/Max open files/ { print $4 }' "/proc/$SERVER_PID/limits")"
[ "$SOFT" -gt 1024 ] || fail "ztserver did not raise its descriptor limit (soft limit $SOFT)"
ok "ztserver raised its soft descriptor limit to $SOFT"

# ---- PostgreSQL behind a service agent, psql through the client agent
install -d -o postgres -m 700 "$WORK/pg1"
runuser -u postgres -- "$PGBIN/initdb" -D "$WORK/pg1" -A trust -U postgres >/dev/null
runuser -u postgres -- "$PGBIN/pg_ctl" -D "$WORK/pg1" -l "$WORK/pg1/server.log" -w -t 30 \
  -o "-c listen_addresses=127.0.0.1 -p 15432 -k $WORK/pg1 -c fsync=off" start >/dev/null || fail "postgres did not start"
start_agent() {  # start_agent NAME LISTEN
  "$A" enroll --token "$WORK/$1.token" --state "$WORK/$1" >/dev/null || fail "enroll $1 failed"
  "$A" run --state "$WORK/$1" --listen "$2" >"$WORK/$1.out" 2>"$WORK/$1.log" &
  pids+=($!)
  wait_for 20 "agent $1" grep -q "ztagent listening" "$WORK/$1.out"
}
start_agent c-app 127.0.0.1:53
start_agent s-direct 127.0.0.3:53
"$A" service add --state "$WORK/s-direct" --name db --domain db.svc.corp.test --target 127.0.0.1:15432 --port 5432 >/dev/null || fail "service add db"
"$A" config refresh --state "$WORK/c-app" >/dev/null
intercepting() { "$A" status --state "$WORK/c-app" --json | python3 -c "
import json,sys; d=json.load(sys.stdin); sys.exit(0 if 'db.svc.corp.test' in d.get('intercept',{}).get('listeners',{}) else 1)"; }
wait_for 20 "the client agent's intercept listener" intercepting
export PGCONNECT_TIMEOUT=10
psql_42() { [ "$(psql -h db.svc.corp.test -p 5432 -U postgres -d postgres -tAc 'select 40 + 2' 2>&1)" = 42 ]; }
# A name nobody asked before, so the stub's cache cannot answer it: the answer crosses DoT.
dns_fresh() { dig @127.0.0.1 "n$RANDOM$RANDOM.svc.corp.test" A +time=3 +tries=1 | grep -q "status: NXDOMAIN"; }
psql_42 || fail "psql does not work before the flood"
dns_fresh || fail "DNS does not work before the flood"
ok "psql through the tunnel and DNS through DoT work"

descriptors() { ls "/proc/$SERVER_PID/fd" | wc -l; }
sleep 1
BASELINE="$(descriptors)"

# ---- the flood, while the legitimate agent keeps working
( end=$((SECONDS + 22))
  while [ $SECONDS -lt $end ]; do
    if dns_fresh; then echo "dns ok"; else echo "dns FAILED at $SECONDS"; fi
    if psql_42; then echo "psql ok"; else echo "psql FAILED at $SECONDS"; fi
    sleep 0.3
  done ) >"$WORK/legitimate.txt" 2>&1 &
LEGIT=$!
python3 "$HERE/admission-flood.py" 127.0.0.2 $((HANDSHAKE_TIMEOUT * 4 + 6)) \
  dot-hello=127.0.0.1:853:hello:2500 dot-silent=127.0.0.1:853:silent:2500 \
  tunnel-hello=127.0.0.1:8443:hello:2500 tunnel-silent=127.0.0.1:8443:silent:2500 \
  api-silent=127.0.0.1:5001:silent:2000 >"$WORK/flood.json" 2>"$WORK/flood.log" || fail "the flood script failed"
wait "$LEGIT" || true
sed "s/^/measured: /" "$WORK/flood.json"
python3 - "$WORK/flood.json" "$HANDSHAKE_TIMEOUT" <<'PY' || fail "a flood connection was held too long or never closed"
import json, sys
timeout = float(sys.argv[2])
bad = False
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["opened"] + r["connect_failed"] == 0 or r["still_open"] or r["max_held_seconds"] > timeout + 2:
        print("too long:", r); bad = True
    if r["closed_later"] == 0:
        print("none held until the deadline (the test would not see a missing timeout):", r); bad = True
sys.exit(1 if bad else 0)
PY
ok "every flood connection was closed, none held longer than the ${HANDSHAKE_TIMEOUT} s timeout + 2 s (accept queue under the flood)"
DNS_OK="$(grep -c "^dns ok" "$WORK/legitimate.txt" || true)"; PSQL_OK="$(grep -c "^psql ok" "$WORK/legitimate.txt" || true)"
grep FAILED "$WORK/legitimate.txt" && fail "the legitimate agent failed during the flood"
[ "$DNS_OK" -ge 5 ] && [ "$PSQL_OK" -ge 5 ] || fail "too few legitimate queries ran ($DNS_OK DNS, $PSQL_OK psql)"
ok "during the flood: $DNS_OK DNS answers through DoT and $PSQL_OK psql queries through the tunnel, none failed"
sleep 1
AFTER="$(descriptors)"
echo "measured: server descriptors: $BASELINE before, $AFTER after"
[ "$AFTER" -le $((BASELINE + 4)) ] || fail "the server holds $AFTER descriptors, $BASELINE before the flood"
ok "the server's descriptors came back to baseline ($BASELINE -> $AFTER)"
METRICS="$(curl -s --max-time 5 http://127.0.0.1:9154/metrics)"
for sample in 'listener="dot",reason="source_limit"' 'listener="dot",reason="handshake_timeout"' \
  'listener="tunnel",reason="source_limit"' 'listener="api",reason="handshake_timeout"'; do
  echo "$METRICS" | awk -v k="ztserver_connection_admission_refusals_total{$sample}" '$1 == k && $2 > 0 { found = 1 } END { exit !found }' \
    || fail "metrics do not count $sample"
done
grep -q "connection closed before it was served" "$WORK/server.log" || fail "no refusal was logged"
LOGGED="$(grep -c "connection closed before it was served" "$WORK/server.log")"
ok "refusals counted by listener and reason, logged rate-limited ($LOGGED lines)"

# ---- a DoT client that pipelines and never reads
rss() { awk '/VmRSS/ { print $2 }' "/proc/$SERVER_PID/status"; }
RSS_BEFORE="$(rss)"
python3 "$HERE/dot-pipeline.py" 127.0.0.1 853 ztserver.test "$WORK/c-app/ca.pem" "$WORK/c-app/identity.pem" \
  big.svc.corp.test 500000 15 >"$WORK/pipeline.out" 2>"$WORK/pipeline.log" &
PIPE=$!
PEAK="$RSS_BEFORE"
for _ in $(seq 32); do
  sleep 0.5
  now="$(rss)"; [ "$now" -gt "$PEAK" ] && PEAK="$now"
done
wait "$PIPE" || fail "the pipelining client failed: $(cat "$WORK/pipeline.log")"
echo "measured: $(cat "$WORK/pipeline.out"); server RSS ${RSS_BEFORE} kB before, peak ${PEAK} kB"
RSS_BOUND_KB=$((150 * 1024))
[ $((PEAK - RSS_BEFORE)) -le $RSS_BOUND_KB ] || fail "server RSS grew by $(((PEAK - RSS_BEFORE) / 1024)) MB (bound 150 MB)"
dns_fresh || fail "DNS does not work after the pipelining client"
ok "a non-reading pipelining DoT client grew the server's RSS by $(((PEAK - RSS_BEFORE) / 1024)) MB (bound 150 MB)"
echo PASS
