"""Call lifecycle verbs: dial (begin), hangup (end), answer, wait_for_*,
Call.on listeners; outcomes of the simulated numbers."""
import json

import pytest

from checks import contains, ended, ev, failed, ok, server_call, states_in_order

HUMAN = '+12015550100'
BUSY = '+12015550101'
NO_ANSWER = '+12015550102'
FAILS = '+12015550103'
SHORT_CALL = '+12015550108'
CALLER = '+12025550123'


def test_dial_and_hangup(server, sdk):
  R = sdk('dial', server, args={'name': 'dial_hangup', 'to': HUMAN, 'timeout': 30}).result()
  dial = ok(R['dial'], 'dial')
  name, payload = ev(dial)
  assert name == 'answered'
  assert payload['device'] == {'type': 'phone', 'params': {'from_number': '+12025550199',
                                                            'to_number': HUMAN, 'timeout': 30}}
  assert payload.get('tag'), 'calling.call.state must echo the tag of calling.begin'
  call = dial['call']
  assert call['prev_state'] == 'ringing' and call['state'] == 'answered'
  hangup = ok(R['hangup'], 'hangup')
  assert hangup['reason'] == 'hangup'
  after = R['call_after_hangup']
  assert after['state'] == 'ended' and after['prev_state'] == 'ending'
  rec = server_call(server, call['id'], until=ended)
  assert states_in_order(rec, ['created', 'ringing', 'answered', 'ending', 'ended'])


def test_new_call_then_dial(server, sdk):
  R = sdk('dial', server, args={'name': 'new_call_dial', 'to': HUMAN}).result()
  assert R['before_dial']['state'] is None and R['before_dial']['id'] is None
  ok(R['dial'], 'dial')
  assert R['same_call'] is True
  assert 'timeout' not in ev(R['dial'])[1]['device']['params']
  ok(R['hangup'], 'hangup')
  assert R['call_after_hangup']['ended'] is True


def test_hangup_with_reason_busy(server, sdk):
  R = sdk('dial', server, args={'name': 'dial_hangup', 'to': HUMAN, 'reason': 'busy'}).result()
  hangup = ok(R['hangup'], 'hangup')
  assert hangup['reason'] == 'busy', hangup
  assert ev(hangup)[1].get('end_reason') == 'busy'


def test_dial_busy(server, sdk):
  R = sdk('dial', server, args={'name': 'dial_hangup', 'to': BUSY}).result()
  dial = failed(R['dial'], 'dial busy')
  assert ev(dial)[0] in ('ending', 'ended')
  assert ev(dial)[1].get('end_reason') == 'busy'
  # dial() completes on 'ending'; Call.busy is set on 'ended'
  assert R['call_after_dial']['state'] in ('ending', 'ended')
  assert R['call_after_end']['busy'] is True, R['call_after_end']
  assert R['call_after_end']['state'] == 'ended'
  rec = server_call(server, R['call_after_dial']['id'], until=ended)
  assert contains(rec, 'busy')


def test_dial_unroutable_fails(server, sdk):
  R = sdk('dial', server, args={'name': 'dial_hangup', 'to': FAILS}).result()
  dial = failed(R['dial'], 'dial unroutable')
  assert ev(dial)[1].get('call_state') in ('ending', 'ended')
  assert R['call_after_end']['failed'] is True, R['call_after_end']
  assert R['call_after_end']['answered'] is False
  assert ev(dial)[1].get('end_reason') == 'error'


def test_dial_no_answer_times_out(server, sdk):
  R = sdk('dial', server, args={'name': 'dial_hangup', 'to': NO_ANSWER, 'timeout': 3}).result(timeout=60)
  dial = failed(R['dial'], 'dial no answer')
  payload = ev(dial)[1]
  assert payload.get('call_state') in ('ending', 'ended')
  assert payload.get('end_reason') in ('noAnswer', 'timeout', 'hangup'), payload
  assert R['call_after_end']['answered'] is False
  assert R['call_after_end']['state'] == 'ended'


@pytest.mark.speed(2)
def test_wait_for_ringing_answered_ending_ended(server, sdk):
  """+12015550108 hangs up by itself after 2 s (scaled by --speed)."""
  R = sdk('dial', server, args={'name': 'wait_for_states', 'to': SHORT_CALL}).result(timeout=60)
  assert R['first_state'] in ('created', 'ringing')
  assert R['ringing'] is True
  ok(R['dial'], 'dial')
  assert R['answered'] is True
  assert R['ending'] is True and R['ended'] is True
  assert R['call_after']['state'] == 'ended'
  rec = server_call(server, R['dial']['call']['id'], until=ended)
  assert states_in_order(rec, ['answered', 'ending', 'ended'])


def test_call_listeners_see_each_state(server, sdk):
  R = sdk('dial', server, args={'name': 'call_events', 'to': HUMAN}).result()
  seen = R['seen']
  order = [s for s in seen if s != 'stateChange']
  assert order == ['created', 'ringing', 'answered', 'ending', 'ended'], seen
  assert seen.count('stateChange') == 5, seen


def test_inbound_answer_play_hangup(server, sdk):
  p = sdk('consumer', server, args={'contexts': ['office'], 'say': 'Thanks for calling'})
  p.expect('ready')
  server.lab.inject_call(**{'from': CALLER, 'to': '+12025550777', 'context': 'office'})
  incoming = p.expect('incoming_call')
  assert incoming['from_number'] == CALLER and incoming['to_number'] == '+12025550777'
  assert incoming['context'] == 'office'
  assert incoming['state'] in ('created', 'ringing')
  done = p.expect('call_done')
  ok(done['answer'], 'answer')
  assert ev(done['answer'])[0] == 'answered'
  ok(done['play'], 'play_tts')
  ok(done['hangup'], 'hangup')
  rec = server_call(server, incoming['id'], until=ended)
  assert states_in_order(rec, ['created', 'answered', 'ending', 'ended']), rec
  assert contains(rec, 'Thanks for calling')
