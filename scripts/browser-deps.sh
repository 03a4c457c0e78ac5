#!/usr/bin/env bash
# Installs what the console's browser tests need (Tests/ConsoleTests): Debian's chromium and
# chromium-driver, with apt-get, when they are missing. Exits non-zero with the reason when
# they cannot be had; the tests then fail saying so (RELAY_SKIP_BROWSER_TESTS=1 skips them
# on purpose).
set -euo pipefail

[[ "${RELAY_SKIP_BROWSER_TESTS:-}" == 1 ]] && exit 0
chromium="${RELAY_CHROMIUM:-/usr/bin/chromium}"
driver="${RELAY_CHROMEDRIVER:-/usr/bin/chromedriver}"
[[ -x "$chromium" && -x "$driver" ]] && exit 0

if ! command -v apt-get >/dev/null; then
  echo "browser-deps: $chromium or $driver is missing and there is no apt-get here; install Chromium and its chromedriver, and point RELAY_CHROMIUM / RELAY_CHROMEDRIVER at them" >&2
  exit 1
fi
run=()
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    run=(sudo -n)
  else
    echo "browser-deps: installing chromium and chromium-driver needs root: run 'sudo apt-get install chromium chromium-driver' once" >&2
    exit 1
  fi
fi
echo "== installing chromium and chromium-driver for the console's browser tests" >&2
"${run[@]}" apt-get update -qq >&2 || true
if ! DEBIAN_FRONTEND=noninteractive "${run[@]}" apt-get install -y -qq --no-install-recommends chromium chromium-driver >&2; then
  echo "browser-deps: apt-get could not install chromium and chromium-driver" >&2
  exit 1
fi
[[ -x "$chromium" && -x "$driver" ]] || { echo "browser-deps: installed, yet $chromium or $driver is missing" >&2; exit 1; }
