"""Call.detect* / fax_* / tap* (official SDK) against simulated numbers."""
import asyncio
import json
import socket
import threading
import time
from _harness import ARGS, bounded, run_client, snap, wait_until
from media import dial, finish
from world import DIGITS_1234, FAX, HUMAN, MACHINE


# -- detect --------------------------------------------------------------------------------

async def amd_machine_wait_for_beep(client, R):
  """+12015550104: MACHINE, then READY after the beep."""
  call = await dial(client, R, MACHINE)
  R['detect'] = snap(await bounded(call.detect_answering_machine(wait_for_beep=True, timeout=30), 40, 'amd'))
  await finish(call, R)


async def amd_machine(client, R):
  call = await dial(client, R, MACHINE)
  R['detect'] = snap(await bounded(call.amd(timeout=30), 40, 'amd'))
  await finish(call, R)


async def amd_human(client, R):
  call = await dial(client, R, HUMAN)
  R['detect'] = snap(await bounded(call.detect('machine', timeout=30, initial_timeout=4.5,
                                               end_silence_timeout=1.0), 40, 'detect'))
  await finish(call, R)


async def amd_async(client, R):
  """detect_answering_machine_async runs to finished; result joins every event."""
  call = await dial(client, R, MACHINE)
  action = await bounded(call.detect_answering_machine_async(timeout=10), 20, 'amd_async')
  R['after_execute'] = snap(action)
  await wait_until(lambda: action.completed, 40)
  R['action'] = snap(action)
  await finish(call, R)


async def detect_async_stop(client, R):
  call = await dial(client, R, HUMAN)
  action = await bounded(call.detect_async('digit', timeout=60), 20, 'detect_async')
  await asyncio.sleep(0.2)
  R['stop'] = (await bounded(action.stop(), 10, 'stop')).successful
  await wait_until(lambda: action.completed, 20)
  R['action'] = snap(action)
  await finish(call, R)


async def detect_fax(client, R):
  """+12015550105 is a fax machine: CED."""
  call = await dial(client, R, FAX)
  R['detect'] = snap(await bounded(call.detect_fax(timeout=30), 40, 'detect_fax'))
  await finish(call, R)


async def detect_digit(client, R):
  """+12015550106 keys digits: a digit detector completes on the first one."""
  call = await dial(client, R, ARGS.get('to', DIGITS_1234))
  R['detect'] = snap(await bounded(call.detect_digit(timeout=30), 40, 'detect_digit'))
  await finish(call, R)


# -- fax -----------------------------------------------------------------------------------

async def fax_send(client, R):
  call = await dial(client, R, FAX)
  R['fax'] = snap(await bounded(call.fax_send(ARGS.get('document', 'https://cdn.example.com/doc.pdf'),
                                              identity='+12025550199', header='Conformance'), 60, 'fax_send'))
  await finish(call, R)


async def fax_receive(client, R):
  """A fax machine called by us sends its document: fax_receive gets it."""
  call = await dial(client, R, FAX)
  result = await bounded(call.fax_receive(), 60, 'fax_receive')
  R['fax'] = snap(result)
  if result.document:
    from media import fetch
    try:
      R['fetch'] = await asyncio.get_event_loop().run_in_executor(None, fetch, result.document)
    except Exception as e:
      R['fetch'] = {'error': repr(e)}
  await finish(call, R)


async def fax_async_stop(client, R):
  call = await dial(client, R, HUMAN)
  action = await bounded(call.fax_receive_async(), 20, 'fax_receive_async')
  await asyncio.sleep(0.2)
  R['stop'] = (await bounded(action.stop(), 10, 'stop')).successful
  await wait_until(lambda: action.completed, 20)
  R['action'] = snap(action)
  await finish(call, R)


# -- tap -----------------------------------------------------------------------------------

class RtpSink:
  """A loopback UDP socket counting RTP packets (version 2, payload type 0 = PCMU)."""

  def __init__(self):
    self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    self.sock.bind(('127.0.0.1', 0))
    self.sock.settimeout(0.2)
    self.port = self.sock.getsockname()[1]
    self.packets = 0
    self.pcmu = 0
    self.bytes = 0
    self.stop_flag = False
    self.t = threading.Thread(target=self._run, daemon=True)
    self.t.start()

  def _run(self):
    while not self.stop_flag:
      try:
        data, _ = self.sock.recvfrom(4096)
      except socket.timeout:
        continue
      except OSError:
        return
      self.packets += 1
      self.bytes += len(data)
      if len(data) >= 12 and (data[0] >> 6) == 2 and (data[1] & 0x7f) == 0:
        self.pcmu += 1

  def close(self):
    self.stop_flag = True
    self.t.join(1)
    self.sock.close()
    return {'packets': self.packets, 'pcmu': self.pcmu, 'bytes': self.bytes}


async def tap_rtp_async_stop(client, R):
  call = await dial(client, R, HUMAN)
  sink = RtpSink()
  action = await bounded(call.tap_async('both', 'rtp', target_addr='127.0.0.1', target_port=sink.port,
                                        target_ptime=20, codec='PCMU'), 20, 'tap_async')
  R['source_device'] = action.source_device
  await asyncio.sleep(float(ARGS.get('tap_seconds', 1.0)))
  R['stop'] = (await bounded(action.stop(), 10, 'stop')).successful
  await wait_until(lambda: action.completed, 20)
  R['action'] = snap(action)
  await asyncio.sleep(0.2)
  R['rtp'] = sink.close()
  await finish(call, R)


async def tap_rtp_until_hangup(client, R):
  """tap() (blocking) ends when the remote party hangs up (+12015550108, 2 s)."""
  from world import SHORT_CALL
  call = await dial(client, R, SHORT_CALL)
  sink = RtpSink()
  R['tap'] = snap(await bounded(call.tap('listen', 'rtp', target_addr='127.0.0.1', target_port=sink.port),
                                40, 'tap'))
  R['rtp'] = sink.close()


async def tap_ws(client, R):
  """tap_async to a ws:// target on loopback served here with aiohttp."""
  from aiohttp import web, WSMsgType
  got = {'connections': 0, 'binary_frames': 0, 'bytes': 0, 'text_frames': 0}

  async def handler(request):
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    got['connections'] += 1
    async for msg in ws:
      if msg.type == WSMsgType.BINARY:
        got['binary_frames'] += 1
        got['bytes'] += len(msg.data)
      elif msg.type == WSMsgType.TEXT:
        got['text_frames'] += 1
        got['bytes'] += len(msg.data)
    return ws

  app = web.Application()
  app.router.add_get('/tap', handler)
  runner = web.AppRunner(app)
  await runner.setup()
  site = web.TCPSite(runner, '127.0.0.1', 0)
  await site.start()
  port = site._server.sockets[0].getsockname()[1]
  call = await dial(client, R, HUMAN)
  action = await bounded(call.tap_async('speak', 'ws', target_uri='ws://127.0.0.1:%d/tap' % port,
                                        rate=8000, codec='PCMU'), 20, 'tap_async ws')
  R['source_device'] = action.source_device
  await asyncio.sleep(float(ARGS.get('tap_seconds', 1.0)))
  R['stop'] = (await bounded(action.stop(), 10, 'stop')).successful
  await wait_until(lambda: action.completed, 20)
  R['action'] = snap(action)
  await asyncio.sleep(0.2)
  R['ws'] = dict(got)
  await finish(call, R)
  await runner.cleanup()


SCENARIOS = {f.__name__: f for f in (amd_machine_wait_for_beep, amd_machine, amd_human, amd_async,
                                     detect_async_stop, detect_fax, detect_digit, fax_send,
                                     fax_receive, fax_async_stop, tap_rtp_async_stop,
                                     tap_rtp_until_hangup, tap_ws)}

if __name__ == '__main__':
  run_client(SCENARIOS[ARGS['name']])
