"""Summarises bench-results/*.json (written by Benchmarks/run.sh): prints the tables
with the Swift/Python ratios and the targets of issue 4, and writes summary.md and
summary.json next to the figures.

Usage: summarize.py RESULTS_DIR
Repeated runs of one cell (NAME.rN.json) are reduced to the median of each figure.
"""
import glob
import json
import os
import re
import statistics
import sys

RTT_FIELDS = ('p50_us', 'p99_us', 'p999_us', 'requests_per_second', 'samples')
SIDES = (('swift', 'Swift'), ('swift_loop', 'Swift, loops on the event loop'), ('swift_v3', 'Swift, RELAY v3 wire'),
         ('python', 'Python 2.1.1'))


def load(out):
  groups = {}
  for path in sorted(glob.glob(os.path.join(out, '*.json'))):
    name = os.path.basename(path)[:-5]
    if name in ('meta', 'summary'):
      continue
    key = re.sub(r'\.r\d+$', '', name)
    try:
      with open(path) as f:
        groups.setdefault(key, []).append(json.load(f))
    except (OSError, ValueError):
      continue
  merged = {}
  for key, runs in groups.items():
    fig = dict(runs[0])
    for field, value in runs[0].items():
      if isinstance(value, (int, float)) and not isinstance(value, bool):
        fig[field] = statistics.median(r[field] for r in runs if field in r)
    fig['runs'] = len(runs)
    if len(runs) > 1 and 'p50_us' in fig:
      fig['p50_us_runs'] = [r['p50_us'] for r in runs]
      fig['requests_per_second_runs'] = [r['requests_per_second'] for r in runs]
    merged[key] = fig
  return merged


def fmt_us(v):
  return '—' if v is None else ('%.0f' % v if v >= 100 else '%.1f' % v)


def fmt_n(v):
  return '—' if v is None else '{:,.0f}'.format(v)


def ratio(a, b):
  if a is None or b is None or b == 0:
    return None
  return a / b


def fmt_x(v):
  return '—' if v is None else ('%.1f×' % v if v < 100 else '%.0f×' % v)


def main():
  out = sys.argv[1]
  figs = load(out)
  meta = {}
  try:
    with open(os.path.join(out, 'meta.json')) as f:
      meta = json.load(f)
  except OSError:
    pass
  g = lambda key, field: figs.get(key, {}).get(field)
  lines = []
  summary = {'meta': meta, 'rtt': [], 'calls': None, 'memory': [], 'server': None, 'targets': []}

  if meta:
    lines.append('Machine: %s × %s, %s GiB, Linux %s; placement: %s; load average at start: %s' % (
      meta.get('nproc'), meta.get('cpu_model'), meta.get('memory_gib'), meta.get('kernel'), meta.get('placement'),
      ' '.join('%.2f' % x for x in meta.get('load_average_at_start', []))))
    lines.append('Versions: %s; Python %s, signalwire %s, aiohttp %s; commit %s%s' % (
      meta.get('swift_version'), meta.get('python_version'), meta.get('signalwire_version'),
      meta.get('aiohttp_version'), meta.get('git_commit'), ' (with uncommitted changes)' if meta.get('git_dirty') else ''))
    lines.append('')

  # ---- round trip ----
  rtt_keys = sorted({k.rsplit('-', 1)[0] for k in figs if k.startswith('rtt-')},
                    key=lambda k: (k.split('-')[1] != 'floor', int(k.split('-')[2])))
  if rtt_keys:
    lines.append('### execute round trip (blade.execute signalwire.receive)')
    lines.append('')
    lines.append('| server | in flight | SDK | samples | p50 µs | p99 µs | p99.9 µs | req/s | p50: Python ÷ this | req/s: this ÷ Python |')
    lines.append('|---|---|---|---|---|---|---|---|---|---|')
    for base in rtt_keys:
      _, server, inflight = base.split('-')
      py = figs.get(base + '-python')
      for side, label in SIDES:
        f = figs.get(base + '-' + side)
        if not f:
          continue
        row = {'server': server, 'inflight': int(inflight), 'sdk': side}
        row.update({k: f.get(k) for k in RTT_FIELDS})
        row['runs'] = f.get('runs')
        if side != 'python' and py:
          row['p50_speedup_vs_python'] = ratio(py['p50_us'], f['p50_us'])
          row['throughput_ratio_vs_python'] = ratio(f['requests_per_second'], py['requests_per_second'])
        summary['rtt'].append(row)
        lines.append('| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |' % (
          'floor responder' if server == 'floor' else '`relay serve`', inflight, label, fmt_n(f.get('samples')),
          fmt_us(f.get('p50_us')), fmt_us(f.get('p99_us')), fmt_us(f.get('p999_us')), fmt_n(f.get('requests_per_second')),
          fmt_x(row.get('p50_speedup_vs_python')) if side != 'python' else '', fmt_x(row.get('throughput_ratio_vs_python')) if side != 'python' else ''))
    lines.append('')
    # RELAY v3 beside Blade v2, same SDK, same server, same run (issue 10: within 10%).
    v3_rows = []
    for base in rtt_keys:
      v2, v3 = figs.get(base + '-swift'), figs.get(base + '-swift_v3')
      if v2 and v3:
        v3_rows.append({'inflight': int(base.split('-')[2]), 'p50_v3_over_v2': ratio(v3['p50_us'], v2['p50_us']),
                        'rps_v3_over_v2': ratio(v3['requests_per_second'], v2['requests_per_second'])})
    summary['rtt_v3_vs_v2'] = v3_rows
    if v3_rows:
      lines.append('RELAY v3 ÷ Blade v2 (Swift, `relay serve`): ' + '; '.join(
        '%d in flight: p50 %.2f, req/s %.2f' % (r['inflight'], r['p50_v3_over_v2'], r['rps_v3_over_v2']) for r in v3_rows))
      lines.append('')

  # ---- call flow ----
  cs, cp = figs.get('calls-swift'), figs.get('calls-python')
  if cs or cp:
    r = ratio(cs and cs.get('calls_per_second'), cp and cp.get('calls_per_second'))

    def cpu_per_call(side, who, f):
      c = figs.get('cpu-calls-%s-%s' % (side, who))
      return c['cpu_seconds'] / f['calls'] * 1e6 if c and f and f.get('calls') else None

    sc, pc = cpu_per_call('swift', 'consumer', cs), cpu_per_call('python', 'consumer', cp)
    ss, ps = cpu_per_call('swift', 'server', cs), cpu_per_call('python', 'server', cp)
    summary['calls'] = {'swift': cs, 'python': cp, 'ratio': r,
                        'consumer_cpu_us_per_call': {'swift': sc, 'python': pc}, 'cpu_ratio': ratio(pc, sc),
                        'server_cpu_us_per_call': {'swift': ss, 'python': ps}}
    lines.append('### call flow (answer, play TTS "Hi", hang up; one consumer process)')
    lines.append('')
    lines.append('| SDK | calls | seconds | calls/s | consumer CPU µs/call | server CPU µs/call |')
    lines.append('|---|---|---|---|---|---|')
    for label, f, c, sv in (('Swift', cs, sc, ss), ('Python 2.1.1', cp, pc, ps)):
      if f:
        lines.append('| %s | %s | %.2f | %s | %s | %s |' % (label, fmt_n(f.get('calls')), f.get('seconds', 0),
                                                     fmt_n(f.get('calls_per_second')), fmt_n(c), fmt_n(sv)))
    lines.append('| **Swift vs Python** | | | **%s** | **%s** less | |' % (fmt_x(r), fmt_x(ratio(pc, sc))))
    cv3 = figs.get('calls-swift_v3')
    if cv3:
      v3c = cpu_per_call('swift_v3', 'consumer', cv3)
      v3r = ratio(cv3.get('calls_per_second'), cs and cs.get('calls_per_second'))
      summary['calls']['swift_v3'] = cv3
      summary['calls']['v3_over_v2'] = v3r
      lines.append('| Swift, RELAY v3 wire | %s | %.2f | %s | %s | %s |' % (
          fmt_n(cv3.get('calls')), cv3.get('seconds', 0), fmt_n(cv3.get('calls_per_second')), fmt_n(v3c),
          fmt_n(cpu_per_call('swift_v3', 'server', cv3))))
      lines.append('| **v3 ÷ v2 (Swift)** | | | **%.2f** | | |' % v3r if v3r is not None else '| v3 ÷ v2 (Swift) | | | — | | |')
    lines.append('')

  # ---- memory ----
  sizes = sorted({int(k.split('-')[1]) for k in figs if k.startswith('memory-')})
  if sizes:
    lines.append('### memory per live answered call (client RSS growth ÷ live calls)')
    lines.append('')
    lines.append('| live calls | Swift bytes/call | Python bytes/call | Python ÷ Swift |')
    lines.append('|---|---|---|---|')
    for n in sizes:
      s, p = figs.get('memory-%d-swift' % n), figs.get('memory-%d-python' % n)
      sb, pb = s and s.get('bytes_per_call'), p and p.get('bytes_per_call')
      summary['memory'].append({'calls': n, 'swift': s, 'python': p, 'ratio': ratio(pb, sb)})
      live = lambda f: '' if not f or f.get('calls') == n else ' (%s live)' % fmt_n(f.get('calls'))
      lines.append('| %s | %s%s | %s%s | %s |' % (fmt_n(n), fmt_n(sb), live(s), fmt_n(pb), live(p), fmt_x(ratio(pb, sb))))
    lines.append('')

  # ---- server ----
  sl = figs.get('server-load-swift')
  rss = figs.get('server-rss')
  if sl:
    summary['server'] = dict(sl, **(rss or {}))
    lines.append('### the server alone (`relay serve --speed %s`, driven by the Swift SDK)' % meta.get('settings', {}).get('speed', '?'))
    lines.append('')
    fl = figs.get('server-load-floor') or {}
    summary['server_floor'] = fl or None
    lines.append('| server | live calls held | play events/s | server CPU µs/event | driver CPU µs/event | server peak RSS |')
    lines.append('|---|---|---|---|---|---|')
    lines.append('| `relay serve` | %s | %s | %s | %s | %s |' % (
        fmt_n(sl.get('live_calls')), fmt_n(sl.get('play_events_per_second')), sl.get('server_cpu_us_per_event', '—'),
        sl.get('driver_cpu_us_per_event', '—'), '%.0f MiB' % (rss['server_peak_rss_bytes'] / 2**20) if rss else '—'))
    if fl:
      lines.append('| floor responder | %s | %s | %s | %s | — |' % (
          fmt_n(fl.get('live_calls')), fmt_n(fl.get('play_events_per_second')), fl.get('server_cpu_us_per_event', '—'),
          fl.get('driver_cpu_us_per_event', '—')))
      share = ratio(sl.get('play_events_per_second'), fl.get('play_events_per_second'))
      summary['server']['share_of_floor'] = share
      lines.append('')
      lines.append('`relay serve` reaches %s of the floor\'s events/s with the same driver in the same run.' % fmt_x(share))
    lines.append('')

  # ---- the SIP edge (issue 11) ----
  sip_rates = sorted({int(k.rsplit('-', 1)[1]) for k in figs if k.startswith('sip-rate-')})
  sip_media = figs.get('sip-media')
  summary['sip'] = None
  if sip_rates or sip_media:
    best = lambda server: max((r for r in sip_rates if (figs.get('sip-rate-%s-%d' % (server, r)) or {}).get('passed')), default=None)
    summary['sip'] = {'rates': [], 'best_relay': best('relay'), 'best_floor': best('floor'), 'media': sip_media}
    lines.append('### the SIP edge (`relay serve --sip`, Swift consumer answering; SIPp on loopback)')
    lines.append('')
  if sip_rates:
    lines.append('Signalling only (SIPp `uac`: INVITE → 180/200 → ACK → BYE), fixed rates; the floor is SIPp `uas` in the same run.')
    lines.append('')
    lines.append('| calls/s asked | server | calls | failed | retrans | calls/s done | INVITE→200 ms | server CPU µs/call | server cores | consumer CPU µs/call | machine busy cores | socket drops | calls left up |')
    lines.append('|---|---|---|---|---|---|---|---|---|---|---|---|---|')
    for r in sip_rates:
      for server, label in (('relay', '`relay serve`'), ('floor', 'SIPp uas')):
        f = figs.get('sip-rate-%s-%d' % (server, r))
        if not f:
          continue
        summary['sip']['rates'].append(f)
        left = f.get('calls_left_up_after_2s')
        left = None if left is None else max(0, left - f.get('calls_up_before', 0))
        lines.append('| %d | %s | %s | %s%s | %s | %s | %s | %s | %s | %s | %s | %s | %s |' % (
            r, label, fmt_n(f.get('calls')), fmt_n(f.get('failed')), '' if f.get('passed') else (
                ' (**not passed**)' if f.get('failed') or (left or 0) > 0 else ' (rate not held)'),
            fmt_n(f.get('retransmissions')), fmt_n(f.get('calls_per_second')), f.get('invite_to_200_ms', '—'),
            f.get('server_cpu_us_per_call', '—'), f.get('server_cores', '—'), f.get('consumer_cpu_us_per_call', '—'),
            f.get('machine_busy_cores', '—'), fmt_n(f.get('server_socket_drops')), '—' if left is None else fmt_n(left)))
    br, bf = summary['sip']['best_relay'], summary['sip']['best_floor']
    lines.append('')
    top = sip_rates[-1]
    lines.append('Highest rate held (0 failed, ≥ 95%% of the rate completed, no call left up): `relay serve` %s calls/s, SIPp uas %s calls/s%s.' % (
        fmt_n(br), fmt_n(bf), ' (every step: the floor was not pushed to its limit)' if bf == top else ''))
    if br:
      rf, ff = figs.get('sip-rate-relay-%d' % br), figs.get('sip-rate-floor-%d' % br)
      c = ratio(rf and rf.get('server_cpu_us_per_call'), ff and ff.get('server_cpu_us_per_call'))
      if c:
        summary['sip']['cpu_ratio_vs_floor'] = c
        lines.append('Server CPU per call at %d calls/s: `relay serve` ÷ SIPp uas = %.1f.' % (br, c))
    lines.append('')
  if sip_media:
    m = sip_media
    lines.append('Media: %s calls at once (live %s–%s while measured), RTP both ways for %s s each; server CPU sampled over %s s.' % (
        fmt_n(m.get('target_live')), m.get('live_min'), m.get('live_max'), m.get('hold_seconds', '?'), m.get('measured_seconds')))
    lines.append('')
    lines.append('| live calls | server cores | SIPp cores | machine busy cores | failed | RTP in | RTP out | lost | jitter ms (mean / max) |')
    lines.append('|---|---|---|---|---|---|---|---|---|')
    lines.append('| %s | %s | %s | %s | %s | %s | %s | %s | %s / %s |' % (
        m.get('live_min'), m.get('server_cores'), m.get('sipp_cores'), m.get('machine_busy_cores'), fmt_n(m.get('failed')),
        fmt_n(m.get('rtp_in')), fmt_n(m.get('rtp_out')), fmt_n(m.get('rtp_lost')), m.get('jitter_ms_mean'), m.get('jitter_ms_max')))
    lines.append('')

  # ---- targets (issue 4) ----
  def target(name, value, ok, shown):
    summary['targets'].append({'target': name, 'value': value, 'met': ok})
    lines.append('| %s | %s | %s |' % (name, shown, '—' if ok is None else ('met' if ok else '**missed**')))

  lines.append('### targets (issues 4, 10 and 11)')
  lines.append('')
  lines.append('| target | measured | |')
  lines.append('|---|---|---|')
  for side, label in (('swift', 'default'), ('swift_loop', 'on the event loop')):
    p50 = g('rtt-floor-1-' + side, 'p50_us')
    p99 = g('rtt-floor-1-' + side, 'p99_us')
    rps = g('rtt-floor-64-' + side, 'requests_per_second')
    target('floor, sequential p50 ≤ 90 µs (%s)' % label, p50, None if p50 is None else p50 <= 90, fmt_us(p50) + ' µs')
    target('floor, sequential p99 ≤ 200 µs (%s)' % label, p99, None if p99 is None else p99 <= 200, fmt_us(p99) + ' µs')
    target('floor, 64 in flight ≥ 80,000 req/s (%s)' % label, rps, None if rps is None else rps >= 80000, fmt_n(rps) + ' req/s')
  for row in summary.get('rtt_v3_vs_v2', []):
    if row['inflight'] == 1:
      target('v3 round trip within 10% of v2 (p50, sequential)', row['p50_v3_over_v2'],
             None if row['p50_v3_over_v2'] is None else row['p50_v3_over_v2'] <= 1.10, '%.2f' % row['p50_v3_over_v2'])
  v3calls = summary['calls'] and summary['calls'].get('v3_over_v2')
  if v3calls is not None:
    target('v3 call flow within 10% of v2 (calls/s)', v3calls, v3calls >= 0.90, '%.2f' % v3calls)
  cr = summary['calls'] and summary['calls']['ratio']
  target('call flow ≥ 20× Python (calls/s)', cr, None if cr is None else cr >= 20, fmt_x(cr))
  ccr = summary['calls'] and summary['calls']['cpu_ratio']
  if ccr is not None:
    lines.append('| (consumer CPU per call, Python ÷ Swift) | %s | — |' % fmt_x(ccr))
  for m in summary['memory']:
    b = m['swift'] and m['swift'].get('bytes_per_call')
    target('≤ 10 KiB per call (%s calls)' % fmt_n(m['calls']), b, None if b is None else b <= 10240, fmt_n(b) + ' B')
  if sl:
    target('server holds ≥ 10,000 concurrent calls', sl.get('live_calls'), sl.get('live_calls', 0) >= 10000, fmt_n(sl.get('live_calls')))
    target('server ≥ 50,000 events/s', sl.get('play_events_per_second'), sl.get('play_events_per_second', 0) >= 50000,
           fmt_n(sl.get('play_events_per_second')) + '/s')
  sip = summary.get('sip')
  if sip and sip['rates']:
    br = sip['best_relay']
    at500 = figs.get('sip-rate-relay-500') or {}
    target('SIP: ≥ 500 signalling-only calls/s, 0 failed', br, br is not None and br >= 500,
           '%s calls/s held; at 500/s the server used %s cores' % (fmt_n(br), at500.get('server_cores', '—')))
  if sip and sip['media']:
    m = sip['media']
    ok = m.get('live_min', 0) >= 100 and m.get('server_cores') is not None and m['server_cores'] < 1.0 and m.get('failed') == 0
    target('SIP: 100 concurrent media calls on < 1 core', m.get('server_cores'), ok,
           '%s live, %s cores' % (m.get('live_min'), m.get('server_cores')))
  lines.append('')

  text = '\n'.join(lines)
  print(text)
  with open(os.path.join(out, 'summary.md'), 'w') as f:
    f.write(text + '\n')
  summary['figures'] = figs
  with open(os.path.join(out, 'summary.json'), 'w') as f:
    json.dump(summary, f, indent=1, sort_keys=True)


if __name__ == '__main__':
  main()
