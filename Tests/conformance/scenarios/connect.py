"""Call.connect / connect_async / disconnect (official SDK) on outbound calls."""
import asyncio
from _harness import ARGS, bounded, call_info, run_client, snap, wait_until
from media import dial, finish
from world import BUSY, FAILS, HUMAN, NO_ANSWER, SHORT_CALL


def devices(spec):
  """spec: list of numbers (serial) or lists of numbers (parallel groups)."""
  out = []
  for d in spec:
    if isinstance(d, list):
      out.append([{'to_number': n, 'timeout': ARGS.get('device_timeout', 5)} for n in d])
    else:
      out.append({'to_number': d, 'timeout': ARGS.get('device_timeout', 5)})
  return out


async def connect(client, R):
  call = await dial(client, R, HUMAN)
  kw = {}
  if ARGS.get('ringback'):
    kw['ringback_list'] = [{'type': 'ringtone', 'name': 'us'}]
  result = await bounded(call.connect(devices(ARGS['devices']), **kw), 60, 'connect')
  R['connect'] = snap(result)
  R['call_during'] = call_info(call)
  if result.successful:
    remote = result.call
    R['remote_is_peer'] = call.peer is remote
    R['remote_peer_is_call'] = remote.peer is call
    if ARGS.get('wait_remote_end'):
      R['remote_ended'] = await bounded(remote.wait_for_ended(), 30, 'remote wait_for_ended')
      R['remote'] = call_info(remote)
  await finish(call, R)


async def connect_async_disconnect(client, R):
  call = await dial(client, R, HUMAN)
  action = await bounded(call.connect_async([{'to_number': HUMAN, 'timeout': 10}]), 20, 'connect_async')
  R['after_execute'] = snap(action)
  await wait_until(lambda: action.completed, 30)
  R['action'] = snap(action)
  disc = await bounded(call.disconnect(), 20, 'disconnect')
  R['disconnect'] = snap(disc)
  R['call_after_disconnect'] = call_info(call)
  await finish(call, R)


SCENARIOS = {f.__name__: f for f in (connect, connect_async_disconnect)}

if __name__ == '__main__':
  run_client(SCENARIOS[ARGS['name']])
