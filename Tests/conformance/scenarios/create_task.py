"""Seed example create-task.py: Task(project, token, host).deliver(context, message).
Relay.Task always uses https://HOST/api/relay/rest/tasks; HOST is given without a scheme."""
import json
import os
import sys
from signalwire.relay.task import Task
from _harness import ARGS, PROJECT, TOKEN, emit, start_watchdog

start_watchdog()
host = os.environ['RELAY_TASK_HOST']
task = Task(project=ARGS.get('project', PROJECT), token=ARGS.get('token', TOKEN), host=host)
try:
  success = task.deliver(ARGS.get('context', 'office'), ARGS.get('message', {
    'uuid': 'unique id',
    'data': 'data for your job'
  }))
  emit('result', {'delivered': success})
except Exception as e:  # URLError etc. (Task only catches HTTPError)
  emit('result', {'delivered': None, 'exception': repr(e)})
sys.stdout.flush()
os._exit(0)
