"""The seed's four examples, run by the unmodified official SDK against
`relay serve` (issue 3, "Done when")."""
import json

import pytest

from checks import contains, ended, ev, failed, legs, ok, server_call, states_in_order

HUMAN = '+12015550100'
BUSY = '+12015550101'
FAILS = '+12015550103'
SHORT_CALL = '+12015550108'
CALLER = '+12025550123'
OFFICE_NUMBER = '+12025550777'


def test_outbound_call_tts_hangup(server, sdk):
  p = sdk('seed_outbound_tts', server)
  p.expect('ready')
  R = p.expect('result')
  dial = ok(R['dial'], 'dial')
  name, payload = ev(dial)
  assert name == 'answered'
  assert payload.get('call_state') == 'answered'
  assert payload.get('direction') == 'outbound'
  assert dial['call']['to_number'] == HUMAN
  assert dial['call']['id'] and dial['call']['node_id']
  play = ok(R['play'], 'play_tts')
  assert ev(play)[0] == 'finished'
  hangup = ok(R['hangup'], 'hangup')
  assert hangup['reason'] == 'hangup'
  assert ev(hangup)[1].get('call_state') == 'ended'
  assert R['call']['state'] == 'ended' and R['call']['ended'] is True
  # what the server saw
  rec = server_call(server, dial['call']['id'], until=ended)
  assert states_in_order(rec, ['created', 'ringing', 'answered', 'ending', 'ended']), rec
  assert contains(rec, 'Welcome to SignalWire!'), 'TTS text not in the timeline: %s' % json.dumps(rec)[:2000]
  assert contains(rec, HUMAN)


def test_inbound_call_connected_to_three_devices_in_series(server, sdk):
  """busy, unroutable, then one that answers and hangs up after 2 s."""
  p = sdk('seed_inbound_connect', server, args={'devices': [BUSY, FAILS, SHORT_CALL]})
  p.expect('ready')
  injected = server.lab.inject_call(**{'from': CALLER, 'to': OFFICE_NUMBER, 'context': 'office'})
  R = p.expect('result', timeout=60)
  assert R['incoming']['from_number'] == CALLER
  assert R['incoming']['context'] == 'office'
  ok(R['answer'], 'answer')
  connect = ok(R['connect'], 'connect')
  name, payload = ev(connect)
  assert name == 'connected'
  peer = payload.get('peer') or {}
  assert peer.get('device', {}).get('params', {}).get('to_number') == SHORT_CALL, payload
  # the device's from_number defaults to the inbound caller's number (RELAY-V2 4.7)
  assert peer.get('device', {}).get('params', {}).get('from_number') == CALLER, payload
  assert connect['call']['to_number'] == SHORT_CALL
  assert connect['call']['id'] == peer.get('call_id')
  assert R['remote_ended'] is True
  assert R['remote']['state'] == 'ended'
  ok(R['hangup'], 'hangup')
  # server side: the three devices were tried in order; only the last answered
  rec = server_call(server, R['incoming']['id'], until=ended)
  dialled = [(leg['to'], leg.get('end_reason')) for leg in legs(server, R['incoming']['id'])]
  assert [d[0] for d in dialled] == [BUSY, FAILS, SHORT_CALL], dialled
  assert dialled[0][1] == 'busy' and dialled[1][1] == 'error', dialled
  assert states_in_order(rec, ['created', 'answered', 'ended']), rec
  remote = server_call(server, peer['call_id'], until=ended)
  assert contains(remote, SHORT_CALL)
  assert ended(remote)


def test_send_sms(server, sdk):
  p = sdk('seed_send_sms', server, args={'to': HUMAN, 'body': 'Welcome to SignalWire!'})
  p.expect('ready')
  send = ok(p.expect('send'), 'messaging.send')
  assert send['message_id']
  states = []
  while not states or states[-1]['state'] not in ('delivered', 'undelivered', 'failed'):
    states.append(p.expect('state'))
  assert [s['state'] for s in states] == ['queued', 'initiated', 'sent', 'delivered'], states
  for s in states:
    assert s['id'] == send['message_id']
    assert s['context'] == 'office'
    assert s['direction'] == 'outbound'
    assert s['to_number'] == HUMAN
    assert s['body'] == 'Welcome to SignalWire!'
  assert states[-1]['segments'] == 1
  msgs = server.lab.messages()
  assert contains(msgs, send['message_id']) and contains(msgs, 'Welcome to SignalWire!'), msgs


@pytest.mark.tls
def test_task_deliver_over_https_to_on_task(tls_server, sdk):
  """create-task.py (Task.deliver over https) -> consumer-task.py on_task."""
  consumer = sdk('consumer', tls_server, host=tls_server.hostport, args={'contexts': ['office'], 'call': 'ignore'})
  consumer.expect('ready')
  task = sdk('create_task', tls_server, extra_env={'RELAY_TASK_HOST': tls_server.hostport},
             args={'context': 'office', 'message': {'uuid': 'unique id', 'data': 'data for your job'}})
  assert task.expect('result') == {'delivered': True}
  got = consumer.expect('task', timeout=20)
  assert got['message'] == {'uuid': 'unique id', 'data': 'data for your job'}
