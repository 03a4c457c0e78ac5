"""A plain Client that records the methods of every frame the server sends and
reports when its socket closes (the test stops the server with SIGTERM)."""
import asyncio
from _harness import PROJECT, TOKEN, HOST, emit, start_watchdog, _finish


def main():
  from signalwire.relay.client import Client
  start_watchdog()
  methods = []
  client = Client(project=PROJECT, token=TOKEN, host=HOST)

  def on_message(msg):
    methods.append(getattr(msg, 'method', None) or 'response')

  def on_close(*_):
    emit('closed', {'methods': methods, 'idle': client._idle})
    _finish(0)

  async def ready(client):
    emit('ready', None)

  client.on('ready', ready)
  client.on('signalwire.socket.message', on_message)
  client.on('signalwire.socket.close', on_close)
  client.connect()


if __name__ == '__main__':
  main()
