#!/usr/bin/env python3
"""Where the test suites' time goes: sums the records that the tests write
with TEST_TIMES=FILE (tests/conftest.py) per test file, per fixture and per
test, in CPU seconds (the process and the children it waited for) and wall
seconds.

    TEST_TIMES=/tmp/k2.jsonl .venv/bin/python -m pytest tests
    tools/test_times.py /tmp/k2.jsonl [--top 15]
"""
import argparse
import collections
import json


def load(path):
    """Returns the JSON records of one file, one per line."""
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def sums(records, key):
    """Returns [(name, cpu, wall)] summed by key(record), largest CPU
    first; records for which key gives None are left out."""
    cpu = collections.Counter()
    wall = collections.Counter()
    for record in records:
        name = key(record)
        if name is not None:
            cpu[name] += record['cpu']
            wall[name] += record['wall']
    return [(name, cpu[name], wall[name]) for name, _ in cpu.most_common()]


def table(title, rows, top=None):
    """Returns a Markdown table of rows (name, cpu, wall)."""
    lines = ['', title, '', '| | CPU s | wall s |', '|---|---:|---:|']
    for name, cpu, wall in rows[:top]:
        lines.append('| `{}` | {:.1f} | {:.1f} |'.format(name, cpu, wall))
    return '\n'.join(lines)


def summary(path, top=15):
    """Returns the Markdown summary of one suite's records."""
    records = load(path)
    phases = [r for r in records if 'phase' in r]
    fixtures = [r for r in records if 'fixture' in r]
    cpu = sum(r['cpu'] for r in phases)
    wall = sum(r['wall'] for r in phases)
    parts = ['## {}: {} tests, {:.0f} CPU s, {:.0f} wall s'.format(
        path, len({r['test'] for r in phases}), cpu, wall)]
    parts.append(table('Per file', sums(
        phases, lambda r: r['test'].split('::')[0])))
    parts.append(table('Fixtures (set-up)', sums(
        fixtures, lambda r: '{} ({})'.format(r['fixture'], r['scope'])),
        top))
    parts.append(table('Tests (set-up, body and tear-down)', sums(
        phases, lambda r: r['test']), top))
    return '\n'.join(parts)


def main(argv=None):
    """Prints the summary of each file named."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('files', nargs='+', help='TEST_TIMES records')
    parser.add_argument('--top', type=int, default=15,
                        help='rows of the fixture and test tables')
    args = parser.parse_args(argv)
    for path in args.files:
        print(summary(path, args.top))
        print()


if __name__ == '__main__':
    main()
