"""Routing: consumers on one context share inbound work exactly once; nothing
crosses projects; wrong credentials never reach ready."""
import json
import time

import pytest

from checks import contains, ended, server_call
from conftest import OTHER_PROJECT, OTHER_TOKEN

CALLER = '+12025550123'
N_CALLS = 10


def test_two_consumers_share_inbound_calls_exactly_once(server, sdk):
  a = sdk('consumer', server, args={'contexts': ['office'], 'call': 'answer_play_hangup', 'say': 'Hi'})
  b = sdk('consumer', server, args={'contexts': ['office'], 'call': 'answer_play_hangup', 'say': 'Hi'})
  a.expect('ready')
  b.expect('ready')
  injected = [server.lab.inject_call(**{'from': '+1202555%04d' % i, 'to': '+12025550777', 'context': 'office'})
              for i in range(N_CALLS)]
  done = {}
  deadline = time.monotonic() + 60
  while len(done) < N_CALLS and time.monotonic() < deadline:
    for p in (a, b):
      try:
        rep = p.next_report(0.05)
      except AssertionError as e:
        if 'no report' in str(e):
          continue
        raise
      if rep['kind'] == 'call_done':
        done.setdefault(rep['data']['id'], []).append(p.proc.pid)
  seen_a = [c['id'] for c in a.of_kind('incoming_call')]
  seen_b = [c['id'] for c in b.of_kind('incoming_call')]
  assert len(seen_a) + len(seen_b) == N_CALLS, (seen_a, seen_b)
  assert not set(seen_a) & set(seen_b), 'a call reached both consumers'
  assert len(set(seen_a) | set(seen_b)) == N_CALLS
  assert seen_a and seen_b, 'load is shared: each consumer got some calls (%d/%d)' % (len(seen_a), len(seen_b))
  assert len(done) == N_CALLS and all(len(v) == 1 for v in done.values()), done
  for cid in seen_a + seen_b:
    rec = server_call(server, cid, until=ended)
    assert ended(rec) and contains(rec, 'answered')


def test_other_project_never_sees_calls(relay_factory, sdk, log_dir):
  """A consumer of another project on the same context name gets nothing."""
  srv = relay_factory(extra_args=_second_project_args(log_dir))
  mine = sdk('consumer', srv, args={'contexts': ['office']})
  theirs = sdk('consumer', srv, project=OTHER_PROJECT, token=OTHER_TOKEN, args={'contexts': ['office']})
  mine.expect('ready')
  theirs.expect('ready')
  for i in range(4):
    srv.lab.inject_call(**{'from': CALLER, 'to': '+12025550777', 'context': 'office'})
  for i in range(4):
    mine.expect('call_done')
  srv.lab.inject_message(**{'from': CALLER, 'to': '+12025550777', 'context': 'office', 'body': 'mine'})
  mine.expect('incoming_message')
  time.sleep(1.0)
  with pytest.raises(AssertionError, match='no report'):
    theirs.next_report(0.5)
  assert theirs.of_kind('incoming_call') == [] and theirs.of_kind('incoming_message') == []


def _second_project_args(log_dir):
  """`relay serve` takes --project/--token pairs, repeatable (docs/SERVER.md)."""
  return ['--project', OTHER_PROJECT, '--token', OTHER_TOKEN]


def test_wrong_token_never_ready_and_server_keeps_serving(server, sdk):
  bad = sdk('consumer', server, token='PTnot-the-token', args={'contexts': ['office']}, timeout=20)
  with pytest.raises(AssertionError, match='no report'):
    bad.next_report(3.0)
  assert bad.of_kind('ready') == []
  good = sdk('dial', server, args={'name': 'dial_hangup'})
  R = good.result()
  assert R['dial']['successful'] is True


def test_inbound_call_without_consumer_ends_unanswered(server, sdk):
  c = server.lab.inject_call(**{'from': CALLER, 'to': '+12025550777', 'context': 'nobody-listens',
                                'ring_timeout': 2})
  cid = c.get('call_id') or c.get('id')
  rec = server_call(server, cid, until=ended, timeout=30)
  assert ended(rec), rec
  assert not contains(rec, '"answered"'), rec


def test_calls_go_to_the_consumer_still_connected(server, sdk):
  """One of two consumers dies (SIGKILL, no goodbye). New inbound calls must go to
  the consumer still connected, not to the dead one's resumable session."""
  a = sdk('consumer', server, args={'contexts': ['office']})
  b = sdk('consumer', server, args={'contexts': ['office']})
  a.expect('ready')
  b.expect('ready')
  import os, signal
  os.kill(a.proc.pid, signal.SIGKILL)
  a.proc.wait(5)
  time.sleep(0.5)
  for i in range(4):
    server.lab.inject_call(**{'from': CALLER, 'to': '+12025550777', 'context': 'office', 'ring_timeout': 10})
  for i in range(4):
    b.expect('call_done', timeout=15)
  assert len(b.of_kind('incoming_call')) == 4


def test_shutdown_sends_blade_disconnect(server, sdk):
  """SIGTERM: the server says blade.disconnect before closing (issue 3, RELAY-V2 2.8);
  Python then goes idle (queues new requests)."""
  import os, signal
  p = sdk('shutdown', server)
  p.expect('ready')
  os.kill(server.proc.pid, signal.SIGTERM)
  closed = p.expect('closed', timeout=15)
  assert 'blade.disconnect' in closed['methods'], closed
  assert closed['idle'] is True
  assert server.proc.wait(15) == 0, 'relay serve exits 0 on SIGTERM'
  server.alive = lambda: True  # stopped on purpose
