#!/usr/bin/env bash
# The project's test command: build, all Swift tests, then the Python
# conformance suites (official SDK 2.1.1, then the official v3 client
# signalwire-sdk 3.7.5 over TLS, against `relay serve`).
# Every suite always runs; the script fails if any failed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

echo "== swift build" >&2
swift build

echo "== README programs match compiled files and fail cleanly" >&2
scripts/check-readme.sh

echo "== reference docs: a doc comment on every public declaration, DocC with 0 warnings" >&2
scripts/check-docs.sh

echo "== docs/API-MAPPING.md names only tests that exist" >&2
scripts/check-api-mapping.sh

echo "== swift test" >&2
swift_rc=0
# The console's browser tests drive headless Chromium; install it when missing.
scripts/browser-deps.sh || swift_rc=$?
# Bounded: every suite has a time limit, and this catches a hang outside any test too.
# The CPU-bound wire suites (fuzzing, every captured frame) run first and alone: run beside the
# socket suites they would starve the servers and clients those suites start.
timeout 600 swift test --filter RelayWireTests || swift_rc=$?
timeout 1500 swift test --skip RelayWireTests || swift_rc=$?

echo "== python conformance" >&2
# Reuse the relay binary just built in .build unless told otherwise.
if [[ -z "${RELAY_BIN:-}" ]]; then
  RELAY_BIN="$(swift build --show-bin-path)/relay"
  export RELAY_BIN
fi
conf_rc=0
scripts/conformance.sh "$@" || conf_rc=$?

echo "== python conformance, RELAY v3 (signalwire-sdk 3.7.5)" >&2
conf3_rc=0
scripts/conformance-v3.sh "$@" || conf3_rc=$?

echo "== swift test: exit $swift_rc; python conformance: exit $conf_rc; v3 conformance: exit $conf3_rc" >&2
if [[ $swift_rc -ne 0 || $conf_rc -ne 0 || $conf3_rc -ne 0 ]]; then
  exit 1
fi
