#!/usr/bin/env bash
# Installs what the SIP edge's tests and `relay demo --sip` need when it is missing: SIPp
# (Debian's sip-tester) and espeak-ng (TTS into a call's RTP). Exits non-zero with the reason
# when they cannot be had; the tests then fail saying so.
set -euo pipefail
missing=()
[[ -x /usr/bin/sipp ]] || missing+=(sip-tester)
[[ -x /usr/bin/espeak-ng ]] || missing+=(espeak-ng)
[[ ${#missing[@]} -eq 0 ]] && exit 0
"$(dirname "$0")/apt-install.sh" "the SIP edge's tests" "${missing[@]}"
[[ -x /usr/bin/sipp ]] || { echo "sip-deps: installed, yet /usr/bin/sipp is missing" >&2; exit 1; }
[[ -x /usr/bin/espeak-ng ]] || { echo "sip-deps: installed, yet /usr/bin/espeak-ng is missing" >&2; exit 1; }
