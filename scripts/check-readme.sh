#!/usr/bin/env bash
# Keeps the README's programs honest:
#  1. each ```swift block after a `<!-- compiled: PATH -->` line appears word for word in PATH,
#     a file that `swift build` compiles (or a test that runs);
#  2. each README program, built, run without SIGNALWIRE_* exits 1 with one `error:` line.
# Run after `swift build`.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 - README.md <<'PY'
import re, sys
text = open(sys.argv[1], encoding='utf-8').read()
blocks = re.findall(r'<!-- compiled: (\S+) -->\n```swift\n(.*?)```', text, re.S)
problems = []
for path, block in blocks:
    try:
        source = open(path, encoding='utf-8').read()
    except OSError:
        problems.append(f'{path}: missing')
        continue
    if block not in source:
        problems.append(f'README block for {path} differs from the file')
if len(blocks) < 3:
    problems.append(f'expected at least 3 compiled blocks in the README, found {len(blocks)}')
for p in problems:
    print('check-readme:', p, file=sys.stderr)
sys.exit(1 if problems else 0)
PY
# Code in the DocC articles is compiled code too: each ```swift block's lines (indentation
# aside) appear in order in a file under Examples/ or Tests/.
python3 - <<'PY'
import glob, re, sys
compiled = [open(p, encoding='utf-8').read() for p in glob.glob('Examples/**/*.swift', recursive=True) + glob.glob('Tests/**/*.swift', recursive=True)]
compiled = ['\n'.join(l.strip() for l in text.split('\n')) for text in compiled]
problems = []
for article in glob.glob('Sources/*/*.docc/*.md'):
    for block in re.findall(r'```swift\n(.*?)```', open(article, encoding='utf-8').read(), re.S):
        lines = '\n'.join(l.strip() for l in block.strip('\n').split('\n'))
        if not any(lines in text for text in compiled):
            problems.append(f'{article}: a swift block is not in any compiled file:\n{block}')
for p in problems:
    print('check-readme:', p, file=sys.stderr)
sys.exit(1 if problems else 0)
PY
bin="$(swift build --show-bin-path)"
for program in readme-receptionist readme-outbound; do
  set +e
  stderr="$(env -u SIGNALWIRE_PROJECT -u SIGNALWIRE_TOKEN -u SIGNALWIRE_HOST timeout 60 "$bin/$program" 2>&1 >/dev/null)"
  status=$?
  set -e
  lines="$(printf '%s\n' "$stderr" | grep -c .)"
  if [[ $status -ne 1 || $lines -ne 1 || "$stderr" != error:* ]]; then
    echo "check-readme: $program without SIGNALWIRE_* exited $status with $lines stderr line(s):" >&2
    printf '%s\n' "$stderr" >&2
    exit 1
  fi
  echo "check-readme: $program: $stderr" >&2
done
