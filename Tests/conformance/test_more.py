"""More behaviour the official SDK depends on: scripted inbound callers, message
outcomes, task routing, wss for a whole call, reconnect after a dropped socket."""
import json
import time

import pytest

from checks import contains, ended, ev, failed, ok, server_call, states_in_order

CALLER = '+12025550123'
OWNED = '+12025550777'


def test_inbound_caller_script_keys_digits(server, sdk):
  p = sdk('consumer', server, args={'contexts': ['office'], 'call': 'prompt_digits'})
  p.expect('ready')
  server.lab.inject_call(**{'from': CALLER, 'to': OWNED, 'context': 'office', 'script': {'digits': '4321#'}})
  done = p.expect('call_done')
  prompt = ok(done['prompt'], 'prompt on a scripted caller')
  assert prompt['result'] == '4321' and prompt['terminator'] == '#', prompt
  rec = server_call(server, done['id'], until=ended)
  assert contains(rec, '4321')


def test_inbound_caller_script_says_words(server, sdk):
  p = sdk('consumer', server, args={'contexts': ['office'], 'call': 'prompt_speech'})
  p.expect('ready')
  server.lab.inject_call(**{'from': CALLER, 'to': OWNED, 'context': 'office',
                            'script': {'speech': 'talk to sales'}})
  done = p.expect('call_done')
  prompt = ok(done['prompt'], 'speech prompt on a scripted caller')
  assert prompt['prompt_type'] == 'speech' and prompt['result'] == 'talk to sales', prompt


def test_inbound_caller_hangs_up(server, sdk):
  """The caller hangs up 1 s after answer: the consumer's wait_for_ended sees it."""
  p = sdk('consumer', server, args={'contexts': ['office'], 'call': 'wait_ended'})
  p.expect('ready')
  server.lab.inject_call(**{'from': CALLER, 'to': OWNED, 'context': 'office', 'script': {'hangup_after': 1}})
  done = p.expect('call_done')
  ok(done['answer'], 'answer')
  assert done['ended'] is True
  assert done['call']['state'] == 'ended'
  rec = server_call(server, done['id'], until=ended)
  assert states_in_order(rec, ['answered', 'ending', 'ended'])


@pytest.mark.parametrize('to,final', [('+12015550110', 'undelivered'), ('+12015550111', 'failed')])
def test_message_failure_states(server, sdk, to, final):
  p = sdk('seed_send_sms', server, args={'to': to, 'body': 'will not arrive'})
  p.expect('ready')
  ok(p.expect('send'), 'send (queued)')
  states = []
  while not states or states[-1]['state'] not in ('delivered', 'undelivered', 'failed'):
    states.append(p.expect('state'))
  assert states[0]['state'] == 'queued'
  assert states[-1]['state'] == final, states
  assert states[-1]['reason'], 'a failed/undelivered message carries a reason (RELAY-V2 7.2)'


def test_tasks_shared_once_and_isolated_by_project(relay_factory, sdk):
  from conftest import OTHER_PROJECT, OTHER_TOKEN
  srv = relay_factory(extra_args=['--project', OTHER_PROJECT, '--token', OTHER_TOKEN])
  a = sdk('consumer', srv, args={'contexts': ['office']})
  b = sdk('consumer', srv, args={'contexts': ['office']})
  other = sdk('consumer', srv, project=OTHER_PROJECT, token=OTHER_TOKEN, args={'contexts': ['office']})
  for p in (a, b, other):
    p.expect('ready')
  for i in range(6):
    st, _, body = srv.http('POST', '/api/relay/rest/tasks', {'context': 'office', 'message': {'n': i}})
    assert st == 204, (st, body)
  got = []
  deadline = time.monotonic() + 20
  while len(got) < 6 and time.monotonic() < deadline:
    for p in (a, b):
      try:
        rep = p.next_report(0.05)
      except AssertionError as e:
        if 'no report' in str(e):
          continue
        raise
      if rep['kind'] == 'task':
        got.append((p.proc.pid, rep['data']['message']['n']))
  assert sorted(n for _, n in got) == list(range(6)), got
  assert len({pid for pid, _ in got}) == 2, 'both consumers take tasks: %s' % got
  time.sleep(0.5)
  assert other.of_kind('task') == []
  with pytest.raises(AssertionError, match='no report'):
    other.next_report(0.3)


@pytest.mark.tls
def test_outbound_call_over_wss(tls_server, sdk):
  """The SDK's default scheme: host without ws:// means wss://."""
  R = sdk('media', tls_server, host=tls_server.hostport, args={'name': 'play_tts'}).result()
  ok(R['dial'], 'dial over wss')
  ok(R['play'], 'play over wss')
  ok(R['hangup'], 'hangup over wss')


def test_consumer_reconnects_after_dropped_socket(server, sdk):
  """The server drops the consumer's socket; Python sleeps 5 s, reconnects with a
  fresh blade.connect, re-receives its contexts and gets the next call exactly once
  (a server that handed out the same protocol again would make it fire twice:
  captured session_consumer_reconnect_same_protocol)."""
  p = sdk('consumer', server, args={'contexts': ['office']}, timeout=60)
  p.expect('ready')
  dropped = server.lab.drop()
  assert dropped.get('dropped') == 1, dropped
  p.expect('ready', timeout=20)  # ready() runs again after the reconnect
  server.lab.inject_call(**{'from': CALLER, 'to': OWNED, 'context': 'office'})
  p.expect('call_done', timeout=20)
  time.sleep(1.0)
  try:
    p.next_report(0.5)
  except AssertionError as e:
    assert 'no report' in str(e), e
  assert len(p.of_kind('incoming_call')) == 1, p.of_kind('incoming_call')


def test_duplicated_events_do_not_break_a_call(server, sdk):
  """With the lab's duplicate-events fault on, the SDK still completes dial/play/hangup."""
  server.lab.duplicate_and_delay(duplicate=True)
  R = sdk('media', server, args={'name': 'play_tts'}).result()
  ok(R['dial'], 'dial')
  ok(R['play'], 'play')
  ok(R['hangup'], 'hangup')
