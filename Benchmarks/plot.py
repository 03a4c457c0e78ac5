"""Plots bench-results/summary.json (Benchmarks/run.sh) into a PNG: round-trip latency
percentiles and throughput, call-flow rate and memory per call, the Swift SDK beside
the official Python SDK 2.1.1.  Log scales where the two differ by orders of magnitude.

Usage: plot.py RESULTS_DIR OUTPUT.png       (matplotlib from .venv-bench)
"""
import json
import os
import sys

import matplotlib
matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402

COLORS = {'swift': '#f05138', 'swift_loop': '#a32a17', 'python': '#3776ab'}
LABELS = {'swift': 'Swift', 'swift_loop': 'Swift, on event loop', 'python': 'Python 2.1.1'}


def bars(ax, groups, series, values, log=True, fmt='{:,.0f}'):
  """groups: x labels; series: side keys; values[(group, side)] -> number or None."""
  width = 0.8 / max(1, len(series))
  for i, side in enumerate(series):
    xs, ys = [], []
    for j, grp in enumerate(groups):
      v = values.get((grp, side))
      if v:
        xs.append(j + (i - (len(series) - 1) / 2) * width)
        ys.append(v)
    rects = ax.bar(xs, ys, width, label=LABELS.get(side, side), color=COLORS.get(side))
    for r, v in zip(rects, ys):
      ax.annotate(fmt.format(v), (r.get_x() + r.get_width() / 2, r.get_height()), ha='center', va='bottom',
                  fontsize=6.5, rotation=90 if len(series) * len(groups) > 8 else 0, xytext=(0, 2),
                  textcoords='offset points')
  ax.set_xticks(range(len(groups)))
  ax.set_xticklabels(groups, fontsize=8)
  if log:
    ax.set_yscale('log')
  ax.margins(y=0.25)
  ax.grid(axis='y', which='major', alpha=0.3)


def main():
  out, png = sys.argv[1], sys.argv[2]
  with open(os.path.join(out, 'summary.json')) as f:
    s = json.load(f)
  meta = s.get('meta', {})
  rtt = s.get('rtt', [])
  sides = [k for k in ('swift', 'swift_loop', 'python') if any(r['sdk'] == k for r in rtt)] or ['swift', 'python']

  fig, axes = plt.subplots(2, 2, figsize=(13, 9))

  # (a) sequential latency percentiles, floor and relay serve
  ax = axes[0][0]
  groups, values = [], {}
  for server, name in (('floor', 'floor'), ('relay', 'relay serve')):
    for pct, field in (('p50', 'p50_us'), ('p99', 'p99_us'), ('p99.9', 'p999_us')):
      grp = '%s\n%s' % (name, pct)
      rows = [r for r in rtt if r['server'] == server and r['inflight'] == 1]
      if not rows:
        continue
      groups.append(grp)
      for r in rows:
        values[(grp, r['sdk'])] = r.get(field)
  bars(ax, groups, sides, values, fmt='{:,.0f}')
  ax.set_title('execute round trip, 1 in flight: latency (µs, log; lower is better)', fontsize=10)
  ax.set_ylim(top=ax.get_ylim()[1] * 4)
  ax.set_ylabel('µs')
  ax.axhline(90, color='gray', ls='--', lw=0.8)
  ax.axhline(200, color='gray', ls=':', lw=0.8)
  ax.text(ax.get_xlim()[1], 90, ' p50 target 90 µs', fontsize=7, va='center', color='gray')
  ax.text(ax.get_xlim()[1], 200, ' p99 target 200 µs', fontsize=7, va='center', color='gray')
  ax.legend(fontsize=8, loc='upper left', framealpha=0.9, ncol=3)

  # (b) throughput, sequential and 64 in flight
  ax = axes[0][1]
  groups, values = [], {}
  for server, name in (('floor', 'floor'), ('relay', 'relay serve')):
    for inflight in (1, 64):
      rows = [r for r in rtt if r['server'] == server and r['inflight'] == inflight]
      if not rows:
        continue
      grp = '%s\n%d in flight' % (name, inflight)
      groups.append(grp)
      for r in rows:
        values[(grp, r['sdk'])] = r.get('requests_per_second')
  bars(ax, groups, sides, values)
  ax.axhline(80000, color='gray', ls='--', lw=0.8)
  ax.text(ax.get_xlim()[1], 80000, ' 80k target', fontsize=7, va='center', color='gray')
  ax.set_title('execute round trip: requests/s (log; higher is better)', fontsize=10)
  ax.set_ylim(top=ax.get_ylim()[1] * 4)
  ax.legend(fontsize=8, loc='upper right', framealpha=0.9, ncol=3)

  # (c) call flow
  ax = axes[1][0]
  calls = s.get('calls') or {}
  values = {}
  for side in ('swift', 'python'):
    f = calls.get(side)
    if f:
      values[('calls/s', side)] = f.get('calls_per_second')
  cpu = calls.get('consumer_cpu_us_per_call') or {}
  for side in ('swift', 'python'):
    if cpu.get(side):
      values[('consumer CPU µs per call', side)] = cpu[side]
  bars(ax, ['calls/s', 'consumer CPU µs per call'], ['swift', 'python'], values, log=False)
  r, cr = calls.get('ratio'), calls.get('cpu_ratio')
  ax.set_title('call flow, one consumer: calls/s (higher is better), CPU/call (lower)%s' % (
    '\nSwift = %.1f× Python calls/s, %.1f× less CPU per call' % (r, cr) if r and cr else ''), fontsize=10)
  ax.legend(fontsize=8, loc='upper center')

  # (d) memory per live call
  ax = axes[1][1]
  groups, values = [], {}
  for m in s.get('memory', []):
    grp = '{:,} live calls'.format(m['calls'])
    groups.append(grp)
    for side in ('swift', 'python'):
      if m.get(side):
        values[(grp, side)] = m[side].get('bytes_per_call')
  bars(ax, groups, ['swift', 'python'], values, log=False)
  ax.axhline(10240, color='gray', ls='--', lw=0.8)
  ax.text(ax.get_xlim()[1], 10240, ' 10 KiB target', fontsize=7, va='center', color='gray')
  ax.set_title('memory: client RSS growth per live answered call (bytes; lower is better)', fontsize=10)
  ax.legend(fontsize=8, loc='upper left')

  fig.suptitle('Swift Relay SDK vs official Python SDK 2.1.1 — %s × %s, %s, %s' % (
    meta.get('nproc', '?'), meta.get('cpu_model', '?'), meta.get('placement', '?'), meta.get('date', '')[:10]),
    fontsize=11)
  fig.tight_layout(rect=(0, 0, 1, 0.96))
  os.makedirs(os.path.dirname(os.path.abspath(png)), exist_ok=True)
  fig.savefig(png, dpi=110)
  print('plot: wrote %s' % png)


if __name__ == '__main__':
  main()
