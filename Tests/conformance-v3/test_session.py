"""Session scenarios: connect forms, bad credentials, contexts, disconnect with and
without restart, resume after a drop.  Each drives the unmodified official v3 client."""
import asyncio

import pytest
from signalwire.relay.client import RelayClient, RelayError

from v3lab import PROJECT, TOKEN, lab, run, state, until, v3_sessions


def test_connect_with_project_and_token(server):
  async def scenario():
    client = RelayClient(project=PROJECT, token=TOKEN, contexts=['office', 'home'])
    await client.connect()
    try:
      assert client._relay_protocol.startswith('signalwire_')
      sessions = await lab(v3_sessions, server)
      assert len(sessions) == 1
      assert sessions[0]['contexts'] == ['office', 'home'] and sessions[0]['connected']
      assert sessions[0]['protocol'] == client._relay_protocol
      # The authorization state arrives as an event right after the connect result.
      await until(lambda: client._authorization_state, what='authorization_state')
      journal = (await lab(server.lab.journal, sessions[0]['sessionid']))
      frames = [e.get('frame', {}) for e in journal.get('frames', journal) if isinstance(e, dict)]
      acks = [f for f in frames if isinstance(f, dict) and f.get('result') == {} and 'method' not in f]
      assert acks, 'the client acknowledged the authorization state event'
    finally:
      await client.disconnect()
  run(scenario())


def test_connect_with_jwt(server):
  async def scenario():
    client = RelayClient(jwt_token=TOKEN)
    await client.connect()
    try:
      assert client._relay_protocol.startswith('signalwire_')
      sessions = await lab(v3_sessions, server)
      assert [s['project'] for s in sessions] == [PROJECT]
    finally:
      await client.disconnect()
  run(scenario())


def test_bad_credentials_are_rejected(server):
  async def scenario():
    client = RelayClient(project=PROJECT, token='not-the-token')
    with pytest.raises(RelayError):
      await client.connect()
    await client.disconnect()
    assert await lab(v3_sessions, server) == []
  run(scenario())


def test_receive_and_unreceive(server):
  async def scenario():
    client = RelayClient(project=PROJECT, token=TOKEN)
    await client.connect()
    try:
      await client.receive(['sales', 'support'])
      assert (await lab(v3_sessions, server))[0]['contexts'] == ['sales', 'support']
      await client.unreceive(['sales'])
      assert (await lab(v3_sessions, server))[0]['contexts'] == ['support']
    finally:
      await client.disconnect()
  run(scenario())


async def _running(client):
  """The client's own reconnect loop (what RelayClient.run() runs), as a task."""
  task = asyncio.ensure_future(client._run_forever())
  await until(lambda: client._connected and client._relay_protocol, what='first connect')
  return task


async def _stop(client, task):
  await client._shutdown()
  await asyncio.wait_for(task, 15)


def _restored(server, protocol, count):
  def check():
    return [s for s in v3_sessions(server) if s['protocol'] == protocol and s['connected'] and s['restored'] >= count]
  return check


def test_disconnect_restart_false_resumes_the_session_and_its_call(server):
  async def scenario():
    calls = asyncio.Queue()
    client = RelayClient(project=PROJECT, token=TOKEN, contexts=['office'])

    @client.on_call
    async def on_call(call):
      await calls.put(call)

    task = await _running(client)
    try:
      first = client._relay_protocol
      await lab(server.lab.inject_call, **{'from': '+12025550100', 'to': '+12025550777', 'context': 'office', 'ring_timeout': 600})
      call = await asyncio.wait_for(calls.get(), 15)
      await call.answer()
      await state(call, 'answered')
      told = (await lab(server.lab._json, 'POST', '/lab/faults/disconnect', {'restart': False}))['disconnected']
      assert told == 1
      await until(_restored(server, first, 1), what='the resumed session')
      assert client._relay_protocol == first
      # The call survived: a verb on it works and its events reach the resumed client.
      play = await call.play_tts('still here')
      event = await play.wait(20)
      assert event.params.get('state') == 'finished'
      await call.hangup()
      await call.wait_for_ended(15)
    finally:
      await _stop(client, task)
  run(scenario())


def test_disconnect_restart_true_starts_a_fresh_session(server):
  async def scenario():
    client = RelayClient(project=PROJECT, token=TOKEN, contexts=['office'])
    task = await _running(client)
    try:
      first = client._relay_protocol
      await lab(server.lab._json, 'POST', '/lab/faults/disconnect', {'restart': True})

      def fresh():
        sessions = v3_sessions(server)
        return [s for s in sessions if s['connected'] and s['protocol'] != first] and not [s for s in sessions if s['protocol'] == first]
      await until(fresh, what='a fresh session replacing the old one')
      await until(lambda: client._connected and client._relay_protocol != first, what='the client on its new protocol')
      session = (await lab(v3_sessions, server))[0]
      assert session['restored'] == 0 and session['contexts'] == ['office']
    finally:
      await _stop(client, task)
  run(scenario())


def test_socket_drop_resumes_and_delivers_what_came_while_away(server):
  async def scenario():
    calls = asyncio.Queue()
    client = RelayClient(project=PROJECT, token=TOKEN, contexts=['office'])

    @client.on_call
    async def on_call(call):
      await calls.put(call)

    task = await _running(client)
    try:
      first = client._relay_protocol
      await lab(server.lab.inject_call, **{'from': '+12025550100', 'to': '+12025550777', 'context': 'office', 'ring_timeout': 600})
      call = await asyncio.wait_for(calls.get(), 15)
      await call.answer()
      play = await call.play([{'type': 'silence', 'params': {'duration': 5}}])
      # Dropped without a word; the play finishes while the client waits 1 s to reconnect.
      assert (await lab(server.lab._json, 'POST', '/lab/faults/drop', {}))['dropped'] == 1
      event = await play.wait(30)
      assert event.params.get('state') == 'finished'
      await until(_restored(server, first, 1), what='the resumed session')
      assert client._relay_protocol == first
      await call.hangup()
    finally:
      await _stop(client, task)
  run(scenario())
