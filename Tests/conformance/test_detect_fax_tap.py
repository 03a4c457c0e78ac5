"""detect*, fax*, tap* with the official SDK."""
import json

from checks import contains, ended, ev, failed, ok, server_call


def run(sdk, server, name, **args):
  args['name'] = name
  return sdk('detect_fax_tap', server, args=args).result(timeout=60)


def call_id(R):
  return R['dial']['call']['id']


def test_amd_machine_waits_for_beep(server, sdk):
  R = run(sdk, server, 'amd_machine_wait_for_beep')
  d = ok(R['detect'], 'detect machine')
  assert d['detect_type'] == 'machine'
  assert d['result'] == 'MACHINE'
  assert ev(d)[0] == 'READY', 'wait_for_beep: completes on READY after MACHINE'


def test_amd_machine_without_beep(server, sdk):
  R = run(sdk, server, 'amd_machine')
  d = ok(R['detect'], 'amd')
  assert d['result'] == 'MACHINE' and ev(d)[0] == 'MACHINE'


def test_amd_human(server, sdk):
  R = run(sdk, server, 'amd_human')
  d = ok(R['detect'], 'detect human')
  assert d['result'] == 'HUMAN'


def test_amd_async_collects_every_event(server, sdk):
  R = run(sdk, server, 'amd_async')
  assert R['after_execute']['completed'] is False
  a = R['action']
  assert a['completed'] is True
  res = a['result']
  assert res['successful'] is True, res
  events = res['result'].split(',')
  assert events[0] == 'MACHINE' and 'READY' in events, res


def test_detect_async_stop(server, sdk):
  R = run(sdk, server, 'detect_async_stop')
  assert R['stop'] is True
  assert R['action']['completed'] is True
  rec = server_call(server, call_id(R), until=ended)
  assert contains(rec, 'detect')


def test_detect_fax_ced(server, sdk):
  R = run(sdk, server, 'detect_fax')
  d = ok(R['detect'], 'detect fax')
  assert d['detect_type'] == 'fax' and d['result'] == 'CED'


def test_detect_digit(server, sdk):
  R = run(sdk, server, 'detect_digit')
  d = ok(R['detect'], 'detect digit')
  assert d['detect_type'] == 'digit'
  assert d['result'] in list('0123456789#*')


def test_fax_send(server, sdk):
  R = run(sdk, server, 'fax_send')
  f = ok(R['fax'], 'fax_send')
  assert f['direction'] == 'send'
  assert f['document'] == 'https://cdn.example.com/doc.pdf'
  assert isinstance(f['pages'], int) and f['pages'] >= 1
  rec = server_call(server, call_id(R), until=ended)
  assert contains(rec, 'https://cdn.example.com/doc.pdf')


def test_fax_receive_from_fax_machine(server, sdk):
  R = run(sdk, server, 'fax_receive')
  f = ok(R['fax'], 'fax_receive')
  assert f['direction'] == 'receive'
  assert f['document'], 'the received document is a URL the server serves'
  assert isinstance(f['pages'], int) and f['pages'] >= 1
  got = R.get('fetch') or {}
  assert got.get('status') == 200 and got.get('head', '').startswith('%PDF'), got


def test_fax_receive_async_stop(server, sdk):
  R = run(sdk, server, 'fax_async_stop')
  assert R['stop'] is True
  assert R['action']['completed'] is True
  assert R['action']['result']['successful'] is False


def test_tap_rtp_streams_pcmu(server, sdk):
  R = run(sdk, server, 'tap_rtp_async_stop', tap_seconds=1.0)
  assert R['stop'] is True
  assert R['action']['completed'] is True and R['action']['state'] == 'finished'
  assert R['source_device'], 'calling.tap result carries source_device'
  rtp = R['rtp']
  assert rtp['packets'] >= 5, 'a loopback RTP tap must really receive packets: %s' % rtp
  assert rtp['pcmu'] == rtp['packets'], 'RTP v2, payload type 0 (PCMU): %s' % rtp


def test_tap_ends_with_the_call(server, sdk):
  R = run(sdk, server, 'tap_rtp_until_hangup')
  t = R['tap']
  assert t['successful'] is True  # Python: Tap results are always successful
  assert ev(t)[0] == 'finished' or t['event'] is None
  assert R['rtp']['packets'] >= 1


def test_tap_ws_streams(server, sdk):
  R = run(sdk, server, 'tap_ws', tap_seconds=1.0)
  assert R['stop'] is True
  assert R['action']['completed'] is True
  ws = R['ws']
  assert ws['connections'] == 1, ws
  assert ws['binary_frames'] + ws['text_frames'] >= 1 and ws['bytes'] > 0, ws
