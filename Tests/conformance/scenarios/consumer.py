"""A long-running Consumer that reports everything it receives: inbound calls
(answered, a short TTS played, hung up), tasks and inbound messages.  Used for
the seed's consumer-task.py and for load-sharing / isolation tests."""
import asyncio
import os
from signalwire.relay.consumer import Consumer
from _harness import ARGS, call_info, emit, run_consumer, snap


def message_info(m):
  return {k: getattr(m, k, None) for k in ('id', 'state', 'context', 'from_number', 'to_number',
                                           'direction', 'body', 'media', 'tags', 'segments',
                                           'reason')}


class ReportingConsumer(Consumer):
  async def on_incoming_call(self, call):
    info = call_info(call)
    info['pid'] = os.getpid()
    emit('incoming_call', info)
    mode = ARGS.get('call', 'answer_play_hangup')
    R = {'id': call.id}
    if mode == 'ignore':
      return
    R['answer'] = snap(await call.answer())
    if mode == 'answer_play_hangup':
      R['play'] = snap(await call.play_tts(text=ARGS.get('say', 'Hello from the consumer')))
      R['hangup'] = snap(await call.hangup())
    elif mode == 'prompt_digits':
      R['prompt'] = snap(await call.prompt_tts('digits', 'Enter your PIN', digits_max=8,
                                               digits_terminators='#', initial_timeout=10))
      R['hangup'] = snap(await call.hangup())
    elif mode == 'prompt_speech':
      R['prompt'] = snap(await call.prompt_tts('speech', 'Say something', initial_timeout=10,
                                               end_silence_timeout=1))
      R['hangup'] = snap(await call.hangup())
    elif mode == 'wait_ended':
      R['ended'] = await call.wait_for_ended()
    R['call'] = call_info(call)
    emit('call_done', R)

  async def on_task(self, message):
    emit('task', {'message': message, 'pid': os.getpid()})

  async def on_incoming_message(self, message):
    emit('incoming_message', message_info(message))

  async def on_message_state_change(self, message):
    emit('message_state', message_info(message))


if __name__ == '__main__':
  run_consumer(ReportingConsumer, ARGS.get('contexts', ['office']))
