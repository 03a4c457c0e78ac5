#!/usr/bin/env bash
# Python conformance suite: the unmodified official SDK (signalwire==2.1.1 from
# PyPI) against `relay serve`.  Creates .venv-conformance, builds `relay` when
# RELAY_BIN is unset, runs pytest on Tests/conformance.  Extra args go to pytest.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="${CONFORMANCE_VENV:-$ROOT/.venv-conformance}"
PYTHON="${PYTHON:-python3}"

# Versions known to install and run together on CPython 3.11 (signalwire 2.1.1
# asks only for aiohttp>=3.5 and twilio; the captures were made with aiohttp 3.9.5).
PIP_PKGS=(signalwire==2.1.1 aiohttp==3.9.5 pytest pytest-timeout)

stamp="$VENV/.conformance-stamp"
want="${PIP_PKGS[*]}"
if [[ ! -x "$VENV/bin/python" ]] || [[ "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
  echo "conformance: creating $VENV" >&2
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "${PIP_PKGS[@]}"
  echo "$want" > "$stamp"
fi
"$VENV/bin/python" -c 'import signalwire, aiohttp, pytest; from signalwire.relay.consumer import Consumer; from signalwire.relay.task import Task' >/dev/null

# test_sip.py calls the SIP edge with SIPp (Debian's sip-tester).
"$ROOT/scripts/sip-deps.sh" || echo "conformance: SIPp could not be installed; test_sip.py will fail saying so" >&2

if [[ -z "${RELAY_BIN:-}" ]]; then
  SCRATCH="${RELAY_SCRATCH:-$ROOT/.build-conformance}"
  echo "conformance: swift build --scratch-path $SCRATCH --product relay" >&2
  swift build --scratch-path "$SCRATCH" --product relay
  RELAY_BIN="$(swift build --scratch-path "$SCRATCH" --show-bin-path)/relay"
fi
if [[ ! -x "$RELAY_BIN" ]]; then
  echo "conformance: no relay binary at $RELAY_BIN" >&2
  exit 1
fi
export RELAY_BIN
echo "conformance: using $RELAY_BIN" >&2

set +e
(cd "$ROOT/Tests/conformance" && "$VENV/bin/python" -m pytest "$@")
rc=$?
set -e
if [[ $rc -eq 5 ]]; then
  echo "conformance: pytest collected no tests: failing" >&2
  exit 1
fi
exit $rc
