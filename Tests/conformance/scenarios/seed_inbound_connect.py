"""Seed example "Connect inbound calls with a series of devices": answer, try
three devices in series, wait until the remote leg ends, hang up."""
from signalwire.relay.consumer import Consumer
from _harness import ARGS, call_info, emit, run_consumer, snap
from world import BUSY, FAILS, SHORT_CALL


class CustomConsumer(Consumer):
  def setup(self):
    self.devices = [{'to_number': n} for n in ARGS.get('devices', [BUSY, FAILS, SHORT_CALL])]

  async def on_incoming_call(self, call):
    R = {'incoming': call_info(call)}
    result = await call.answer()
    R['answer'] = snap(result)
    if result.successful is False:
      print('Error answering the call')
      emit('result', R)
      return
    result = await call.connect(device_list=self.devices)
    R['connect'] = snap(result)
    if result.successful:
      remote_call = result.call
      # Wait until the remote leg is ended..
      R['remote_ended'] = await remote_call.wait_for_ended()
      R['remote'] = call_info(remote_call)
    R['hangup'] = snap(await call.hangup())
    R['call'] = call_info(call)
    emit('result', R)


if __name__ == '__main__':
  run_consumer(CustomConsumer, ARGS.get('contexts', ['office']))
