#!/usr/bin/env bash
# Runs every test: installs the peers the tests use (dig, kdig, dnsmasq, openssl, ...),
# fuzzes the DNS codec, the ClientHello reader and the token/config parsers for a bounded time each, builds the binaries the end-to-end tests start,
# and runs `swift test` last so its summary line closes the output.
#
#   scripts/test.sh            # what CI runs (.ci/run)
#   FUZZ_SECONDS=0 scripts/test.sh   # skip the fuzz step locally
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

echo "== dependencies"
scripts/install-deps.sh

FUZZ_SECONDS="${FUZZ_SECONDS:-60}"
if [ "$FUZZ_SECONDS" -gt 0 ]; then
  for target in dns tls protocol; do
    echo "== fuzzing $target for ${FUZZ_SECONDS}s"
    scripts/fuzz.sh "$FUZZ_SECONDS" "$target"
  done
fi

echo "== build (debug: the executables end-to-end tests run)"
swift build

echo "== tests"
# One test at a time: several acceptance checks are timed (revocation within a second,
# renewals without a failed query) and must not share two cores with every other suite.
exec swift test --no-parallel
