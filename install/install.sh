#!/usr/bin/env bash
# Installs ztagent: binary, system user, /etc/ztagent and /var/lib/ztagent (0700), a hardened
# systemd unit, the polkit rule for systemd-resolved, optional enrollment, and `ztagent dns apply`.
#
#   install/install.sh [--root DIR] [--binary PATH] [--token FILE] [--no-dns] [--no-start]
#
# --root DIR installs into a scratch tree (tests, image builds): the user is appended to
# DIR/etc/passwd and DIR/etc/group when they exist, nothing is started, and DNS is applied to
# DIR/etc/resolv.conf in direct mode only when that file exists. Everything created is recorded in
# /var/lib/ztagent-root/install-manifest (root's directory: the agent cannot edit what uninstall.sh
# removes) so that uninstall.sh removes exactly that. Idempotent.
set -euo pipefail

ROOT=/
BINARY=""
TOKEN=""
APPLY_DNS=1
START=1
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

die() { echo "install.sh: $*" >&2; exit 1; }
while [ $# -gt 0 ]; do
  case "$1" in
    --root) ROOT="${2:?--root needs a directory}"; shift 2 ;;
    --binary) BINARY="${2:?--binary needs a path}"; shift 2 ;;
    --token) TOKEN="${2:?--token needs a file (or - for standard input)}"; shift 2 ;;
    --no-dns) APPLY_DNS=0; shift ;;
    --no-start) START=0; shift ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) die "unknown argument $1" ;;
  esac
done
[ -d "$ROOT" ] || die "root $ROOT is not a directory"
ROOT="$(cd "$ROOT" && pwd)"
P="${ROOT%/}"                           # prefix for paths ("" for /)
[ "$ROOT" = "/" ] && [ "$(id -u)" -ne 0 ] && die "run as root (or use --root DIR)"

if [ -z "$BINARY" ]; then
  for candidate in "$HERE/../.build/release/ztagent" "$HERE/../.build/debug/ztagent" "$HERE/ztagent"; do
    [ -x "$candidate" ] && { BINARY="$candidate"; break; }
  done
fi
[ -n "$BINARY" ] && [ -x "$BINARY" ] || die "no ztagent binary: build it (swift build -c release) or pass --binary PATH"

STATE="$P/var/lib/ztagent"
# Root's own directory: the DNS record, the resolv.conf backup and this manifest. Never the agent's.
ROOTDIR="$P/var/lib/ztagent-root"
MANIFEST="$ROOTDIR/install-manifest"
record() { grep -qxF "$1" "$MANIFEST" 2>/dev/null || echo "$1" >> "$MANIFEST"; }

# Directories: create missing ones (parents first) and record each one created.
make_dir() { # host-path mode
  local path="$1" mode="$2" built="" part
  local -a created=()
  IFS=/ read -r -a parts <<< "${path#/}"
  for part in "${parts[@]}"; do
    built="$built/$part"
    if [ ! -d "$P$built" ]; then mkdir "$P$built"; created+=("$built"); fi
  done
  chmod "$mode" "$P$path"
  for part in "${created[@]+"${created[@]}"}"; do PENDING_DIRS+=("$part"); done
}
PENDING_DIRS=()
make_dir /var/lib/ztagent-root 0755
[ "$(id -u)" -eq 0 ] && chown 0:0 "$ROOTDIR"
[ -L "$MANIFEST" ] && die "$MANIFEST is a symbolic link: refusing"
touch "$MANIFEST"; chmod 0600 "$MANIFEST"
make_dir /var/lib/ztagent 0700
for dir in "${PENDING_DIRS[@]+"${PENDING_DIRS[@]}"}"; do record "dir $dir"; done
PENDING_DIRS=()
flush_dirs() { for dir in "${PENDING_DIRS[@]+"${PENDING_DIRS[@]}"}"; do record "dir $dir"; done; PENDING_DIRS=(); }

install_file() { # source host-path mode
  local source="$1" path="$2" mode="$3"
  make_dir "$(dirname "$path")" 0755; flush_dirs
  [ -e "$P$path" ] || record "file $path"
  install -m "$mode" "$source" "$P$path"
}

# 1. Binary.
install_file "$BINARY" /usr/local/bin/ztagent 0755

# 2. System user and group.
UID_=""; GID_=""
if [ -f "$P/etc/passwd" ] && [ -f "$P/etc/group" ]; then
  if ! grep -q '^ztagent:' "$P/etc/group"; then
    gid=999; while cut -d: -f3 "$P/etc/group" | grep -qx "$gid"; do gid=$((gid - 1)); done
    if [ -s "$P/etc/group" ] && [ "$(tail -c1 "$P/etc/group" | od -An -c | tr -d ' ')" != '\n' ]; then echo >> "$P/etc/group"; record "newline /etc/group"; fi
    echo "ztagent:x:$gid:" >> "$P/etc/group"; record "line /etc/group ztagent"
  fi
  GID_="$(grep '^ztagent:' "$P/etc/group" | cut -d: -f3)"
  if ! grep -q '^ztagent:' "$P/etc/passwd"; then
    uid=999; while cut -d: -f3 "$P/etc/passwd" | grep -qx "$uid"; do uid=$((uid - 1)); done
    if [ -s "$P/etc/passwd" ] && [ "$(tail -c1 "$P/etc/passwd" | od -An -c | tr -d ' ')" != '\n' ]; then echo >> "$P/etc/passwd"; record "newline /etc/passwd"; fi
    echo "ztagent:x:$uid:$GID_:ztagent DNS agent:/var/lib/ztagent:/usr/sbin/nologin" >> "$P/etc/passwd"; record "line /etc/passwd ztagent"
  fi
  UID_="$(grep '^ztagent:' "$P/etc/passwd" | cut -d: -f3)"
elif [ "$ROOT" = "/" ]; then
  id ztagent >/dev/null 2>&1 || { useradd --system --user-group --home-dir /var/lib/ztagent --shell /usr/sbin/nologin ztagent; record "useradd ztagent"; }
  UID_="$(id -u ztagent)"; GID_="$(id -g ztagent)"
else
  echo "install.sh: $ROOT has no etc/passwd: no user created" >&2
fi

# 3. Configuration and state directories, owned by the agent, 0700.
make_dir /etc/ztagent 0700; flush_dirs
if [ -n "$UID_" ] && [ "$(id -u)" -eq 0 ]; then chown "$UID_:$GID_" "$P/etc/ztagent" "$STATE"; fi

# 4. Unit and polkit rule.
install_file "$HERE/ztagent.service" /etc/systemd/system/ztagent.service 0644
install_file "$HERE/ztagent-resolved.rules" /etc/polkit-1/rules.d/50-ztagent.rules 0644

# 5. Enrollment (real host only; the identity is made on this host, its key never leaves it).
if [ -n "$TOKEN" ]; then
  [ "$ROOT" = "/" ] || die "--token needs the real root"
  "$P/usr/local/bin/ztagent" enroll --token "$TOKEN" --state /var/lib/ztagent
  chown -R ztagent:ztagent /var/lib/ztagent
fi

# 6. DNS, and the service.
if [ "$APPLY_DNS" -eq 1 ]; then
  if [ "$ROOT" = "/" ]; then
    "$P/usr/local/bin/ztagent" dns apply --state-dir /var/lib/ztagent --record-dir /var/lib/ztagent-root
  elif [ -e "$P/etc/resolv.conf" ] || [ -L "$P/etc/resolv.conf" ]; then
    "$P/usr/local/bin/ztagent" dns apply --root "$ROOT" --mode direct --state-dir /var/lib/ztagent --record-dir /var/lib/ztagent-root
  fi
fi
if [ "$ROOT" = "/" ] && [ "$START" -eq 1 ] && [ -d /run/systemd/system ]; then
  systemctl daemon-reload
  systemctl enable --now ztagent.service
  record "enabled ztagent.service"
fi
echo "install.sh: installed into $ROOT"
