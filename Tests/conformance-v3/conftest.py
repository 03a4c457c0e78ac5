"""Fixtures for the RELAY v3 conformance suite: the unmodified official v3 client
(signalwire-sdk==3.7.5) against `relay serve` over TLS.

The client is pointed at the server only through its own documented environment
variables: SIGNALWIRE_SPACE=127.0.0.1:<port> and SIGNALWIRE_RELAY_CA_FILE=<a
throwaway self-signed certificate with an IP:127.0.0.1 SAN>.  Each scenario runs
the client in this process (asyncio), bounded by a deadline; the server process
is started per test on a free port and killed by pid at the end (relaylab, shared
with the v2 suite).
"""
import asyncio
import os
import shutil
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, '..', '..'))
sys.path.insert(0, os.path.join(REPO, 'Tests', 'conformance'))
# One process runs several clients at once (a v3 client and a second consumer).
os.environ.setdefault('RELAY_MAX_CONNECTIONS', '8')

import relaylab  # noqa: E402
from v3lab import PROJECT, SPEED, TOKEN  # noqa: E402


def _find_relay():
  env = os.environ.get('RELAY_BIN')
  if env and os.access(env, os.X_OK):
    return env
  pytest.exit('set RELAY_BIN to the relay binary (scripts/conformance-v3.sh does)', returncode=3)


@pytest.fixture(scope='session')
def relay_bin():
  return _find_relay()


@pytest.fixture(scope='session')
def log_dir(tmp_path_factory):
  d = os.environ.get('CONFORMANCE_LOG_DIR')
  if d:
    os.makedirs(d, exist_ok=True)
    return d
  return str(tmp_path_factory.mktemp('conformance-v3-logs'))


@pytest.fixture(scope='session')
def loopback_cert(tmp_path_factory):
  """A throwaway self-signed certificate for 127.0.0.1 (IP SAN: the client checks hostnames)."""
  directory = str(tmp_path_factory.mktemp('tls'))
  cert = os.path.join(directory, 'loopback-cert.pem')
  key = os.path.join(directory, 'loopback-key.pem')
  openssl = shutil.which('openssl')
  if not openssl:
    pytest.exit('the openssl CLI is needed (scripts/conformance-v3.sh installs it)', returncode=3)
  subprocess.run([openssl, 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256',
                  '-days', '2', '-subj', '/CN=127.0.0.1',
                  '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
                  '-addext', 'basicConstraints=critical,CA:TRUE',
                  '-keyout', key, '-out', cert],
                 check=True, capture_output=True, timeout=60)
  return cert, key


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
  outcome = yield
  rep = outcome.get_result()
  setattr(item, 'rep_' + rep.when, rep)


@pytest.fixture
def server(relay_bin, log_dir, loopback_cert, request, monkeypatch):
  """`relay serve` over TLS, and the v3 client's environment pointing at it."""
  s = relaylab.RelayServer(relay_bin, PROJECT, TOKEN, SPEED, log_dir, tls=loopback_cert)
  for name in ('SIGNALWIRE_PROJECT_ID', 'SIGNALWIRE_API_TOKEN', 'SIGNALWIRE_JWT_TOKEN'):
    monkeypatch.delenv(name, raising=False)
  monkeypatch.setenv('SIGNALWIRE_SPACE', '127.0.0.1:%d' % s.port)
  monkeypatch.setenv('SIGNALWIRE_RELAY_CA_FILE', loopback_cert[0])
  yield s
  failed = getattr(request.node, 'rep_call', None) is not None and request.node.rep_call.failed
  alive = s.alive()
  s.stop()
  if failed:
    print('\n--- relay serve output (%s) ---\n%s' % (s.log_path, s.output()[-6000:]))
  assert alive, 'relay serve died during the test:\n' + s.output()[-4000:]


