"""Call-flow throughput of a Consumer on the official Python SDK (signalwire==2.1.1,
unmodified): the Python side of `relay-bench calls`.

Each inbound call is answered, played a TTS 'Hi' and hung up.  Prints `ready` once
the consumer receives on the context; once --count calls completed, prints the
figures (completed calls per second, timed from the first inbound call).
"""
import time

import _common
from signalwire.relay.consumer import Consumer


def main():
  p = _common.parser('Call-flow throughput of a Python SDK Consumer.')
  p.add_argument('--count', type=int, default=2000, help='calls to complete')
  p.add_argument('--context', default='bench')
  args = p.parse_args()
  _common.start_watchdog(args.timeout)
  state = {'done': 0, 'failed': 0, 'first': None}

  class BenchConsumer(Consumer):
    def setup(self):
      self.project = args.project
      self.token = args.token
      self.host = args.url
      self.contexts = [args.context]

    def ready(self):
      print('ready', flush=True)

    async def on_incoming_call(self, call):
      if state['first'] is None:
        state['first'] = time.perf_counter()
      try:
        answer = await call.answer()
        if not answer.successful:
          state['failed'] += 1
        await call.play_tts('Hi')
        await call.hangup()
      except Exception:
        state['failed'] += 1
      state['done'] += 1
      if state['done'] == args.count:
        elapsed = time.perf_counter() - state['first']
        _common.write(args, {
          'benchmark': 'call_flow', 'calls': args.count, 'seconds': elapsed,
          'calls_per_second': round(args.count / elapsed, 1), 'failed': state['failed'],
        })
        await _common.shutdown(self.client, 0)

  consumer = BenchConsumer()
  try:
    consumer.run()
  except BaseException as e:
    print('python consumer crashed: %r' % (e,), flush=True)
    _common.finish(2)
  _common.finish(4)


if __name__ == '__main__':
  main()
