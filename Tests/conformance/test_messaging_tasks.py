"""Messaging (send, states, inbound) and tasks (REST statuses) with the official SDK."""
import json

import pytest

from checks import contains, ok

CALLER = '+12025550123'


def test_send_with_media_and_tags(server, sdk):
  p = sdk('seed_send_sms', server, args={'to': '+12015550100', 'body': 'Pic',
                                         'media': ['https://cdn.example.com/cat.jpg'],
                                         'tags': ['conformance', 'mms']})
  p.expect('ready')
  send = ok(p.expect('send'), 'send')
  final = None
  while final is None:
    s = p.expect('state')
    assert s['media'] == ['https://cdn.example.com/cat.jpg'], s
    assert s['tags'] == ['conformance', 'mms'], s
    if s['state'] in ('delivered', 'undelivered', 'failed'):
      final = s
  assert final['state'] == 'delivered'
  assert contains(server.lab.messages(), send['message_id'])


def test_long_body_counts_segments(server, sdk):
  body = 'x' * 161  # two GSM-7 segments
  p = sdk('seed_send_sms', server, args={'to': '+12015550100', 'body': body})
  p.expect('ready')
  ok(p.expect('send'), 'send')
  s = p.expect('state')
  assert s['segments'] == 2, s


def test_inbound_message_reaches_consumer(server, sdk):
  p = sdk('consumer', server, args={'contexts': ['office']})
  p.expect('ready')
  server.lab.inject_message(**{'from': CALLER, 'to': '+12025550777', 'context': 'office',
                               'body': 'Hello inbound'})
  m = p.expect('incoming_message', timeout=20)
  assert m['body'] == 'Hello inbound'
  assert m['from_number'] == CALLER and m['to_number'] == '+12025550777'
  assert m['context'] == 'office'
  assert m['direction'] == 'inbound'
  assert m['state'] == 'received'
  assert m['id']


def test_task_rest_statuses(tls_server):
  """POST /api/relay/rest/tasks: 401 on bad credentials, 400 with a reason on a
  bad body (no consumer involved; the SDK's Task.deliver cannot send these)."""
  st, _, body = tls_server.http('POST', '/api/relay/rest/tasks', {'context': 'office', 'message': {}},
                                auth=(tls_server.project, 'wrong-token'))
  assert st == 401, (st, body)
  assert b'wrong-token' not in body
  st, _, body = tls_server.http('POST', '/api/relay/rest/tasks', raw=b'{not json',
                                headers={'Content-Type': 'application/json'})
  assert st == 400 and body.strip(), (st, body)
  st, _, body = tls_server.http('POST', '/api/relay/rest/tasks', {'message': {'a': 1}})
  assert st == 400 and b'context' in body, (st, body)


def test_task_deliver_with_bad_token_is_false(tls_server, sdk):
  task = sdk('create_task', tls_server, extra_env={'RELAY_TASK_HOST': tls_server.hostport},
             args={'token': 'PTwrong', 'context': 'office', 'message': {'x': 1}})
  assert task.expect('result') == {'delivered': False}


def test_task_without_consumer_is_refused(tls_server, sdk):
  """Issue 3: with no consumer on the context a task is refused with a clear status."""
  task = sdk('create_task', tls_server, extra_env={'RELAY_TASK_HOST': tls_server.hostport},
             args={'context': 'nobody-listens', 'message': {'x': 1}})
  assert task.expect('result') == {'delivered': False}
  st, _, body = tls_server.http('POST', '/api/relay/rest/tasks', {'context': 'nobody-listens', 'message': {}})
  assert 400 <= st < 600 and st != 204 and body.strip(), (st, body)
