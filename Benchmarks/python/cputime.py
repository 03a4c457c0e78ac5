"""Runs a command and records the CPU time it used: cputime.py OUT.json CMD ARGS...

Used by run.sh around the call-flow consumers, so the summary can show each SDK's own
CPU cost per call beside the end-to-end rate (which the server on the same 2 cores
also shapes).  SIGTERM/SIGINT are passed on to the command; its exit status is ours.
"""
import json
import os
import signal
import subprocess
import sys


def main():
  out, cmd = sys.argv[1], sys.argv[2:]
  child = subprocess.Popen(cmd)
  for sig in (signal.SIGTERM, signal.SIGINT):
    signal.signal(sig, lambda s, _f: child.send_signal(s))
  while True:
    try:
      _, status, usage = os.wait4(child.pid, 0)
      break
    except InterruptedError:
      continue
  with open(out, 'w') as f:
    json.dump({'cpu_seconds': round(usage.ru_utime + usage.ru_stime, 3), 'user_seconds': round(usage.ru_utime, 3),
               'system_seconds': round(usage.ru_stime, 3), 'max_rss_bytes': usage.ru_maxrss * 1024,
               'voluntary_context_switches': usage.ru_nvcsw, 'involuntary_context_switches': usage.ru_nivcsw}, f)
  sys.exit(os.waitstatus_to_exitcode(status))


if __name__ == '__main__':
  main()
