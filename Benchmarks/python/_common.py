"""Shared plumbing for the Python side of the benchmarks (Benchmarks/run.sh).

Every script drives the *unmodified* official SDK (signalwire==2.1.1 from PyPI,
installed into .venv-bench by run.sh) and takes the same flags as the matching
`relay-bench` subcommand, so run.sh can call both sides the same way.  Figures
are printed as one JSON object and, with --json, written to a file with the
same field names as the Swift side plus "sdk": "python".
"""
import argparse
import asyncio
import json
import logging
import os
import sys
import threading

# The SDK calls logging.basicConfig(level=$LOG_LEVEL or INFO) in Client.__init__;
# configure first so that call is a no-op and INFO lines stay out of the timings.
os.environ.setdefault('LOG_LEVEL', 'WARNING')
logging.basicConfig(level=os.environ['LOG_LEVEL'].upper(), stream=sys.stderr)


def parser(description):
  p = argparse.ArgumentParser(description=description)
  p.add_argument('--url', required=True, help='Relay URL (ws://host:port)')
  p.add_argument('--project', default='local-project')
  p.add_argument('--token', default='local-token')
  p.add_argument('--json', help='write the figures as JSON to this file')
  p.add_argument('--timeout', type=float, default=float(os.environ.get('BENCH_PY_TIMEOUT', '900')),
                 help='hard deadline in seconds; the process exits 3 when it fires')
  return p


def start_watchdog(seconds):
  """Nothing may hang run.sh: the process dies hard at the deadline."""
  def fire():
    sys.stderr.write('python bench: deadline of %.0fs reached\n' % seconds)
    sys.stderr.flush()
    os._exit(3)
  t = threading.Timer(seconds, fire)
  t.daemon = True
  t.start()


def versions():
  import platform
  try:
    from importlib.metadata import version
    sdk = version('signalwire')
    aiohttp = version('aiohttp')
  except Exception:  # pragma: no cover
    sdk = aiohttp = '?'
  return {'python_version': platform.python_version(), 'sdk_version': sdk, 'aiohttp_version': aiohttp}


def write(args, figures):
  out = dict(figures)
  out['sdk'] = 'python'
  out.update(versions())
  text = json.dumps(out, sort_keys=True)
  print(text, flush=True)
  if args.json:
    with open(args.json, 'w') as f:
      f.write(text)


def percentile(sorted_ns, fraction):
  """Same rule as relay-bench: element floor(n * fraction), in µs rounded to 0.1."""
  if not sorted_ns:
    return 0.0
  index = min(len(sorted_ns) - 1, int(len(sorted_ns) * fraction))
  return round(sorted_ns[index] / 100) / 10


def resident_bytes():
  """Resident set size of this process, from /proc/self/statm (as relay-bench does)."""
  with open('/proc/self/statm') as f:
    fields = f.read().split()
  return int(fields[1]) * os.sysconf('SC_PAGESIZE')


def finish(code=0):
  sys.stdout.flush()
  sys.stderr.flush()
  os._exit(code)


async def shutdown(client, code=0):
  try:
    await asyncio.wait_for(asyncio.shield(client.connection.close()), 2)
  except BaseException:
    pass
  finish(code)


def run_client(args, body):
  """Connects a signalwire Client and runs `await body(client)` once it is ready
  (session, protocol and subscription set up); then leaves the process."""
  from signalwire.relay.client import Client
  start_watchdog(args.timeout)

  async def ready(client):
    code = 0
    try:
      await body(client)
    except BaseException as e:
      sys.stderr.write('python bench failed: %r\n' % (e,))
      code = 1
    await shutdown(client, code)

  client = Client(project=args.project, token=args.token, host=args.url)
  client.on('ready', ready)
  try:
    client.connect()
  except BaseException as e:
    sys.stderr.write('python bench crashed: %r\n' % (e,))
    finish(2)
  finish(4)
