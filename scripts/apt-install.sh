#!/usr/bin/env bash
# apt-install.sh PURPOSE PACKAGE...: installs Debian packages the tests need, with apt-get (as
# root, or through passwordless sudo). Exits non-zero saying why when that cannot be done.
set -euo pipefail
purpose="$1"
shift
if ! command -v apt-get >/dev/null; then
  echo "apt-install: $* needed ($purpose), and there is no apt-get here: install them by hand" >&2
  exit 1
fi
run=()
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    run=(sudo -n)
  else
    echo "apt-install: installing $* ($purpose) needs root: run 'sudo apt-get install $*' once" >&2
    exit 1
  fi
fi
echo "== installing $* for $purpose" >&2
"${run[@]}" apt-get update -qq >&2 || true
if ! DEBIAN_FRONTEND=noninteractive "${run[@]}" apt-get install -y -qq --no-install-recommends "$@" >&2; then
  echo "apt-install: apt-get could not install $*" >&2
  exit 1
fi
