"""Call.play* / prompt* / record* / send_digits* (official SDK), each on an
answered outbound call to a simulated number."""
import asyncio
import urllib.request
from _harness import ARGS, bounded, call_info, run_client, snap, wait_until
from world import DIGITS_1234, FROM, HUMAN, SAYS_YES


async def dial(client, R, to=None):
  d = await bounded(client.calling.dial(from_number=FROM, to_number=to or ARGS.get('to', HUMAN)),
                    40, 'dial')
  R['dial'] = snap(d)
  if not d.successful:
    raise AssertionError('dial failed: %r' % (R['dial'],))
  return d.call


async def finish(call, R):
  R['hangup'] = snap(await bounded(call.hangup(), 20, 'hangup'))
  R['call'] = call_info(call)


# -- play ----------------------------------------------------------------------------------

async def play_tts(client, R):
  call = await dial(client, R)
  R['play'] = snap(await bounded(call.play_tts(text='Welcome to SignalWire!', language='en-US',
                                               gender='female', volume=2), 30, 'play_tts'))
  await finish(call, R)


async def play_helpers(client, R):
  """play_audio, play_silence, play_ringtone, and a mixed play list."""
  call = await dial(client, R)
  R['audio'] = snap(await bounded(call.play_audio('https://cdn.example.com/hello.mp3', volume=-2), 30, 'play_audio'))
  R['silence'] = snap(await bounded(call.play_silence(1), 30, 'play_silence'))
  R['ringtone'] = snap(await bounded(call.play_ringtone('us', duration=1), 30, 'play_ringtone'))
  media = [
    {'type': 'audio', 'url': 'https://cdn.example.com/a.mp3'},
    {'type': 'tts', 'text': 'Hello'},
    {'type': 'silence', 'duration': 1},
    {'type': 'ringtone', 'name': 'uk', 'duration': 1},
  ]
  R['mixed'] = snap(await bounded(call.play(media, volume=5), 30, 'play'))
  await finish(call, R)


async def play_async_controls(client, R):
  """play_async of a long TTS, then pause / resume / volume / stop."""
  call = await dial(client, R)
  action = await bounded(call.play_tts_async(text='This is a long announcement. ' * 40), 20, 'play_async')
  R['after_execute'] = snap(action)
  R['pause'] = (await bounded(action.pause(), 10, 'pause')).successful
  R['resume'] = (await bounded(action.resume(), 10, 'resume')).successful
  R['volume'] = (await bounded(action.volume(-3), 10, 'volume')).successful
  R['stop'] = (await bounded(action.stop(), 10, 'stop')).successful
  await wait_until(lambda: action.completed, 20)
  R['action'] = snap(action)
  await finish(call, R)


async def play_async_completes(client, R):
  """play_async of a TTS runs to its end on its own (~6 s of speech: 0.3 s at --speed 20,
  long enough that the execute reply is seen before the terminal event)."""
  call = await dial(client, R)
  action = await bounded(call.play_tts_async(text='Thank you for calling. ' * 4 + 'Goodbye.'), 20, 'play_async')
  R['completed_at_once'] = action.completed
  await wait_until(lambda: action.completed, 20)
  R['action'] = snap(action)
  await finish(call, R)


# -- prompt --------------------------------------------------------------------------------

async def prompt_digits(client, R):
  """+12015550106 keys 1234# at a digits prompt."""
  call = await dial(client, R, ARGS.get('to', DIGITS_1234))
  result = await bounded(call.prompt_tts('digits', 'Please enter your PIN followed by pound',
                                         digits_max=5, digits_terminators='#', digits_timeout=5,
                                         initial_timeout=10), 40, 'prompt_tts')
  R['prompt'] = snap(result)
  await finish(call, R)


async def prompt_speech(client, R):
  """+12015550107 says "yes" at a speech prompt."""
  call = await dial(client, R, ARGS.get('to', SAYS_YES))
  result = await bounded(call.prompt('speech', [{'type': 'tts', 'text': 'Say yes or no'}],
                                     end_silence_timeout=1, speech_language='en-US',
                                     speech_hints=['yes', 'no'], initial_timeout=10), 40, 'prompt')
  R['prompt'] = snap(result)
  await finish(call, R)


async def prompt_both(client, R):
  call = await dial(client, R, ARGS.get('to', DIGITS_1234))
  result = await bounded(call.prompt_audio('both', 'https://cdn.example.com/menu.mp3', digits_max=5,
                                           digits_terminators='#', initial_timeout=10), 40, 'prompt_audio')
  R['prompt'] = snap(result)
  await finish(call, R)


async def prompt_no_input(client, R):
  """A plain human (+12015550100) keys nothing: no_input, not successful."""
  call = await dial(client, R, ARGS.get('to', HUMAN))
  result = await bounded(call.prompt_ringtone('digits', 'us', duration=1, digits_max=4,
                                              initial_timeout=2), 40, 'prompt_ringtone')
  R['prompt'] = snap(result)
  await finish(call, R)


async def prompt_async_stop(client, R):
  call = await dial(client, R, ARGS.get('to', HUMAN))
  action = await bounded(call.prompt_tts_async('digits', 'Please enter your account number. ' * 20,
                                               digits_max=10, initial_timeout=30), 20, 'prompt_async')
  R['after_execute'] = snap(action)
  R['volume'] = (await bounded(action.volume(6), 10, 'volume')).successful
  R['stop'] = (await bounded(action.stop(), 10, 'stop')).successful
  await wait_until(lambda: action.completed, 20)
  R['action'] = snap(action)
  await finish(call, R)


# -- record --------------------------------------------------------------------------------

def fetch(url):
  with urllib.request.urlopen(url, timeout=10) as r:
    body = r.read()
    return {'status': r.status, 'content_type': r.headers.get('Content-Type'), 'size': len(body),
            'head': body[:12].decode('latin-1')}


async def record(client, R):
  """record() on a human who says nothing: ends on end-of-silence with a URL, duration, size."""
  call = await dial(client, R)
  result = await bounded(call.record(beep=True, record_format='wav', stereo=False, direction='both',
                                     initial_timeout=2, end_silence_timeout=1, terminators='#'),
                         40, 'record')
  R['record'] = snap(result)
  if result.url:
    try:
      R['fetch'] = await asyncio.get_event_loop().run_in_executor(None, fetch, result.url)
    except Exception as e:
      R['fetch'] = {'error': repr(e)}
  await finish(call, R)


async def record_async_stop(client, R):
  call = await dial(client, R)
  action = await bounded(call.record_async(beep=False, stereo=False, direction='listen'), 20, 'record_async')
  R['url_after_execute'] = action.url
  await asyncio.sleep(0.3)
  R['while_running'] = snap(action)
  R['stop'] = (await bounded(action.stop(), 10, 'stop')).successful
  await wait_until(lambda: action.completed, 20)
  R['action'] = snap(action)
  url = action.result.url
  if url:
    try:
      R['fetch'] = await asyncio.get_event_loop().run_in_executor(None, fetch, url)
    except Exception as e:
      R['fetch'] = {'error': repr(e)}
  await finish(call, R)


# -- send_digits ---------------------------------------------------------------------------

async def send_digits(client, R):
  call = await dial(client, R)
  R['send_digits'] = snap(await bounded(call.send_digits('1234w#*'), 30, 'send_digits'))
  action = await bounded(call.send_digits_async('5678'), 20, 'send_digits_async')
  await wait_until(lambda: action.completed, 20)
  R['send_digits_async'] = snap(action)
  await finish(call, R)


# -- bad input: the server refuses it and the SDK's await still completes -------------------

async def bad_inputs(client, R):
  call = await dial(client, R)
  R['bad_digits'] = snap(await bounded(call.send_digits('12x!'), 15, 'send_digits bad'))
  R['bad_media'] = snap(await bounded(call.play([{'type': 'hologram', 'url': 'x'}]), 15, 'play bad media'))
  R['bad_detect'] = snap(await bounded(call.detect('telepathy', timeout=5), 15, 'detect bad type'))
  R['bad_tap'] = snap(await bounded(call.tap('sideways', 'carrier-pigeon'), 15, 'tap bad'))
  # the call is still fine afterwards
  R['play_after'] = snap(await bounded(call.play_tts(text='Still here'), 30, 'play after bad inputs'))
  await finish(call, R)


SCENARIOS = {f.__name__: f for f in (bad_inputs, play_tts, play_helpers, play_async_controls, play_async_completes,
                                     prompt_digits, prompt_speech, prompt_both, prompt_no_input,
                                     prompt_async_stop, record, record_async_stop, send_digits)}

if __name__ == '__main__':
  run_client(SCENARIOS[ARGS['name']])
