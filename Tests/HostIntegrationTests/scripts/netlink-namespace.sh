#!/usr/bin/env bash
# The netlink watcher in a private network namespace: adding and removing a veth and an address
# must show up as debounced change batches.   netlink-namespace.sh ZTAGENT
set -euo pipefail
fail() { echo "FAIL: $*"; [ -n "${OUT:-}" ] && cat "$OUT"; exit 1; }
if [ "${1:-}" != "--inside" ]; then
  [ "$(id -u)" -eq 0 ] || fail "needs root (network namespaces); CI runs as root"
  command -v unshare >/dev/null || fail "unshare is missing"
  command -v ip >/dev/null || fail "ip (iproute2) is missing"
  exec unshare -n "$0" --inside "$@"
fi
shift
Z="$1"
OUT="$(mktemp /tmp/zt-netlink.XXXXXX)"
trap 'rm -f "$OUT"' EXIT
ip link set lo up
"$Z" dns watch-network --seconds 6 --debounce 200 >"$OUT" 2>&1 &
WATCHER=$!
for _ in $(seq 100); do grep -q 'watching network changes' "$OUT" && break; sleep 0.05; done
grep -q 'watching network changes' "$OUT" || fail "the watcher did not start"

ip link add ztv0 type veth peer name ztv1
sleep 0.6
ip addr add 10.99.0.1/24 dev ztv0
ip link set ztv1 up; ip link set ztv0 up
sleep 0.6
ip addr del 10.99.0.1/24 dev ztv0
sleep 0.6
ip link del ztv0
wait "$WATCHER" || fail "the watcher failed"

grep -q 'network change: .*new link if=[0-9]*(ztv0)' "$OUT" || fail "veth creation not seen"
echo "ok: veth added"
grep -q 'new address if=[0-9]*(ztv0)' "$OUT" || fail "address added not seen"
echo "ok: address added"
grep -q 'del address if=[0-9]*(ztv0)' "$OUT" || fail "address removed not seen"
echo "ok: address removed"
grep -q 'del link if=[0-9]*(ztv0)' "$OUT" || fail "veth removal not seen"
echo "ok: veth removed"
batches="$(grep -c '^network change:' "$OUT")"
changes="$(sed -n 's/^changes=\([0-9]*\) batches=.*/\1/p' "$OUT")"
[ "$batches" -ge 4 ] && [ "$batches" -le 8 ] || fail "expected 4-8 debounced batches, got $batches"
[ "$changes" -gt "$batches" ] || fail "debounce did not group changes (changes=$changes batches=$batches)"
echo "ok: debounced: $changes changes in $batches batches"
echo "PASS"
