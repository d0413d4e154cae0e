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
MANIFEST="$P/var/lib/ztagent/install-manifest"
[ -f "$MANIFEST" ] || die "no $MANIFEST: nothing installed here by install.sh"
has() { grep -qxF "$1" "$MANIFEST"; }

# 1. Stop the service (its ExecStopPost reverts DNS too).
if has "enabled ztagent.service" && [ -d /run/systemd/system ]; then
  systemctl disable --now ztagent.service || true
fi

# 2. Restore the resolver exactly (a no-op when nothing is applied).
if [ -x "$P/usr/local/bin/ztagent" ]; then
  if [ "$ROOT" = "/" ]; then
    "$P/usr/local/bin/ztagent" dns revert --state-dir /var/lib/ztagent
  else
    "$P/usr/local/bin/ztagent" dns revert --root "$ROOT" --state-dir /var/lib/ztagent
  fi
fi

# 3. Files, then the user's lines, then directories (deepest first, only when empty).
while read -r kind path rest; do
  case "$kind" in
    file)
      case "$path" in
        /etc/ztagent/*|/var/lib/ztagent/*) [ "$KEEP" -eq 1 ] && continue ;;
      esac
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
if [ "$KEEP" -eq 0 ]; then
  rm -rf "$P/etc/ztagent"
  rm -f "$MANIFEST"
  rm -rf "$P/var/lib/ztagent"
else
  rm -f "$MANIFEST"
fi
for dir in $dirs; do
  case "$dir" in /etc/ztagent|/var/lib/ztagent) continue ;; esac
  rmdir "$P$dir" 2>/dev/null || true
done
if [ "$KEEP" -eq 0 ]; then
  for dir in $dirs; do
    case "$dir" in /etc/ztagent|/var/lib/ztagent) ;; *) rmdir "$P$dir" 2>/dev/null || true ;; esac
  done
fi
echo "uninstall.sh: removed from $ROOT$([ "$KEEP" -eq 1 ] && echo ' (identity kept)')"
