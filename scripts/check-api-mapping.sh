#!/usr/bin/env bash
# Fails when docs/API-MAPPING.md rots: a row without a test, or a Test cell naming a suite,
# a test function or a golden scenario that no longer exists under Tests/.
#   Test cell entries: `Suite/function` or `GoldenFrameTests/commandMatchesPython <scenario>`.
#   A row may have no test only when its Swift column says "Not provided".
#   Every event and result field (Kind `event` / `result field`) must name at least one test that
#   makes it happen against the local server: a test whose body starts one (`withRelayServer`,
#   `withRelayTestServer`), not only a scripted peer (issue 12).
#   Every event name and result field of the reference (Tests/Fixtures/reference-names.txt, checked
#   against ../shared/seed when present) must have such a row.
set -euo pipefail
cd "$(dirname "$0")/.."
doc=docs/API-MAPPING.md
tests=Tests/SignalWireTests
python3 - "$doc" "$tests" Tests/Fixtures/reference-names.txt ../shared/seed/relay-sdk-python-2.1.1.txt <<'PY'
import os, re, sys
doc, tests, names_file, seed = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
def extract(text):
    text = text.split('\n')
    names = []
    i, n = 0, len(text)
    while i < n:
        line = text[i].strip()
        if line == 'Events':
            j = i + 1
            while j < n and not text[j].startswith('Relay.') and text[j].strip() != 'Ringtones':
                m = re.fullmatch(r'([A-Za-z_][A-Za-z_.]*) \|', text[j].strip())
                if m: names.append('event ' + m.group(1))
                j += 1
            i = j; continue
        m = re.fullmatch(r'Relay\.(?:Calling|Messaging)\.(\w+Result)', line)
        if m:
            k = next((k for k in range(i + 1, min(n, i + 8)) if text[k].strip() == 'Properties'), None)
            if k is not None:
                j = k + 1
                while j < n and not re.fullmatch(r'Relay\.[\w.]+', text[j].strip()) and text[j].strip() not in ('Methods', 'Events', 'Examples'):
                    m2 = re.fullmatch(r'(\w+) \|', text[j].strip())
                    if m2: names.append('result %s %s' % (m.group(1), m2.group(1)))
                    j += 1
                i = j; continue
        i += 1
    return names
header_lines = [l for l in open(names_file, encoding='utf-8') if l.startswith('#')]
if os.environ.get('PRINT_REFERENCE'):
    print(''.join(header_lines) + '\n'.join(extract(open(seed, encoding='utf-8').read())))
    sys.exit(0)
reference = [l.strip() for l in open(names_file, encoding='utf-8') if l.strip() and not l.startswith('#')]
sources = {}
for root, _, files in os.walk(tests):
    for name in files:
        if name.endswith('.swift'):
            sources[os.path.join(root, name)] = open(os.path.join(root, name), encoding='utf-8').read()
def suite_file(suite):
    pattern = re.compile(r'\b(struct|final class|class|extension)\s+' + re.escape(suite) + r'\b')
    return [text for text in sources.values() if pattern.search(text)]
SERVER_STARTERS = ('withRelayServer(', 'withRelayServer {', 'withRelayTestServer(', 'withRelayTestServer {')
def body_of(function, texts):
    """The text of `func function(` up to the next @Test (or the end of its file)."""
    for text in texts:
        m = re.search(r'func\s+' + re.escape(function) + r'\s*\(', text)
        if m:
            end = text.find('@Test', m.end())
            return text[m.start():end if end >= 0 else len(text)]
    return ''
problems, rows, refs = [], 0, 0
if os.path.exists(seed) and extract(open(seed, encoding='utf-8').read()) != reference:
    problems.append(f'{names_file} differs from what {seed} lists: regenerate it (see its header)')
header = None
section = ''
covered = set()  # 'event name' / 'result Class field' rows that name a server test
for number, line in enumerate(open(doc, encoding='utf-8'), 1):
    if line.startswith('#'):
        section = line
    if line.startswith('| ID |'):
        header = [c.strip() for c in line.strip().strip('|').split('|')]
        continue
    m = re.match(r'^\| ([A-Z0-9-]+-\d\d) \|', line)
    if not m:
        continue
    rows += 1
    row_id = m.group(1)
    if header is None or 'Test' not in header:
        problems.append(f'{doc}:{number}: {row_id}: table has no Test column')
        continue
    cells = [c.strip() for c in line.strip().strip('|').split(' | ')]
    if len(cells) != len(header):
        problems.append(f'{doc}:{number}: {row_id}: {len(cells)} cells, header has {len(header)}')
        continue
    swift, test = cells[header.index('Swift')], cells[header.index('Test')]
    entries = re.findall(r'`([^`]+)`', test)
    kind = cells[header.index('Kind')] if 'Kind' in header else ''
    if kind in ('event', 'result field') and entries:
        against_server = False
        for entry in entries:
            m3 = re.fullmatch(r'([A-Za-z0-9_]+)/([A-Za-z0-9_]+)(?: ([A-Za-z0-9_]+))?', entry)
            if m3 and any(starter in body_of(m3.group(2), suite_file(m3.group(1))) for starter in SERVER_STARTERS):
                against_server = True
        if not against_server:
            problems.append(f'{doc}:{number}: {row_id}: {kind} names no test against the local server (only scripted peers)')
        else:
            python = re.match(r'`([^`]+)`', cells[header.index('Python (seed)')])
            if python and kind == 'event':
                covered.add('event ' + python.group(1))
            m4 = re.search(r'Relay\.\w+\.(\w+Result) ', section)
            if python and kind == 'result field' and m4:
                covered.add(f'result {m4.group(1)} {python.group(1)}')
    if not entries:
        if 'Not provided' not in swift:
            problems.append(f'{doc}:{number}: {row_id}: no test (only "Not provided" rows may have none)')
        continue
    for entry in entries:
        refs += 1
        m2 = re.fullmatch(r'([A-Za-z0-9_]+)/([A-Za-z0-9_]+)(?: ([A-Za-z0-9_]+))?', entry)
        if not m2:
            problems.append(f'{doc}:{number}: {row_id}: cannot read test reference `{entry}`')
            continue
        suite, function, argument = m2.groups()
        files = suite_file(suite)
        if not files:
            problems.append(f'{doc}:{number}: {row_id}: no suite {suite} in {tests}')
            continue
        if not any(re.search(r'@Test\b[^\n]*\n?\s*(?:@[^\n]*\n\s*)*func\s+' + re.escape(function) + r'\s*\(', t) or
                   re.search(r'@Test[^\n]*func\s+' + re.escape(function) + r'\s*\(', t) for t in files):
            problems.append(f'{doc}:{number}: {row_id}: no @Test func {function} in suite {suite}')
            continue
        if argument and not any(f'scenario: "{argument}"' in t for t in files):
            problems.append(f'{doc}:{number}: {row_id}: {suite}/{function} has no case for scenario "{argument}"')
for name in reference:
    if name not in covered:
        problems.append(f'{doc}: the reference\'s {name} has no row naming a test against the local server')
for p in problems:
    print(p)
print(f'check-api-mapping: {rows} rows, {refs} test references, {len(reference)} reference events and result fields, {len(problems)} problem(s)')
sys.exit(1 if problems else 0)
PY
