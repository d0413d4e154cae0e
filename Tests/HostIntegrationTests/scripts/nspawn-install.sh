#!/usr/bin/env bash
# install.sh --token under a real, booted systemd (Debian 12 inside systemd-nspawn, private network):
# a real ztserver inside the container, a one-time token, `systemctl start ztagent`, the agent active
# as user ztagent, a private name answered through the host's resolver, and `systemctl stop`
# restoring /etc/resolv.conf byte for byte.
#
#   nspawn-install.sh ZTAGENT ZTSERVER
#
# Prints "ok: ..." per check and PASS; "FAIL: ..." (exit 1) on the first failure; "SKIP: ..." (exit
# 77) with the exact error when nspawn cannot boot a container on this machine. The debootstrapped
# root is cached in $ZTAGENT_NSPAWN_CACHE (default /var/cache/ztagent-nspawn) and copied per run.
set -euo pipefail
fail() { echo "FAIL: $*"; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }
Z="$1"; S="$2"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
[ "$(id -u)" -eq 0 ] || fail "needs root (systemd-nspawn); CI runs as root"
for tool in systemd-nspawn debootstrap nsenter; do command -v "$tool" >/dev/null || fail "$tool is missing (scripts/install-deps.sh installs it)"; done
[ -x "$Z" ] && [ -x "$S" ] || fail "no ztagent/ztserver binaries at $Z $S"

CACHE="${ZTAGENT_NSPAWN_CACHE:-/var/cache/ztagent-nspawn}"
BASE="$CACHE/bookworm"
if [ ! -x "$BASE/usr/lib/systemd/systemd" ]; then
  mkdir -p "$CACHE"; rm -rf "$BASE.tmp"
  timeout 900 debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus,iproute2,systemd-resolved \
    bookworm "$BASE.tmp" > "$CACHE/debootstrap.log" 2>&1 || fail "debootstrap failed: $(tail -5 "$CACHE/debootstrap.log")"
  mv "$BASE.tmp" "$BASE"
fi

W="$(mktemp -d /var/tmp/zt-nspawn.XXXXXX)"
R="$W/root"
NSPAWN=""; C=""
cleanup() {
  if [ -n "$C" ] && [ -d "/proc/$C" ]; then timeout 20 nsenter -t "$C" -a systemctl poweroff >/dev/null 2>&1 || true; fi
  if [ -n "$NSPAWN" ]; then
    for _ in $(seq 1 100); do kill -0 "$NSPAWN" 2>/dev/null || break; sleep 0.2; done
    kill "$NSPAWN" 2>/dev/null || true
    wait "$NSPAWN" 2>/dev/null || true
  fi
  rm -rf "$W"
}
trap cleanup EXIT
cp -a --reflink=auto "$BASE" "$R"

# Binaries, the install scripts, and the libraries the debug build links that Debian lacks
# (the toolchain's Swift runtime, libnl, sqlite).
mkdir -p "$R/opt/zt/install"
cp "$Z" "$S" "$R/opt/zt/"
cp "$HERE"/install/* "$R/opt/zt/install/"
SWIFTLIB="$(dirname "$(readlink -f "$(command -v swift)")")/../lib/swift/linux"
cp "$SWIFTLIB"/*.so "$R/usr/local/lib/"
for lib in $(ldd "$Z" "$S" | awk '$3 ~ /^\// { print $3 }' | sort -u); do
  [ -e "$R$lib" ] || [ -e "$R/usr/local/lib/$(basename "$lib")" ] || cp -L "$lib" "$R/usr/local/lib/"
done
chroot "$R" ldconfig
chroot "$R" /opt/zt/ztagent --help >/dev/null || fail "ztagent does not run inside the container root"

timeout 600 systemd-nspawn -q -D "$R" --register=no --keep-unit --private-network -b > "$W/boot.log" 2>&1 &
NSPAWN=$!
for _ in $(seq 1 150); do
  inner="$(pgrep -P "$NSPAWN" -x systemd-nspawn || true)"
  [ -n "$inner" ] && C="$(pgrep -P "$inner" -x systemd || true)"
  [ -n "$C" ] && break
  kill -0 "$NSPAWN" 2>/dev/null || break
  sleep 0.2
done
[ -n "$C" ] || skip "systemd-nspawn did not boot a container here: $(tail -5 "$W/boot.log" | tr '\n' ' ')"
inside() { timeout 60 nsenter -t "$C" -a "$@"; }
state=""
for _ in $(seq 1 60); do   # the bus appears a moment after PID 1
  state="$(inside systemctl is-system-running --wait 2>&1 || true)"
  case "$state" in running|degraded) break ;; esac
  sleep 1
done
case "$state" in running|degraded) ;; *) skip "the container's systemd did not come up ($state): $(tail -5 "$W/boot.log" | tr '\n' ' ')" ;; esac
echo "ok: booted Debian 12 under systemd-nspawn (systemd: $state)"

# The original resolver configuration: what /etc/resolv.conf is (a link and its target, or bytes).
resolv() { inside sh -c 'if [ -L /etc/resolv.conf ]; then echo "link $(readlink /etc/resolv.conf)"; fi; cat /etc/resolv.conf | sha256sum'; }
before="$(resolv)"

# A real ztserver inside the container, a private zone and a one-time token.
inside /opt/zt/ztserver init --state /root/srv --server-name ztserver.local --router-address 127.0.0.1 \
  --dot-listen 127.0.0.1:8853 --api-listen 127.0.0.1:5001 --upstream dns --upstream-server 127.0.0.1:5399 >/dev/null
inside /opt/zt/ztserver zone add internal.corp --state /root/srv --record "db A 10.11.12.13" --allow laptop >/dev/null
inside sh -c '/opt/zt/ztserver token create --name laptop --state /root/srv > /root/laptop.token'
inside systemd-run --quiet --unit=ztserver-test /opt/zt/ztserver run --state /root/srv
for _ in $(seq 1 100); do inside bash -c '</dev/tcp/127.0.0.1/5001' 2>/dev/null && break; sleep 0.2; done
inside bash -c '</dev/tcp/127.0.0.1/5001' 2>/dev/null || fail "ztserver did not listen: $(inside journalctl -u ztserver-test --no-pager | tail -5)"
echo "ok: ztserver runs inside the container with a token for laptop"

inside /opt/zt/install/install.sh --binary /opt/zt/ztagent --token /root/laptop.token --no-start > "$W/install.log" 2>&1 \
  || fail "install.sh --token failed: $(tail -5 "$W/install.log")"
inside test -f /var/lib/ztagent-root/install-manifest || fail "no manifest inside root's directory"
echo "ok: install.sh --token enrolled and installed"

inside systemctl daemon-reload
if ! inside timeout 50 systemctl start ztagent; then
  fail "systemctl start ztagent failed: $(inside journalctl -u ztagent --no-pager | tail -15)"
fi
[ "$(inside systemctl is-active ztagent)" = active ] || fail "ztagent is not active: $(inside journalctl -u ztagent --no-pager | tail -15)"
echo "ok: systemctl start ztagent: active"
pid="$(inside systemctl show -p MainPID --value ztagent)"
user="$(inside stat -c %U "/proc/$pid")"
[ "$user" = ztagent ] || fail "the agent runs as $user, not ztagent"
cmdline="$(inside cat "/proc/$pid/cmdline" | tr '\0' ' ')"
case "$cmdline" in *"run --state /var/lib/ztagent"*) ;; *) fail "the agent's command line is '$cmdline'" ;; esac
echo "ok: the agent runs as user ztagent (pid $pid)"
record="$(inside stat -c '%u %a' /var/lib/ztagent-root/dns-state.json 2>&1)"
[ "$record" = "0 644" ] || fail "the DNS record is not root's 0644: $record"
echo "ok: the DNS record is root's ($(inside stat -c '%U %a' /var/lib/ztagent-root))"

answer=""
for _ in $(seq 1 50); do
  answer="$(inside getent hosts db.internal.corp 2>/dev/null || true)"
  case "$answer" in 10.11.12.13*) break ;; esac
  sleep 0.2
done
case "$answer" in 10.11.12.13*) ;; *) fail "getent hosts db.internal.corp: '$answer'; $(inside resolvectl status --no-pager 2>&1 | tail -15); $(inside journalctl -u ztagent --no-pager | tail -15)" ;; esac
echo "ok: getent hosts of the private name returns the private answer ($answer)"
if inside resolvectl query db.internal.corp 2>&1 | grep -q 10.11.12.13; then echo "ok: resolvectl query of the private name"; fi

inside timeout 50 systemctl stop ztagent || fail "systemctl stop ztagent failed"
after="$(resolv)"
[ "$before" = "$after" ] || fail "/etc/resolv.conf after stop ($after) is not what it was ($before)"
inside test ! -e /var/lib/ztagent-root/dns-state.json || fail "the DNS record is left after stop"
echo "ok: systemctl stop ztagent restored /etc/resolv.conf byte for byte"
echo PASS
