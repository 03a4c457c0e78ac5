"""Fixtures for the Python-SDK conformance suite.

Nothing here builds anything: the `relay` binary comes from $RELAY_BIN or from
`swift build --scratch-path .build-conformance --show-bin-path` (scripts/conformance.sh
builds it).  Every server and SDK process is started on a free port / with a
hard deadline and killed by pid at the end of the test.
"""
import os
import shutil
import subprocess
import tempfile

import pytest

import relaylab

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
PROJECT = 'a5b52f6c-7a8e-4c1b-9d3e-0f1e2d3c4b5a'
TOKEN = 'PT0b7c2a1e9f8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d'
OTHER_PROJECT = '7d0c1e2f-3a4b-4c5d-8e6f-9a0b1c2d3e4f'
OTHER_TOKEN = 'PT9f8e7d6c5b4a39281706f5e4d3c2b1a0f9e8d7c6b5a4f3e2'
SPEED = float(os.environ.get('CONFORMANCE_SPEED', '20'))
SDK_TIMEOUT = float(os.environ.get('CONFORMANCE_SDK_TIMEOUT', '45'))


def _find_relay():
  env = os.environ.get('RELAY_BIN')
  if env:
    if not os.access(env, os.X_OK):
      pytest.exit('RELAY_BIN=%s is not an executable' % env, returncode=3)
    return env
  scratch = os.environ.get('RELAY_SCRATCH', os.path.join(REPO, '.build-conformance'))
  try:
    out = subprocess.run(['swift', 'build', '--scratch-path', scratch, '--show-bin-path'],
                         cwd=REPO, capture_output=True, text=True, timeout=120)
    path = os.path.join(out.stdout.strip(), 'relay')
  except (OSError, subprocess.TimeoutExpired) as e:
    pytest.exit('cannot locate relay: %r (set RELAY_BIN)' % (e,), returncode=3)
  if not os.access(path, os.X_OK):
    pytest.exit('relay binary not found at %s: run scripts/conformance.sh or set RELAY_BIN' % path,
                returncode=3)
  return path


@pytest.fixture(scope='session')
def relay_bin():
  return _find_relay()


@pytest.fixture(scope='session')
def log_dir(tmp_path_factory):
  d = os.environ.get('CONFORMANCE_LOG_DIR')
  if d:
    os.makedirs(d, exist_ok=True)
    return d
  return str(tmp_path_factory.mktemp('conformance-logs'))


def _make_cert(directory):
  cert = os.path.join(directory, 'loopback-cert.pem')
  key = os.path.join(directory, 'loopback-key.pem')
  openssl = shutil.which('openssl')
  if openssl:
    subprocess.run([openssl, 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256',
                    '-days', '2', '-subj', '/CN=127.0.0.1',
                    '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
                    '-addext', 'basicConstraints=critical,CA:TRUE',
                    '-keyout', key, '-out', cert],
                   check=True, capture_output=True, timeout=60)
    return cert, key
  # No openssl CLI: fall back to the `cryptography` package if present.
  import datetime
  import ipaddress
  from cryptography import x509
  from cryptography.hazmat.primitives import hashes, serialization
  from cryptography.hazmat.primitives.asymmetric import rsa
  from cryptography.x509.oid import NameOID
  k = rsa.generate_private_key(public_exponent=65537, key_size=2048)
  name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, '127.0.0.1')])
  now = datetime.datetime.now(datetime.timezone.utc)
  c = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(k.public_key())
       .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(hours=1))
       .not_valid_after(now + datetime.timedelta(days=2))
       .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address('127.0.0.1')),
                                                   x509.DNSName('localhost')]), critical=False)
       .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
       .sign(k, hashes.SHA256()))
  with open(cert, 'wb') as f:
    f.write(c.public_bytes(serialization.Encoding.PEM))
  with open(key, 'wb') as f:
    f.write(k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                            serialization.NoEncryption()))
  return cert, key


@pytest.fixture(scope='session')
def loopback_cert(tmp_path_factory):
  return _make_cert(str(tmp_path_factory.mktemp('tls')))


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
  outcome = yield
  rep = outcome.get_result()
  setattr(item, 'rep_' + rep.when, rep)


@pytest.fixture
def relay_factory(relay_bin, log_dir, request):
  """start(**kw) -> a running RelayServer; all are stopped at the end of the test."""
  started = []
  marker = request.node.get_closest_marker('speed')
  default_speed = marker.args[0] if marker else SPEED

  def start(tls=None, project=PROJECT, token=TOKEN, speed=None, world=None, extra_args=()):
    speed = default_speed if speed is None else speed
    s = relaylab.RelayServer(relay_bin, project, token, speed, log_dir, tls=tls, world=world,
                             extra_args=extra_args)
    started.append(s)
    return s

  yield start
  failed = getattr(request.node, 'rep_call', None) is not None and request.node.rep_call.failed
  for s in started:
    alive = s.alive()
    s.stop()
    if failed:
      print('\n--- relay serve output (%s) ---\n%s' % (s.log_path, s.output()[-6000:]))
    # A server that died during the test is a failure in itself.
    assert alive, 'relay serve died during the test:\n' + s.output()[-4000:]


@pytest.fixture
def server(relay_factory):
  """A plain ws:// server; the SDK is given host='ws://127.0.0.1:PORT'."""
  return relay_factory()


@pytest.fixture
def tls_server(relay_factory, loopback_cert):
  """wss:// + https:// on one port; the SDK is given host='127.0.0.1:PORT' and
  trusts the loopback certificate through SSL_CERT_FILE."""
  return relay_factory(tls=loopback_cert)


@pytest.fixture
def sdk(log_dir, request):
  """sdk(script, server, **kw) -> a running SdkProcess; all are killed at the end."""
  procs = []

  def run(script, srv, **kw):
    kw.setdefault('timeout', SDK_TIMEOUT)
    p = relaylab.SdkProcess(script, srv, log_dir, **kw)
    procs.append(p)
    return p

  yield run
  failed = getattr(request.node, 'rep_call', None) is not None and request.node.rep_call.failed
  for p in procs:
    p.stop()
    if failed:
      print('\n--- %s stderr ---\n%s' % (p.script, p.stderr()))
