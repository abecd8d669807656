"""make check DIR=FOLDER, or python -m checker FOLDER: grades the four task
files in FOLDER as the school's checker would, on Keras 2 (TensorFlow 2.15,
the grader's) and Keras 3 (the newest TensorFlow).

The learner's code never runs in this process: each task and engine runs in
its own subprocess (checker/probe.py), on a copy of the folder, with a time
limit, no display, and its crash reported as the last lines of its
traceback. Every check is passed, failed or skipped (because one it needs
failed); seeded_value only warns. Exit status 0 only when every check that
counts passed.
"""
import argparse
import concurrent.futures
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

from aelib import ROOT
from checker import static, tasks

# each engine: its environment's folder and the variables that select it
ENGINE_ENVS = {'keras2': ('.venv', {}),
               'keras3': ('.venv-keras3', {'KERAS_BACKEND': 'tensorflow'})}


def parse_args(argv=None):
    """Returns the command line's flags; -h explains them."""
    parser = argparse.ArgumentParser(
        prog='python -m checker', description=__doc__.split('\n\n')[0])
    parser.add_argument('folder', help='the folder holding 0-vanilla.py, '
                        '1-sparse.py, 2-convolutional.py, 3-variational.py')
    parser.add_argument('--engines', nargs='*', choices=tasks.ENGINES,
                        default=list(tasks.ENGINES), metavar='ENGINE',
                        help='keras2 and/or keras3 (default: both; none: '
                        'only the checks that read the files)')
    parser.add_argument('--tasks', nargs='+', choices=tasks.TASKS,
                        default=list(tasks.TASKS), metavar='TASK',
                        help='the task files to check (default: all four)')
    parser.add_argument('--timeout', type=float, default=180, metavar='S',
                        help='seconds each task may take on each engine '
                        '(default: 180)')
    parser.add_argument('--json', metavar='FILE', help='also write the '
                        'results in Gradescope\'s results.json schema')
    parser.add_argument('--jobs', type=int, default=os.cpu_count() or 1,
                        metavar='N', help='subprocesses at once (default: '
                        'the cores)')
    args = parser.parse_args(argv)
    if not os.path.isdir(args.folder):
        parser.error('folder {!r} is not a folder'.format(args.folder))
    return args


def copy_folder(folder, into):
    """Copies the files at the top of folder (not its subfolders) into
    into, keeping their modes; returns into."""
    for name in os.listdir(folder):
        path = os.path.join(folder, name)
        if os.path.isfile(path) and os.path.getsize(path) < 10 << 20:
            shutil.copy2(path, os.path.join(into, name))
    return into


def interpreter(engine):
    """Returns the Python of an engine's environment, or None where it is
    not (or not yet wholly) installed: the Makefile marks an environment
    whose installation finished with a file .installed."""
    folder = os.path.join(ROOT, ENGINE_ENVS[engine][0])
    if not os.path.exists(os.path.join(folder, '.installed')):
        return None
    return os.path.join(folder, 'bin', 'python')


def run_probe(task, engine, folder, timeout):
    """Runs the engine checks of task in a subprocess; returns their
    results in order, a timeout or crash failing the check under way and
    skipping the rest."""
    wanted = tasks.engine_checks(task)
    python = interpreter(engine)
    if python is None:
        return [static.result(check, 'skip', 'skipped: no {} environment '
                              '({}; make venv venv-keras3 sets it up)'.format(
                                  engine, ENGINE_ENVS[engine][0]))
                for check in wanted]
    with tempfile.TemporaryDirectory() as work:
        copy = os.path.join(work, 'copy')
        os.mkdir(copy)
        copy_folder(folder, copy)
        results = os.path.join(work, 'results.jsonl')
        env = {key: value for key, value in os.environ.items()
               if key not in ('DISPLAY', 'WAYLAND_DISPLAY')}
        env.update(ENGINE_ENVS[engine][1], MPLBACKEND='Agg',
                   TF_CPP_MIN_LOG_LEVEL='3', PYTHONDONTWRITEBYTECODE='1')
        command = [python, os.path.join(ROOT, 'checker', 'probe.py'),
                   '--task', task, '--folder', copy, '--results', results]
        problem = None
        try:
            done = subprocess.run(command, cwd=copy, env=env, timeout=timeout,
                                  stdin=subprocess.DEVNULL,
                                  stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, text=True,
                                  errors='replace')
            if done.returncode:
                tail = [line.strip() for line in done.stderr.splitlines()
                        if line.strip()][-3:]
                problem = 'the process ended with status {}: {}'.format(
                    done.returncode, ' | '.join(tail) or 'no message')
        except subprocess.TimeoutExpired:
            problem = 'timed out after {:g} s'.format(timeout)
        found = []
        if os.path.exists(results):
            with open(results) as f:
                found = [json.loads(line) for line in f if line.strip()]
    by = {r['check']: r for r in found}
    ordered, failed = [], None
    for check in wanted:
        if check in by:
            ordered.append(by[check])
        elif failed is None:
            failed = check
            ordered.append(static.result(check, 'fail', problem or
                                         'the check did not report'))
        else:
            ordered.append(static.result(check, 'skip', 'skipped: {} '
                                         'failed'.format(failed)))
    return ordered


def check_folder(args):
    """Returns every result, each with its task and engine, in order."""
    rows = [dict(r, task='folder', engine='') for r in
            [static.check_readme(args.folder)]]
    files = {}
    for task in args.tasks:
        files[task] = static.check_file(args.folder, task)
    jobs = {}
    with concurrent.futures.ThreadPoolExecutor(max(1, args.jobs)) as pool:
        for task in args.tasks:
            for engine in args.engines:
                if files[task][0]['verdict'] == 'pass':
                    jobs[task, engine] = pool.submit(
                        run_probe, task, engine, args.folder, args.timeout)
        for task in args.tasks:
            results = files[task]
            if results[0]['verdict'] != 'pass':
                results += [static.result(check, 'skip', 'skipped: exists '
                                          'failed')
                            for check in tasks.FILE_CHECKS[1:]]
            rows += [dict(r, task=task, engine='') for r in results]
            for engine in args.engines:
                if (task, engine) in jobs:
                    found = jobs[task, engine].result()
                else:
                    found = [static.result(check, 'skip', 'skipped: exists '
                                           'failed')
                             for check in tasks.engine_checks(task)]
                rows += [dict(r, task=task, engine=engine) for r in found]
    return rows


def counts(row):
    """Whether a result counts in the score (warnings do not)."""
    return row['check'] not in tasks.WARNINGS


def scores(rows):
    """Returns {task: (passed, counted)} and the total (passed, counted)."""
    per = {}
    for row in rows:
        if counts(row):
            passed, total = per.get(row['task'], (0, 0))
            per[row['task']] = (passed + (row['verdict'] == 'pass'),
                                total + 1)
    return per, tuple(map(sum, zip(*per.values())))


MARK = {'pass': 'ok  ', 'fail': 'FAIL', 'skip': 'skip', 'warn': 'warn'}


def table(rows, seconds):
    """Returns the human table: one line per check, then the scores."""
    lines = []
    for row in rows:
        place = row['task'] + (' [{}]'.format(row['engine'])
                               if row['engine'] else '')
        line = '{} {:<30} {}'.format(MARK[row['verdict']], place,
                                     row['check'])
        if row['message']:
            line += ': ' + row['message']
        lines.append(line)
        if row['hint'] and row['verdict'] in ('fail', 'warn'):
            lines.append('     hint: ' + row['hint'])
    per, (passed, total) = scores(rows)
    lines.append('')
    for task, (p, t) in per.items():
        lines.append('{:<16} {:>3}/{:<3} {:.0%}'.format(task, p, t, p / t))
    lines.append('{:<16} {:>3}/{:<3} {:.0%} in {:.0f} s'.format(
        'total', passed, total, passed / total, seconds))
    return '\n'.join(lines)


def gradescope(rows, seconds):
    """Returns the results in Gradescope's results.json schema."""
    tests = []
    for row in rows:
        name = '{}{}: {}'.format(row['task'], ' [{}]'.format(row['engine'])
                                 if row['engine'] else '', row['check'])
        output = row['message'] + ('\nhint: ' + row['hint']
                                   if row['hint'] else '')
        tests.append({'name': name,
                      'status': 'failed' if row['verdict'] in ('fail', 'skip')
                      else 'passed',
                      'score': 1 if row['verdict'] == 'pass' and counts(row)
                      else 0,
                      'max_score': 1 if counts(row) else 0,
                      'output': output.strip(),
                      'extra_data': {'task': row['task'],
                                     'engine': row['engine'],
                                     'check': row['check'],
                                     'verdict': row['verdict']}})
    _, (passed, total) = scores(rows)
    return {'score': passed, 'max_score': total,
            'execution_time': round(seconds, 1), 'tests': tests}


def main(argv=None):
    """Checks the folder; prints the table; exits 0 only if all passed."""
    args = parse_args(argv)
    began = time.perf_counter()
    rows = check_folder(args)
    seconds = time.perf_counter() - began
    print(table(rows, seconds))
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(gradescope(rows, seconds), f, indent=1)
    failed = [row for row in rows if counts(row) and row['verdict'] != 'pass']
    sys.exit(1 if failed else 0)
