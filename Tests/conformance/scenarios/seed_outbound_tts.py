"""Seed example "Outbound Calls": a Consumer dials in ready(), says
"Welcome to SignalWire!" and hangs up.  Unchanged except for the reporting."""
import logging
from signalwire.relay.consumer import Consumer
from _harness import ARGS, call_info, done, emit, run_consumer, snap
from world import FROM, HUMAN


class CustomConsumer(Consumer):
  async def ready(self):
    logging.info('CustomConsumer is ready!')
    dial_result = await self.client.calling.dial(to_number=ARGS.get('to', HUMAN), from_number=FROM)
    R = {'dial': snap(dial_result)}
    if dial_result.successful is False:
      logging.info('Outbound call not answered or failed')
      emit('result', R)
      return await done(self.client)
    call = dial_result.call
    R['play'] = snap(await call.play_tts(text='Welcome to SignalWire!'))
    logging.info('Hanging up..')
    R['hangup'] = snap(await call.hangup())
    R['call'] = call_info(call)
    emit('result', R)
    await done(self.client)


if __name__ == '__main__':
  run_consumer(CustomConsumer, ARGS.get('contexts', ['office']))
