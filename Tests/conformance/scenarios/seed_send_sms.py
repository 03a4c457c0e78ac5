"""Seed example "Send an SMS" (plus on_message_state_change, which the consumer
gets because it sends on a context it receives)."""
import logging
from signalwire.relay.consumer import Consumer
from _harness import ARGS, done, emit, run_consumer, snap
from world import FROM

FINAL = ('delivered', 'undelivered', 'failed')


def message_info(m):
  return {k: getattr(m, k, None) for k in ('id', 'state', 'context', 'from_number', 'to_number',
                                           'direction', 'body', 'media', 'tags', 'segments',
                                           'reason')}


class CustomConsumer(Consumer):
  async def ready(self):
    logging.info('CustomConsumer is ready!')
    kw = dict(context=ARGS.get('context', 'office'), to_number=ARGS.get('to', '+12015550100'),
              from_number=FROM, body=ARGS.get('body', 'Welcome to SignalWire!'))
    if ARGS.get('media'):
      kw['media'] = ARGS['media']
    if ARGS.get('tags'):
      kw['tags'] = ARGS['tags']
    result = await self.client.messaging.send(**kw)
    if result.successful:
      logging.info(f'Message sent. ID: {result.message_id}')
    emit('send', snap(result))
    if not result.successful:
      await done(self.client)

  async def on_message_state_change(self, message):
    emit('state', message_info(message))
    if message.state in FINAL:
      await done(self.client)


if __name__ == '__main__':
  run_consumer(CustomConsumer, ARGS.get('contexts', ['office']))
