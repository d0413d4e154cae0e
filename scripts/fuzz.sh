#!/usr/bin/env bash
# Runs a libFuzzer target for a while.
#
#   scripts/fuzz.sh [seconds=60] [target=dns]
#
# Builds .build-fuzz/<binary> with `-sanitize=fuzzer,address`, runs it for SECONDS on a
# scratch copy of the seed corpus Fuzz/corpus/<target>/, writes crash reproducers to
# fuzz-artifacts/<target>/ and exits non-zero when the fuzzer finds a crash.
#
# Targets: dns and tls are pure modules, compiled with swiftc from their sources plus the entry
# point in Fuzz/. protocol needs jwt-kit, so SwiftPM builds the ProtocolFuzz product (debug, with
# -D FUZZING) in its own scratch path, .build-fuzz/protocol-pkg, which the next run reuses.
#
# Adding a target = one line in the `case` below: binary name, sources (or SwiftPM product),
# corpus directory.
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
  # -detect_leaks=0: the verifiers are async, so each input runs in a Task that frees its last
  # bytes on another thread after the entry returns; libFuzzer sees more mallocs than frees and
  # runs a full LeakSanitizer scan after nearly every input (37 exec/s instead of ~1,500).
  protocol) BINARY=protocol-fuzz; PRODUCT=ProtocolFuzz; CORPUS=Fuzz/corpus/protocol; FLAGS=(-detect_leaks=0) ;;
  *) echo "fuzz.sh: unknown target '$TARGET' (known: dns, tls, protocol)" >&2; exit 2 ;;
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
if [ -n "${PRODUCT:-}" ]; then
  # The product's entry point calls libFuzzer's driver under -D FUZZING (SwiftPM links each
  # executable's own entry as main). Debug: a release build of the dependencies takes far longer.
  SCRATCH=".build-fuzz/$TARGET-pkg"
  swift build --product "$PRODUCT" -c debug --scratch-path "$SCRATCH" \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING ${LINKER[@]+-Xswiftc "${LINKER[@]}"}
  cp "$SCRATCH/debug/$PRODUCT" ".build-fuzz/$BINARY"
else
  swiftc -sanitize=fuzzer,address -parse-as-library -O "${LINKER[@]}" "${SOURCES[@]}" -o ".build-fuzz/$BINARY"
fi

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
  -timeout=10 \
  ${FLAGS[@]+"${FLAGS[@]}"}
STATUS=$?
set -e
if [ "$STATUS" -ne 0 ]; then
  echo "fuzz.sh: $TARGET FAILED (exit $STATUS); reproducers in $ARTIFACTS/" >&2
  exit "$STATUS"
fi
echo "fuzz.sh: $TARGET ran ${SECONDS_TO_RUN}s without a crash"
