"""make check DIR=FOLDER, or python -m checker FOLDER: grades the four task
files in FOLDER as the school's checker would, on TensorFlow 2.15 (Keras 2,
the grader's engine), and shows apart what the newest TensorFlow (Keras 3)
would say.

The learner's code never runs in this process: each engine's checks run in a
runner of their own (checker/runner.py), sandboxed (checker/sandbox.py),
started and read by checker/engines.py; this process is the judge
(checker/judge.py), which checks what it read of the runner and decides
each verdict. Every check is passed, failed, skipped (saying which failure
it waits on) or passed with a note. The score and the exit status (0 only
when every counted check passed) are the grader's engine's: the folder's
and the files' checks and the Keras 2 checks. The results are written
before anything is printed, and every text shown is made printable first.
"""
import argparse
import json
import os
import sys
import time

from aelib.files import write_atomically
from checker import engines, protocol, sandbox, static, tasks
from checker.engines import (MEMORY, TIMEOUT, check_folders,
                             interpreter, layers_for, limits)


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
    parser.add_argument('--memory', type=float, default=MEMORY, metavar='MB',
                        help='the memory each engine\'s processes may hold '
                        'in all (resident and their own, not their '
                        'libraries\', in MiB; default: {:g}): beyond it the '
                        'check under way fails, as a grading platform would '
                        'stop it'.format(MEMORY))
    parser.add_argument('--unsandboxed', action='store_true',
                        help='with --batch: grade even where this host '
                        'gives the learners\' code no sandbox (their code '
                        'then runs with your files, network and processes '
                        'in reach)')
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
        if engine not in engines.ENGINE_ENVS or not folder:
            parser.error('--environment {!r}: give ENGINE=FOLDER, ENGINE one '
                         'of {}'.format(given, ', '.join(
                             engines.ENGINE_ENVS)))
        engines.ENGINE_ENVS[engine] = (os.path.abspath(folder),
                                       engines.ENGINE_ENVS[engine][1])
    return args


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
# the most characters of a result's message or hint shown or written
SHOWN = 4000


def said(text):
    """Returns a result's text as the table and the results files show it:
    printable, one line, at most SHOWN characters (protocol.safe: no
    control character, escape sequence or lone surrogate, whatever the
    runner or a process's output put in it)."""
    return protocol.safe(text or '', SHOWN)


def row_lines(row):
    """Returns the lines of one result: its verdict, then for a failure or
    a note the sentence it enforces and the hint."""
    place = said(row['task']) + (' [{}]'.format(said(row['engine']))
                                 if row['engine'] else '')
    line = '{} {:<24} {}'.format(MARK.get(row['verdict'], 'FAIL'), place,
                                 said(row['check']))
    if row.get('message'):
        line += ': ' + said(row['message'])
    lines = [line]
    if row['verdict'] == 'fail':
        sentence = tasks.sentence(row['check'], row['task'])
        if sentence:
            lines.append('     spec: ' + sentence)
    if row.get('hint') and row['verdict'] in ('fail', 'note'):
        lines.append('     hint: ' + said(row['hint']))
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
        told = {(row['verdict'], row['message']) for row in others}
        if len(told) == 1 and others[0]['verdict'] == 'skip':
            # not checked at all (no environment): said once, not per check
            lines.append('skip every check, ' + said(others[0]['message'][
                len('skipped: '):]))
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
        output = said(row.get('message')) + ('\n' + output if output
                                             else '')
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


def sandbox_line(engines, timeout, jobs=1):
    """Returns the line that says what the learner's code runs under, and
    whether the host gives it a sandbox at all."""
    found = {engine: layers_for(engine) for engine in engines
             if interpreter(engine)}
    if not found:
        return 'sandbox: no engine run (the file checks alone)', True
    said = {engine: sandbox.describe(layers, limits(timeout, jobs))
            for engine, layers in found.items()}
    # one line; where the engines' runners get other layers (one user can
    # read an environment, not the other), each engine's after the first
    first = next(iter(said))
    line = said[first] + ''.join(
        ' | {}: {}'.format(engine, text[len('sandbox: '):])
        for engine, text in said.items() if text != said[first])
    return line, all(sandbox.sandboxed(layers) for layers in found.values())


def refusal(line):
    """Returns why a class is not graded on a host without a sandbox."""
    return 'not graded: {}. Each learner\'s code could rewrite its own ' \
        'verdicts, read the reference files and the other learners\' ' \
        'work, and change their grades. Grade on Linux 5.13 or later ' \
        '(Landlock), or pass --unsandboxed to grade anyway'.format(line)


def failed_grading(task_list, engines, problem):
    """Returns the rows of a folder whose grading failed before its
    results were known: every check that would have been, failed, saying
    what went wrong (so that the folder still has a result and a
    score)."""
    message = said('the grader failed: {}'.format(problem))
    rows = [dict(static.result(check, 'fail', message), task='folder',
                 engine='') for check in tasks.FOLDER_CHECKS]
    for task in task_list:
        rows += [dict(static.result(check, 'fail', message), task=task,
                      engine='') for check in tasks.FILE_CHECKS]
        rows += [dict(static.result(check, 'fail', message), task=task,
                      engine=engine) for engine in engines
                 for check in tasks.engine_checks(task)]
    return rows


def main(argv=None, args=None):
    """Checks the folder; writes the results (--json) first, then prints
    the table (printable text only); exits 0 only if all passed. Whatever
    goes wrong in the grading, the folder gets its results, saying
    what."""
    args = args or parse_args(argv)
    began = time.perf_counter()
    line = 'sandbox: not known (the grading failed before it was read)'
    try:
        line, enforced = sandbox_line(args.engines, args.timeout,
                                      len(args.tasks))
        rows = check_folders({args.folder: args.tasks}, args.engines,
                             args.timeout, args.jobs, args.memory,
                             enforce=enforced)[args.folder]
    except Exception as error:  # a result whatever happens
        rows = failed_grading(args.tasks, args.engines, '{}: {}'.format(
            type(error).__name__, error))
    seconds = time.perf_counter() - began
    line = said(line)
    unwritten = None
    if args.json:
        report = gradescope(rows, seconds)
        report['output'] = line
        try:
            write_atomically(args.json, json.dumps(report, indent=1))
        except OSError as error:
            unwritten = 'the results could not be written to {}: {}'.format(
                args.json, error)
    reconfigure = getattr(sys.stdout, 'reconfigure', None)
    if reconfigure is not None:
        # a terminal or a log that cannot show a character shows its
        # escape instead of ending the printing
        reconfigure(errors='backslashreplace')
    print(line)
    print(table(rows, seconds))
    if unwritten:
        print(said(unwritten), file=sys.stderr)
        sys.exit(2)
    failed = [row for row in rows if counts(row) and not passed(row)]
    sys.exit(1 if failed else 0)
