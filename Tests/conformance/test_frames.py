"""Frame-level checks on what the server sent the official SDK (lab journal),
against RELAY-V2.md: the broadcast envelope (3.1), event names (3.2), state
order (5.1), one response per request and none for unknown ids (1.5, 1.9),
messaging context in both places (7.2), no token in the journal."""
import json
from collections import Counter, defaultdict

from conftest import TOKEN

EVENT_NAMES = {'queuing.relay.events', 'queuing.relay.messaging', 'queuing.relay.tasks'}
ORDER = ['created', 'ringing', 'answered', 'ending', 'ended']


def journal_of_only_session(server):
  sessions = server.lab.sessions()['sessions']
  py = [s for s in sessions if s.get('agent', '').startswith('Python SDK/2.1.1')]
  assert len(py) == 1, sessions
  j = server.lab.journal(py[0]['sessionid'])
  return py[0], [f['frame'] for f in j['frames'] if f['dir'] == 'in'], [f['frame'] for f in j['frames'] if f['dir'] == 'out']


def check_envelopes(session, outbound):
  broadcasts = [f for f in outbound if f.get('method') == 'blade.broadcast']
  assert broadcasts, 'no events were sent'
  for f in broadcasts:
    p = f['params']
    assert p['protocol'] == session['protocol'], f
    assert p['channel'] == 'notifications', f
    assert p['event'] in EVENT_NAMES, f
    n = p['params']
    for key in ('timestamp', 'project_id', 'space_id'):
      assert key in n, 'notification lacks %s (RELAY-V2 3.1 SHOULD): %s' % (key, f)
    assert isinstance(n['timestamp'], float), f
    if p['event'] != 'queuing.relay.tasks':
      assert 'event_type' in n and isinstance(n.get('params'), dict), f
      assert n.get('event_channel') == session['protocol'], f
  return broadcasts


def check_responses(inbound, outbound):
  requests = {f['id'] for f in inbound if 'method' in f}
  responses = Counter(f['id'] for f in outbound if 'method' not in f)
  unknown = [i for i in responses if i not in requests]
  assert not unknown, 'responses to ids the client never sent (crash the SDK, RELAY-V2 1.9): %s' % unknown
  dup = [i for i, n in responses.items() if n > 1]
  assert not dup, 'more than one response for a request: %s' % dup
  missing = [f['method'] for f in inbound if 'method' in f and f['id'] not in responses]
  assert not missing, 'requests never answered: %s' % missing


def test_outbound_call_frames(server, sdk):
  sdk('media', server, args={'name': 'play_tts'}).result()
  session, inbound, outbound = journal_of_only_session(server)
  check_responses(inbound, outbound)
  broadcasts = check_envelopes(session, outbound)
  states = defaultdict(list)
  plays = []
  for f in broadcasts:
    n = f['params']['params']
    if n['event_type'] == 'calling.call.state':
      states[n['params']['call_id']].append(n['params']['call_state'])
    if n['event_type'] == 'calling.call.play':
      plays.append(n['params']['state'])
  assert len(states) == 1
  (seq,) = states.values()
  assert seq == ORDER, seq
  assert plays == ['playing', 'finished'], plays
  assert TOKEN not in json.dumps(inbound) + json.dumps(outbound), 'the token must never be journalled'


def test_consumer_frames_inbound_call_and_messages(server, sdk):
  p = sdk('consumer', server, args={'contexts': ['office']})
  p.expect('ready')
  server.lab.inject_call(**{'from': '+12025550123', 'to': '+12025550777', 'context': 'office'})
  p.expect('call_done')
  server.lab.inject_message(**{'from': '+12025550123', 'to': '+12025550777', 'context': 'office', 'body': 'hi'})
  p.expect('incoming_message')
  session, inbound, outbound = journal_of_only_session(server)
  check_responses(inbound, outbound)
  broadcasts = check_envelopes(session, outbound)
  receives = [f for f in broadcasts if f['params']['params'].get('event_type') == 'calling.call.receive']
  assert len(receives) == 1
  r = receives[0]['params']['params']['params']
  assert r['call_state'] == 'created' and r['context'] == 'office' and r['direction'] == 'inbound', r
  msgs = [f for f in broadcasts if f['params']['event'] == 'queuing.relay.messaging']
  assert msgs
  for f in msgs:
    n = f['params']['params']
    assert n.get('context') == n['params'].get('context') == 'office', 'context in both places (RELAY-V2 7.2): %s' % f
