#!/usr/bin/env bash
# Installs SIPp (Debian's sip-tester), which the SIP edge's tests call (Tests/RelayServerTests/
# SIPEdgeTests), when it is missing. Exits non-zero with the reason when it cannot be had; the
# tests then fail saying so.
set -euo pipefail
[[ -x /usr/bin/sipp ]] && exit 0
"$(dirname "$0")/apt-install.sh" "the SIP edge's tests" sip-tester
[[ -x /usr/bin/sipp ]] || { echo "sip-deps: installed, yet /usr/bin/sipp is missing" >&2; exit 1; }
