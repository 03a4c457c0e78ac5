#!/usr/bin/env bash
# Benchmarks: the Swift SDK (`relay-bench`, release build) beside the official Python
# SDK (signalwire==2.1.1, unmodified, in .venv-bench) in one run, on the same servers.
#
#   Benchmarks/run.sh                 # everything, default sizes (docs/PERFORMANCE.md)
#   ONLY="rtt" RTT_SAMPLES=2000 Benchmarks/run.sh     # a quick subset
#
# The Swift round trip and call flow against `relay serve` run twice, on the Blade v2 wire and
# on RELAY v3 (`--wire v3`), in the same run; the summary shows the v3/v2 ratios.
#
# Writes bench-results/*.json (one file per measurement, plus meta.json and summary.json),
# prints a table with the Swift/Python ratios, and writes docs/performance.png (plot.py).
# Every process it starts is stopped by pid on exit; every client step runs under `timeout`.
#
# Knobs (environment):
#   ONLY            benchmarks to run, any of: rtt calls memory server observability sip (default: all)
#   RTT_SAMPLES     timed round trips after warm-up, Swift             (default 20000)
#   RTT_WARMUP      untimed warm-up round trips                         (default 2000)
#   PY_RTT_SAMPLES / PY_RTT_WARMUP   the same for Python              (default: as Swift)
#   RTT_REPEAT      runs of each rtt cell; the summary takes medians    (default 3)
#   CALLS           inbound calls injected for the Swift consumer      (default 4000)
#   PY_CALLS        the same for the Python consumer                   (default: CALLS)
#   MEM_CALLS       live calls held, Swift (space-separated sizes)     (default "1000 10000")
#   PY_MEM_CALLS    the same for Python                                (default "1000 10000")
#   LOAD_CALLS / LOAD_SECONDS   server-load: live calls, seconds       (default 10000 / 5)
#   LOAD_TIMEOUT    seconds allowed for the server-load driver         (default 180)
#   SPEED           `relay serve --speed` for calls/memory/server       (default 1000)
#   PIN             0: unpinned (default). 1: servers on CPU 0, clients on CPU 1.
#                   same: everything on CPU 0.
#   SKIP_BUILD=1    reuse the binaries in $BENCH_SCRATCH/release
#   BENCH_SCRATCH   SwiftPM scratch path (default .build-bench)
#   STEP_TIMEOUT    seconds allowed for one client step                 (default 900)
#   CALLS_TIMEOUT   seconds a consumer may take after the last injection (default 120)
#   OBS_ROUNDS      observability: passes of each side, alternating      (default 5)
#   OBS_SAMPLES / OBS_BURST   sequential / 64-in-flight requests per pass (default 5000 / 20000)
#   SIP_RATES       sip: SIPp `uac` steps, calls/s (signalling only)    (default "250 500 750 1000 1500")
#   SIP_SECONDS     sip: seconds of calls per rate step                 (default 4)
#   SIP_MEDIA_LIVE  sip: concurrent media calls (RTP both ways)         (default 100)
#   SIP_MEDIA_HOLD  sip: seconds each media call talks                  (default 30)
#   SIP_WINDOW      sip: seconds of CPU sampling with the calls live    (default 15)
#   PLOT            path of the PNG (default docs/performance.png); PLOT=0 skips it
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

ONLY="${ONLY:-rtt calls memory server observability sip}"
RTT_SAMPLES="${RTT_SAMPLES:-20000}"
RTT_WARMUP="${RTT_WARMUP:-2000}"
PY_RTT_SAMPLES="${PY_RTT_SAMPLES:-$RTT_SAMPLES}"
PY_RTT_WARMUP="${PY_RTT_WARMUP:-$RTT_WARMUP}"
RTT_REPEAT="${RTT_REPEAT:-3}"
CALLS="${CALLS:-4000}"
PY_CALLS="${PY_CALLS:-$CALLS}"
MEM_CALLS="${MEM_CALLS:-1000 10000}"
PY_MEM_CALLS="${PY_MEM_CALLS:-1000 10000}"
LOAD_CALLS="${LOAD_CALLS:-10000}"
LOAD_SECONDS="${LOAD_SECONDS:-5}"
SPEED="${SPEED:-1000}"
PIN="${PIN:-0}"
SCRATCH="${BENCH_SCRATCH:-$ROOT/.build-bench}"
STEP_TIMEOUT="${STEP_TIMEOUT:-900}"
PLOT="${PLOT:-$ROOT/docs/performance.png}"
OUT="$ROOT/bench-results"
LOGS="$OUT/logs"
VENV="$ROOT/.venv-bench"
PYDIR="$ROOT/Benchmarks/python"
INJECT_CONCURRENCY=16

say() { printf '%s bench: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# ---- processes: every background pid is recorded and stopped on exit ----
PIDS=()
stop_pid() {
  local pid="$1"
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do stop_pid "$pid"; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

case "$PIN" in
  0|"") SERVER_PIN=(); CLIENT_PIN=(); PLACEMENT="unpinned" ;;
  1) SERVER_PIN=(taskset -c 0); CLIENT_PIN=(taskset -c 1); PLACEMENT="pinned: servers on CPU 0, clients on CPU 1" ;;
  same) SERVER_PIN=(taskset -c 0); CLIENT_PIN=(taskset -c 0); PLACEMENT="pinned: everything on CPU 0" ;;
  *) echo "PIN must be 0, 1 or same" >&2; exit 2 ;;
esac

# start_bg NAME LOGFILE CMD...  -> sets BG_PID
start_bg() {
  local log="$2"; shift 2
  "$@" >"$log" 2>&1 &
  BG_PID=$!
  PIDS+=("$BG_PID")
}

# wait_line LOGFILE REGEX SECONDS PID: waits until the process printed a matching line.
wait_line() {
  local log="$1" regex="$2" limit="$3" pid="$4" start=$SECONDS
  until grep -qE "$regex" "$log" 2>/dev/null; do
    if ! kill -0 "$pid" 2>/dev/null; then say "process $pid exited before '$regex':"; tail -20 "$log" >&2; return 1; fi
    if (( SECONDS - start > limit )); then say "no '$regex' from $pid within ${limit}s:"; tail -20 "$log" >&2; return 1; fi
    sleep 0.05
  done
}

# wait_pid PID SECONDS: waits for a background process to exit; returns its status.
wait_pid() {
  local pid="$1" limit="$2" start=$SECONDS
  while kill -0 "$pid" 2>/dev/null; do
    if (( SECONDS - start > limit )); then say "process $pid still running after ${limit}s; stopping it"; stop_pid "$pid"; return 124; fi
    sleep 0.1
  done
  wait "$pid"
}

# Servers. Each start_* sets URL (and HTTP for relay serve) and SERVER_PID.
start_floor() {
  local log="$LOGS/floor-$1.log"
  start_bg floor "$log" "${SERVER_PIN[@]}" "$BENCH" floor --port 0
  SERVER_PID=$BG_PID
  wait_line "$log" '^floor listening on ws://' 60 "$SERVER_PID"
  URL="$(grep -oE 'ws://[0-9.]+:[0-9]+' "$log" | head -1)"
}
start_relay() {
  local log="$LOGS/relay-$1.log"
  LOG_LEVEL=warning start_bg relay "$log" "${SERVER_PIN[@]}" "$RELAY" serve --port 0 --speed "$SPEED" --log-level warning --quiet
  SERVER_PID=$BG_PID
  wait_line "$log" '^relay listening on ws://' 60 "$SERVER_PID"
  URL="$(grep -oE 'ws://[0-9.]+:[0-9]+' "$log" | head -1)"
  HTTP="${URL/ws:/http:}"
}
stop_server() {
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then say "server $SERVER_PID died during the run"; return 1; fi
  stop_pid "$SERVER_PID"
}

# server_cpu FILE: CPU seconds the running server has used so far (from /proc).
server_cpu() {
  awk -v hz="$(getconf CLK_TCK)" '{printf "{\"cpu_seconds\": %.3f}\n", ($14 + $15) / hz}' "/proc/$SERVER_PID/stat" >"$1" 2>/dev/null || true
}

swift_step() { timeout "$STEP_TIMEOUT" "${CLIENT_PIN[@]}" "$BENCH" "$@"; }
python_step() { # SCRIPT ARGS...
  local script="$PYDIR/$1"; shift
  timeout "$STEP_TIMEOUT" "${CLIENT_PIN[@]}" "$VENV/bin/python" "$script" "$@" --timeout "$STEP_TIMEOUT"
}

# ---- build ----
if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
  say "swift build -c release --scratch-path $SCRATCH (relay-bench, relay)"
  swift build -c release --scratch-path "$SCRATCH" --product relay-bench
  swift build -c release --scratch-path "$SCRATCH" --product relay
fi
BIN="$(swift build -c release --scratch-path "$SCRATCH" --show-bin-path)"
BENCH="$BIN/relay-bench"
RELAY="$BIN/relay"
for b in "$BENCH" "$RELAY"; do [[ -x "$b" ]] || { echo "missing $b (run without SKIP_BUILD=1)" >&2; exit 1; }; done

# ---- venv: the official SDK, unmodified, with the pins scripts/conformance.sh uses ----
PIP_PKGS=(signalwire==2.1.1 aiohttp==3.9.5 matplotlib)
stamp="$VENV/.bench-stamp"
if [[ ! -x "$VENV/bin/python" ]] || [[ "$(cat "$stamp" 2>/dev/null)" != "${PIP_PKGS[*]}" ]]; then
  say "creating $VENV"
  "${PYTHON:-python3}" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "${PIP_PKGS[@]}"
  echo "${PIP_PKGS[*]}" >"$stamp"
fi
"$VENV/bin/python" -c 'import signalwire, matplotlib; from signalwire.relay.consumer import Consumer' >/dev/null

# ---- results directory and the run's metadata ----
mkdir -p "$OUT" "$LOGS"
# Only the selected benchmarks' figures are replaced (ONLY=server keeps the last rtt figures).
wants() { [[ " $ONLY " == *" $1 "* ]]; }
wants rtt && rm -f "$OUT"/rtt-*.json
wants calls && rm -f "$OUT"/calls-*.json "$OUT"/cpu-calls-*.json
wants memory && rm -f "$OUT"/memory-*.json
wants server && rm -f "$OUT"/server-*.json
wants observability && rm -f "$OUT"/observability.json
wants sip && rm -f "$OUT"/sip-*.json
rm -f "$LOGS"/*.log "$LOGS"/*.json
"$VENV/bin/python" - "$OUT/meta.json" <<EOF
import json, os, platform, subprocess, sys, datetime
from importlib.metadata import version
def sh(*a):
  try: return subprocess.run(a, capture_output=True, text=True, timeout=60).stdout.strip()
  except Exception: return '?'
cpu = next((l.split(':', 1)[1].strip() for l in open('/proc/cpuinfo') if l.startswith('model name')), '?')
meta = {
  'date': datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds'),
  'nproc': os.cpu_count(), 'cpu_model': cpu, 'kernel': platform.release(),
  'memory_gib': round(os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30, 1),
  'load_average_at_start': list(os.getloadavg()),
  'placement': '$PLACEMENT',
  'swift_version': sh('swift', '--version').splitlines()[0] if sh('swift', '--version') else '?',
  'python_version': platform.python_version(), 'signalwire_version': version('signalwire'),
  'aiohttp_version': version('aiohttp'),
  'git_commit': sh('git', '-C', '$ROOT', 'rev-parse', '--short', 'HEAD'),
  'git_dirty': bool(sh('git', '-C', '$ROOT', 'status', '--porcelain', '--untracked-files=no')),
  'build': 'swift build -c release',
  'settings': {'rtt_samples': $RTT_SAMPLES, 'rtt_warmup': $RTT_WARMUP, 'py_rtt_samples': $PY_RTT_SAMPLES,
               'py_rtt_warmup': $PY_RTT_WARMUP, 'rtt_repeat': $RTT_REPEAT, 'calls': $CALLS, 'py_calls': $PY_CALLS,
               'mem_calls': '$MEM_CALLS', 'py_mem_calls': '$PY_MEM_CALLS', 'load_calls': $LOAD_CALLS,
               'load_seconds': $LOAD_SECONDS, 'speed': $SPEED, 'inject_concurrency': $INJECT_CONCURRENCY},
}
json.dump(meta, open(sys.argv[1], 'w'), indent=1)
EOF
say "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); placement: $PLACEMENT; load: $(cut -d' ' -f1-3 /proc/loadavg)"

# ---- 1. execute round trip: floor responder, then relay serve ----
rtt_cells() { # SERVERNAME
  local server="$1" inflight r swift_warm py_warm
  for inflight in 1 64; do
    swift_warm="$RTT_WARMUP"; py_warm="$PY_RTT_WARMUP"
    # 64 in flight: at least 100 warm-up requests per task.
    (( inflight > 1 && swift_warm < 6400 )) && swift_warm=6400
    (( inflight > 1 && py_warm < 6400 )) && py_warm=6400
    for r in $(seq "$RTT_REPEAT"); do
      say "rtt $server inflight=$inflight run $r/$RTT_REPEAT: swift, swift --on-loop, python"
      swift_step rtt --url "$URL" --samples "$RTT_SAMPLES" --warmup "$swift_warm" --inflight "$inflight" \
        --label "rtt-$server-$inflight" --json "$OUT/rtt-$server-$inflight-swift.r$r.json" >/dev/null
      swift_step rtt --url "$URL" --samples "$RTT_SAMPLES" --warmup "$swift_warm" --inflight "$inflight" --on-loop \
        --label "rtt-$server-$inflight" --json "$OUT/rtt-$server-$inflight-swift_loop.r$r.json" >/dev/null
      # The floor responder speaks Blade only; relay serve speaks both wires.
      if [[ "$server" == relay ]]; then
        swift_step rtt --url "$URL" --wire v3 --samples "$RTT_SAMPLES" --warmup "$swift_warm" --inflight "$inflight" \
          --label "rtt-$server-$inflight" --json "$OUT/rtt-$server-$inflight-swift_v3.r$r.json" >/dev/null
      fi
      python_step rtt.py --url "$URL" --samples "$PY_RTT_SAMPLES" --warmup "$py_warm" --inflight "$inflight" \
        --label "rtt-$server-$inflight" --json "$OUT/rtt-$server-$inflight-python.r$r.json" >/dev/null
    done
  done
}
if wants rtt; then
  start_floor rtt; say "floor responder at $URL"; rtt_cells floor; stop_server
  start_relay rtt; say "relay serve at $URL"; rtt_cells relay; stop_server
fi

# ---- 2. call flow: one consumer, calls injected through the lab API ----
# A fresh `relay serve` per side (same binary and settings), so neither side's ended calls
# weigh on the other's run.
call_flow() { # SIDE COUNT
  local side="$1" count="$2" log="$LOGS/calls-$1.log" consumer
  count=$(( (count + INJECT_CONCURRENCY - 1) / INJECT_CONCURRENCY * INJECT_CONCURRENCY ))
  start_relay "calls-$side"
  if [[ "$side" == swift || "$side" == swift_v3 ]]; then
    local wire=v2; [[ "$side" == swift_v3 ]] && wire=v3
    start_bg consumer "$log" "$VENV/bin/python" "$PYDIR/cputime.py" "$OUT/cpu-calls-$side-consumer.json" \
      timeout "$STEP_TIMEOUT" "${CLIENT_PIN[@]}" "$BENCH" calls --url "$URL" --wire "$wire" --count "$count" --context bench --json "$OUT/calls-$side.json"
  else
    start_bg consumer "$log" "$VENV/bin/python" "$PYDIR/cputime.py" "$OUT/cpu-calls-python-consumer.json" \
      timeout "$STEP_TIMEOUT" "${CLIENT_PIN[@]}" "$VENV/bin/python" "$PYDIR/calls.py" --url "$URL" --count "$count" --context bench --json "$OUT/calls-python.json" --timeout "$STEP_TIMEOUT"
  fi
  consumer=$BG_PID
  wait_line "$log" '^ready' 60 "$consumer"
  say "calls $side: injecting $count calls (concurrency $INJECT_CONCURRENCY, speed $SPEED)"
  if ! timeout "$STEP_TIMEOUT" "${SERVER_PIN[@]}" "$BENCH" inject --http "$HTTP" --count "$count" --context bench \
      --concurrency "$INJECT_CONCURRENCY" >"$LOGS/inject-$side.log" 2>&1; then
    say "calls $side: inject failed: $(tail -1 "$LOGS/inject-$side.log")"
  fi
  # The consumer ends once it completed every call; CALLS_TIMEOUT bounds a stuck one.
  wait_pid "$consumer" "${CALLS_TIMEOUT:-120}" || { say "calls $side consumer failed or stuck:"; tail -5 "$log" >&2; \
    curl -s "$HTTP/lab/calls" >"$LOGS/calls-$side-lab-calls.json" 2>/dev/null || true; }
  server_cpu "$OUT/cpu-calls-$side-server.json"
  stop_server
}
if wants calls; then
  call_flow swift "$CALLS"
  call_flow swift_v3 "$CALLS"
  call_flow python "$PY_CALLS"
fi

# ---- 3. memory per live answered call ----
if wants memory; then
  for n in $MEM_CALLS; do
    start_relay "memory-swift-$n"; say "memory swift: $n live calls"
    swift_step memory --url "$URL" --calls "$n" --json "$OUT/memory-$n-swift.json" >/dev/null || say "memory swift $n failed"
    stop_server
  done
  for n in $PY_MEM_CALLS; do
    start_relay "memory-python-$n"; say "memory python: $n live calls"
    python_step memory.py --url "$URL" --calls "$n" --json "$OUT/memory-$n-python.json" >/dev/null || say "memory python $n failed"
    stop_server
  done
fi

# ---- 4. the server alone (driven by the Swift SDK; no Python side) ----
if wants server; then
  start_relay server-load; say "server-load: $LOAD_CALLS live calls for ${LOAD_SECONDS}s"
  # Bounded on its own: dialing 10,000 calls takes ~10 s here; a driver stuck on a lost event
  # must not hold the run for STEP_TIMEOUT.
  timeout "${LOAD_TIMEOUT:-180}" "${CLIENT_PIN[@]}" "$BENCH" server-load --url "$URL" --server-pid "$SERVER_PID" --calls "$LOAD_CALLS" \
    --seconds "$LOAD_SECONDS" --json "$OUT/server-load-swift.json" >"$LOGS/server-load-driver.log" 2>&1 \
    || { say "server-load failed or stuck (status $?); sessions: $(curl -s "$HTTP/lab/sessions" | head -c 400)"; \
         curl -s "$HTTP/lab/sessions" >"$LOGS/server-load-sessions.json" 2>/dev/null || true; }
  # The server's peak resident memory (it held those calls); VmHWM of its process.
  awk '/VmHWM/ {printf "{\"server_peak_rss_bytes\": %d}\n", $2 * 1024}' "/proc/$SERVER_PID/status" >"$OUT/server-rss.json" 2>/dev/null || true
  stop_server  # The same driver against the floor, which answers every call and play at once: what the
  # driver and the machine allow, so the server's figure reads as a share of it.
  start_floor server-load-floor; say "server-load against the floor responder"
  timeout "${LOAD_TIMEOUT:-180}" "${CLIENT_PIN[@]}" "$BENCH" server-load --url "$URL" --server-pid "$SERVER_PID" --calls "$LOAD_CALLS" \
    --seconds "$LOAD_SECONDS" --json "$OUT/server-load-floor.json" >"$LOGS/server-load-floor-driver.log" 2>&1 \
    || say "server-load against the floor failed (status $?)"
  stop_server
fi

# ---- 5. the cost of metrics and tracing: unbound vs an in-memory backend and tracer bound ----
# One process, one server, passes alternating, so both sides see the same machine.
if wants observability; then
  start_relay observability; say "observability: unbound vs bound, ${OBS_ROUNDS:-5} rounds each"
  swift_step observability --url "$URL" --rounds "${OBS_ROUNDS:-5}" --samples "${OBS_SAMPLES:-5000}" \
    --burst "${OBS_BURST:-20000}" --json "$OUT/observability.json" >"$LOGS/observability.log" 2>&1 \
    || say "observability failed: $(tail -1 "$LOGS/observability.log")"
  [[ -f "$OUT/observability.json" ]] && say "observability: $(cat "$OUT/observability.json")"
  stop_server
fi

# ---- 6. the SIP edge: SIPp against `relay serve --sip`, with a Swift consumer answering ----
# Signalling only: SIPp's `uac` (INVITE → 180/200 → ACK → BYE at once) at fixed rates, then the
# same steps against SIPp's `uas` (the same signalling, nothing behind it) as the floor.
# Media: Benchmarks/sip/uac_rtp_hold.xml (uac_pcap with a looped 20 ms µ-law stream instead of
# the 7 s pcap) with SIP_MEDIA_LIVE calls at once, each talking SIP_MEDIA_HOLD seconds.
# Real SIP legs run on real time, so the server runs at --speed 1.
# wait_udp PORT SECONDS PID: waits until something listens on 127.0.0.1:PORT/udp (from /proc/net/udp).
wait_udp() {
  local hex start=$SECONDS
  hex="$(printf '0100007F:%04X' "$1")"
  until grep -q " $hex " /proc/net/udp 2>/dev/null; do
    if ! kill -0 "$3" 2>/dev/null; then say "process $3 exited before binding UDP port $1"; return 1; fi
    if (( SECONDS - start > $2 )); then say "nothing bound UDP port $1 within $2s"; return 1; fi
    sleep 0.05
  done
}
free_udp_port() { "$VENV/bin/python" -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
start_relay_sip() { # NAME -> SIP_TARGET, HTTP, SERVER_PID, CONSUMER_PID, CONSUMER_LOG
  local log="$LOGS/relay-$1.log" port
  port="$(free_udp_port)"
  start_bg relay "$log" "${SERVER_PIN[@]}" "$RELAY" serve --port 0 --speed 1 --sip "127.0.0.1:$port" --sip-context bench \
    --log-level warning --quiet
  SERVER_PID=$BG_PID
  wait_line "$log" '^relay listening on ws://' 60 "$SERVER_PID"
  URL="$(grep -oE 'ws://[0-9.]+:[0-9]+' "$log" | head -1)"
  HTTP="${URL/ws:/http:}"
  wait_udp "$port" 60 "$SERVER_PID"
  SIP_TARGET="127.0.0.1:$port"
  CONSUMER_LOG="$LOGS/sip-consumer-$1.log"
  start_bg consumer "$CONSUMER_LOG" "${CLIENT_PIN[@]}" "$BENCH" sip-consumer --url "$URL" --context bench
  CONSUMER_PID=$BG_PID
  wait_line "$CONSUMER_LOG" '^ready' 60 "$CONSUMER_PID"
}
sip_step() { timeout "$STEP_TIMEOUT" "${CLIENT_PIN[@]}" "$VENV/bin/python" "$PYDIR/sip_bench.py" "$@" --log-dir "$LOGS"; }
if wants sip && ! { [[ -x /usr/bin/sipp ]] || "$ROOT/scripts/sip-deps.sh"; }; then
  say "sip: SIPp is missing and scripts/sip-deps.sh could not install it; skipping"
elif wants sip; then
  SIP_RATES="${SIP_RATES:-250 500 750 1000 1500}"
  SIP_SECONDS="${SIP_SECONDS:-4}"
  SIP_MEDIA_LIVE="${SIP_MEDIA_LIVE:-100}"
  start_relay_sip rate
  say "sip: relay serve --sip $SIP_TARGET, Swift consumer $CONSUMER_PID; uac steps: $SIP_RATES calls/s, ${SIP_SECONDS}s each"
  # A short warm-up (not recorded): first-call allocations and the consumer's connection.
  sip_step rate --target "$SIP_TARGET" --rate 100 --calls 200 --server-pid "$SERVER_PID" --json "$LOGS/sip-warmup.json" >/dev/null \
    || say "sip: warm-up failed: $(tail -3 "$LOGS/sip-warmup.json" 2>/dev/null)"
  for r in $SIP_RATES; do
    sip_step rate --target "$SIP_TARGET" --rate "$r" --calls $(( r * SIP_SECONDS )) --server-pid "$SERVER_PID" \
      --consumer-pid "$CONSUMER_PID" --consumer-log "$CONSUMER_LOG" --label relay --json "$OUT/sip-rate-relay-$r.json" >/dev/null \
      || say "sip: relay step $r failed"
    say "sip relay $r/s: $(cat "$OUT/sip-rate-relay-$r.json" 2>/dev/null)"
  done
  # After the last step has settled: the consumer's count beside the server's own call states,
  # so a call that SIPp hung up but the Relay side still holds shows up (logs/sip-rate-calls.txt).
  sleep 3
  say "sip: consumer at the end: $(tail -1 "$CONSUMER_LOG")"
  curl -s --max-time 30 "$HTTP/lab/calls" | "$VENV/bin/python" -c 'import json, sys, collections
calls = json.load(sys.stdin)["calls"]
print("server call states after the rate steps:", dict(collections.Counter(c.get("state") for c in calls)))' \
    >"$LOGS/sip-rate-calls.txt" 2>&1 || true
  say "sip: $(cat "$LOGS/sip-rate-calls.txt")"
  stop_pid "$CONSUMER_PID"; stop_server
  # The floor: SIPp's uas answers the same calls with nothing behind it.
  port="$(free_udp_port)"
  start_bg uas "$LOGS/sip-uas.log" "${SERVER_PIN[@]}" /usr/bin/sipp -sn uas -i 127.0.0.1 -p "$port" -nostdin
  SERVER_PID=$BG_PID
  wait_udp "$port" 60 "$SERVER_PID"
  for r in $SIP_RATES; do
    sip_step rate --target "127.0.0.1:$port" --rate "$r" --calls $(( r * SIP_SECONDS )) --server-pid "$SERVER_PID" \
      --label floor --json "$OUT/sip-rate-floor-$r.json" >/dev/null || say "sip: floor step $r failed"
    say "sip floor $r/s: $(cat "$OUT/sip-rate-floor-$r.json" 2>/dev/null)"
  done
  stop_server
  # Media: SIP_MEDIA_LIVE concurrent calls, held while the server's CPU is sampled.
  start_relay_sip media
  say "sip media: $SIP_MEDIA_LIVE concurrent calls with RTP both ways, ${SIP_MEDIA_HOLD:-30}s each"
  sip_step media --target "$SIP_TARGET" --calls "$SIP_MEDIA_LIVE" --limit "$SIP_MEDIA_LIVE" --hold "${SIP_MEDIA_HOLD:-30}" \
    --server-pid "$SERVER_PID" --consumer-log "$CONSUMER_LOG" --http "$HTTP" --window "${SIP_WINDOW:-15}" \
    --json "$OUT/sip-media.json" >/dev/null || say "sip: media step failed"
  say "sip media: $(cat "$OUT/sip-media.json" 2>/dev/null)"
  stop_pid "$CONSUMER_PID"; stop_server
fi

# ---- summary and plot ----
"$VENV/bin/python" "$PYDIR/summarize.py" "$OUT"
if [[ "$PLOT" != 0 ]]; then
  "$VENV/bin/python" "$ROOT/Benchmarks/plot.py" "$OUT" "$PLOT"
fi
