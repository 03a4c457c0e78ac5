"""A Consumer answering a call that SIPp places to the SIP edge.  ARGS['mode']:
  play_wait      answer, play TTS, wait until the caller (SIPp) hangs up
  prompt_hangup  answer, prompt for one digit (TTS), say goodbye, hang up
Reports 'incoming_call' and then 'call_done' with what the SDK exposed."""
from signalwire.relay.consumer import Consumer
from _harness import ARGS, call_info, emit, run_consumer, snap


class SipConsumer(Consumer):
  async def on_incoming_call(self, call):
    emit('incoming_call', call_info(call))
    mode = ARGS.get('mode', 'play_wait')
    R = {'id': call.id}
    R['answer'] = snap(await call.answer())
    if mode == 'play_wait':
      R['play'] = snap(await call.play_tts(text='Hello from the Python consumer.'))
      R['ended'] = await call.wait_for_ended()
    elif mode == 'prompt_hangup':
      R['prompt'] = snap(await call.prompt_tts('digits', 'Press one.', digits_max=1,
                                               initial_timeout=ARGS.get('initial_timeout', 30)))
      R['play'] = snap(await call.play_tts(text='Goodbye.'))
      R['hangup'] = snap(await call.hangup())
    R['call'] = call_info(call)
    emit('call_done', R)


if __name__ == '__main__':
  run_consumer(SipConsumer, ARGS.get('contexts', ['office']))
