"""Process plumbing for the conformance suite: `relay serve` as a subprocess,
SDK scenario scripts as subprocesses, and a small client for the server's lab
HTTP API.  Everything here is bounded in time and kills only the processes it
started, by pid."""
import base64
import json
import os
import queue
import re
import signal
import ssl
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
SCENARIOS = os.path.join(HERE, 'scenarios')
URL_LINE = re.compile(r'\b(ws|wss|http|https)://([A-Za-z0-9.\-]+|\[[0-9a-fA-F:]+\]):(\d+)')


class ProcessError(AssertionError):
  pass


def _kill(proc, grace=3.0):
  """Stop a process we started: SIGTERM to its pid, then SIGKILL."""
  if proc.poll() is not None:
    return proc.returncode
  try:
    os.kill(proc.pid, signal.SIGTERM)
  except ProcessLookupError:
    return proc.poll()
  try:
    return proc.wait(grace)
  except subprocess.TimeoutExpired:
    try:
      os.kill(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
      pass
    return proc.wait(5)


class _LineReader:
  """Reads a pipe on a thread so reads can time out."""

  def __init__(self, pipe, sink=None):
    self.q = queue.Queue()
    self.lines = []
    self.sink = sink
    self.t = threading.Thread(target=self._run, args=(pipe,), daemon=True)
    self.t.start()

  def _run(self, pipe):
    for raw in iter(pipe.readline, b''):
      line = raw.decode('utf-8', 'replace').rstrip('\n')
      self.lines.append(line)
      if self.sink is not None:
        try:
          self.sink.write(line + '\n')
          self.sink.flush()
        except ValueError:
          pass
      self.q.put(line)
    self.q.put(None)

  def get(self, timeout):
    return self.q.get(timeout=timeout)


class RelayServer:
  """`relay serve` on a free port.  Parses the URL line it prints."""

  def __init__(self, binary, project, token, speed, log_dir, tls=None, world=None,
               extra_args=(), start_timeout=60.0):
    self.binary = binary
    self.project = project
    self.token = token
    self.tls = tls  # (cert, key) or None
    args = [binary, 'serve', '--host', '127.0.0.1', '--port', '0',
            '--project', project, '--token', token, '--speed', str(speed)]
    if world:
      args += ['--world', world]
    if tls:
      args += ['--tls-cert', tls[0], '--tls-key', tls[1]]
    args += list(extra_args)
    self.args = args
    os.makedirs(log_dir, exist_ok=True)
    self.log_path = os.path.join(log_dir, 'relay-serve-%d.log' % int(time.time() * 1000))
    self._log = open(self.log_path, 'w')
    self._log.write('$ ' + ' '.join(args) + '\n')
    self._log.flush()
    env = dict(os.environ)
    env.pop('SIGNALWIRE_PROJECT', None)
    env.pop('SIGNALWIRE_TOKEN', None)
    self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, env=env)
    self._out = _LineReader(self.proc.stdout, sink=self._log)
    self.url = None
    deadline = time.monotonic() + start_timeout
    while self.url is None:
      left = deadline - time.monotonic()
      if left <= 0:
        self.stop()
        raise ProcessError('relay serve printed no URL within %.0fs; log: %s\n%s'
                           % (start_timeout, self.log_path, self.output()))
      try:
        line = self._out.get(timeout=left)
      except queue.Empty:
        continue
      if line is None:
        self.stop()
        raise ProcessError('relay serve exited (%s) before printing its URL:\n%s'
                           % (self.proc.poll(), self.output()))
      m = URL_LINE.search(line)
      if m and int(m.group(3)) != 0:
        self.url = m.group(0)
    hostport = self.url.split('://', 1)[1]
    self.hostport = hostport
    self.port = int(hostport.rsplit(':', 1)[1])
    scheme = 'https' if tls else 'http'
    self.http_base = '%s://%s' % (scheme, hostport)
    self.ws_url = '%s://%s' % ('wss' if tls else 'ws', hostport)
    self.lab = Lab(self)

  def output(self):
    return '\n'.join(self._out.lines[-200:])

  def alive(self):
    return self.proc.poll() is None

  def stop(self):
    rc = _kill(self.proc, grace=5.0)
    try:
      self._out.t.join(2)
    finally:
      self._log.close()
    return rc

  # -- talking to the server without the SDK -------------------------------------------------
  def ssl_context(self):
    if not self.tls:
      return None
    return ssl.create_default_context(cafile=self.tls[0])

  def http(self, method, path, body=None, headers=None, auth=True, timeout=10.0, raw=None):
    """One HTTP request to the server; returns (status, headers, body bytes)."""
    url = self.http_base + path
    data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    h = {'Connection': 'close'}
    if data is not None and raw is None:
      h['Content-Type'] = 'application/json'
    if auth is True:
      cred = base64.b64encode(('%s:%s' % (self.project, self.token)).encode()).decode()
      h['Authorization'] = 'Basic ' + cred
    elif isinstance(auth, tuple):
      cred = base64.b64encode(('%s:%s' % auth).encode()).decode()
      h['Authorization'] = 'Basic ' + cred
    h.update(headers or {})
    req = urllib.request.Request(url, data=data, method=method, headers=h)
    try:
      with urllib.request.urlopen(req, timeout=timeout, context=self.ssl_context()) as r:
        return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
      return e.code, dict(e.headers or {}), e.read()


class Lab:
  """The server's lab API (docs/SERVER.md).  Paths live here only, so a change
  of the server's API is a change of this class only."""

  def __init__(self, server):
    self.s = server

  def _json(self, method, path, body=None, expect=(200, 201, 202, 204)):
    status, _, data = self.s.http(method, path, body)
    if status not in expect:
      raise AssertionError('lab %s %s -> HTTP %s: %s' % (method, path, status, data[:500]))
    if not data:
      return None
    return json.loads(data)

  def inject_call(self, **spec):
    """spec: from/to/context, optional caller script.  Returns the server's answer
    (which includes the call id)."""
    return self._json('POST', '/lab/calls', spec)

  def inject_message(self, **spec):
    return self._json('POST', '/lab/messages', spec)

  def calls(self):
    return self._json('GET', '/lab/calls')

  def call(self, call_id):
    return self._json('GET', '/lab/calls/%s' % urllib.parse.quote(call_id))

  def timeline(self, call_id):
    return self._json('GET', '/lab/calls/%s/timeline' % urllib.parse.quote(call_id))

  def messages(self):
    return self._json('GET', '/lab/messages')

  def sessions(self):
    return self._json('GET', '/lab/sessions')

  def journal(self, session_id):
    return self._json('GET', '/lab/sessions/%s/journal' % urllib.parse.quote(session_id))

  def tasks(self):
    return self._json('GET', '/lab/tasks')

  def info(self):
    return self._json('GET', '/lab/info')

  def sip_address(self, timeout=20.0):
    """(host, port) of the SIP edge (`relay serve --sip HOST:0`), from `GET /lab/info`; the
    edge binds a moment after the HTTP server."""
    deadline = time.monotonic() + timeout
    while True:
      sip = self.info().get('sip')
      if sip:
        host, port = sip.rsplit(':', 1)
        return host.strip('[]'), int(port)
      if time.monotonic() > deadline:
        raise AssertionError('GET /lab/info shows no "sip" address within %.0fs' % timeout)
      time.sleep(0.05)


class SdkProcess:
  """One scenario script run with the venv's python (the official SDK)."""

  def __init__(self, script, server, log_dir, host=None, args=None, timeout=45.0,
               project=None, token=None, extra_env=None):
    path = script if os.path.isabs(script) else os.path.join(SCENARIOS, script)
    if not path.endswith('.py'):
      path += '.py'
    self.script = os.path.basename(path)
    env = dict(os.environ)
    env.update({
      'RELAY_HOST': host or server.ws_url,
      'RELAY_PROJECT': project or server.project,
      'RELAY_TOKEN': token or server.token,
      'SCENARIO_TIMEOUT': str(timeout),
      'SCENARIO_ARGS': json.dumps(args or {}),
      'PYTHONUNBUFFERED': '1',
      'PYTHONHASHSEED': '0',
    })
    if server.tls:
      env['SSL_CERT_FILE'] = server.tls[0]
    env.update(extra_env or {})
    self.timeout = timeout
    os.makedirs(log_dir, exist_ok=True)
    self.err_path = os.path.join(log_dir, '%s-%d.stderr' % (self.script, int(time.time() * 1000)))
    self._err = open(self.err_path, 'w')
    self.proc = subprocess.Popen([sys.executable, path], stdin=subprocess.DEVNULL,
                                 stdout=subprocess.PIPE, stderr=self._err, env=env, cwd=SCENARIOS)
    self._out = _LineReader(self.proc.stdout)
    self.reports = []
    self.started = time.monotonic()

  def stderr(self):
    try:
      with open(self.err_path) as f:
        return f.read()[-4000:]
    except OSError:
      return ''

  def _describe(self):
    return ('%s (pid %d, rc %s)\nreports: %s\nstderr tail:\n%s'
            % (self.script, self.proc.pid, self.proc.poll(),
               json.dumps(self.reports)[-3000:], self.stderr()))

  def next_report(self, timeout):
    deadline = time.monotonic() + timeout
    while True:
      left = deadline - time.monotonic()
      if left <= 0:
        raise ProcessError('no report from %s within %.1fs\n%s' % (self.script, timeout, self._describe()))
      try:
        line = self._out.get(timeout=left)
      except queue.Empty:
        continue
      if line is None:
        raise ProcessError('%s ended without the expected report\n%s' % (self.script, self._describe()))
      try:
        rep = json.loads(line)
      except ValueError:
        continue  # SDK prints (e.g. Task deliver errors) are not reports
      if not isinstance(rep, dict) or 'kind' not in rep:
        continue
      self.reports.append(rep)
      if rep['kind'] in ('timeout', 'crash'):
        raise ProcessError('%s: %s\n%s' % (self.script, rep['kind'], self._describe()))
      return rep

  def expect(self, kind, timeout=None):
    """Wait for the next report of this kind (others are kept in self.reports)."""
    timeout = self.timeout if timeout is None else timeout
    deadline = time.monotonic() + timeout
    while True:
      rep = self.next_report(max(0.01, deadline - time.monotonic()))
      if rep['kind'] == kind:
        return rep['data']

  def of_kind(self, kind):
    return [r['data'] for r in self.reports if r['kind'] == kind]

  def result(self, timeout=None):
    """Wait for the client scenario's result and for the process to exit 0."""
    data = self.expect('result', timeout)
    rc = self.wait(10)
    if data.get('exception'):
      raise ProcessError('%s raised %s\n%s' % (self.script, data['exception'], self._describe()))
    if rc != 0:
      raise ProcessError('%s exited %s\n%s' % (self.script, rc, self._describe()))
    return data

  def wait(self, timeout):
    try:
      return self.proc.wait(timeout)
    except subprocess.TimeoutExpired:
      self.stop()
      raise ProcessError('%s did not exit within %.1fs\n%s' % (self.script, timeout, self._describe()))

  def stop(self):
    rc = _kill(self.proc)
    self._err.close()
    return rc


def _lab_extras():
  def drop(self, session=None):
    status, _, data = self.s.http('POST', '/lab/faults/drop', {} if session is None else {'session': session})
    assert status == 200, (status, data)
    return json.loads(data)

  def duplicate_and_delay(self, duplicate=True, delay_ms=0):
    status, _, data = self.s.http('POST', '/lab/faults', {'duplicate_events': duplicate, 'event_delay_ms': delay_ms})
    assert status == 200, (status, data)

  Lab.drop = drop
  Lab.duplicate_and_delay = duplicate_and_delay


_lab_extras()


def free_udp_port(even=False):
  """A UDP port free on 127.0.0.1 right now (SIPp cannot be given port 0)."""
  import socket
  while True:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
      sock.bind(('127.0.0.1', 0))
      port = sock.getsockname()[1]
    if not even or port % 2 == 0:
      return port


SIPP = '/usr/bin/sipp'
SIPP_SCENARIOS = os.path.join(HERE, '..', 'Fixtures', 'sipp')


class Sipp:
  """One bounded SIPp call (`-m 1`) to a SIP edge, on free SIP and media ports; its output
  goes to a log file.  `scenario` is a built-in name (`uac`, `uac_pcap`) or an XML file
  under Tests/Fixtures/sipp/."""

  def __init__(self, scenario, address, user, log_dir, timeout=60, extra=()):
    if not os.access(SIPP, os.X_OK):
      raise AssertionError('SIPp is missing: scripts/sip-deps.sh installs it (apt-get install sip-tester)')
    self.directory = os.path.join(log_dir, 'sipp-%d' % int(time.time() * 1000))
    os.makedirs(self.directory, exist_ok=True)
    if scenario.endswith('.xml'):
      which = ['-sf', os.path.join(SIPP_SCENARIOS, scenario)]
    else:
      which = ['-sn', scenario]
      # Built-in uac_pcap plays pcap/g711a.pcap relative to its working directory.
      os.symlink('/usr/share/sip-tester', os.path.join(self.directory, 'pcap'))
    host, port = address
    self.args = [SIPP] + which + ['%s:%d' % (host, port), '-s', user, '-m', '1',
                                  '-i', '127.0.0.1', '-p', str(free_udp_port()),
                                  '-mp', str(free_udp_port(even=True)),
                                  '-timeout', '%ds' % timeout, '-timeout_error', '-nostdin'] + list(extra)
    self.timeout = timeout
    self.log_path = os.path.join(self.directory, 'sipp.log')
    self._log = open(self.log_path, 'w')
    self.proc = subprocess.Popen(self.args, stdin=subprocess.DEVNULL, stdout=self._log,
                                 stderr=subprocess.STDOUT, cwd=self.directory)

  def output(self):
    try:
      with open(self.log_path, errors='replace') as f:
        return f.read()[-4000:]
    except OSError:
      return ''

  def wait(self):
    """SIPp's exit code (0: its one call succeeded); killed past its own timeout."""
    try:
      return self.proc.wait(self.timeout + 15)
    except subprocess.TimeoutExpired:
      _kill(self.proc)
      raise ProcessError('SIPp did not exit within %ds:\n%s' % (self.timeout + 15, self.output()))
    finally:
      self._log.close()

  def stop(self):
    rc = _kill(self.proc)
    if not self._log.closed:
      self._log.close()
    return rc
