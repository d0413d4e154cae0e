#!/usr/bin/env bash
# Removes what install.sh created, in reverse, and restores the host's resolver exactly
# (`ztagent dns revert`). The identity (/etc/ztagent, /var/lib/ztagent) is removed unless
# --keep-identity is given.
#
#   install/uninstall.sh [--root DIR] [--keep-identity]
set -euo pipefail

ROOT=/
KEEP=0
die() { echo "uninstall.sh: $*" >&2; exit 1; }
while [ $# -gt 0 ]; do
  case "$1" in
    --root) ROOT="${2:?--root needs a directory}"; shift 2 ;;
    --keep-identity) KEEP=1; shift ;;
    -h|--help) sed -n '2,7p' "$0"; exit 0 ;;
    *) die "unknown argument $1" ;;
  esac
done
[ -d "$ROOT" ] || die "root $ROOT is not a directory"
ROOT="$(cd "$ROOT" && pwd)"
P="${ROOT%/}"
[ "$ROOT" = "/" ] && [ "$(id -u)" -ne 0 ] && die "run as root (or use --root DIR)"
# The manifest is root's (install.sh writes it in root's directory). Only the paths install.sh can
# create are ever removed, whatever the manifest says.
MANIFEST="$P/var/lib/ztagent-root/install-manifest"
[ -f "$MANIFEST" ] && [ ! -L "$MANIFEST" ] || die "no $MANIFEST: nothing installed here by install.sh"
if [ "$(id -u)" -eq 0 ]; then
  [ "$(stat -c %u "$MANIFEST")" = 0 ] && [ "$(stat -c %u "$P/var/lib/ztagent-root")" = 0 ] || die "$MANIFEST is not root's: refusing"
fi
known_file() {
  case "$1" in
    /usr/local/bin/ztagent|/etc/systemd/system/ztagent.service|/etc/polkit-1/rules.d/50-ztagent.rules) return 0 ;;
  esac
  return 1
}
known_dir() {
  case "$1" in
    /usr|/usr/local|/usr/local/bin|/etc|/etc/systemd|/etc/systemd/system|/etc/polkit-1|/etc/polkit-1/rules.d) return 0 ;;
    /var|/var/lib|/var/lib/ztagent|/var/lib/ztagent-root|/etc/ztagent) return 0 ;;
  esac
  return 1
}
has() { grep -qxF "$1" "$MANIFEST"; }

# 1. Stop the service (its ExecStopPost reverts DNS too).
if has "enabled ztagent.service" && [ -d /run/systemd/system ]; then
  systemctl disable --now ztagent.service || true
fi

# 2. Restore the resolver exactly (a no-op when nothing is applied).
if [ -x "$P/usr/local/bin/ztagent" ]; then
  if [ "$ROOT" = "/" ]; then
    "$P/usr/local/bin/ztagent" dns revert --state-dir /var/lib/ztagent --record-dir /var/lib/ztagent-root
  else
    "$P/usr/local/bin/ztagent" dns revert --root "$ROOT" --state-dir /var/lib/ztagent --record-dir /var/lib/ztagent-root
  fi
fi

# 3. Files, then the user's lines, then directories (deepest first, only when empty).
while read -r kind path rest; do
  case "$kind" in
    file)
      known_file "$path" || { echo "uninstall.sh: $path is not a file install.sh makes: left alone" >&2; continue; }
      [ "$path" = "/etc/systemd/system/ztagent.service" ] && [ "$ROOT" = "/" ] && [ -d /run/systemd/system ] && systemctl daemon-reload || true
      rm -f "$P$path" ;;
  esac
done < "$MANIFEST"
[ "$ROOT" = "/" ] && [ -d /run/systemd/system ] && systemctl daemon-reload || true

remove_line() { # file name
  local file="$P$1" tmp
  [ -f "$file" ] || return 0
  tmp="$(mktemp "$file.ztagent.XXXXXX")"
  grep -v "^$2:" "$file" > "$tmp" || true
  chmod --reference="$file" "$tmp"; chown --reference="$file" "$tmp"
  mv "$tmp" "$file"
}
strip_newline() { # file: remove the final newline install.sh added
  local file="$P$1"
  [ -s "$file" ] && truncate -s -1 "$file"
}
if [ "$KEEP" -eq 0 ]; then
  has "line /etc/passwd ztagent" && remove_line /etc/passwd ztagent
  has "newline /etc/passwd" && strip_newline /etc/passwd
  has "line /etc/group ztagent" && remove_line /etc/group ztagent
  has "newline /etc/group" && strip_newline /etc/group
  has "useradd ztagent" && userdel ztagent
fi

dirs="$(sed -n 's/^dir //p' "$MANIFEST" | awk '{ print length, $0 }' | sort -rn | cut -d' ' -f2-)"
kept=""
for dir in $dirs; do known_dir "$dir" && kept="$kept $dir"; done
dirs="$kept"
rm -f "$MANIFEST"
# Root's directory: the DNS record is gone after the revert above; remove it only when empty.
rmdir "$P/var/lib/ztagent-root" 2>/dev/null || true
if [ "$KEEP" -eq 0 ]; then
  rm -rf "$P/etc/ztagent"
  rm -rf "$P/var/lib/ztagent"
fi
for dir in $dirs; do
  case "$dir" in /etc/ztagent|/var/lib/ztagent|/var/lib/ztagent-root) continue ;; esac
  rmdir "$P$dir" 2>/dev/null || true
done
if [ "$KEEP" -eq 0 ]; then
  for dir in $dirs; do
    case "$dir" in /etc/ztagent|/var/lib/ztagent|/var/lib/ztagent-root) ;; *) rmdir "$P$dir" 2>/dev/null || true ;; esac
  done
fi
echo "uninstall.sh: removed from $ROOT$([ "$KEEP" -eq 1 ] && echo ' (identity kept)')"
