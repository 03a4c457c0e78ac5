"""Resident memory per live answered call in a client on the official Python SDK
(signalwire==2.1.1, unmodified): the Python side of `relay-bench memory`.

Dials --calls calls to a number that answers (+12015550100 in the standard world of
`relay serve`), --concurrency dials in flight, keeps every answered Call object, and
reports (RSS after - RSS before) / live calls, RSS from /proc/self/statm.
"""
import asyncio

import _common

FROM = '+12029999999'
TO = '+12015550100'


def main():
  p = _common.parser('Resident memory per live call, official Python SDK.')
  p.add_argument('--calls', type=int, default=1000, help='live calls to hold')
  p.add_argument('--concurrency', type=int, default=100, help='dials in flight at once')
  args = p.parse_args()
  per_worker = (args.calls + args.concurrency - 1) // args.concurrency

  async def body(client):
    # Warm the code paths so the baseline includes them.
    warm = await client.calling.dial(from_number=FROM, to_number=TO)
    await warm.call.hangup()
    baseline = _common.resident_bytes()
    held = []

    async def worker():
      for _ in range(per_worker):
        dial = await client.calling.dial(from_number=FROM, to_number=TO)
        if dial.successful:
          held.append(dial.call)

    await asyncio.gather(*(worker() for _ in range(args.concurrency)))
    after = _common.resident_bytes()
    live = len(held)
    _common.write(args, {
      'benchmark': 'memory', 'calls': live, 'baseline_bytes': baseline, 'resident_bytes': after,
      'bytes_per_call': round((after - baseline) / live) if live else 0,
    })

  _common.run_client(args, body)


if __name__ == '__main__':
  main()
