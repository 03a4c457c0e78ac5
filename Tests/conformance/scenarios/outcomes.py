"""The documented unhappy outcomes (issue 12) with the official SDK: failing media, no_match,
record terminators and silence, fax.error, detect.error, AMD thresholds, every ringtone."""
import socket
import threading
from _harness import ARGS, bounded, run_client, snap, wait_until
from media import dial, finish
from world import (DETECT_FAILS, FAX, FAX_BREAKS, FAX_FAILS_PAGE, FRENCH, HUMAN, KEYS_HASH, LATE_BEEP,
                   LONG_HELLO, MISSING_MEDIA, MUMBLES, SHORT_GREETING, SILENT)

RINGTONES = ('at au bg br be ch cl cn cz de dk ee es fi fr gr hu il in it lt jp mx my nl no nz ph pl pt '
             'ru se sg th uk us tw ve za').split()


def listen(call, names):
  """Counts each call event in `names` as the SDK dispatches it to listeners."""
  seen = {n: 0 for n in names}
  for n in names:
    call.on(n, lambda *a, _n=n: seen.__setitem__(_n, seen[_n] + 1))
  return seen


async def play_errors(client, R):
  call = await dial(client, R, HUMAN)
  seen = listen(call, ['play.error', 'play.playing', 'play.stateChange'])
  R['play'] = snap(await bounded(call.play_audio(MISSING_MEDIA), 30, 'play_audio'))
  action = await bounded(call.play_async([{'type': 'silence', 'duration': 1},
                                          {'type': 'audio', 'url': 'https://nowhere.invalid/hold.mp3'}]), 20, 'play_async')
  await wait_until(lambda: action.completed, 30)
  R['action'] = snap(action)
  R['seen'] = seen
  await finish(call, R)


async def prompt_outcomes(client, R):
  call = await dial(client, R, MUMBLES)
  seen = listen(call, ['prompt'])
  R['mumbled'] = snap(await bounded(call.prompt_tts('speech', 'Which department?'), 30, 'prompt'))
  R['hinted'] = snap(await bounded(call.prompt_tts('speech', 'Which department?', speech_hints=['sales', 'billing']), 30, 'prompt'))
  R['seen'] = seen
  await finish(call, R)
  french = await dial(client, R, FRENCH)
  R['english'] = snap(await bounded(french.prompt_tts('speech', 'Yes or no?'), 30, 'prompt'))
  R['french'] = snap(await bounded(french.prompt_tts('speech', 'Oui ou non ?', speech_language='fr-FR'), 30, 'prompt'))
  R['error'] = snap(await bounded(french.prompt_audio('digits', MISSING_MEDIA, digits_max=1), 30, 'prompt_audio'))
  await finish(french, R)


async def record_outcomes(client, R):
  call = await dial(client, R, KEYS_HASH)
  R['keyed'] = snap(await bounded(call.record(), 30, 'record'))
  R['keyed_call'] = call.id
  R['not_a_terminator'] = snap(await bounded(call.record(terminators='*', end_silence_timeout=2), 30, 'record'))
  await finish(call, R)
  silent = await dial(client, R, SILENT)
  seen = listen(silent, ['record.no_input', 'record.recording'])
  R['silent'] = snap(await bounded(silent.record(), 30, 'record'))
  R['seen'] = seen
  await finish(silent, R)


async def fax_outcomes(client, R):
  call = await dial(client, R, FAX_BREAKS)
  seen = listen(call, ['fax.error', 'fax.page', 'fax.finished'])
  R['broken'] = snap(await bounded(call.fax_receive(), 60, 'fax_receive'))
  R['seen'] = seen
  await finish(call, R)
  fails = await dial(client, R, FAX_FAILS_PAGE)
  R['failed_page'] = snap(await bounded(fails.fax_send('https://cdn.example.com/contract.pdf?pages=3'), 60, 'fax_send'))
  await finish(fails, R)
  fax = await dial(client, R, FAX)
  R['missing_document'] = snap(await bounded(fax.fax_send('https://docs.example.com/missing.pdf?status=404'), 60, 'fax_send'))
  await finish(fax, R)


async def detect_outcomes(client, R):
  call = await dial(client, R, DETECT_FAILS)
  seen = listen(call, ['detect.error', 'detect.update'])
  action = await bounded(call.detect_answering_machine_async(timeout=20), 20, 'amd_async')
  await wait_until(lambda: action.completed, 30)
  R['error'] = snap(action)
  R['seen'] = seen
  await finish(call, R)
  short = await dial(client, R, SHORT_GREETING)
  R['short_greeting'] = snap(await bounded(short.amd(timeout=20), 30, 'amd'))
  await finish(short, R)
  hello = await dial(client, R, LONG_HELLO)
  R['long_hello'] = snap(await bounded(hello.amd(timeout=20), 30, 'amd'))
  R['lenient'] = snap(await bounded(hello.amd(timeout=20, machine_voice_threshold=4, machine_words_threshold=10), 30, 'amd'))
  R['beep'] = snap(await bounded(hello.amd(timeout=20, wait_for_beep=True), 30, 'amd'))
  await finish(hello, R)
  late = await dial(client, R, LATE_BEEP)
  R['late_beep'] = snap(await bounded(late.amd(timeout=10, wait_for_beep=True), 30, 'amd'))
  await finish(late, R)
  silent = await dial(client, R, SILENT)
  R['silent'] = snap(await bounded(silent.amd(timeout=20), 30, 'amd'))
  await finish(silent, R)


async def ringtones(client, R):
  call = await dial(client, R, HUMAN)
  R['played'] = {}
  for name in RINGTONES:
    R['played'][name] = (await bounded(call.play_ringtone(name, duration=0.5), 30, 'ringtone')).successful
  R['unknown'] = snap(await bounded(call.play_ringtone('atlantis'), 30, 'ringtone'))
  R['unknown_prompt'] = snap(await bounded(call.prompt_ringtone('digits', 'xx', digits_max=1), 30, 'prompt_ringtone'))
  await finish(call, R)


async def tap_format(client, R):
  """tap_async with codec PCMA, rate 16000, ptime 30: what arrives is PCMA at that rate."""
  sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
  sock.bind(('127.0.0.1', 0))
  sock.settimeout(0.2)
  got = []
  stop = threading.Event()

  def receive():
    while not stop.is_set():
      try:
        data, _ = sock.recvfrom(4096)
      except socket.timeout:
        continue
      except OSError:
        return
      if len(got) < 8:
        got.append({'version': data[0] >> 6, 'payload_type': data[1] & 0x7f, 'payload': len(data) - 12,
                    'timestamp': int.from_bytes(data[4:8], 'big')})

  t = threading.Thread(target=receive, daemon=True)
  t.start()
  call = await dial(client, R, HUMAN)
  action = await bounded(call.tap_async('both', 'rtp', target_addr='127.0.0.1', target_port=sock.getsockname()[1],
                                        target_ptime=30, rate=16000, codec='PCMA'), 20, 'tap_async')
  R['source_device'] = action.source_device
  await wait_until(lambda: len(got) >= 3, 20)
  R['stop'] = (await bounded(action.stop(), 10, 'stop')).successful
  await wait_until(lambda: action.completed, 20)
  stop.set()
  t.join(1)
  sock.close()
  R['packets'] = list(got)
  await finish(call, R)


SCENARIOS = {f.__name__: f for f in (play_errors, prompt_outcomes, record_outcomes, fax_outcomes,
                                     detect_outcomes, ringtones, tap_format)}

if __name__ == '__main__':
  run_client(SCENARIOS[ARGS['name']])
