"""Outbound calls with the official v3 client: `calling.dial` with serial groups of
parallel devices; the simulated world decides each leg's fate (docs/SERVER.md)."""
import pytest
from signalwire.relay.client import RelayClient, RelayError

from v3lab import PROJECT, TOKEN, lab, run

FROM = '+12025550777'
HUMAN = '+12015550100'
BUSY = '+12015550101'
NEVER = '+12015550102'
MACHINE = '+12015550104'


def phone(number, timeout=10):
  return {'type': 'phone', 'params': {'from_number': FROM, 'to_number': number, 'timeout': timeout}}


def _calls_by_tag(server, tag):
  return [c for c in server.lab.calls()['calls'] if c.get('tag') == tag]


def test_dial_answered_by_a_human(server):
  async def scenario():
    client = RelayClient(project=PROJECT, token=TOKEN)
    await client.connect()
    try:
      call = await client.dial([[phone(HUMAN)]], tag='v3-human')
      assert call.call_id and call.state == 'answered'
      play = await call.play_tts('Hello')
      assert (await play.wait(20)).params['state'] == 'finished'
      await call.hangup()
      await call.wait_for_ended(15)
    finally:
      await client.disconnect()
  run(scenario())


@pytest.mark.parametrize('number', [BUSY, NEVER])
def test_dial_busy_or_no_answer_fails(server, number):
  async def scenario():
    client = RelayClient(project=PROJECT, token=TOKEN)
    await client.connect()
    try:
      with pytest.raises(RelayError) as failed:
        await client.dial([[phone(number, timeout=6)]], tag='v3-fail')
      assert 'Dial failed' in failed.value.message
      legs = await lab(_calls_by_tag, server, 'v3-fail')
      assert len(legs) == 1 and legs[0]['state'] == 'ended'
      assert legs[0]['end_reason'] == ('busy' if number == BUSY else 'noAnswer')
    finally:
      await client.disconnect()
  run(scenario())


def test_dial_a_machine_and_detect_it(server):
  async def scenario():
    client = RelayClient(project=PROJECT, token=TOKEN)
    await client.connect()
    try:
      call = await client.dial([[phone(MACHINE)]])
      detect = await call.detect_answering_machine(initial_timeout=5, timeout=30)
      event = await detect.wait(30)
      assert event.params['detect']['params']['event'] == 'MACHINE'
      await call.hangup()
    finally:
      await client.disconnect()
  run(scenario())


def test_parallel_dial_has_one_winner_and_the_losers_end(server):
  async def scenario():
    client = RelayClient(project=PROJECT, token=TOKEN)
    await client.connect()
    try:
      call = await client.dial([[phone(NEVER, 30), phone(HUMAN, 30), phone(MACHINE, 30)]], tag='v3-parallel')
      assert call.state == 'answered'
      legs = await lab(_calls_by_tag, server, 'v3-parallel')
      assert len(legs) == 3
      winner = [leg for leg in legs if leg['call_id'] == call.call_id]
      assert winner and winner[0]['state'] == 'answered'
      losers = [leg for leg in legs if leg['call_id'] != call.call_id]
      assert all(leg['state'] in ('ending', 'ended') for leg in losers)
      # The client keeps only the winner.
      assert [c for c in client._calls.values() if c.call_id != call.call_id and c.state != 'ended'] == []
      await call.hangup()
    finally:
      await client.disconnect()
  run(scenario())


def test_serial_dial_tries_the_next_group(server):
  async def scenario():
    client = RelayClient(project=PROJECT, token=TOKEN)
    await client.connect()
    try:
      call = await client.dial([[phone(BUSY)], [phone(HUMAN)]], tag='v3-serial')
      legs = await lab(_calls_by_tag, server, 'v3-serial')
      assert len(legs) == 2
      first = [leg for leg in legs if leg['call_id'] != call.call_id][0]
      assert first['state'] == 'ended' and first['end_reason'] == 'busy'
      await call.hangup()
    finally:
      await client.disconnect()
  run(scenario())
