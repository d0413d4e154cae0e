#!/usr/bin/env bash
# `ztagent dns apply/revert` against a real systemd-resolved, inside a private mount+network+PID
# namespace (docs: /work/shared/notes/systemd-resolved-in-a-namespace.md). Nothing on the host
# changes: resolved, dbus-daemon and dnsmasq live and die in the namespace.
#   resolved-namespace.sh ZTAGENT CACHE_DIR
# CACHE_DIR holds systemd-resolved's .deb (matching the installed libsystemd-shared), downloaded
# with `apt-get download` and unpacked with `dpkg -x` on first use (never installed on the host).
# dnsmasq on 127.0.0.1:5353 stands in for the ztagent stub (it answers db.corp.example), and a
# second one on 127.0.0.1:5354 is the host's ordinary upstream (it answers public.example.org).
set -euo pipefail
fail() { echo "FAIL: $*"; [ -n "${W:-}" ] && { echo "--- stub log"; cat "$W/stub.log" 2>/dev/null | tail -20; echo "--- resolved log"; tail -20 "$W/resolved.log" 2>/dev/null; }; exit 1; }

if [ "${1:-}" != "--inside" ]; then
  [ "$(id -u)" -eq 0 ] || fail "needs root (namespaces); CI runs as root"
  for tool in unshare busctl dbus-daemon dnsmasq dig getent ip dpkg-query; do
    command -v "$tool" >/dev/null || fail "$tool is missing (scripts/install-deps.sh installs it)"
  done
  Z="$1"; CACHE="$2"
  version="$(dpkg-query -W -f='${Version}' libsystemd-shared 2>/dev/null)" || fail "libsystemd-shared is not installed"
  ROOT="$CACHE/systemd-resolved-$version"
  if [ ! -x "$ROOT/lib/systemd/systemd-resolved" ]; then
    mkdir -p "$CACHE"
    (cd "$CACHE" && apt-get download "systemd-resolved=$version" >/dev/null 2>&1) \
      || fail "cannot download systemd-resolved=$version with apt-get download (needs the Debian mirror)"
    dpkg -x "$CACHE"/systemd-resolved_*"$(echo "$version" | sed 's/:/%3a/')"*.deb "$ROOT" || fail "cannot unpack the .deb"
  fi
  exec unshare -m -n -p -f --mount-proc --propagation private "$0" --inside "$Z" "$ROOT"
fi
shift
Z="$1"; ROOT="$2"
RESOLVECTL="$ROOT/usr/bin/resolvectl"
W="$(mktemp -d /tmp/zt-resolved-ns.XXXXXX)"
trap 'rm -rf "$W"' EXIT
STATE="$W/state"

ip link set lo up
mount -t tmpfs tmpfs /run
mkdir -p /run/dbus /run/systemd          # not /run/systemd/resolve: resolved must own it
mount -t sysfs sysfs /sys
mkdir -p "$W/etc-systemd" "$W/system.d"
cp -a /etc/systemd/. "$W/etc-systemd/" 2>/dev/null || true
printf '[Resolve]\nDNS=127.0.0.1:5354\nLLMNR=no\nMulticastDNS=no\nDNSStubListener=yes\n' > "$W/etc-systemd/resolved.conf"
mount --bind "$W/etc-systemd" /etc/systemd
cp /etc/passwd "$W/passwd"; cp /etc/group "$W/group"
grep -q '^systemd-resolve:' "$W/passwd" || echo 'systemd-resolve:x:991:991:systemd Resolver:/:/usr/sbin/nologin' >> "$W/passwd"
grep -q '^systemd-resolve:' "$W/group" || echo 'systemd-resolve:x:991:' >> "$W/group"
mount --bind "$W/passwd" /etc/passwd; mount --bind "$W/group" /etc/group
printf 'nameserver 127.0.0.53\noptions edns0 trust-ad\n' > "$W/resolv.conf"
mount --bind "$W/resolv.conf" /etc/resolv.conf
cp -a /usr/share/dbus-1/system.d/. "$W/system.d/"
cp "$ROOT/usr/share/dbus-1/system.d/org.freedesktop.resolve1.conf" "$W/system.d/"
mount --bind "$W/system.d" /usr/share/dbus-1/system.d

dbus-daemon --system --fork
start_resolved() {
  "$ROOT/lib/systemd/systemd-resolved" >>"$W/resolved.log" 2>&1 &
  RESOLVED_PID=$!
  for _ in $(seq 100); do
    busctl call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus NameHasOwner s org.freedesktop.resolve1 2>/dev/null | grep -q true && return 0
    sleep 0.05
  done
  fail "systemd-resolved did not take org.freedesktop.resolve1"
}
start_resolved

# The host's ordinary upstream needs a routable link for global DNS= to be used.
ip link add uplink type veth peer name uplinkp
ip addr add 198.51.100.2/24 dev uplink
ip link set uplinkp up; ip link set uplink up

dnsmasq --no-resolv --no-hosts --listen-address=127.0.0.1 --port=5353 --bind-interfaces \
  --address=/db.corp.example/10.77.0.5 --address=/public.example.org/203.0.113.99 \
  --log-queries --log-facility="$W/stub.log" --pid-file="$W/stub.pid"
dnsmasq --no-resolv --no-hosts --listen-address=127.0.0.1 --port=5354 --bind-interfaces \
  --address=/public.example.org/198.51.100.7 --log-queries --log-facility="$W/upstream.log" --pid-file="$W/upstream.pid"

links_state() { "$RESOLVECTL" dns; "$RESOLVECTL" domain; ip -o link show | awk -F': ' '{print $2}' | sort; }
before="$(links_state)"
sleep 0.3
"$RESOLVECTL" query public.example.org | grep -q 198.51.100.7 || fail "resolved does not work before apply"

# 1. Split DNS, mode detected (resolv.conf -> 127.0.0.53 and resolved on the bus).
"$Z" dns status --state-dir "$STATE" --record-dir "$STATE" | grep -q 'detected mode: systemd-resolved' || fail "detection did not pick systemd-resolved: $("$Z" dns status --state-dir "$STATE" --record-dir "$STATE")"
"$Z" dns apply --stub 127.0.0.1:5353 --domain corp.example --state-dir "$STATE" --record-dir "$STATE" || fail "apply failed"
"$RESOLVECTL" domain zt0 | grep -q '~corp.example' || fail "routing domain not set: $("$RESOLVECTL" domain zt0)"
"$RESOLVECTL" dns zt0 | grep -q '127.0.0.1:5353' || fail "link DNS not set: $("$RESOLVECTL" dns zt0)"
"$RESOLVECTL" query db.corp.example | grep -q 10.77.0.5 || fail "resolvectl query db.corp.example"
echo "ok: resolvectl query of the private name"
[ "$(dig +short +time=2 +tries=1 @127.0.0.53 db.corp.example A)" = "10.77.0.5" ] || fail "dig @127.0.0.53 db.corp.example"
echo "ok: dig @127.0.0.53 of the private name"
getent ahostsv4 db.corp.example | grep -q '^10.77.0.5 ' || fail "getent ahostsv4 db.corp.example"
echo "ok: getent ahostsv4 of the private name"
[ "$(dig +short +time=2 +tries=1 @127.0.0.53 public.example.org A)" = "198.51.100.7" ] || fail "public name not answered by the host's upstream"
grep -q 'query\[A\] public.example.org' "$W/stub.log" && fail "split DNS: a public name reached the stub"
echo "ok: split DNS: the public name went to the host's upstream, not to the stub"
"$Z" dns status --state-dir "$STATE" --record-dir "$STATE" --json | grep -q '"intact" : true' || fail "status does not report intact"

# 2. resolved restarts: it keeps bus-set link settings across a restart (it saves them under
#    /run/systemd/resolve/netif/), so they must still be in force. Then someone drops them
#    (`resolvectl revert zt0`): status sees it and apply re-asserts.
kill "$RESOLVED_PID"; wait "$RESOLVED_PID" 2>/dev/null || true
start_resolved
sleep 0.2
"$Z" dns status --state-dir "$STATE" --record-dir "$STATE" --json | grep -q '"intact" : true' || fail "settings lost across a resolved restart"
[ "$(dig +short +time=2 +tries=1 @127.0.0.53 db.corp.example A)" = "10.77.0.5" ] || fail "private name after resolved restart"
echo "ok: resolved restarted: link settings kept, private name answered"
"$RESOLVECTL" revert zt0
"$Z" dns status --state-dir "$STATE" --record-dir "$STATE" --json | grep -q '"intact" : false' || fail "status missed the dropped link settings"
"$Z" dns apply --stub 127.0.0.1:5353 --domain corp.example --state-dir "$STATE" --record-dir "$STATE" >/dev/null || fail "re-apply"
[ "$(dig +short +time=2 +tries=1 @127.0.0.53 db.corp.example A)" = "10.77.0.5" ] || fail "private name after re-apply"
echo "ok: dropped link settings detected and re-asserted"

# 3. Revert: the link is gone and resolved's link state is as before.
"$Z" dns revert --state-dir "$STATE" --record-dir "$STATE" >/dev/null || fail "revert failed"
after="$(links_state)"
[ "$before" = "$after" ] || { echo "before:"; echo "$before"; echo "after:"; echo "$after"; fail "resolved's link state differs after revert"; }
echo "ok: revert: resolved's link state as before"

# 4. Everything (~.): the public name goes to the stub.
"$Z" dns apply --stub 127.0.0.1:5353 --state-dir "$STATE" --record-dir "$STATE" >/dev/null || fail "apply ~. failed"
"$RESOLVECTL" domain zt0 | grep -q '~\.' || fail "~. not set"
[ "$(dig +short +time=2 +tries=1 @127.0.0.53 public.example.org A)" = "203.0.113.99" ] || fail "~.: public name did not go to the stub"
"$Z" dns revert --state-dir "$STATE" --record-dir "$STATE" >/dev/null
[ "$before" = "$(links_state)" ] || fail "link state differs after the second revert"
echo "ok: ~. sends every name to the stub; revert restores"

# 5. An existing link the agent does not own: its own settings come back after revert.
ip link add corp0 type veth peer name corp0p
ip addr add 198.51.100.3/32 dev corp0
ip link set corp0p up; ip link set corp0 up
"$RESOLVECTL" dns corp0 127.0.0.1:5354; "$RESOLVECTL" domain corp0 old.example
owned_before="$("$RESOLVECTL" dns corp0; "$RESOLVECTL" domain corp0)"
"$Z" dns apply --stub 127.0.0.1:5353 --domain corp.example --link corp0 --no-create-link --state-dir "$STATE" --record-dir "$STATE" >/dev/null || fail "apply on an existing link"
"$RESOLVECTL" domain corp0 | grep -q '~corp.example' || fail "existing link: domain not set"
"$Z" dns revert --link corp0 --state-dir "$STATE" --record-dir "$STATE" >/dev/null || fail "revert of the existing link"
[ "$owned_before" = "$("$RESOLVECTL" dns corp0; "$RESOLVECTL" domain corp0)" ] || fail "existing link: settings not restored"
ip link show corp0 >/dev/null 2>&1 || fail "existing link was deleted"
echo "ok: an existing link gets its own settings back"
echo "PASS"
