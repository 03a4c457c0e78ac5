"""Shared plumbing for the conformance scenarios.

Each scenario is a small script that drives the *unmodified* official SDK
(signalwire==2.1.1 from PyPI) against `relay serve`.  It never talks to the
server except through the SDK.  It reports what the SDK exposed as JSON lines
on stdout, one object per line: {"kind": ..., "data": ...}.  The pytest side
(Tests/conformance/relaylab.py) reads these lines.

Environment (set by the test):
  RELAY_HOST      host given to the SDK (e.g. ws://127.0.0.1:PORT or 127.0.0.1:PORT for wss)
  RELAY_PROJECT   project id
  RELAY_TOKEN     token
  SCENARIO_TIMEOUT  hard deadline in seconds; the process exits 3 when it fires
  SCENARIO_ARGS   optional JSON object with scenario-specific arguments
"""
import asyncio
import json
import logging
import os
import sys
import threading

PROJECT = os.environ.get('RELAY_PROJECT', '')
TOKEN = os.environ.get('RELAY_TOKEN', '')
HOST = os.environ.get('RELAY_HOST', '')
DEADLINE = float(os.environ.get('SCENARIO_TIMEOUT', '45'))
ARGS = json.loads(os.environ.get('SCENARIO_ARGS') or '{}')

_lock = threading.Lock()


def _default(o):
  return repr(o)


def emit(kind, data=None):
  """Write one report line. Thread-safe, flushed at once."""
  line = json.dumps({'kind': kind, 'data': data}, default=_default)
  with _lock:
    sys.stdout.write(line + '\n')
    sys.stdout.flush()


def start_watchdog(seconds=DEADLINE):
  """Nothing may hang CI: the process dies hard at the deadline."""
  def fire():
    emit('timeout', {'after': seconds})
    os._exit(3)
  t = threading.Timer(seconds, fire)
  t.daemon = True
  t.start()


def event_info(event):
  if event is None:
    return None
  return {'name': event.name, 'payload': event.payload}


CALL_FIELDS = ('id', 'node_id', 'tag', 'state', 'prev_state', 'call_type', 'from_number',
               'to_number', 'timeout', 'context', 'active', 'ended', 'answered', 'failed',
               'busy')


def call_info(call):
  if call is None:
    return None
  info = {}
  for f in CALL_FIELDS:
    info[f] = getattr(call, f, None)
  peer = getattr(call, 'peer', None)
  info['peer_id'] = getattr(peer, 'id', None) if peer is not None else None
  return info


RESULT_FIELDS = ('successful', 'reason', 'result', 'terminator', 'confidence', 'prompt_type',
                 'detect_type', 'url', 'duration', 'size', 'direction', 'identity',
                 'remote_identity', 'document', 'pages', 'tap', 'source_device',
                 'destination_device', 'message_id')
ACTION_FIELDS = ('completed', 'state', 'control_id', 'url', 'source_device', 'payload')


def snap(obj):
  """A JSON-able picture of an SDK result or action object."""
  if obj is None:
    return None
  cls = type(obj).__name__
  out = {'class': cls}
  if cls.endswith('Action'):
    for f in ACTION_FIELDS:
      if hasattr(obj, f):
        out[f] = getattr(obj, f)
    out['result'] = snap(obj.result)
    return out
  for f in RESULT_FIELDS:
    try:
      if hasattr(obj, f):
        out[f] = getattr(obj, f)
    except Exception as e:  # a property that raises is a finding too
      out[f] = {'raised': repr(e)}
  if hasattr(obj, 'event'):
    out['event'] = event_info(obj.event)
  if hasattr(obj, 'call') and cls in ('DialResult', 'ConnectResult'):
    out['call'] = call_info(obj.call)
  return out


async def wait_until(pred, timeout=10.0, step=0.02):
  loop = asyncio.get_event_loop()
  end = loop.time() + timeout
  while not pred():
    if loop.time() > end:
      raise asyncio.TimeoutError('condition not reached in %.1fs' % timeout)
    await asyncio.sleep(step)


async def bounded(coro, seconds=20.0, what='operation'):
  """Bound one SDK await.  NB: the SDK swallows CancelledError inside component
  waits (RELAY-V2.md / captured INDEX bug 2), so a timed-out operation may come
  back as an unsuccessful result instead of raising; the overall watchdog still
  guarantees termination."""
  try:
    return await asyncio.wait_for(coro, seconds)
  except asyncio.TimeoutError:
    raise asyncio.TimeoutError('%s did not complete within %.1fs' % (what, seconds))


def _finish(code):
  try:
    sys.stdout.flush()
    sys.stderr.flush()
  finally:
    os._exit(code)


async def _shutdown(client, code):
  try:
    await asyncio.wait_for(asyncio.shield(client.connection.close()), 2)
  except BaseException:
    pass
  _finish(code)


def _logging():
  level = os.environ.get('SCENARIO_LOG', 'WARNING').upper()
  logging.basicConfig(level=level, stream=sys.stderr)


def run_client(scenario):
  """scenario: async def scenario(client, R).  R is reported as the 'result' line."""
  from signalwire.relay.client import Client
  start_watchdog()
  R = {}

  async def ready(client):
    code = 0
    try:
      await scenario(client, R)
    except BaseException as e:  # report, then fail the process
      R['exception'] = repr(e)
      code = 1
    emit('result', R)
    await _shutdown(client, code)

  client = Client(project=PROJECT, token=TOKEN, host=HOST)
  client.on('ready', ready)
  try:
    client.connect()
  except BaseException as e:
    emit('crash', repr(e))
    _finish(2)
  _finish(4)


def run_consumer(consumer_cls, contexts, **kwargs):
  """Runs a Consumer subclass.  The subclass reports through emit(); a 'ready'
  line is written once the SDK called ready() (contexts are received by then).
  Call `await done(self.client)` to stop it, or let the test terminate it."""
  start_watchdog()

  def guarded(name):
    base = getattr(consumer_cls, name)

    async def call_async(self, *args):
      try:
        if asyncio.iscoroutinefunction(base):
          await base(self, *args)
        else:
          base(self, *args)
      except BaseException as e:
        emit('error', {'handler': name, 'exception': repr(e)})
    return call_async

  attrs = {n: guarded(n) for n in ('on_incoming_call', 'on_task', 'on_incoming_message',
                                   'on_message_state_change')}
  base_ready = guarded('ready')

  async def ready(self):
    emit('ready', {'contexts': list(contexts)})
    await base_ready(self)
  attrs['ready'] = ready
  Wrapped = type('Wrapped' + consumer_cls.__name__, (consumer_cls,), attrs)

  consumer = Wrapped(project=PROJECT, token=TOKEN, host=HOST, contexts=list(contexts), **kwargs)
  try:
    consumer.run()
  except BaseException as e:
    emit('crash', repr(e))
    _finish(2)
  _finish(4)


async def done(client, code=0):
  """Leave the consumer process (after its last report)."""
  emit('done', None)
  await _shutdown(client, code)


_logging()
