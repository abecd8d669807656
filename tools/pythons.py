#!/usr/bin/env python3
"""What each Python a learner may have runs (`make pythons`): from each
Python 3.9 to 3.13 on this machine, as its python3, the self-check's
first-time set-up (`make venv-core` and `make venv-keras3-core OPTIONAL=1`,
into environments of its own, made afresh) and then `make check` on the
learner-style folder tests/learners/functional; then as a machine whose
only Python is 3.9, and one whose only Python is 3.12, where uv may not
download one (no other Python on the search path, no pyenv,
UV_PYTHON_DOWNLOADS=never; packages still come from the index, or uv's
cache).

Writes results/pythons.json (each run: the Pythons each environment got,
the set-up's and the check's wall time, the score, what was said about a
missing Python) and the table of docs/pythons.md between its markers.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, 'tools'))

import environment  # noqa: E402
from aelib import report  # noqa: E402

FOLDER = 'tests/learners/functional'
VERSIONS = ((3, 9), (3, 13))
# machines with one Python, offline: the grader's 3.9 (make check on Keras
# 2 alone, Keras 3 not checked, saying why) and 3.12 (no Python for
# TensorFlow 2.15: the one line)
OFFLINE = ((3, 9), (3, 12))
# what make, the Makefile's recipes and tools/environment.py call
TOOLS = ('make', 'sh', 'bash', 'env', 'touch', 'rm', 'mkdir', 'cat')


def machine_pythons():
    """Returns {version: interpreter}, one for each version from 3.9 to
    3.13 this machine has."""
    found = {}
    for python in environment.candidates(VERSIONS):
        version = environment.version_of(python)
        if version and version not in found:
            found[version] = python
    return found


def env_python(folder):
    """Returns 'X.Y' of the environment in folder, or None where it was
    not made."""
    version = environment.version_of(os.path.join(folder, 'bin', 'python'))
    return version and '{}.{}'.format(*version)


def make(arguments, env, log):
    """Runs make with arguments in the repository, its output appended to
    log; returns (exit status, wall seconds, output)."""
    start = time.time()
    done = subprocess.run(['make', '--no-print-directory'] + arguments,
                          cwd=ROOT, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, universal_newlines=True)
    with open(log, 'a') as f:
        f.write('$ make {}\n{}'.format(' '.join(arguments), done.stdout))
    return done.returncode, time.time() - start, done.stdout


def one_run(label, python, env, work):
    """Sets up and runs the self-check as a machine whose python3 is
    python; returns the run's record."""
    venv = os.path.join(work, label, 'venv')
    venv3 = os.path.join(work, label, 'venv-keras3')
    for folder in (venv, venv3):
        shutil.rmtree(folder, ignore_errors=True)
        for leftover in (folder + '.missing',):
            if os.path.exists(leftover):
                os.remove(leftover)
    names = ['PYTHON=' + python, 'VENV=' + venv, 'VENV3=' + venv3]
    log = os.path.join(work, label + '.log')
    open(log, 'w').close()
    print('== {}: python3 is {}'.format(label, python), file=sys.stderr)
    status, setup, said = make(['venv-core'] + names, env, log)
    if status == 0:
        status3, setup3, said3 = make(
            ['venv-keras3-core', 'OPTIONAL=1'] + names, env, log)
        setup += setup3
        said += said3
    missing = [line for line in said.splitlines()
               if 'none was found on this machine' in line]
    record = {'run': label, 'python3': python,
              'version': '{}.{}'.format(*environment.version_of(python)),
              'keras2_python': env_python(venv),
              'keras3_python': env_python(venv3),
              'setup_seconds': round(setup, 1), 'setup_status': status,
              'missing': missing, 'log': os.path.relpath(log, ROOT)}
    if status == 0:
        status, seconds, said = make(['check', 'DIR=' + FOLDER] + names,
                                     env, log)
        total = re.search(r'^total\s+(\d+)/(\d+)', said, re.M)
        record.update(
            check_status=status, check_seconds=round(seconds, 1),
            score=total and '{}/{}'.format(*total.groups()),
            keras3=('not checked' if 'skip every check' in said else
                    '{} ok, {} failed'.format(
                        len(re.findall(r'^ok .*\[keras3\]', said, re.M)),
                        len(re.findall(r'^FAIL .*\[keras3\]', said, re.M)))))
    print('   {}'.format(record), file=sys.stderr)
    return record


def offline_env(python, work):
    """Returns the environment of a machine whose only Python is python
    (on its search path as python3 and pythonX.Y), with no pyenv and uv
    forbidden to download one."""
    bin_folder = os.path.join(work, 'offline-bin')
    shutil.rmtree(bin_folder, ignore_errors=True)
    os.makedirs(bin_folder)
    version = '{}.{}'.format(*environment.version_of(python))
    for name in ('python3', 'python' + version):
        os.symlink(python, os.path.join(bin_folder, name))
    for tool in TOOLS:
        os.symlink(shutil.which(tool), os.path.join(bin_folder, tool))
    return dict(os.environ, PATH=bin_folder, UV_PYTHON_DOWNLOADS='never',
                UV_PYTHON_INSTALL_DIR=os.path.join(work, 'no-managed'),
                PYENV_ROOT=os.path.join(work, 'no-pyenv'))


def render(record):
    """Returns docs/pythons.md's section: one row per run."""
    begin, end = report.markers('pythons', 'make pythons')
    rows = []
    for run in record['runs']:
        if run['setup_status']:
            verdict = 'make stops (status {}){}'.format(
                run['setup_status'], ', with one line: "... needs Python {}: '
                'none was found ... Install one ..."'.format(
                    run['missing'][0].split('needs Python ')[1].split(':')[0])
                if run['missing'] else '')
        else:
            verdict = '{} on Keras 2; Keras 3: {}'.format(
                run['score'], run['keras3'])
        rows.append([
            run['version'] + (' alone, no Python downloads'
                              if 'offline' in run['run'] else ''),
            run['keras2_python'] or '—', run['keras3_python'] or '—',
            verdict, '{:.0f} s'.format(run['setup_seconds']),
            '{:.0f} s'.format(run['check_seconds'])
            if 'check_seconds' in run else '—'])
    lines = [begin, ''] + report.table(
        ['`python3`', 'Keras 2 environment on', 'Keras 3 environment on',
         '`make check DIR={}`'.format(FOLDER), 'first set-up', 'check'],
        rows) + ['', 'Run: `make pythons` on {} on {}, {:.0f} s of set-up and '
                 'check in all; the '
                 'uv cache warm for Python 3.11 (the other Pythons\' wheels '
                 'are downloaded by the first run that needs them).'.format(
                     report.host_text(record['host']), record['date'],
                     sum(run['setup_seconds'] + run.get('check_seconds', 0)
                         for run in record['runs'])), '', end]
    return '\n'.join(lines), begin, end


def main(argv=None):
    """Runs every Python found, then the offline ones; writes the record
    and docs/pythons.md's table."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--json', default='results/pythons.json')
    parser.add_argument('--readme', nargs='?', const='docs/pythons.md')
    parser.add_argument('--runs', nargs='+', metavar='RUN',
                        help='only these runs (3.9 ... 3.13, 3.9-offline, '
                        '3.12-offline), the '
                        'others kept from the record')
    parser.add_argument('--render', action='store_true',
                        help='only rewrite docs/pythons.md from the record')
    args = parser.parse_args(argv)
    if not args.render:
        work = os.path.join(ROOT, '.cache', 'pythons')
        os.makedirs(work, exist_ok=True)
        found = machine_pythons()
        labels = ['{}.{}'.format(*version) for version in sorted(found)]
        labels += ['{}.{}-offline'.format(*version) for version in OFFLINE
                   if version in found]
        kept = {}
        if args.runs:
            kept = {run['run']: run
                    for run in report.read_record(args.json)['runs']}
        record = {'host': report.host(), 'date': time.strftime('%Y-%m-%d'),
                  'runs': []}
        start = time.time()
        for label in labels:
            if args.runs and label not in args.runs:
                if label in kept:
                    record['runs'].append(kept[label])
                continue
            if label.endswith('-offline'):
                version = tuple(int(n) for n in label[:-8].split('.'))
                with tempfile.TemporaryDirectory() as scratch:
                    record['runs'].append(one_run(
                        label, found[version],
                        offline_env(found[version], scratch), work))
            else:
                version = tuple(int(n) for n in label.split('.'))
                record['runs'].append(one_run(label, found[version],
                                              os.environ, work))
        record['wall_seconds'] = round(time.time() - start, 1)
        report.write_json(args.json, record)
    record = report.read_record(args.json)
    if args.readme:
        section, begin, end = render(record)
        report.update_readme(args.readme, begin, end, section)


if __name__ == '__main__':
    main()
