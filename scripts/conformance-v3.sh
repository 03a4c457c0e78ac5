#!/usr/bin/env bash
# RELAY v3 conformance suite: the unmodified official v3 client (signalwire-sdk==3.7.5
# from PyPI) against `relay serve` over TLS.  Creates .venv-conformance-v3, installs the
# openssl CLI when missing (for the throwaway loopback certificate), builds `relay` when
# RELAY_BIN is unset, runs pytest on Tests/conformance-v3.  Extra args go to pytest.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="${CONFORMANCE_V3_VENV:-$ROOT/.venv-conformance-v3}"
PYTHON="${PYTHON:-python3}"

# Versions known to install and run together on CPython 3.11 (3.7.5 asks for websockets>=12;
# the captures in Tests/Fixtures/captured-v3 were made with websockets 17.4, pinned here).
PIP_PKGS=(signalwire-sdk==3.7.5 websockets==17.4 pytest==9.2.0 pytest-timeout==2.4.0)

if ! command -v openssl >/dev/null; then
  if ! command -v apt-get >/dev/null; then
    echo "conformance-v3: the openssl CLI is missing and there is no apt-get here; install openssl" >&2
    exit 1
  fi
  run=()
  if [[ $(id -u) -ne 0 ]]; then
    if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
      run=(sudo -n)
    else
      echo "conformance-v3: installing openssl needs root: run 'sudo apt-get install openssl' once" >&2
      exit 1
    fi
  fi
  echo "== installing the openssl CLI (loopback certificate for the v3 client's TLS)" >&2
  "${run[@]}" apt-get update -qq >&2 || true
  DEBIAN_FRONTEND=noninteractive "${run[@]}" apt-get install -y -qq --no-install-recommends openssl >&2
fi

stamp="$VENV/.conformance-stamp"
want="${PIP_PKGS[*]}"
if [[ ! -x "$VENV/bin/python" ]] || [[ "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
  echo "conformance-v3: creating $VENV" >&2
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "${PIP_PKGS[@]}"
  echo "$want" > "$stamp"
fi
"$VENV/bin/python" -c 'import pytest; from signalwire.relay.client import RelayClient, RelayError' >/dev/null

if [[ -z "${RELAY_BIN:-}" ]]; then
  SCRATCH="${RELAY_SCRATCH:-$ROOT/.build-conformance}"
  echo "conformance-v3: swift build --scratch-path $SCRATCH --product relay" >&2
  swift build --scratch-path "$SCRATCH" --product relay
  RELAY_BIN="$(swift build --scratch-path "$SCRATCH" --show-bin-path)/relay"
fi
if [[ ! -x "$RELAY_BIN" ]]; then
  echo "conformance-v3: no relay binary at $RELAY_BIN" >&2
  exit 1
fi
export RELAY_BIN
echo "conformance-v3: using $RELAY_BIN" >&2

set +e
(cd "$ROOT/Tests/conformance-v3" && "$VENV/bin/python" -m pytest "$@")
rc=$?
set -e
if [[ $rc -eq 5 ]]; then
  echo "conformance-v3: pytest collected no tests: failing" >&2
  exit 1
fi
exit $rc
