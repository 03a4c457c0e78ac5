"""The SIP edge below Relay: SIPp calls `relay serve --sip`, and the official Python SDK's
Consumer answers like any other call (issue 11).  SIP calls run at --speed 1: the caller's
audio and its digit come in real time."""
import os
import re
import subprocess

import pytest

from checks import ended, ok, server_call
from relaylab import Sipp

# uac_pcap sends g711a.pcap (236 packets) and then an RFC 4733 digit 1 (10 packets).
PCAP_PACKETS = 246


def sip_server(relay_factory):
  return relay_factory(extra_args=['--sip', '127.0.0.1:0', '--sip-context', 'office'])


def run_call(relay_factory, sdk, log_dir, mode, scenario):
  server = sip_server(relay_factory)
  consumer = sdk('sip', server, args={'mode': mode}, timeout=90)
  consumer.expect('ready', timeout=30)
  sipp = Sipp(scenario, server.lab.sip_address(), 'office', log_dir)
  try:
    offered = consumer.expect('incoming_call', timeout=30)
    done = consumer.expect('call_done', timeout=60)
    rc = sipp.wait()
  finally:
    sipp.stop()
  assert rc == 0, 'SIPp exited %s:\n%s' % (rc, sipp.output())
  assert offered['from_number'] == 'sipp' and offered['context'] == 'office', offered
  ok(done['answer'], 'answer')
  # The lab API: answered, then ended by a hang-up, with the media both ways counted.
  rec = server_call(server, done['id'], until=ended, timeout=15)
  assert ended(rec), rec
  assert rec.get('end_reason') == 'hangup', rec
  assert any((e.get('data') or {}).get('call_state') == 'answered' for e in rec.get('timeline') or []), rec
  media = rec.get('sip_media')
  assert media, 'GET /lab/calls/<id> shows no sip_media: %s' % rec
  return done, media, server


@pytest.mark.speed(1)
def test_sipp_call_answered_by_python_consumer_plays_tts(relay_factory, sdk, log_dir, relay_bin):
  done, media, server = run_call(relay_factory, sdk, log_dir, 'play_wait', 'uac_pcap')
  ok(done['play'], 'play_tts')
  assert done['ended'] is True, done
  # Every packet SIPp sent arrived; the edge streamed to the caller while the call was up.
  assert media['packets_in'] == PCAP_PACKETS and media['lost'] == 0, media
  assert media['packets_out'] > 0, media
  # The terminal shows the same counters: `relay calls` has an RTP column for SIP calls.
  out = subprocess.run([relay_bin, 'calls', '--server', server.http_base], capture_output=True,
                       text=True, timeout=30)
  assert out.returncode == 0, out.stderr
  row = [line for line in out.stdout.splitlines() if line.startswith(done['id'][:8])]
  assert row, out.stdout
  packets_in, packets_out, lost, jitter = row[0].split()[-1].split('/')
  assert (int(packets_in), lost) == (PCAP_PACKETS, '0') and int(packets_out) > 0, out.stdout
  assert jitter.endswith('ms'), out.stdout


@pytest.mark.speed(1)
def test_python_prompt_collects_the_sipp_callers_rfc4733_digit(relay_factory, sdk, log_dir):
  done, media, _ = run_call(relay_factory, sdk, log_dir, 'prompt_hangup', 'caller_plays_audio_then_waits_for_bye.xml')
  prompt = ok(done['prompt'], 'prompt_tts')
  assert prompt['prompt_type'] == 'digit' and prompt['result'] == '1', prompt
  ok(done['hangup'], 'hangup')
  # The consumer hung up: SIPp took the edge's BYE (its scenario waits for one) and exited 0.
  assert media['packets_in'] > 0 and media['lost'] == 0, media


def test_relay_demo_sip_runs_sipp_against_its_consumer(relay_bin, tmp_path):
  """`relay demo --sip` (the `relay` binary alone, no SDK): SIPp calls the demo consumer, which
  records it, prompts and hangs up; the demo prints where the recording of the caller is."""
  env = dict(os.environ, TMPDIR=str(tmp_path))
  out = subprocess.run([relay_bin, 'demo', '--sip'], capture_output=True, text=True, timeout=120,
                       env=env, stdin=subprocess.DEVNULL)
  text = out.stdout + out.stderr
  assert out.returncode == 0, text[-4000:]
  assert 'SIPp:     exit 0' in text and 'Digit:    1' in text, text[-4000:]
  recording = re.search(r'Recording of the caller: (\S+\.wav) \(([\d.]+) s', text)
  heard = re.search(r'What the caller heard: (\S+-heard\.wav)', text)
  assert recording and heard, text[-4000:]
  for path in (recording.group(1), heard.group(1)):
    with open(path, 'rb') as f:
      head = f.read(12)
    assert head[:4] == b'RIFF' and head[8:12] == b'WAVE', (path, head)
  assert float(recording.group(2)) > 5, 'the caller talked for about 9 s: %s' % recording.group(0)
  rtp = re.search(r'RTP:\s+(\d+) packets in, (\d+) out, (\d+) lost', text)
  assert rtp and int(rtp.group(1)) == PCAP_PACKETS and int(rtp.group(3)) == 0, text[-4000:]
