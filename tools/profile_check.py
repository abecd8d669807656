#!/usr/bin/env python3
"""Where the self-check's time goes (`make check-profile`): the file
checks of a folder (`python -m checker.files`, no TensorFlow), one task on
the grader's engine, and a whole folder on both engines, each as a learner
runs it (one command, timed whole); within the whole folder, each
engine's runner read on the judge's clock as its frames arrive
(checker.engines' AUTOENCODERS_PROFILE): its start (the sandbox, Python
and TensorFlow's import), each task's import, checks and main processes,
and each check in the checks process.

The record goes to results/check_profile.json, and docs/self-check.md's
section on speed is rewritten from it.
"""
import argparse
import collections
import glob
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from aelib import report  # noqa: E402
from checker import engines, tasks  # noqa: E402

FOLDER = os.path.join('tests', 'learners', 'functional')
BEGIN, END = report.markers('check-profile', '`make check-profile` '
                            '(tools/profile_check.py)')
# the goals of the self-check where learners work, in seconds
GOALS = {'files': 1, 'one_task': 5, 'folder': 20}


def timed(command, env=None, cwd=ROOT):
    """Runs command from the checkout cwd; returns its wall seconds."""
    began = time.monotonic()
    subprocess.run(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return round(time.monotonic() - began, 2)


def commands(root):
    """Returns the three runs' commands in the checkout root, each with its
    own environments, on this checkout's folder FOLDER."""
    python = os.path.join(root, '.venv', 'bin', 'python')
    folder = os.path.join(ROOT, FOLDER)
    check = [python, '-m', 'checker', folder, '--environment',
             'keras2=.venv', '--environment', 'keras3=.venv-keras3']
    return {'files': [python, '-m', 'checker.files'] + sorted(
                glob.glob(os.path.join(folder, '*.py'))),
            'one_task': check + ['--engines', 'keras2', '--tasks',
                                 '0-vanilla'],
            'folder': check}


def measure(repeats, baseline=None):
    """Returns the runs' times in this checkout (the best of repeats
    each), the parts of its best whole folder's, and the same runs'
    times in the checkout baseline (an earlier commit, its environments
    beside it), run in turn with this one's."""
    roots = [ROOT] + ([baseline] if baseline else [])
    runs = [{} for _ in roots]
    best = None
    for _ in range(repeats):
        for found, root in zip(runs, roots):
            for key, command in commands(root).items():
                with tempfile.NamedTemporaryFile('r',
                                                 suffix='.jsonl') as profile:
                    seconds = timed(command, dict(os.environ, **{
                        engines.PROFILE: profile.name}), root)
                    parts = [json.loads(line) for line in profile]
                found[key] = min(seconds, found.get(key, seconds))
                if root == ROOT and key == 'folder' and (
                        best is None or seconds < best[0]):
                    best = (seconds, parts)
    return runs[0], best[1], (runs[1] if baseline else None)


def summed(parts):
    """Returns the parts summed: {engine: {'start', 'import', 'checks',
    'main'}} and {check: seconds over the tasks and engines}."""
    phases = collections.defaultdict(lambda: collections.defaultdict(float))
    checks = collections.defaultdict(float)
    for part in parts:
        engine = part['engine']
        if part['part'] in ('start', 'runner'):
            phases[engine][part['part']] += part['seconds']
        elif part['part'] == 'process':
            phases[engine][part['phase']] += part['seconds']
        else:
            checks[part['check']] += part['seconds']
    return ({engine: dict(found) for engine, found in phases.items()},
            dict(checks))


def render(record):
    """Returns docs/self-check.md's section on speed."""
    runs, (phases, checks) = record['runs'], summed(record['parts'])
    before = record.get('baseline')
    rows = [[name] + (['{:.1f} s'.format(before['runs'][key])]
                      if before else []) + [
        '{:.1f} s'.format(runs[key]), 'under {} s'.format(GOALS[key]),
        'met' if runs[key] < GOALS[key] else 'not met']
        for key, name in (('files', 'the file checks of a folder '
                           '(`python -m checker.files`, the pre-commit '
                           'hook)'),
                          ('one_task', 'one task on the grader\'s engine'),
                          ('folder', 'a whole folder on both engines '
                           '(`make check`)'))]
    lines = [BEGIN, ''] + report.table(
        ['run'] + (['before (`{}`)'.format(before['commit'])]
                   if before else []) + ['wall', 'goal', ''], rows)
    lines += ['', 'Where the whole folder\'s time goes, on the judge\'s '
              'clock (each engine\'s runner; the two run side by side, '
              'one per core, and Keras 3\'s runs each task\'s checks and '
              'main at once, so that its parts add up to more than its '
              'time in all):', '']
    part_rows = []
    for engine in sorted(phases):
        found = phases[engine]
        part_rows.append([tasks.ENGINE_NAMES[engine]] + [
            '{:.1f} s'.format(found.get(key, 0.)) for key in
            ('start', 'import', 'checks', 'main', 'runner')])
    lines += report.table(['engine', 'start (sandbox, Python, '
                           'TensorFlow)', 'the files\' imports',
                           'the checks', 'the mains (a short fit each)',
                           'in all'], part_rows)
    top = sorted(checks.items(), key=lambda item: -item[1])
    lines += ['', 'The checks process, summed over the four tasks and the '
              'two engines: ' + ', '.join('`{}` {:.1f} s'.format(name, s)
                                          for name, s in top[:6]) + '.', '',
              'Run: `{}` on {} on {}, the best of {} runs of each{}, '
              '{:.0f} s in all.'.format(
                  record['command'], report.host_text(record['host']),
                  record['date'], record['repeats'],
                  ' (the earlier commit\'s checkout and this one\'s in '
                  'turn)' if before else '', record['wall_seconds']),
              '', END]
    return '\n'.join(lines)


def main(argv=None):
    """Measures (or, with --render, only rewrites the page)."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--json', default='results/check_profile.json')
    parser.add_argument('--readme', nargs='?', const='docs/self-check.md')
    parser.add_argument('--render', action='store_true')
    parser.add_argument('--baseline', metavar='CHECKOUT',
                        help='also time the same runs in CHECKOUT, a '
                        'checkout of an earlier commit with its .venv and '
                        '.venv-keras3, in turn with this one')
    args = parser.parse_args(argv)
    if args.baseline and not os.path.isfile(os.path.join(
            args.baseline, '.venv', 'bin', 'python')):
        parser.error('--baseline: no .venv/bin/python in {}'.format(
            args.baseline))
    if not args.render:
        began = time.monotonic()
        runs, parts, before = measure(args.repeats, args.baseline)
        record = {
            'command': ' '.join(['tools/profile_check.py'] + (
                argv if argv is not None else sys.argv[1:])),
            'host': report.host(), 'date': time.strftime('%Y-%m-%d'),
            'repeats': args.repeats, 'runs': runs, 'parts': parts,
            'wall_seconds': round(time.monotonic() - began, 1)}
        if before:
            record['baseline'] = {'commit': subprocess.run(
                ['git', 'rev-parse', '--short', 'HEAD'], cwd=args.baseline,
                capture_output=True, text=True).stdout.strip(),
                'runs': before}
        report.write_json(args.json, record)
    record = report.read_record(args.json)
    if args.readme:
        report.update_readme(args.readme, BEGIN, END, render(record))
    print(render(record))


if __name__ == '__main__':
    main()
