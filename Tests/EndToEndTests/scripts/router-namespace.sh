#!/usr/bin/env bash
# The data path with real peers, in private namespaces (root; CI runs as root):
#   psql, redis-cli and curl resolve private names through the agent's stub (the namespace's own
#   /etc/resolv.conf), connect to the intercept's loopback addresses and reach PostgreSQL, Redis
#   and HTTP backends through the router's mutual-TLS tunnel; curl --resolve reaches an HTTPS
#   backend through the passthrough listener; an endpoint not allowed learns nothing; a reverse
#   service whose backends live in another network namespace works, fails cleanly when its agent
#   stops and recovers when it restarts.
#       router-namespace.sh ZTSERVER ZTAGENT
# Prints "ok: <check>" per check and PASS at the end; any failure prints FAIL and the logs.
set -euo pipefail
fail() {
  echo "FAIL: $*"
  for f in "${WORK:-/nonexistent}"/*.log; do [ -f "$f" ] && { echo "== $f"; tail -25 "$f"; }; done
  exit 1
}
ok() { echo "ok: $*"; }
if [ "${1:-}" != "--inside" ]; then
  [ "$(id -u)" -eq 0 ] || fail "needs root (network and mount namespaces); CI runs as root"
  for tool in unshare nsenter ip dig psql redis-cli redis-server curl openssl python3 runuser; do
    command -v "$tool" >/dev/null || fail "$tool is missing (scripts/install-deps.sh installs it)"
  done
  PGBIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
  [ -x "$PGBIN/pg_ctl" ] || fail "PostgreSQL server binaries missing (scripts/install-deps.sh installs postgresql)"
  id postgres >/dev/null 2>&1 || fail "no postgres user (the postgresql package creates it)"
  exec unshare -n -m "$0" --inside "$@"
fi
shift
S="$1"; A="$2"
PGBIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
WORK="$(mktemp -d /tmp/zt-router.XXXXXX)"
chmod 755 "$WORK"
pids=()
BPID=""
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for d in "$WORK"/pg*; do [ -d "$d" ] && runuser -u postgres -- "$PGBIN/pg_ctl" -D "$d" -m immediate stop >/dev/null 2>&1 || true; done
  if [ -n "$BPID" ]; then
    for d in "$WORK"/rpg*; do [ -d "$d" ] && nsenter -t "$BPID" -n runuser -u postgres -- "$PGBIN/pg_ctl" -D "$d" -m immediate stop >/dev/null 2>&1 || true; done
    # Everything still running in the backend namespace (agents, redis) goes with it.
    local inner_ns
    inner_ns="$(readlink "/proc/$BPID/ns/net" 2>/dev/null || true)"
    if [ -n "$inner_ns" ]; then
      for proc in /proc/[0-9]*; do
        [ "$(readlink "$proc/ns/net" 2>/dev/null)" = "$inner_ns" ] && kill "${proc#/proc/}" 2>/dev/null || true
      done
    fi
    kill "$BPID" 2>/dev/null || true
  fi
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
wait_for() {  # wait_for SECONDS DESCRIPTION COMMAND...
  local seconds="$1" what="$2"; shift 2
  for _ in $(seq $((seconds * 10))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  fail "timed out waiting for $what"
}

ip link set lo up
# This namespace's own resolver configuration: applications ask the agent's stub.
mount --make-rprivate /
printf 'nameserver 127.0.0.1\noptions timeout:2 attempts:1\n' >"$WORK/resolv.conf"
mount --bind "$WORK/resolv.conf" /etc/resolv.conf

# A second network namespace for the reverse service's backends: the router cannot reach it.
unshare -n sleep 100000 &
BPID=$!
sleep 0.2
ip link add zt-out type veth peer name zt-in
ip link set zt-in netns "$BPID"
ip addr add 10.77.0.1/24 dev zt-out
ip link set zt-out up
nsenter -t "$BPID" -n sh -c 'ip link set lo up && ip addr add 10.77.0.2/24 dev zt-in && ip link set zt-in up'
inner() { nsenter -t "$BPID" -n "$@"; }
inner ping -c1 -W2 10.77.0.1 >/dev/null 2>&1 || true

# ---- server
SV="$WORK/server"
"$S" init --state "$SV" --server-name ztserver.test --router-address 10.77.0.1 \
  --dot-listen 10.77.0.1:853 --api-listen 10.77.0.1:5001 --tunnel-listen 10.77.0.1:8443 --passthrough-listen 10.77.0.1:8444 >/dev/null
# The backends run on this host's loopback, which the router refuses to dial unless allowed.
python3 - "$SV/server.json" <<'PY'
import json, sys
path = sys.argv[1]
config = json.load(open(path))
config["serviceBackendAllowNetworks"] = ["127.0.0.0/8"]
json.dump(config, open(path, "w"), indent=2)
PY
"$S" zone add svc.corp.test --state "$SV" --service-cn s-direct --allow c-app >/dev/null
"$S" zone add rev.corp.test --state "$SV" --service-cn s-rev --allow c-app >/dev/null
for n in c-app c-other; do "$S" token create --state "$SV" --name "$n" --kind client >"$WORK/$n.token"; done
for n in s-direct s-rev; do "$S" token create --state "$SV" --name "$n" --kind service >"$WORK/$n.token"; done
"$S" run --state "$SV" --metrics-listen 127.0.0.1:9154 >"$WORK/server.out" 2>"$WORK/server.log" &
SERVER_PID=$!
pids+=($SERVER_PID)
wait_for 20 "the server" grep -q "ztserver listening" "$WORK/server.out"

# ---- backends in this namespace
start_postgres() {  # start_postgres DIR PORT [inner]
  local dir="$1" port="$2" run=()
  [ "${3:-}" = inner ] && run=(nsenter -t "$BPID" -n)
  install -d -o postgres -m 700 "$dir"
  runuser -u postgres -- "$PGBIN/initdb" -D "$dir" -A trust -U postgres >/dev/null
  "${run[@]}" runuser -u postgres -- "$PGBIN/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 30 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off" start >/dev/null || { cat "$dir/server.log"; fail "postgres on $port did not start"; }
}
start_postgres "$WORK/pg1" 15432
redis-server --bind 127.0.0.1 --port 16379 --save "" --appendonly no --daemonize no >"$WORK/redis1.log" 2>&1 &
pids+=($!)
mkdir -p "$WORK/www"
echo "hello through the router" >"$WORK/www/index.html"
python3 -m http.server 18080 --bind 127.0.0.1 --directory "$WORK/www" >"$WORK/http.log" 2>&1 &
pids+=($!)
# An HTTPS backend with its own CA and key; the router never sees either.
BK="$WORK/backend-keys"
mkdir -p "$BK"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj "/CN=backend test CA" \
  -keyout "$BK/ca.key" -out "$BK/ca.pem" >/dev/null 2>&1
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=secure.svc.corp.test" \
  -keyout "$BK/secure.key" -out "$BK/secure.csr" >/dev/null 2>&1
printf 'subjectAltName=DNS:secure.svc.corp.test\nextendedKeyUsage=serverAuth\n' >"$BK/ext"
openssl x509 -req -in "$BK/secure.csr" -CA "$BK/ca.pem" -CAkey "$BK/ca.key" -CAcreateserial -days 1 -extfile "$BK/ext" \
  -out "$BK/secure.pem" >/dev/null 2>&1
openssl s_server -accept 127.0.0.1:18443 -cert "$BK/secure.pem" -key "$BK/secure.key" -www -quiet >"$WORK/https.log" 2>&1 &
pids+=($!)
wait_for 10 "redis" redis-cli -h 127.0.0.1 -p 16379 ping
wait_for 10 "the http backend" curl -sf http://127.0.0.1:18080/
wait_for 10 "the https backend" bash -c "echo >/dev/tcp/127.0.0.1/18443"

# ---- agents
start_agent() {  # start_agent NAME LISTEN [inner|""] [extra run arguments...]
  local name="$1" listen="$2" run=()
  [ "${3:-}" = inner ] && run=(nsenter -t "$BPID" -n)
  shift 2; [ $# -gt 0 ] && shift
  "${run[@]}" "$A" enroll --token "$WORK/$name.token" --state "$WORK/$name" >/dev/null || fail "enroll $name failed"
  "${run[@]}" "$A" run --state "$WORK/$name" --listen "$listen" "$@" >"$WORK/$name.out" 2>"$WORK/$name.log" &
  pids+=($!)
  eval "PID_${name//-/_}=$!"
  wait_for 20 "agent $name" grep -q "ztagent listening" "$WORK/$name.out"
}
start_agent c-app 127.0.0.1:53 "" --metrics-listen 127.0.0.1:9153
start_agent c-other 127.0.0.2:53
start_agent s-direct 127.0.0.3:53

"$A" service add --state "$WORK/s-direct" --name db --domain db.svc.corp.test --target 127.0.0.1:15432 --port 5432 >/dev/null || fail "service add db"
"$A" service add --state "$WORK/s-direct" --name cache --domain cache.svc.corp.test --target 127.0.0.1:16379 --port 6379 >/dev/null || fail "service add cache"
"$A" service add --state "$WORK/s-direct" --name web --domain web.svc.corp.test --target 127.0.0.1:18080 --port 80 >/dev/null || fail "service add web"
"$S" route add --state "$SV" --name secure --service-cn s-direct --target 127.0.0.1:18443 --domain secure.svc.corp.test --passthrough >/dev/null
"$A" service list --state "$WORK/s-direct" | grep -q "^db .*db.svc.corp.test -> 127.0.0.1:15432" || fail "service list does not show db"
ok "service mode: db, cache, web registered by the service agent; service list shows them"

# A service endpoint may only claim names in zones delegated to it.
if "$A" service add --state "$WORK/s-direct" --name evil --domain db.rev.corp.test --target 127.0.0.1:1 >"$WORK/evil.out" 2>&1; then
  fail "s-direct claimed a name in rev.corp.test"
fi
grep -q "domain_not_delegated" "$WORK/evil.out" || fail "the refusal does not say why: $(cat "$WORK/evil.out")"
ok "a service endpoint cannot claim a name outside its zones (domain_not_delegated)"

# Nor aim the router at a network the operator did not allow (only 127.0.0.0/8 is).
for target in 169.254.1.1:80 "[::1]:80" 10.77.0.1:5001; do
  if "$A" service add --state "$WORK/s-direct" --name self --domain self.svc.corp.test --target "$target" >"$WORK/self.out" 2>&1; then
    fail "s-direct registered a backend at $target"
  fi
  grep -q "backend_not_allowed" "$WORK/self.out" || fail "the refusal for $target does not say why: $(cat "$WORK/self.out")"
done
ok "a service endpoint cannot aim the router at link-local, ::1 or the server's own address (backend_not_allowed)"

# The client agent learns the grants with its next config.
"$A" config refresh --state "$WORK/c-app" >/dev/null
intercepting() { "$A" status --state "$WORK/c-app" --json | python3 -c "
import json,sys; d=json.load(sys.stdin); l=d.get('intercept',{}).get('listeners',{})
sys.exit(0 if all(n in l for n in sys.argv[1:]) else 1)" "$@"; }
wait_for 20 "the client agent's intercept listeners" intercepting db.svc.corp.test cache.svc.corp.test web.svc.corp.test

# ---- DNS answers
A_DB="$(dig @127.0.0.1 db.svc.corp.test A +short +time=3 +tries=1)"
[[ "$A_DB" =~ ^127\.77\.[0-9]+\.[0-9]+$ ]] || fail "db.svc.corp.test A -> '$A_DB', wanted an address in 127.77.0.0/16"
AAAA="$(dig @127.0.0.1 db.svc.corp.test AAAA +time=3 +tries=1)"
echo "$AAAA" | grep -q "status: NOERROR" || fail "AAAA is not NOERROR: $AAAA"
[ -z "$(dig @127.0.0.1 db.svc.corp.test AAAA +short +time=3 +tries=1)" ] || fail "AAAA has an answer"
ok "db.svc.corp.test resolves to $A_DB through the stub; AAAA is NODATA"

# ---- real clients through the tunnel
export PGCONNECT_TIMEOUT=10
R="$(psql -h db.svc.corp.test -p 5432 -U postgres -d postgres -tAc "select 40 + 2, current_setting('port')" 2>&1)" || fail "psql: $R"
[ "$R" = "42|15432" ] || fail "psql answered '$R'"
ok "psql -h db.svc.corp.test: 42 from the PostgreSQL on 15432"
redis-cli -h cache.svc.corp.test -p 6379 set zt-key "routed value" >/dev/null || fail "redis-cli set"
R="$(redis-cli -h cache.svc.corp.test -p 6379 get zt-key)"
[ "$R" = "routed value" ] || fail "redis-cli get answered '$R'"
ok "redis-cli -h cache.svc.corp.test: set and get"
R="$(curl -sS --max-time 10 http://web.svc.corp.test/)" || fail "curl web: $R"
[ "$R" = "hello through the router" ] || fail "curl answered '$R'"
ok "curl http://web.svc.corp.test/: the backend's page"
grep -q "tunnel closed.*bytes_from_backend=.*cn=c-app.*service=db\|tunnel closed.*cn=c-app.*service=db" "$WORK/server.log" || \
  grep "tunnel closed" "$WORK/server.log" | grep -q "service=db" || fail "no audit line for the db tunnel"
grep "tunnel closed" "$WORK/server.log" | grep "service=db" | head -1 | grep -q "backend=127.0.0.1:15432" || fail "the audit line lacks the backend"
ok "one audit line per tunnel (CN, service, backend, bytes each way, duration)"
at_least() {  # at_least PORT SAMPLE MINIMUM: the sample's value on that metrics endpoint is >= MINIMUM
  curl -s --max-time 5 "http://127.0.0.1:$1/metrics" | awk -v k="$2" -v m="$3" '$1 == k { found = 1; if ($2 + 0 >= m) ok = 1 } END { exit !(found && ok) }'
}
at_least 9154 'ztserver_router_connections_total{service="db"}' 1 || fail "server metrics: no db connections counted"
at_least 9154 'ztserver_router_bytes_total{service="cache",direction="from_backend"}' 1 || fail "server metrics: no cache bytes counted"
at_least 9153 'ztagent_intercept_connections_total' 3 || fail "agent metrics: intercepted connections not counted"
at_least 9153 'ztagent_intercept_listeners' 3 || fail "agent metrics: no intercept listeners"
ok "router and intercept metrics counted the connections (curl /metrics on server and agent)"

# ---- an endpoint the zone does not allow
OTHER_DIG="$(dig @127.0.0.2 db.svc.corp.test A +time=3 +tries=1)"
NOWHERE_DIG="$(dig @127.0.0.2 db.nowhere.corp.test A +time=3 +tries=1)"
# A zone c-other may not see answers as a name in no zone (REFUSED: the server has no upstream).
status_and_flags() { grep -oE "status: [A-Z]+|flags:[a-z ]+;" <<<"$1" | tr '\n' ' '; }
[ -n "$(status_and_flags "$NOWHERE_DIG")" ] && [ "$(status_and_flags "$OTHER_DIG")" = "$(status_and_flags "$NOWHERE_DIG")" ] || \
  fail "c-other got for the hidden zone: $OTHER_DIG; for a name in no zone: $NOWHERE_DIG"
"$A" config refresh --state "$WORK/c-other" >/dev/null
sleep 1
OTHER_TLS="$(openssl s_client -connect 10.77.0.1:8443 -servername db.svc.corp.test -cert "$WORK/c-other/identity.pem" \
  -key "$WORK/c-other/identity.pem" -CAfile "$SV/ca.pem" -ign_eof 2>&1 <<<"GET / HTTP/1.0" || true)"
echo "$OTHER_TLS" | grep -q "CONNECTED" || fail "s_client did not connect at all: $OTHER_TLS"
python3 - "$WORK/c-other/config.jwt" >"$WORK/c-other-config.json" <<'PY'
import base64, json, sys
payload = open(sys.argv[1]).read().strip().split(".")[1]
print(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode())
PY
OTHER_STATUS="$("$A" status --state "$WORK/c-other" --json)"
for secret in 15432 16379 18080 18443 "127.0.0.1:15"; do
  for text in "$OTHER_DIG" "$OTHER_TLS" "$(cat "$WORK/c-other-config.json")" "$OTHER_STATUS"; do
    if echo "$text" | grep -q -- "$secret"; then fail "c-other saw '$secret' in: $text"; fi
  done
done
grep -q "not_allowed" "$WORK/server.log" || fail "the refusal is not logged"
at_least 9154 'ztserver_router_refusals_total{reason="not_allowed"}' 1 || fail "server metrics: the refusal is not counted"
ok "c-other: the answer of a name in no zone, no grant in its config, its tunnel closed; no backend address or port in anything it received"

# ---- passthrough (TLS not terminated; the backend keeps its key)
R="$(curl -sS --max-time 10 --cacert "$BK/ca.pem" --resolve secure.svc.corp.test:8444:10.77.0.1 https://secure.svc.corp.test:8444/ 2>&1)" || fail "curl passthrough: $R"
echo "$R" | grep -q "s_server" || fail "passthrough answered: $R"
ok "curl --resolve to the passthrough port reached the HTTPS backend (its own certificate verified)"
if curl -sS --max-time 10 -k --resolve wrong.svc.corp.test:8444:10.77.0.1 https://wrong.svc.corp.test:8444/ >"$WORK/wrong.out" 2>&1; then
  fail "a wrong SNI got through: $(cat "$WORK/wrong.out")"
fi
if curl -sS --max-time 10 -k --resolve db.svc.corp.test:8444:10.77.0.1 https://db.svc.corp.test:8444/ >/dev/null 2>&1; then
  fail "a route not marked passthrough was served on the passthrough port"
fi
ok "a wrong SNI, and a route not marked passthrough, are refused on the passthrough port"
KEYLINE="$(sed -n 2p "$BK/secure.key")"
if grep -rqF -- "$KEYLINE" "$SV" "$WORK/server.log" "$WORK/server.out"; then fail "the backend's key is in the server's files"; fi
if ls -l "/proc/$SERVER_PID/fd" 2>/dev/null | grep -q "backend-keys"; then fail "the server opened the backend's key"; fi
if tr '\0' ' ' <"/proc/$SERVER_PID/cmdline" | grep -q "backend-keys"; then fail "the server was given the backend's key"; fi
ok "the router never had the backend's key (not in its state, logs, open files or arguments)"

# ---- reverse tunnel: backends only the service agent can reach
start_postgres "$WORK/rpg" 25432 inner
nsenter -t "$BPID" -n redis-server --bind 127.0.0.1 --port 26379 --save "" --appendonly no --daemonize no >"$WORK/redis2.log" 2>&1 &
pids+=($!)
wait_for 10 "the inner redis" inner redis-cli -h 127.0.0.1 -p 26379 ping
if psql -h 127.0.0.1 -p 25432 -U postgres -tAc "select 1" >/dev/null 2>&1; then fail "the inner postgres is reachable from the router's namespace"; fi
start_agent s-rev 127.0.0.1:53 inner
inner "$A" service add --state "$WORK/s-rev" --name rdb --domain db.rev.corp.test --target 127.0.0.1:25432 --port 5432 --reverse >/dev/null || fail "service add rdb"
inner "$A" service add --state "$WORK/s-rev" --name rcache --domain cache.rev.corp.test --target 127.0.0.1:26379 --port 6379 --reverse >/dev/null || fail "service add rcache"
reverse_up() { inner "$A" status --state "$WORK/s-rev" --json | python3 -c "
import json,sys; d=json.load(sys.stdin); s=d.get('serviceMode') or {}
sys.exit(0 if s.get('reverseConnected') and set(s.get('reverseServed',[])) >= {'rdb','rcache'} else 1)"; }
wait_for 20 "the reverse tunnel" reverse_up
"$A" config refresh --state "$WORK/c-app" >/dev/null
wait_for 20 "the client agent's reverse listeners" intercepting db.rev.corp.test cache.rev.corp.test
R="$(psql -h db.rev.corp.test -p 5432 -U postgres -d postgres -tAc "select 6 * 7, current_setting('port')" 2>&1)" || fail "psql reverse: $R"
[ "$R" = "42|25432" ] || fail "psql reverse answered '$R'"
redis-cli -h cache.rev.corp.test -p 6379 set zt-rev "behind the reverse tunnel" >/dev/null || fail "redis-cli reverse set"
[ "$(redis-cli -h cache.rev.corp.test -p 6379 get zt-rev)" = "behind the reverse tunnel" ] || fail "redis-cli reverse get"
grep "tunnel closed" "$WORK/server.log" | grep "service=rdb" | head -1 | grep -q "backend=reverse via s-rev" || fail "no reverse audit line"
ok "reverse tunnel: psql and redis-cli reach backends in a namespace the router cannot reach"

kill "$PID_s_rev"
wait "$PID_s_rev" 2>/dev/null || true
START=$(date +%s%N)
if R="$(PGCONNECT_TIMEOUT=10 psql -h db.rev.corp.test -p 5432 -U postgres -tAc "select 1" 2>&1)"; then fail "psql worked with the service agent stopped: $R"; fi
ELAPSED_MS=$(( ($(date +%s%N) - START) / 1000000 ))
[ "$ELAPSED_MS" -lt 8000 ] || fail "a connection with the service agent down took ${ELAPSED_MS} ms to fail"
if redis-cli -h cache.rev.corp.test -p 6379 ping >"$WORK/redis-down.out" 2>&1 && grep -q PONG "$WORK/redis-down.out"; then fail "redis answered with the service agent stopped"; fi
ok "service agent stopped: new connections fail cleanly in ${ELAPSED_MS} ms (psql: ${R//$'\n'/ })"
nsenter -t "$BPID" -n "$A" run --state "$WORK/s-rev" --listen 127.0.0.1:53 >"$WORK/s-rev.out" 2>"$WORK/s-rev-2.log" &
pids+=($!)
wait_for 20 "the restarted service agent" reverse_up
R="$(psql -h db.rev.corp.test -p 5432 -U postgres -d postgres -tAc "select 42" 2>&1)" || fail "psql after restart: $R"
[ "$R" = "42" ] || fail "psql after restart answered '$R'"
[ "$(redis-cli -h cache.rev.corp.test -p 6379 get zt-rev)" = "behind the reverse tunnel" ] || fail "redis after restart"
ok "service agent restarted: psql and redis-cli work again"

# ---- addresses are stable across restarts
kill "$PID_c_app"; wait "$PID_c_app" 2>/dev/null || true
"$A" run --state "$WORK/c-app" --listen 127.0.0.1:53 >"$WORK/c-app.out" 2>"$WORK/c-app-2.log" &
pids+=($!)
wait_for 20 "the restarted client agent" grep -q "ztagent listening" "$WORK/c-app.out"
wait_for 20 "the intercept after restart" intercepting db.svc.corp.test
A_DB2="$(dig @127.0.0.1 db.svc.corp.test A +short +time=3 +tries=1)"
[ "$A_DB2" = "$A_DB" ] || fail "db.svc.corp.test moved from $A_DB to $A_DB2 across a restart"
R="$(psql -h db.svc.corp.test -p 5432 -U postgres -d postgres -tAc "select 42" 2>&1)" || fail "psql after agent restart: $R"
ok "intercept addresses stay the same across an agent restart ($A_DB)"
echo PASS
