"""Round trip of `blade.execute` / `signalwire.receive` through the official
Python SDK (signalwire==2.1.1, unmodified): the Python side of `relay-bench rtt`.

Each request is built the way the SDK builds it in relay/helpers.receive_contexts
(an Execute message with the session's protocol) and sent with Client.execute,
which registers a future under the message id and resolves it from the reader.
Sequential with --inflight 1; with --inflight 64, 64 asyncio tasks each run a
closed loop.  The timed region covers building the message and awaiting the reply,
as the Swift side times client.execute(...).
"""
import asyncio
import time

import _common
from signalwire.blade.messages.execute import Execute


def main():
  p = _common.parser('Round trip of blade.execute through the official Python SDK.')
  p.add_argument('--samples', type=int, default=20000, help='timed requests after warm-up')
  p.add_argument('--warmup', type=int, default=2000, help='untimed warm-up requests')
  p.add_argument('--inflight', type=int, default=1, help='requests in flight at once')
  p.add_argument('--label', default='rtt')
  p.add_argument('--context', default='bench')
  args = p.parse_args()

  workers = max(1, args.inflight)
  per_worker = (args.samples + workers - 1) // workers
  warmup_per_worker = (args.warmup + workers - 1) // workers

  async def body(client):
    protocol = client.protocol
    contexts = [args.context]

    def message():
      return Execute({'protocol': protocol, 'method': 'signalwire.receive', 'params': {'contexts': contexts}})

    async def worker():
      for _ in range(warmup_per_worker):
        await client.execute(message())
      timings = []
      clock = time.perf_counter_ns
      for _ in range(per_worker):
        start = clock()
        await client.execute(message())
        timings.append(clock() - start)
      return timings

    started = time.perf_counter()
    results = await asyncio.gather(*(worker() for _ in range(workers)))
    elapsed = time.perf_counter() - started
    latencies = sorted(t for r in results for t in r)
    # The wall time includes the warm-up; count it in the rate too (as the Swift side does).
    total = len(latencies) + warmup_per_worker * workers
    _common.write(args, {
      'benchmark': args.label, 'inflight': workers, 'samples': len(latencies),
      'p50_us': _common.percentile(latencies, 0.50), 'p99_us': _common.percentile(latencies, 0.99),
      'p999_us': _common.percentile(latencies, 0.999), 'requests_per_second': round(total / elapsed),
      'on_event_loop': True,
    })

  _common.run_client(args, body)


if __name__ == '__main__':
  main()
