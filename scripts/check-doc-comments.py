#!/usr/bin/env python3
"""Fails when a public declaration of the documented modules has no doc comment.

Reads the symbol graphs `swift package dump-symbol-graph --minimum-access-level public`
writes, and lists every public symbol declared in this repository's Sources/ that has no
`///` comment. Synthesized members (Equatable's `!=`, a RawRepresentable's init) and members
inherited from other modules' protocols have no location in Sources/ and are skipped, as are
overrides of documented protocol requirements that DocC shows with the protocol's comment.
"""
import glob, json, os, sys

MODULES = sys.argv[2:] or ['SignalWire', 'RelayTesting', 'RelayServer', 'RelayWire']
root = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else '.build/x86_64-unknown-linux-gnu/symbolgraph'
sources = os.path.join(os.getcwd(), 'Sources') + os.sep
missing = []
seen = set()
for module in MODULES:
    paths = glob.glob(os.path.join(root, f'{module}.symbols.json')) + glob.glob(os.path.join(root, f'{module}@*.symbols.json'))
    if not paths:
        # No graph means nothing was checked: that must fail, never pass silently.
        sys.exit(f'check-doc-comments: no symbol graph for {module} in {root}')
    for path in paths:
        graph = json.load(open(path))
        # Symbols that implement a requirement or override: DocC inherits their docs.
        inherited = {r['source'] for r in graph.get('relationships', [])
                     if r['kind'] in ('requirementOf', 'optionalRequirementOf', 'overrides') or
                     (r['kind'] == 'memberOf' and False)}
        implements = {r['source'] for r in graph.get('relationships', []) if r['kind'] == 'defaultImplementationOf'}
        for symbol in graph['symbols']:
            if symbol.get('accessLevel') not in ('public', 'open'):
                continue
            uri = symbol.get('location', {}).get('uri', '')
            file = uri.replace('file://', '')
            if not file.startswith(sources):
                continue
            if symbol.get('docComment', {}).get('lines'):
                continue
            if symbol['identifier']['precise'] in implements:
                continue
            key = (file, symbol['location']['position']['line'])
            if key in seen:
                continue
            seen.add(key)
            name = '.'.join(symbol['pathComponents'])
            missing.append(f"{os.path.relpath(file)}:{key[1] + 1}: {symbol['kind']['displayName'].lower()} {name} has no doc comment")
for line in sorted(missing):
    print(line)
print(f'check-doc-comments: {len(missing)} public declaration(s) without a doc comment in {", ".join(MODULES)}', file=sys.stderr)
sys.exit(1 if missing else 0)
