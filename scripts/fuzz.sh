#!/usr/bin/env bash
# Runs a libFuzzer target for a while.
#
#   scripts/fuzz.sh [seconds=60] [target=dns]
#
# Builds .build-fuzz/<binary> with `swiftc -sanitize=fuzzer,address`, runs it for SECONDS on a
# scratch copy of the seed corpus Fuzz/corpus/<target>/, writes crash reproducers to
# fuzz-artifacts/<target>/ and exits non-zero when the fuzzer finds a crash.
#
# Adding a target = one line in the `case` below: binary name, sources, corpus directory.
# Needs the libFuzzer/ASan runtimes (libclang_rt.fuzzer / libclang_rt.asan) in the clang resource
# directory of the Swift toolchain (<toolchain>/usr/lib/clang/<N>/lib/linux/). swift.org Linux
# toolchains ship them, so normally nothing is installed. If they are missing, the script tries
# apt-get install libclang-rt-dev (Debian/Ubuntu) and re-checks; a distribution runtime only helps
# when its clang version matches the toolchain's.
set -euo pipefail

SECONDS_TO_RUN="${1:-60}"
TARGET="${2:-dns}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

case "$TARGET" in
  dns) BINARY=dnswire-fuzz; SOURCES=(Sources/DNSWire/*.swift Fuzz/DNSWireFuzz.swift); CORPUS=Fuzz/corpus/dns ;;
  tls) BINARY=clienthello-fuzz; SOURCES=(Sources/TLSClientHello/*.swift Fuzz/ClientHelloFuzz.swift); CORPUS=Fuzz/corpus/tls ;;
  *) echo "fuzz.sh: unknown target '$TARGET' (known: dns, tls)" >&2; exit 2 ;;
esac

if ! [[ "$SECONDS_TO_RUN" =~ ^[0-9]+$ ]]; then
  echo "fuzz.sh: seconds must be a whole number, got '$SECONDS_TO_RUN'" >&2
  exit 2
fi

# Locate the libFuzzer runtime that swiftc links with -sanitize=fuzzer.
have_fuzzer_runtime() {
  local resource
  resource="$(dirname "$(dirname "$(readlink -f "$(command -v swiftc)")")")/lib/clang"
  compgen -G "$resource/*/lib/linux/libclang_rt.fuzzer-$(uname -m).a" >/dev/null ||
    compgen -G "$resource/*/lib/$(uname -m)-unknown-linux-gnu/libclang_rt.fuzzer.a" >/dev/null
}

if ! command -v swiftc >/dev/null; then
  echo "fuzz.sh: swiftc not found on PATH" >&2
  exit 2
fi
if ! have_fuzzer_runtime; then
  echo "fuzz.sh: libFuzzer runtime not found next to swiftc; installing libclang-rt-dev with apt-get" >&2
  if command -v apt-get >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libclang-rt-dev ||
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libclang-rt-14-dev
  else
    echo "fuzz.sh: no apt-get; install the clang runtime (libclang_rt.fuzzer) manually" >&2
    exit 2
  fi
  if ! have_fuzzer_runtime; then
    echo "fuzz.sh: still no libclang_rt.fuzzer next to swiftc; use a swift.org toolchain (it ships libFuzzer)" >&2
    exit 2
  fi
fi

# The toolchain's lld links the sanitizer runtimes without gold's flood of export warnings.
LINKER=()
if [ -x "$(dirname "$(readlink -f "$(command -v swiftc)")")/ld.lld" ]; then
  LINKER=(-use-ld=lld)
fi

mkdir -p .build-fuzz
echo "fuzz.sh: building .build-fuzz/$BINARY"
swiftc -sanitize=fuzzer,address -parse-as-library -O "${LINKER[@]}" "${SOURCES[@]}" -o ".build-fuzz/$BINARY"

WORK_CORPUS=".build-fuzz/corpus-$TARGET"
ARTIFACTS="fuzz-artifacts/$TARGET"
rm -rf "$WORK_CORPUS"
mkdir -p "$WORK_CORPUS" "$ARTIFACTS"
if [ -d "$CORPUS" ]; then
  cp -R "$CORPUS"/. "$WORK_CORPUS"/
fi

echo "fuzz.sh: running $TARGET for ${SECONDS_TO_RUN}s (crashes go to $ARTIFACTS/)"
set +e
".build-fuzz/$BINARY" "$WORK_CORPUS" \
  -max_total_time="$SECONDS_TO_RUN" \
  -artifact_prefix="$ARTIFACTS/" \
  -print_final_stats=1 \
  -rss_limit_mb=2048 \
  -timeout=10
STATUS=$?
set -e
if [ "$STATUS" -ne 0 ]; then
  echo "fuzz.sh: $TARGET FAILED (exit $STATUS); reproducers in $ARTIFACTS/" >&2
  exit "$STATUS"
fi
echo "fuzz.sh: $TARGET ran ${SECONDS_TO_RUN}s without a crash"
