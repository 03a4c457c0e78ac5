"""The documented unhappy outcomes (issue 12) with the official SDK: each event reaches the
SDK under its documented name and completes the operation with the documented result fields."""
from checks import contains, ended, ev, failed, ok, server_call

RINGTONES = ('at au bg br be ch cl cn cz de dk ee es fi fr gr hu il in it lt jp mx my nl no nz ph pl pt '
             'ru se sg th uk us tw ve za').split()


def run(sdk, server, name, **args):
  args['name'] = name
  return sdk('outcomes', server, args=args).result(timeout=120)


def test_play_error_for_media_that_fails(server, sdk):
  R = run(sdk, server, 'play_errors')
  p = failed(R['play'], 'play_audio of a 404')
  assert ev(p)[0] == 'error'
  a = R['action']
  assert a['completed'] is True and a['state'] == 'error', a
  failed(a['result'], 'play_async with an unreachable item')
  seen = R['seen']
  assert seen['play.error'] == 2, seen
  assert seen['play.playing'] == 1, 'only the list whose first item played reports playing: %s' % seen
  assert seen['play.stateChange'] == 3, seen


def test_prompt_no_match_hints_language_and_error(server, sdk):
  R = run(sdk, server, 'prompt_outcomes')
  m = failed(R['mumbled'], 'mumbled speech')
  assert m['prompt_type'] == 'no_match' and ev(m)[0] == 'no_match', m
  h = ok(R['hinted'], 'hinted speech')
  assert h['prompt_type'] == 'speech' and h['result'] == 'billing', h
  assert h['confidence'] == 65, h
  assert R['seen']['prompt'] == 2, R['seen']
  assert failed(R['english'], 'English prompt to a French speaker')['prompt_type'] == 'no_match'
  f = ok(R['french'], 'French prompt')
  assert f['result'] == 'oui'
  e = failed(R['error'], 'prompt with failing media')
  assert e['prompt_type'] == 'error' and ev(e)[0] == 'error', e


def test_record_terminator_and_no_input(server, sdk):
  R = run(sdk, server, 'record_outcomes')
  k = ok(R['keyed'], 'record ended by #')
  assert ev(k)[0] == 'finished' and k['url'] and k['size'] > 0
  rec = server_call(server, R['keyed_call'], until=ended)
  assert contains(rec, 'terminator #'), 'the timeline says the # ended the recording'
  n = ok(R['not_a_terminator'], 'record with terminators=*')
  assert n['duration'] >= 5, n
  s = failed(R['silent'], 'record of a silent caller')
  assert ev(s)[0] == 'no_input'
  assert R['seen'] == {'record.no_input': 1, 'record.recording': 1}, R['seen']


def test_fax_error_and_failed_page(server, sdk):
  R = run(sdk, server, 'fax_outcomes')
  b = failed(R['broken'], 'fax that breaks off')
  name, payload = ev(b)
  assert name == 'error' and payload['params']['pages'] == 1, b
  assert R['seen'] == {'fax.error': 1, 'fax.page': 1, 'fax.finished': 0}, R['seen']
  f = failed(R['failed_page'], 'fax whose page 2 fails')
  name, payload = ev(f)
  assert name == 'finished' and payload['params']['success'] is False
  assert 'Page 2' in payload['params']['result_text']
  d = failed(R['missing_document'], 'fax of a missing document')
  assert ev(d)[0] == 'error'


def test_detect_error_and_amd_thresholds(server, sdk):
  R = run(sdk, server, 'detect_outcomes')
  e = R['error']
  assert e['completed'] is True
  failed(e['result'], 'detector that fails')
  assert ev(e['result'])[0] == 'error'
  assert R['seen']['detect.error'] == 1 and R['seen']['detect.update'] >= 1, R['seen']
  assert ok(R['short_greeting'], 'short greeting')['result'] == 'HUMAN'
  assert ok(R['long_hello'], 'long hello')['result'] == 'MACHINE'
  assert ok(R['lenient'], 'higher thresholds')['result'] == 'HUMAN'
  b = ok(R['beep'], 'wait_for_beep')
  assert b['result'] == 'MACHINE' and ev(b)[0] == 'READY'
  late = failed(R['late_beep'], 'beep after the timeout')
  assert ev(late)[0] == 'finished'
  assert ok(R['silent'], 'silent party')['result'] == 'UNKNOWN'


def test_every_ringtone_and_an_unknown_one(server, sdk):
  R = run(sdk, server, 'ringtones')
  assert sorted(R['played']) == sorted(RINGTONES)
  assert all(R['played'].values()), [n for n, s in R['played'].items() if not s]
  u = failed(R['unknown'], 'unknown ringtone')
  assert u['event'] is None, 'refused by the server with 400: no event'
  failed(R['unknown_prompt'], 'unknown ringtone in a prompt')


def test_tap_honours_codec_rate_and_ptime(server, sdk):
  R = run(sdk, server, 'tap_format')
  assert R['stop'] is True
  params = R['source_device']['params']
  assert params['codec'] == 'PCMA' and params['rate'] == 16000, R['source_device']
  packets = R['packets']
  assert len(packets) >= 3, packets
  assert all(p['version'] == 2 and p['payload_type'] == 8 for p in packets), 'RTP v2, payload type 8 (PCMA): %s' % packets
  assert all(p['payload'] == 480 for p in packets), '16 kHz x 30 ms = 480 bytes a packet: %s' % packets
  steps = {(b['timestamp'] - a['timestamp']) % 2**32 for a, b in zip(packets, packets[1:])}
  assert steps == {480}, steps
