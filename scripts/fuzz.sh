#!/usr/bin/env bash
# libFuzzer run over the wire module (Sources/RelayWire): JSON reader, Blade frames, broadcast
# envelopes and every typed init(json:). Not part of the test command (the seeded fuzz test in
# Tests/RelayWireTests is).
#
#   scripts/fuzz.sh [seconds] [extra libFuzzer flags...]      default: 60 s
#
# Env: FUZZ_JOBS (parallel workers, default 1), FUZZ_SANITIZE (default fuzzer,address),
#      FUZZ_DIR (default .build-fuzz). Builds with swiftc directly (no Package.swift change):
# Sources/RelayWire/*.swift + Tests/RelayWireTests/WireDecoders.swift + Fuzz/FuzzTarget.swift
# as one module. The seed corpus is every frame in Tests/Fixtures (captured/ and vectors/),
# one file each, plus the fixture files whole. New interesting inputs accumulate in
# $FUZZ_DIR/corpus; crashes land in $FUZZ_DIR/crash-*.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
SECONDS_TO_RUN="${1:-60}"
shift || true
DIR="${FUZZ_DIR:-$ROOT/.build-fuzz}"
SANITIZE="${FUZZ_SANITIZE:-fuzzer,address}"
BIN="$DIR/relaywire-fuzz"
mkdir -p "$DIR/corpus" "$DIR/seeds"

sources=(Sources/RelayWire/*.swift Tests/RelayWireTests/WireDecoders.swift Fuzz/FuzzTarget.swift)
if [[ ! -x "$BIN" ]] || [[ -n "$(find "${sources[@]}" -newer "$BIN" 2>/dev/null)" ]]; then
  echo "fuzz: building $BIN (-sanitize=$SANITIZE)" >&2
  rm -f "$BIN"
  swiftc -sanitize="$SANITIZE" -parse-as-library -swift-version 6 -package-name SignalWireRelay -O -g \
    -module-name RelayWireFuzz "${sources[@]}" -o "$BIN" 2>&1 | { grep -v 'Cannot export local symbol' || true; } >&2
  [[ -x "$BIN" ]] || { echo "fuzz: build failed" >&2; exit 1; }
fi

# Seed corpus: every `frame` / `json` object in the fixtures, compact, one per file.
python3 - "$ROOT/Tests/Fixtures" "$DIR/seeds" <<'PY'
import json, os, sys, hashlib
root, out = sys.argv[1], sys.argv[2]
count = 0
def emit(data):
    global count
    name = hashlib.sha1(data).hexdigest()
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)
    count += 1
def walk(value):
    if isinstance(value, dict):
        for key, member in value.items():
            if key in ("frame", "json") and isinstance(member, dict):
                emit(json.dumps(member, separators=(",", ":"), ensure_ascii=False).encode())
            walk(member)
    elif isinstance(value, list):
        for item in value:
            walk(item)
for base, _, files in os.walk(root):
    for name in sorted(files):
        if name.endswith(".json"):
            path = os.path.join(base, name)
            raw = open(path, "rb").read()
            emit(raw)
            walk(json.loads(raw))
print(f"fuzz: {count} seed inputs from {root}", file=sys.stderr)
PY

echo "fuzz: running for ${SECONDS_TO_RUN}s" >&2
LOG="$DIR/last-run.log"
set +e
"$BIN" "$DIR/corpus" "$DIR/seeds" \
  -max_total_time="$SECONDS_TO_RUN" -max_len=131072 -timeout=20 -rss_limit_mb=4096 \
  -jobs="${FUZZ_JOBS:-1}" -workers="${FUZZ_JOBS:-1}" \
  -dict="$ROOT/Fuzz/relaywire.dict" -print_final_stats=1 -artifact_prefix="$DIR/" "$@" 2>&1 | tee "$LOG" | grep -E '^(#[0-9]+ +(INITED|DONE|pulse)|Done|stat::|==[0-9]+==ERROR|SUMMARY|Fatal|.*deadly signal|.*Test unit written)' 
status=${PIPESTATUS[0]}
set -e
execs="$(grep -E '^stat::number_of_executed_units' "$LOG" | awk '{s+=$2} END {print s+0}')"
echo "fuzz: executions: ${execs} in ${SECONDS_TO_RUN}s (libFuzzer exit ${status}); corpus now $(ls "$DIR/corpus" | wc -l) files; log $LOG"
exit "$status"
