"""The SIP edge's load steps for Benchmarks/run.sh (SIPp against `relay serve --sip`).

  sip_bench.py rate  --target HOST:PORT --rate R --calls N --server-pid PID [--consumer-pid PID] [--consumer-log LOG] --json OUT
      SIPp's built-in `uac` (INVITE, 180/200, ACK, BYE at once: signalling only) at R calls/s
      for N calls; passed = 0 failed, at least 95% of R completed per second and (with the
      consumer's log) no call left up 2 s after the step. Records calls/s completed, failed calls,
      retransmissions, SIPp's mean INVITE→200 time, the server's (and consumer's) CPU per call,
      datagrams the target's UDP socket dropped, and how busy the machine was.
  sip_bench.py media --target HOST:PORT --calls N --limit L --hold S --server-pid PID --consumer-log LOG --http URL --json OUT
      Benchmarks/sip/uac_rtp_hold.xml (SIPp's uac_pcap, but streaming a looped µ-law tone with
      SIPp's rtp_stream for S seconds, then BYE), at most L calls at once and N in all; once L
      calls are live (the consumer's status lines say so) the
      server's CPU is sampled over a steady window; after the run the calls' RTP counters are
      summed from the lab API (GET /lab/calls/<id> → sip_media).

SIPp runs with its own free UDP port, under a wall-clock bound, with output in the log dir.
"""
import argparse
import csv
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

HZ = os.sysconf('SC_CLK_TCK')
SIPP = '/usr/bin/sipp'


def cpu_seconds(pid):
  """utime + stime of a process, in seconds (None once it is gone)."""
  try:
    with open('/proc/%d/stat' % pid) as f:
      fields = f.read().rsplit(') ', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / HZ
  except (OSError, IndexError, ValueError):
    return None


def machine_jiffies():
  """(busy, total) jiffies of all CPUs since boot, from /proc/stat."""
  with open('/proc/stat') as f:
    values = [int(v) for v in f.readline().split()[1:]]
  idle = values[3] + (values[4] if len(values) > 4 else 0)
  return sum(values) - idle, sum(values)


def udp_drops(target):
  """Datagrams the kernel dropped for the UDP socket bound to HOST:PORT (full receive buffer),
  from the last column of /proc/net/udp; None when nothing is bound there."""
  host, port = target.rsplit(':', 1)
  local = '%s:%04X' % (socket.inet_aton(host)[::-1].hex().upper(), int(port))
  try:
    with open('/proc/net/udp') as f:
      for line in f.readlines()[1:]:
        fields = line.split()
        if fields[1] == local:
          return int(fields[-1])
  except (OSError, ValueError, IndexError):
    pass
  return None


def free_udp_port():
  s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
  s.bind(('127.0.0.1', 0))
  port = s.getsockname()[1]
  s.close()
  return port


def sipp_stats(path):
  """The last row of SIPp's -trace_stat CSV as a dict (cumulative columns end in '(C)')."""
  with open(path) as f:
    rows = [r for r in csv.reader(f, delimiter=';') if r]
  return dict(zip(rows[0], rows[-1])) if len(rows) > 1 else {}


def hms_to_ms(text):
  """SIPp's HH:MM:SS:uuuuuu durations to milliseconds."""
  parts = (text or '').split(':')
  if len(parts) != 4:
    return None
  h, m, s, us = (int(p) for p in parts)
  return ((h * 60 + m) * 60 + s) * 1000 + us / 1000


def run_sipp(args, scenario, extra, cwd, wall_limit, background=False):
  stat = os.path.join(cwd, 'sipp-stat.csv')
  if os.path.exists(stat):
    os.remove(stat)
  which = ['-sf', scenario] if scenario.endswith('.xml') else ['-sn', scenario]
  cmd = [SIPP] + which + [args.target, '-s', args.user, '-i', '127.0.0.1', '-p', str(free_udp_port()),
         '-nostdin', '-timeout', '%ds' % wall_limit, '-timeout_error', '-trace_stat', '-stf', stat, '-fd', '1'] + extra
  log = open(os.path.join(cwd, 'sipp.log'), 'w')
  child = subprocess.Popen(cmd, cwd=cwd, stdout=log, stderr=subprocess.STDOUT)
  return child, stat, log


def rate(args):
  work = tempfile.mkdtemp(prefix='sip-rate-', dir=args.log_dir)
  seconds_allowed = int(args.calls / args.rate * 3 + 30)
  cpu0 = cpu_seconds(args.server_pid)
  con0 = cpu_seconds(args.consumer_pid) if args.consumer_pid else None
  busy0, total0 = machine_jiffies()
  drops0 = udp_drops(args.target)
  before = consumer_live(args.consumer_log) if args.consumer_log else None
  started = time.monotonic()
  child, stat, log = run_sipp(args, 'uac', ['-r', str(args.rate), '-rp', '1000', '-m', str(args.calls), '-l', str(args.limit), '-d', '0'],
                              work, seconds_allowed)
  # os.wait4 gives SIPp's own CPU time.
  _, status, usage = os.wait4(child.pid, 0)
  log.close()
  elapsed = time.monotonic() - started
  cpu1 = cpu_seconds(args.server_pid)
  con1 = cpu_seconds(args.consumer_pid) if args.consumer_pid else None
  busy1, total1 = machine_jiffies()
  drops1 = udp_drops(args.target)
  s = sipp_stats(stat)
  ok = int(s.get('SuccessfulCall(C)', 0) or 0)
  failed = int(s.get('FailedCall(C)', 0) or 0)
  created = int(s.get('OutgoingCall(C)', 0) or 0)
  ncpu = os.cpu_count() or 1
  fig = {
      'benchmark': 'sip_rate', 'server': args.label, 'target_rate': args.rate, 'calls': args.calls,
      'created': created, 'successful': ok, 'failed': failed + max(0, args.calls - created),
      'retransmissions': int(s.get('Retransmissions(C)', 0) or 0),
      'seconds': round(elapsed, 3), 'calls_per_second': round(ok / elapsed, 1) if elapsed > 0 else 0,
      'invite_to_200_ms': hms_to_ms(s.get('ResponseTime1(C)')),
      'sipp_exit': os.waitstatus_to_exitcode(status),
      'sipp_cpu_us_per_call': round((usage.ru_utime + usage.ru_stime) / ok * 1e6, 1) if ok else None,
      'machine_busy_cores': round((busy1 - busy0) / (total1 - total0) * ncpu, 2) if total1 > total0 else None,
      'load_average': list(os.getloadavg()),
  }
  if cpu0 is not None and cpu1 is not None and ok:
    fig['server_cpu_us_per_call'] = round((cpu1 - cpu0) / ok * 1e6, 1)
    fig['server_cores'] = round((cpu1 - cpu0) / elapsed, 2)
  if con0 is not None and con1 is not None and ok:
    fig['consumer_cpu_us_per_call'] = round((con1 - con0) / ok * 1e6, 1)
  # Datagrams the server's SIP socket lost while the step ran. A lost ACK and BYE leave the
  # call up on the server until Timer H (64·T1 = 32 s), yet SIPp's built-in uac counts the call
  # as successful: it takes the server's retransmitted 200 (to the INVITE) as the BYE's 200.
  if drops0 is not None and drops1 is not None:
    fig['server_socket_drops'] = drops1 - drops0
  # So the consumer's count tells: calls still up 2 s after the last BYE was sent.
  if args.consumer_log:
    time.sleep(2)
    c = consumer_live(args.consumer_log)
    if c:
      fig['calls_left_up_after_2s'] = c[2]
      fig['calls_up_before'] = before[2] if before else 0
  # Passed: every call completed, none failed, and at (nearly) the rate asked: a server that
  # falls behind completes everything too, only later (SIPp then retransmits).
  fig['passed'] = (fig['failed'] == 0 and ok == args.calls and fig['sipp_exit'] == 0
                   and fig['calls_per_second'] >= 0.95 * args.rate
                   and fig.get('calls_left_up_after_2s', 0) <= fig.get('calls_up_before', 0))
  write(args.json, fig)


def consumer_live(path):
  """The consumer's last status line: (answered, ended, live, failed)."""
  try:
    with open(path, 'rb') as f:
      f.seek(max(0, os.path.getsize(path) - 4096))
      tail = f.read().decode(errors='replace')
  except OSError:
    return None
  found = re.findall(r'answered=(\d+) ended=(\d+) live=(-?\d+) failed=(\d+)', tail)
  return tuple(int(v) for v in found[-1]) if found else None


def get_json(url):
  with urllib.request.urlopen(url, timeout=30) as r:
    return json.load(r)


def write_tone_wav(path, seconds=2, hz=440):
  """A G.711 µ-law WAV (format 7, 8 kHz mono) of a tone, for SIPp's rtp_stream."""
  import math
  import struct

  def ulaw(x):
    sign = 0x80 if x < 0 else 0
    x = min(abs(x), 32635) + 0x84
    exp = next((e for e in range(7, -1, -1) if x & (0x80 << e)), 0)
    return ~(sign | (exp << 4) | ((x >> (exp + 3)) & 0x0F)) & 0xFF

  data = bytes(ulaw(int(8000 * math.sin(2 * math.pi * hz * i / 8000))) for i in range(8000 * seconds))
  fmt = struct.pack('<HHIIHHH', 7, 1, 8000, 8000, 1, 8, 0)
  with open(path, 'wb') as f:
    f.write(b'RIFF' + struct.pack('<I', 4 + 8 + len(fmt) + 8 + len(data)) + b'WAVE' + b'fmt ' + struct.pack('<I', len(fmt)) + fmt
            + b'data' + struct.pack('<I', len(data)) + data)


def media(args):
  work = tempfile.mkdtemp(prefix='sip-media-', dir=args.log_dir)
  # The scenario streams audio.wav from its working directory.
  write_tone_wav(os.path.join(work, 'audio.wav'))
  rate_ = max(1, args.limit)  # all L calls start within about a second
  bound = int(args.calls / args.limit * (args.hold + 10) + 60)
  child, stat, log = run_sipp(args, args.scenario, ['-r', str(rate_), '-rp', '1000', '-m', str(args.calls), '-l', str(args.limit),
                                                     '-d', str(int(args.hold * 1000))], work, bound)
  fig = {'benchmark': 'sip_media', 'target_live': args.limit, 'calls': args.calls, 'hold_seconds': args.hold,
         'window_seconds': args.window}
  try:
    # Wait (bounded) until L calls are answered and live.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and child.poll() is None:
      c = consumer_live(args.consumer_log)
      if c and c[2] >= args.limit:
        break
      time.sleep(0.1)
    time.sleep(args.settle)
    live_samples = []
    cpu0, busy0, t0 = cpu_seconds(args.server_pid), machine_jiffies(), time.monotonic()
    sipp0 = cpu_seconds(child.pid)
    while time.monotonic() - t0 < args.window and child.poll() is None:
      c = consumer_live(args.consumer_log)
      if c:
        live_samples.append(c[2])
      time.sleep(0.25)
    cpu1, busy1, t1 = cpu_seconds(args.server_pid), machine_jiffies(), time.monotonic()
    sipp1 = cpu_seconds(child.pid)
    window = t1 - t0
    ncpu = os.cpu_count() or 1
    fig.update({
        'measured_seconds': round(window, 2),
        'live_min': min(live_samples) if live_samples else 0, 'live_max': max(live_samples) if live_samples else 0,
        'server_cores': round((cpu1 - cpu0) / window, 3) if cpu0 is not None and cpu1 is not None else None,
        'sipp_cores': round((sipp1 - sipp0) / window, 3) if sipp0 is not None and sipp1 is not None else None,
        'machine_busy_cores': round((busy1[0] - busy0[0]) / (busy1[1] - busy0[1]) * ncpu, 2),
        'load_average': list(os.getloadavg()),
    })
    child.wait(timeout=bound + 30)
  finally:
    if child.poll() is None:
      child.kill()
      child.wait()
    log.close()
  s = sipp_stats(stat)
  fig.update({'successful': int(s.get('SuccessfulCall(C)', 0) or 0), 'failed': int(s.get('FailedCall(C)', 0) or 0),
              'sipp_exit': child.returncode})
  # The RTP counters of every SIP call (the edge keeps the last 1,024 ended calls').
  totals = {'packets_in': 0, 'packets_out': 0, 'lost': 0}
  jitters, counted = [], 0
  for call in get_json(args.http + '/lab/calls').get('calls', []):
    cid = call.get('call_id') or call.get('id')
    if not cid:
      continue
    m = get_json('%s/lab/calls/%s' % (args.http, cid)).get('sip_media')
    if not m:
      continue
    counted += 1
    for k in totals:
      totals[k] += m.get(k, 0)
    jitters.append(m.get('jitter_ms', 0))
  fig.update({'calls_with_media': counted, 'rtp_in': totals['packets_in'], 'rtp_out': totals['packets_out'],
              'rtp_lost': totals['lost'], 'jitter_ms_max': max(jitters) if jitters else None,
              'jitter_ms_mean': round(sum(jitters) / len(jitters), 3) if jitters else None})
  fig['passed'] = (fig['failed'] == 0 and fig['live_min'] >= args.limit and fig['server_cores'] is not None
                   and fig['server_cores'] < 1.0)
  write(args.json, fig)


def write(path, fig):
  text = json.dumps(fig)
  print(text)
  with open(path, 'w') as f:
    f.write(text + '\n')


def main():
  p = argparse.ArgumentParser()
  sub = p.add_subparsers(dest='cmd', required=True)
  for name in ('rate', 'media'):
    q = sub.add_parser(name)
    q.add_argument('--target', required=True)
    q.add_argument('--user', default='bench')
    q.add_argument('--server-pid', type=int, required=True)
    q.add_argument('--json', required=True)
    q.add_argument('--log-dir', default=tempfile.gettempdir())
    q.add_argument('--calls', type=int, required=True)
  r = sub.choices['rate']
  r.add_argument('--rate', type=int, required=True)
  r.add_argument('--limit', type=int, default=1000)
  r.add_argument('--consumer-pid', type=int)
  r.add_argument('--label', default='relay')
  r.add_argument('--consumer-log', help="the consumer's status log: calls still up after the step")
  m = sub.choices['media']
  m.add_argument('--limit', type=int, default=100)
  m.add_argument('--consumer-log', required=True)
  m.add_argument('--http', required=True)
  m.add_argument('--window', type=float, default=10)
  m.add_argument('--settle', type=float, default=2)
  m.add_argument('--hold', type=float, default=30, help='seconds each call talks')
  m.add_argument('--scenario', default=os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'sip', 'uac_rtp_hold.xml'))
  args = p.parse_args()
  rate(args) if args.cmd == 'rate' else media(args)


if __name__ == '__main__':
  sys.exit(main())
