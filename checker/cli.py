"""make check DIR=FOLDER, or python -m checker FOLDER: grades the four task
files in FOLDER as the school's checker would, on TensorFlow 2.15 (Keras 2,
the grader's engine), and shows apart what the newest TensorFlow (Keras 3)
would say.

The learner's code never runs in this process: each engine's checks run in a
subprocess of their own (checker/probe.py), on a copy of the folder, each
task with a time limit, with no display; a crash is reported as its
exception and the line of the learner's file it came from. Every check is
passed, failed, skipped (saying which failure it waits on) or passed with a
note. The score and the exit status (0 only when every counted check passed)
are the grader's engine's: the folder's and the files' checks and the Keras
2 checks.
"""
import argparse
import concurrent.futures
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from aelib import ROOT
from checker import static, tasks
from tools.environment import ENVIRONMENTS

# each engine: its environment's folder (as tools/environment.py makes it)
# and the variables that select it
ENGINE_ENVS = {'keras2': (ENVIRONMENTS['keras2']['folder'], {}),
               'keras3': (ENVIRONMENTS['keras3']['folder'],
                          {'KERAS_BACKEND': 'tensorflow'})}
# seconds each task may take on each engine, unless --timeout says
TIMEOUT = 180


def parse_args(argv=None):
    """Returns the command line's flags; -h explains them."""
    parser = argparse.ArgumentParser(
        prog='python -m checker', description=__doc__.split('\n\n')[0])
    parser.add_argument('folder', help='the folder holding 0-vanilla.py, '
                        '1-sparse.py, 2-convolutional.py, 3-variational.py')
    parser.add_argument('--engines', nargs='*', choices=tasks.ENGINES,
                        metavar='ENGINE', help='keras2 and/or keras3 '
                        '(default: both; with --batch, keras2; none: only '
                        'the checks that read the files)')
    parser.add_argument('--tasks', nargs='+', choices=tasks.TASKS,
                        default=list(tasks.TASKS), metavar='TASK',
                        help='the task files to check (default: all four)')
    parser.add_argument('--timeout', type=float, default=TIMEOUT,
                        metavar='S', help='seconds each task may take on '
                        'each engine (default: {:g})'.format(TIMEOUT))
    parser.add_argument('--memory', type=float, metavar='MB', help='the '
                        'memory each engine\'s process may hold (resident '
                        'and its own, not its libraries\', in MiB; default: '
                        'no limit): beyond it the check '
                        'under way fails, as a grading platform would stop '
                        'it')
    parser.add_argument('--json', metavar='FILE', help='also write the '
                        'results in Gradescope\'s results.json schema')
    parser.add_argument('--environment', action='append', default=[],
                        metavar='ENGINE=FOLDER', help='an engine\'s '
                        'environment, where it is not the default (make '
                        'check VENV=... VENV3=... passes them)')
    parser.add_argument('--batch', action='store_true', help='FOLDER holds '
                        'one folder per learner: grade each as the grading '
                        'platforms do (checker.grade), --jobs at a time, '
                        'into --out; run again, it grades only the learners '
                        'without a result')
    parser.add_argument('--out', default='grades', metavar='DIR',
                        help='with --batch: where each learner\'s JSON and '
                        'grades.csv go (default: grades)')
    parser.add_argument('--jobs', type=int, default=os.cpu_count() or 1,
                        metavar='N', help='subprocesses at once (default: '
                        'the cores)')
    args = parser.parse_args(argv)
    if not os.path.isdir(args.folder):
        parser.error('folder {!r} is not a folder'.format(args.folder))
    if args.engines is None:
        args.engines = [tasks.GRADER_ENGINE] if args.batch else \
            list(tasks.ENGINES)
    for given in args.environment:
        engine, _, folder = given.partition('=')
        if engine not in ENGINE_ENVS or not folder:
            parser.error('--environment {!r}: give ENGINE=FOLDER, ENGINE one '
                         'of {}'.format(given, ', '.join(ENGINE_ENVS)))
        ENGINE_ENVS[engine] = (os.path.abspath(folder),
                               ENGINE_ENVS[engine][1])
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
    whose installation finished with a file .core (what the self-check
    uses) and .installed (everything)."""
    folder = os.path.join(ROOT, ENGINE_ENVS[engine][0])
    if not any(os.path.exists(os.path.join(folder, mark))
               for mark in ('.core', '.installed')):
        return None
    return os.path.join(folder, 'bin', 'python')


def not_installed(engine):
    """Returns why an engine's checks are skipped where its environment is
    not installed: the line tools/environment.py kept where no Python fits
    it, else how to set it up."""
    folder = ENGINE_ENVS[engine][0]
    try:
        with open(os.path.join(ROOT, folder + '.missing')) as f:
            return 'skipped: not checked: ' + f.read().strip()
    except OSError:
        return 'skipped: no {} environment ({}; make venv-core ' \
            'venv-keras3-core sets it up)'.format(engine, folder)


def run_probe(jobs, engine, timeout, memory=None):
    """Runs the engine checks of jobs, [(folder, task)], in subprocesses,
    one after the other in one process where nothing goes wrong; returns
    {(folder, task): its results in order}. A job that takes longer than
    timeout seconds, or whose process dies, fails the check under way and
    skips the rest; the jobs after it run in a new process. So does a job
    whose process holds more than memory MiB."""
    python = interpreter(engine)
    if python is None:
        return {job: [static.result(check, 'skip', not_installed(engine))
                      for check in tasks.engine_checks(job[1])]
                for job in jobs}
    records, problems = [], {}
    with tempfile.TemporaryDirectory() as work:
        copies = {}
        for folder, _ in jobs:
            if folder not in copies:
                copies[folder] = os.path.join(work, str(len(copies)))
                os.mkdir(copies[folder])
                copy_folder(folder, copies[folder])
        env = {key: value for key, value in os.environ.items()
               if key not in ('DISPLAY', 'WAYLAND_DISPLAY')}
        env.update(ENGINE_ENVS[engine][1], MPLBACKEND='Agg',
                   TF_CPP_MIN_LOG_LEVEL='3', PYTHONDONTWRITEBYTECODE='1')
        remaining = list(range(len(jobs)))
        while remaining:
            found, current, problem = run_jobs(
                python, [(copies[jobs[n][0]], jobs[n][1]) for n in remaining],
                env, timeout, os.path.join(work, 'results.jsonl'), memory)
            records += [dict(r, job=remaining[r['job']]) for r in found]
            if current is None:
                break
            problems[remaining[current]] = problem
            remaining = remaining[current + 1:]
    return {job: ordered_results(job[1], [r for r in records
                                          if r.get('job') == n],
                                 problems.get(n))
            for n, job in enumerate(jobs)}


def run_jobs(python, jobs, env, timeout, results, memory=None):
    """Runs checker/probe.py on jobs, [(copy of a folder, task)], each
    within timeout seconds (from the moment it begins; the process's start
    counts for the first) and memory MiB (resident, where given); returns
    (its records, the number of the job under way when it was stopped or
    died or None, what happened to it)."""
    command = [python, os.path.join(ROOT, 'checker', 'probe.py'),
               '--results', results]
    for copy, task in jobs:
        command += ['--job', copy, task]
    open(results, 'w').close()
    errors = results + '.stderr'
    current, began, problem = 0, time.monotonic(), None
    with open(errors, 'w') as stderr:
        process = subprocess.Popen(command, cwd=jobs[0][0], env=env,
                                   stdin=subprocess.DEVNULL,
                                   stdout=subprocess.DEVNULL, stderr=stderr)
        while True:
            try:
                process.wait(timeout=0.1)
                finished = True
            except subprocess.TimeoutExpired:
                finished = False
            found = read_records(results)
            begun = [r['job'] for r in found if r.get('begin')]
            if begun and begun[-1] != current:
                current, began = begun[-1], time.monotonic()
            if finished:
                break
            if time.monotonic() - began > timeout:
                process.kill()
                process.wait()
                problem = 'took longer than {:g} s (the time limit, ' \
                    '--timeout): something in the file or in autoencoder() ' \
                    'does not return'.format(timeout)
                break
            held = resident_mib(process.pid)
            if memory and held > memory:
                process.kill()
                process.wait()
                problem = 'held {:.0f} MiB of memory, more than the {:g} ' \
                    'MiB allowed (--memory): something in the file or in ' \
                    'autoencoder() builds far more than the models ' \
                    'need'.format(held, memory)
                break
    found = read_records(results)
    if problem is None and process.returncode == 0:
        return found, None, None
    if problem is None and process.returncode == -signal.SIGKILL:
        problem = 'the process was killed (SIGKILL) from outside: on a ' \
            'grading platform, most often for using more memory than ' \
            'allowed'
    if problem is None:
        with open(errors, errors='replace') as f:
            problem = 'the process ended with status {}{}'.format(
                process.returncode, died_of(f.read(), jobs[current][0]))
    return found, current, problem


def resident_mib(pid):
    """Returns the memory the process pid holds of its own (resident and
    anonymous, MiB: not the shared libraries' pages, which the system can
    drop and read again; 0 where the system does not say)."""
    try:
        with open('/proc/{}/status'.format(pid)) as f:
            for line in f:
                if line.startswith('RssAnon:'):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def read_records(path):
    """Returns the JSON lines written so far to path (a line being written
    is left for the next read)."""
    with open(path) as f:
        text = f.read()
    return [json.loads(line) for line in text.split('\n')[:-1]
            if line.strip()]


def ordered_results(task, found, problem):
    """Returns task's engine checks in order from the records found, the
    first missing one failing with problem (or 'the check did not report')
    and the rest skipped."""
    by = {}
    for r in found:
        if r.get('begin'):
            continue
        if 'follows' in r and r['check'] in by:
            by[r['check']]['message'] += ' (this follows from the {} ' \
                'failure above)'.format(r['follows'])
        elif 'follows' not in r:
            by[r['check']] = {key: r[key] for key in
                              ('check', 'verdict', 'message', 'hint')}
    ordered, failed = [], None
    for check in tasks.engine_checks(task):
        if check in by:
            ordered.append(by[check])
        elif failed is None:
            failed = check
            ordered.append(static.result(check, 'fail', problem or
                                         'the check did not report'))
        else:
            ordered.append(static.result(check, 'skip', 'skipped: waits on '
                                         '{}, which failed'.format(failed)))
    return ordered


ERROR_LINE = re.compile(r'^(\w+(?:\.\w+)*(?:Error|Exception|Exit|Interrupt'
                        r'|Warning)): ?(.*)$')
FRAME_LINE = re.compile(r'^\s*File "([^"]+)", line (\d+)')


def died_of(stderr, folder):
    """Returns ': ValueError: message (at file.py:LINE)' from the
    traceback a dead process printed, or ''; never Keras's argument dump."""
    error, where = '', ''
    for line in stderr.splitlines():
        match = ERROR_LINE.match(line.strip())
        if match:
            error = '{}: {}'.format(match.group(1).split('.')[-1],
                                    match.group(2))[:240]
        frame = FRAME_LINE.match(line)
        if frame and os.path.realpath(frame.group(1)).startswith(
                os.path.realpath(folder) + os.sep):
            where = '{}:{}'.format(os.path.basename(frame.group(1)),
                                   frame.group(2))
    if not error:
        return ''
    return ': {}{}'.format(error, ' (at {})'.format(where) if where else '')


def check_folder(args):
    """Returns every result of args.folder, each with its task and engine,
    in order."""
    return check_folders({args.folder: args.tasks}, args.engines,
                         args.timeout, args.jobs, args.memory)[args.folder]


def check_folders(requests, engines, timeout, jobs, memory=None):
    """Returns {folder: every result, each with its task and engine, in
    order} for requests, {folder: the tasks to check there}, on engines.
    The engine checks of all the folders share each engine's processes
    (one per engine, or more where jobs allows): one import of TensorFlow
    serves them all, and each folder's modules are forgotten before the
    next folder's are imported."""
    files, present = {}, []
    for folder, task_list in requests.items():
        for task in task_list:
            files[folder, task] = static.check_file(folder, task)
            if files[folder, task][0]['verdict'] == 'pass':
                present.append((folder, task))
    # one process per engine, or more where there are more cores
    groups = max(1, min(len(present), jobs // max(1, len(engines))))
    futures = {}
    with concurrent.futures.ThreadPoolExecutor(max(1, jobs)) as pool:
        for engine in engines:
            for group in range(groups):
                share = present[group::groups]
                if share:
                    future = pool.submit(run_probe, share, engine, timeout,
                                         memory)
                    for job in share:
                        futures[job, engine] = future
        found = {}
        for folder, task_list in requests.items():
            rows = [dict(r, task='folder', engine='') for r in
                    [static.check_readme(folder)]]
            for task in task_list:
                results = files[folder, task]
                if results[0]['verdict'] != 'pass':
                    results += [static.result(check, 'skip', 'skipped: waits '
                                              'on exists, which failed')
                                for check in tasks.FILE_CHECKS[1:]]
                rows += [dict(r, task=task, engine='') for r in results]
                for engine in engines:
                    if ((folder, task), engine) in futures:
                        results = futures[(folder, task), engine].result()[
                            folder, task]
                    else:
                        results = [static.result(check, 'skip', 'skipped: '
                                                 'waits on exists, which '
                                                 'failed')
                                   for check in tasks.engine_checks(task)]
                    rows += [dict(r, task=task, engine=engine)
                             for r in results]
            found[folder] = rows
    return found


def counts(row):
    """Whether a result counts in the score: the folder's and the files'
    checks and the grader's engine's, but for the informational ones."""
    return row['check'] not in tasks.WARNINGS and \
        row['engine'] in ('', tasks.GRADER_ENGINE)


def passed(row):
    """Whether a result is a pass (a note is a pass with a remark)."""
    return row['verdict'] in ('pass', 'note')


def scores(rows):
    """Returns {task: (passed, counted)} and the total (passed, counted),
    on the grader's engine."""
    per = {}
    for row in rows:
        if counts(row):
            done, total = per.get(row['task'], (0, 0))
            per[row['task']] = (done + passed(row), total + 1)
    return per, tuple(map(sum, zip(*per.values()))) or (0, 0)


MARK = {'pass': 'ok  ', 'fail': 'FAIL', 'skip': 'skip', 'note': 'note'}


def row_lines(row):
    """Returns the lines of one result: its verdict, then for a failure or
    a note the sentence it enforces and the hint."""
    place = row['task'] + (' [{}]'.format(row['engine'])
                           if row['engine'] else '')
    line = '{} {:<24} {}'.format(MARK[row['verdict']], place, row['check'])
    if row['message']:
        line += ': ' + row['message']
    lines = [line]
    if row['verdict'] == 'fail':
        sentence = tasks.sentence(row['check'], row['task'])
        if sentence:
            lines.append('     spec: ' + sentence)
    if row['hint'] and row['verdict'] in ('fail', 'note'):
        lines.append('     hint: ' + row['hint'])
    return lines


def table(rows, seconds):
    """Returns the human table: the grader's engine's checks and score
    first, then each other engine's results apart, not counted."""
    lines = ['== {}: these checks make the score'.format(
        tasks.ENGINE_NAMES[tasks.GRADER_ENGINE])]
    for row in rows:
        if counts(row) or (row['check'] in tasks.WARNINGS and
                           row['engine'] == tasks.GRADER_ENGINE):
            lines += row_lines(row)
    per, (done, total) = scores(rows)
    lines.append('')
    for task, (p, t) in per.items():
        lines.append('{:<16} {:>3}/{:<3} {:.0%}'.format(task, p, t, p / t))
    if total:
        lines.append('{:<16} {:>3}/{:<3} {:.0%} in {:.0f} s (the grader\'s '
                     'engine)'.format('total', done, total, done / total,
                                      seconds))
    for engine in tasks.ENGINES:
        others = [row for row in rows if row['engine'] == engine]
        if engine == tasks.GRADER_ENGINE or not others:
            continue
        failures = sum(row['verdict'] == 'fail' for row in others)
        lines += ['', '== {}: not counted; what TensorFlow 2.16 and later '
                  'would say ({} failure{})'.format(
                      tasks.ENGINE_NAMES[engine], failures,
                      '' if failures == 1 else 's')]
        said = {(row['verdict'], row['message']) for row in others}
        if len(said) == 1 and others[0]['verdict'] == 'skip':
            # not checked at all (no environment): said once, not per check
            lines.append('skip every check, ' + others[0]['message'][
                len('skipped: '):])
            continue
        for row in others:
            lines += row_lines(row)
    return '\n'.join(lines)


def gradescope(rows, seconds):
    """Returns the results in Gradescope's results.json schema."""
    tests = []
    for row in rows:
        name = '{}{}: {}'.format(row['task'], ' [{}]'.format(row['engine'])
                                 if row['engine'] else '', row['check'])
        output = '\n'.join(row_lines(row)[1:])
        output = row['message'] + ('\n' + output if output else '')
        if not counts(row):
            output = ('not counted: ' + (tasks.ENGINE_NAMES[row['engine']]
                                         if row['engine'] else 'a note') +
                      ('\n' + output if output else ''))
        tests.append({'name': name,
                      'status': 'failed' if row['verdict'] in ('fail', 'skip')
                      else 'passed',
                      'score': 1 if passed(row) and counts(row) else 0,
                      'max_score': 1 if counts(row) else 0,
                      'output': output.strip(),
                      'extra_data': {'task': row['task'],
                                     'engine': row['engine'],
                                     'check': row['check'],
                                     'verdict': row['verdict'],
                                     'counted': counts(row)}})
    _, (done, total) = scores(rows)
    return {'score': done, 'max_score': total,
            'execution_time': round(seconds, 1), 'tests': tests}


def main(argv=None):
    """Checks the folder; prints the table; exits 0 only if all passed."""
    args = parse_args(argv)
    if args.batch:
        from checker import batch
        flags = ['--timeout', str(args.timeout), '--engines'] + args.engines
        if args.memory:
            flags += ['--memory', str(args.memory)]
        try:
            batch.run(args.folder, args.out, args.jobs, flags)
        except KeyboardInterrupt:
            sys.exit(130)
        sys.exit(0)
    began = time.perf_counter()
    rows = check_folder(args)
    seconds = time.perf_counter() - began
    print(table(rows, seconds))
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(gradescope(rows, seconds), f, indent=1)
    failed = [row for row in rows if counts(row) and not passed(row)]
    sys.exit(1 if failed else 0)
