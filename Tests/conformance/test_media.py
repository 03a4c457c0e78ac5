"""play*, prompt*, record*, send_digits* with the official SDK."""
import json

import pytest

from checks import contains, ended, ev, failed, ok, server_call, values_of

DIGITS_1234 = '+12015550106'
SAYS_YES = '+12015550107'


def run(sdk, server, name, **args):
  args['name'] = name
  return sdk('media', server, args=args).result(timeout=60)


def call_id(R):
  return R['dial']['call']['id']


def test_play_tts(server, sdk):
  R = run(sdk, server, 'play_tts')
  play = ok(R['play'], 'play_tts')
  name, payload = ev(play)
  assert name == 'finished' and payload.get('state') == 'finished'
  assert payload.get('control_id')
  ok(R['hangup'], 'hangup')
  rec = server_call(server, call_id(R), until=ended)
  assert contains(rec, 'Welcome to SignalWire!')


def test_play_audio_silence_ringtone_and_mixed(server, sdk):
  R = run(sdk, server, 'play_helpers')
  for k in ('audio', 'silence', 'ringtone', 'mixed'):
    assert ev(ok(R[k], k))[0] == 'finished'
  ids = {ev(R[k])[1].get('control_id') for k in ('audio', 'silence', 'ringtone', 'mixed')}
  assert len(ids) == 4, 'each play has its own control_id'
  rec = server_call(server, call_id(R), until=ended)
  assert contains(rec, 'https://cdn.example.com/hello.mp3')
  assert contains(rec, 'https://cdn.example.com/a.mp3')


def test_play_async_pause_resume_volume_stop(server, sdk):
  R = run(sdk, server, 'play_async_controls')
  after = R['after_execute']
  assert after['completed'] is False, 'a long TTS must still be playing after the execute reply'
  assert R['pause'] is True and R['resume'] is True and R['volume'] is True and R['stop'] is True
  action = R['action']
  assert action['completed'] is True
  assert action['state'] == 'finished', action
  # Python: a stopped play ends with state finished (successful) — RELAY-V2 5.4 / 6.2
  assert action['result']['event']['payload'].get('control_id') == after['control_id']
  rec = server_call(server, call_id(R), until=ended)
  text = json.dumps(rec)
  for word in ('pause', 'resume', 'volume', 'stop'):
    assert word in text, 'timeline lacks the play %s: %s' % (word, text[:3000])


def test_play_async_runs_to_completion(server, sdk):
  R = run(sdk, server, 'play_async_completes')
  assert R['completed_at_once'] is False
  assert R['action']['completed'] is True
  assert R['action']['result']['successful'] is True


def test_prompt_digits(server, sdk):
  R = run(sdk, server, 'prompt_digits', to=DIGITS_1234)
  p = ok(R['prompt'], 'prompt digits')
  assert p['prompt_type'] == 'digit'
  assert p['result'] == '1234'
  assert p['terminator'] == '#'
  rec = server_call(server, call_id(R), until=ended)
  assert contains(rec, '1234')
  assert contains(rec, 'Please enter your PIN followed by pound')


def test_prompt_speech(server, sdk):
  R = run(sdk, server, 'prompt_speech', to=SAYS_YES)
  p = ok(R['prompt'], 'prompt speech')
  assert p['prompt_type'] == 'speech'
  assert p['result'] == 'yes'
  assert isinstance(p['confidence'], (int, float)) and 0 < p['confidence'] <= 100
  rec = server_call(server, call_id(R), until=ended)
  assert contains(rec, 'yes')


def test_prompt_both_gets_digits(server, sdk):
  R = run(sdk, server, 'prompt_both', to=DIGITS_1234)
  p = ok(R['prompt'], 'prompt both')
  assert p['prompt_type'] == 'digit' and p['result'] == '1234'


def test_prompt_no_input(server, sdk):
  R = run(sdk, server, 'prompt_no_input')
  p = failed(R['prompt'], 'prompt on a silent human')
  assert p['prompt_type'] == 'no_input', p
  assert p['result'] is None


def test_prompt_async_volume_stop(server, sdk):
  R = run(sdk, server, 'prompt_async_stop')
  assert R['after_execute']['completed'] is False
  assert R['volume'] is True and R['stop'] is True
  a = R['action']
  assert a['completed'] is True
  assert a['result']['successful'] is False
  rec = server_call(server, call_id(R), until=ended)
  assert contains(rec, 'stop')


def test_record_until_silence_serves_a_wav(server, sdk):
  R = run(sdk, server, 'record')
  r = ok(R['record'], 'record')
  assert r['url'], r
  assert isinstance(r['duration'], (int, float)) and r['duration'] >= 0
  assert isinstance(r['size'], int) and r['size'] > 44
  f = R.get('fetch') or {}
  assert f.get('status') == 200, f
  assert f.get('head', '').startswith('RIFF') and 'WAVE' in f.get('head', ''), f
  assert f.get('size') == r['size'], 'served WAV size must match the reported size: %s vs %s' % (f, r)
  rec = server_call(server, call_id(R), until=ended)
  assert contains(rec, r['url']) or contains(rec, 'record')


@pytest.mark.speed(2)
def test_record_async_stop(server, sdk):
  R = run(sdk, server, 'record_async_stop')
  assert R['url_after_execute'], 'calling.record result carries the url'
  assert R['while_running']['completed'] is False
  assert R['while_running']['state'] == 'recording'
  assert R['stop'] is True
  a = R['action']
  assert a['completed'] is True and a['state'] == 'finished'
  res = ok(a['result'], 'record result')
  assert res['url'] == R['url_after_execute']
  f = R.get('fetch') or {}
  assert f.get('status') == 200 and f.get('head', '').startswith('RIFF'), f
  assert f.get('size') == res['size']


def test_send_digits(server, sdk):
  R = run(sdk, server, 'send_digits')
  sd = ok(R['send_digits'], 'send_digits')
  assert ev(sd)[0] == 'finished'
  a = R['send_digits_async']
  assert a['completed'] is True and a['result']['successful'] is True
  rec = server_call(server, call_id(R), until=ended)
  assert contains(rec, '1234w#*') and contains(rec, '5678')


def test_bad_inputs_are_refused_and_the_call_goes_on(server, sdk):
  """Issue 3: bad digits, unknown media/detector/tap types get an error; the
  SDK's awaits complete unsuccessful (Relay failure code or JSON-RPC error,
  RELAY-V2 1.6-1.8) and the call keeps working."""
  R = run(sdk, server, 'bad_inputs')
  for k in ('bad_digits', 'bad_media', 'bad_detect', 'bad_tap'):
    failed(R[k], k)
  ok(R['play_after'], 'play after bad inputs')
  ok(R['hangup'], 'hangup')
