"""Messaging with the official v3 client: send with states, default context, inbound."""
import asyncio

from signalwire.relay.client import RelayClient

from v3lab import CALLER, PROJECT, TOKEN, lab, run


def test_send_message_reaches_delivered(server):
  async def scenario():
    client = RelayClient(project=PROJECT, token=TOKEN, contexts=['office'])
    await client.connect()
    try:
      message = await client.send_message(
        context='office', to_number='+12015550100', from_number=CALLER, body='Hello from v3', tags=['vip'])
      assert message.message_id
      await message.wait(20)
      assert message.state == 'delivered'
      sent = [m for m in (await lab(server.lab.messages))['messages'] if m.get('id', m.get('message_id')) == message.message_id]
      assert sent and sent[0]['body'] == 'Hello from v3'
    finally:
      await client.disconnect()
  run(scenario())


def test_send_message_without_context_gets_its_states(server):
  """The client fills `context` with its protocol string; the states come back to it."""
  async def scenario():
    client = RelayClient(project=PROJECT, token=TOKEN)
    await client.connect()
    try:
      message = await client.send_message(to_number='+12015550110', from_number=CALLER, body='to a failing number')
      await message.wait(20)
      assert message.state == 'undelivered'
    finally:
      await client.disconnect()
  run(scenario())


def test_inbound_message(server):
  async def scenario():
    received = asyncio.Queue()
    client = RelayClient(project=PROJECT, token=TOKEN, contexts=['office'])

    @client.on_message
    async def on_message(message):
      await received.put(message)

    await client.connect()
    try:
      await lab(server.lab.inject_message, **{'from': CALLER, 'to': '+12025550777', 'context': 'office', 'body': 'Hi v3'})
      message = await asyncio.wait_for(received.get(), 15)
      assert message.body == 'Hi v3' and message.from_number == CALLER and message.direction == 'inbound'
    finally:
      await client.disconnect()
  run(scenario())
