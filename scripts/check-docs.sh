#!/usr/bin/env bash
# Reference documentation stays complete and clean:
#  1. every public declaration of SignalWire, RelayTesting, RelayServer and RelayWire has a
#     doc comment (from the symbol graphs);
#  2. DocC builds SignalWire, RelayTesting and RelayServer with 0 warnings.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== docs: public declarations without doc comments" >&2
# dump-symbol-graph also emits the test runner modules, which exist only once the tests are
# built: on a clean checkout it fails without this (the tests are built next anyway).
swift build --build-tests
swift package dump-symbol-graph --minimum-access-level public >/dev/null
status=0
scripts/check-doc-comments.py "$(swift build --show-bin-path)/../symbolgraph" || status=1
for target in SignalWire RelayTesting RelayServer; do
  log="$(mktemp)"
  if ! swift package --disable-sandbox generate-documentation --target "$target" >"$log" 2>&1; then
    cat "$log" >&2
    echo "check-docs: generate-documentation failed for $target" >&2
    status=1
  fi
  # DocC's own warnings; SwiftPM's note about files a dependency leaves unhandled is not ours.
  warnings="$(grep -E '(warning|error):' "$log" | grep -v "which are unhandled; explicitly declare them" || true)"
  if [[ -n "$warnings" ]]; then
    echo "$warnings" >&2
    echo "check-docs: $target: $(printf '%s\n' "$warnings" | grep -c .) DocC warning(s)" >&2
    status=1
  else
    echo "check-docs: $target: 0 warnings" >&2
  fi
  rm -f "$log"
done
exit $status
