"""Inbound call scenarios with the official v3 client: answer, play, prompt, record,
send digits, detect, connect, hang up, and call-gone results (404/410)."""
import asyncio

import pytest
from signalwire.relay.client import RelayClient, RelayError

from v3lab import CALLER, PROJECT, TOKEN, lab, run, state


async def _inbound(server, script=None, context='office'):
  """A connected client and the inbound call it was offered."""
  calls = asyncio.Queue()
  client = RelayClient(project=PROJECT, token=TOKEN, contexts=[context])

  @client.on_call
  async def on_call(call):
    await calls.put(call)

  await client.connect()
  spec = {'from': CALLER, 'to': '+12025550777', 'context': context, 'ring_timeout': 600}
  if script:
    spec['script'] = script
  injected = await lab(server.lab.inject_call, **spec)
  call = await asyncio.wait_for(calls.get(), 15)
  assert call.call_id == injected.get('call_id', injected.get('id'))
  assert call.direction == 'inbound'
  return client, call


def _timeline_text(server, call_id):
  return ' | '.join(str(e) for e in server.lab.timeline(call_id)['timeline'])


def test_inbound_answer_play_prompt_record_hangup(server):
  async def scenario():
    client, call = await _inbound(server, script={'digits': '1234#'})
    try:
      result = await call.answer()
      assert result['code'] == '200'
      await state(call, 'answered')

      play = await call.play_tts('Welcome to the v3 conformance suite', language='en-US', gender='female')
      played = await play.wait(20)
      assert played.params['state'] == 'finished'

      prompt = await call.prompt_tts(
        'Enter your code', {'initial_timeout': 10, 'digits': {'max': 4, 'terminators': '#', 'digit_timeout': 5}})
      collected = await prompt.wait(30)
      assert collected.params['result']['type'] == 'digit'
      assert collected.params['result']['params']['digits'] == '1234'

      record = await call.record({'beep': True, 'format': 'mp3', 'end_silence_timeout': 2, 'initial_timeout': 5})
      recorded = await record.wait(40)
      assert recorded.params['state'] in ('finished', 'no_input')
      if recorded.params['state'] == 'finished':
        assert recorded.params['url']

      await call.hangup()
      ended = await call.wait_for_ended(15)
      assert ended.params['end_reason'] == 'hangup'
      text = await lab(_timeline_text, server, call.call_id)
      assert 'Welcome to the v3 conformance suite' in text
    finally:
      await client.disconnect()
  run(scenario())


def test_send_digits(server):
  async def scenario():
    client, call = await _inbound(server)
    try:
      await call.answer()
      result = await call.send_digits('1234#')
      assert result['code'] == '200'
      text = await lab(_timeline_text, server, call.call_id)
      assert '1234#' in text
      await call.hangup()
    finally:
      await client.disconnect()
  run(scenario())


def test_detect_machine(server):
  async def scenario():
    client, call = await _inbound(server, script={'kind': 'machine', 'greeting_seconds': 4})
    try:
      await call.answer()
      detect = await call.detect_answering_machine(initial_timeout=5, end_silence_timeout=1, timeout=30)
      event = await detect.wait(30)
      assert event.params['detect']['type'] == 'machine'
      assert event.params['detect']['params']['event'] == 'MACHINE'
      await call.hangup()
    finally:
      await client.disconnect()
  run(scenario())


def test_connect_bridges_to_a_device(server):
  async def scenario():
    client, call = await _inbound(server)
    try:
      await call.answer()
      connected = asyncio.ensure_future(call.wait_for(
        'calling.call.connect', lambda e: e.params.get('connect_state') == 'connected', timeout=30))
      result = await call.connect(
        [[{'type': 'phone', 'params': {'from_number': '+12025550777', 'to_number': '+12015550100', 'timeout': 20}}]],
        ringback=[{'type': 'ringtone', 'params': {'name': 'us'}}])
      assert result['code'] == '200'
      event = await connected
      assert event.params['peer']['call_id']
      result = await call.disconnect()
      assert result['code'] == '200'
      await call.hangup()
      await call.wait_for_ended(15)
    finally:
      await client.disconnect()
  run(scenario())


def test_call_gone_codes(server):
  """Unknown call_id -> "404", ended call -> "410" (the v3 client's Call verbs treat both as
  no-ops; through execute() they surface as RelayError with that code)."""
  async def scenario():
    client, call = await _inbound(server)
    try:
      await call.answer()
      await call.hangup()
      await call.wait_for_ended(15)
      with pytest.raises(RelayError) as gone:
        await client.execute('calling.answer', {'node_id': call.node_id, 'call_id': call.call_id})
      assert gone.value.code == 410
      with pytest.raises(RelayError) as unknown:
        await client.execute('calling.answer', {'node_id': call.node_id, 'call_id': 'no-such-call'})
      assert unknown.value.code == 404
    finally:
      await client.disconnect()
  run(scenario())
