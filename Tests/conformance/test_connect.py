"""connect (serial, parallel, mixed, ringback), connect_async, disconnect."""
import json

from checks import contains, ended, ev, failed, legs, ok, server_call

HUMAN = '+12015550100'
BUSY = '+12015550101'
NO_ANSWER = '+12015550102'
FAILS = '+12015550103'
SHORT_CALL = '+12015550108'


def run(sdk, server, name, **args):
  args['name'] = name
  return sdk('connect', server, args=args).result(timeout=90)


def peer_number(result):
  return ((ev(result)[1].get('peer') or {}).get('device') or {}).get('params', {}).get('to_number')


def test_connect_serial_first_answer_wins(server, sdk):
  R = run(sdk, server, 'connect', devices=[BUSY, HUMAN, SHORT_CALL])
  c = ok(R['connect'], 'connect serial')
  assert peer_number(c) == HUMAN
  assert c['call']['to_number'] == HUMAN
  assert R['remote_is_peer'] is True
  dialled = [leg['to'] for leg in legs(server, R['dial']['call']['id'])]
  assert dialled == [BUSY, HUMAN], 'serial: busy, then the human; never the third: %s' % dialled


def test_connect_parallel(server, sdk):
  R = run(sdk, server, 'connect', devices=[[NO_ANSWER, HUMAN]])
  c = ok(R['connect'], 'connect parallel')
  assert peer_number(c) == HUMAN
  dialled = sorted(leg['to'] for leg in legs(server, R['dial']['call']['id']))
  assert dialled == sorted([NO_ANSWER, HUMAN]), dialled


def test_connect_mixed_with_ringback(server, sdk):
  R = run(sdk, server, 'connect', devices=[BUSY, [FAILS, NO_ANSWER], SHORT_CALL], ringback=True,
          device_timeout=2, wait_remote_end=True)
  c = ok(R['connect'], 'connect mixed')
  assert peer_number(c) == SHORT_CALL
  assert R['remote_ended'] is True
  dialled = [leg['to'] for leg in legs(server, R['dial']['call']['id'])]
  assert dialled[0] == BUSY and sorted(dialled[1:3]) == sorted([FAILS, NO_ANSWER]) and dialled[3:] == [SHORT_CALL], dialled
  rec = server_call(server, R['dial']['call']['id'], until=ended)
  assert contains(rec, 'ringback') or contains(rec, '"us"'), 'ringback not recorded: %s' % json.dumps(rec)[:2000]


def test_connect_all_fail(server, sdk):
  R = run(sdk, server, 'connect', devices=[BUSY, FAILS])
  c = failed(R['connect'], 'connect to busy+unroutable')
  assert ev(c)[0] == 'failed'
  assert c['call'] is None


def test_connect_async_then_disconnect(server, sdk):
  R = run(sdk, server, 'connect_async_disconnect')
  assert R['after_execute']['completed'] is False
  a = R['action']
  assert a['completed'] is True and a['state'] == 'connected', a
  assert a['result']['successful'] is True
  d = ok(R['disconnect'], 'disconnect')
  assert ev(d)[0] == 'disconnected'
  ok(R['hangup'], 'hangup')
