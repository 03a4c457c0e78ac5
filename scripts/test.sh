#!/usr/bin/env bash
# The project's test command: build, all Swift tests, then the Python
# conformance suite (official SDK 2.1.1 against `relay serve`).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

echo "== swift build" >&2
swift build
echo "== swift test" >&2
swift test
echo "== python conformance" >&2
# Reuse the relay binary just built in .build unless told otherwise.
if [[ -z "${RELAY_BIN:-}" ]]; then
  RELAY_BIN="$(swift build --show-bin-path)/relay"
  export RELAY_BIN
fi
scripts/conformance.sh "$@"
