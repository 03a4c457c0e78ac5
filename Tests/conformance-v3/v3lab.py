"""Helpers shared by the v3 scenarios (conftest.py holds the fixtures)."""
import asyncio
import os

PROJECT = 'a5b52f6c-7a8e-4c1b-9d3e-0f1e2d3c4b5a'
TOKEN = 'PT0b7c2a1e9f8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d'
SPEED = float(os.environ.get('CONFORMANCE_SPEED', '10'))
SCENARIO_TIMEOUT = float(os.environ.get('CONFORMANCE_V3_TIMEOUT', '60'))
CALLER = '+12025550100'


def run(coro, timeout=SCENARIO_TIMEOUT):
  """Runs one scenario coroutine on a fresh event loop, bounded."""
  async def bounded():
    return await asyncio.wait_for(coro, timeout)
  return asyncio.run(bounded())


async def lab(fn, *args, **kwargs):
  """A lab API call (blocking HTTP) off the event loop, so the client keeps reading."""
  return await asyncio.to_thread(fn, *args, **kwargs)


async def until(predicate, timeout=15.0, what='condition'):
  """Polls a (blocking) predicate off the loop until it returns a truthy value."""
  loop = asyncio.get_running_loop()
  deadline = loop.time() + timeout
  while True:
    value = await asyncio.to_thread(predicate)
    if value:
      return value
    if loop.time() > deadline:
      raise AssertionError('timed out waiting for ' + what)
    await asyncio.sleep(0.05)


def v3_sessions(server):
  return [s for s in server.lab.sessions()['sessions'] if s.get('dialect') == 'v3']


async def state(call, wanted, timeout=15.0):
  """Waits until the client's Call reports `wanted` (events may arrive before a listener could
  be registered, so this reads the state the client keeps)."""
  loop = asyncio.get_running_loop()
  deadline = loop.time() + timeout
  while call.state != wanted:
    if loop.time() > deadline:
      raise AssertionError('call %s stayed %s, never %s' % (call.call_id, call.state, wanted))
    await asyncio.sleep(0.02)
