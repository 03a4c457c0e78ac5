"""Assertions shared by the tests: on what the SDK exposed and on what the
server recorded (lab API).  The lab's JSON shapes are matched loosely (by keys
and values found anywhere in a timeline) so a cosmetic change of the lab API
does not hide a behavioural failure, yet every check can fail."""
import json
import time


def walk(obj):
  """Every (key, value) pair anywhere in a JSON value."""
  if isinstance(obj, dict):
    for k, v in obj.items():
      yield k, v
      yield from walk(v)
  elif isinstance(obj, list):
    for v in obj:
      yield from walk(v)


def values_of(obj, key):
  return [v for k, v in walk(obj) if k == key]


def contains(obj, text):
  return text in json.dumps(obj)


def ok(result, what):
  assert result is not None, '%s: no result' % what
  assert result.get('successful') is True, '%s not successful: %s' % (what, json.dumps(result)[:1500])
  return result


def failed(result, what):
  assert result is not None, '%s: no result' % what
  assert result.get('successful') is False, '%s unexpectedly successful: %s' % (what, json.dumps(result)[:1500])
  return result


def ev(result):
  e = result.get('event') or {}
  return e.get('name'), e.get('payload') or {}


def server_call(server, call_id, until=None, timeout=5.0):
  """The server's record of a call (lab API), optionally polled until
  `until(record)` holds (the server may log the last events a moment later)."""
  assert call_id, 'no call id to look up'
  deadline = time.monotonic() + timeout
  while True:
    rec = server.lab.call(call_id)
    if until is None or until(rec) or time.monotonic() > deadline:
      return rec
    time.sleep(0.05)


def ended(rec):
  return isinstance(rec, dict) and rec.get('state') == 'ended'


def timeline(rec, kind=None):
  entries = rec.get('timeline') or []
  return [e for e in entries if kind is None or e.get('kind') == kind]


def call_states(rec):
  """The call states the server went through, from its timeline (kind 'state',
  text 'ended (hangup)' -> 'ended')."""
  out = []
  for e in timeline(rec, 'state'):
    word = (e.get('text') or '').split(' ', 1)[0]
    out.append(word or (e.get('data') or {}).get('call_state'))
  return out


def states_in_order(rec, states):
  """True when the server's timeline holds these call states in this order."""
  seen = call_states(rec)
  pos = 0
  for s in states:
    try:
      pos = seen.index(s, pos) + 1
    except ValueError:
      return False
  return True


def legs(server, parent_id):
  """Calls the server created for `parent_id` through calling.connect, in creation order."""
  calls = server.lab.calls().get('calls') or []
  return [c for c in calls if c.get('parent_call_id') == parent_id]  # the lab lists calls in creation order
