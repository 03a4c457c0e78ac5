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

"$(dirname "$0")/apt-install.sh" "the console's browser tests" chromium chromium-driver
[[ -x "$chromium" && -x "$driver" ]] || { echo "browser-deps: installed, yet $chromium or $driver is missing" >&2; exit 1; }
