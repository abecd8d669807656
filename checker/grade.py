"""The self-check as a grading platform's grader: the same checks and
messages, the grader's engine scored, written in the platform's results
format, in one piece, whatever the submission does.

    python -m checker.grade gradescope [--root /autograder]
    python -m checker.grade prairielearn [--root /grade]
    python -m checker.grade classroom [--root classroom]

Gradescope: the submission is ROOT/submission, the result
ROOT/results/results.json (Gradescope's schema: one test per check, the
Keras 3 checks as zero-point tests marked "not counted"). PrairieLearn: the
submission is ROOT/student, the result ROOT/results/results.json
(PrairieLearn's schema: score 0 to 1, `gradable: false` with the reason
where nothing can be graded). GitHub Classroom: the submission is
ROOT/submission (the learner's repository), the result
ROOT/results/results.json in the schema of Classroom's grading reporter
(one test per counted check, the score out of their number), which
platforms/classroom/classroom.yml hands to the reporter. The submission
may hold the four files in a subfolder (a repository uploaded whole): the
shallowest folder holding one of them is graded.

The grading runs in a subprocess (`python -m checker FOLDER --json ...`)
with a total time limit; each task has its own (--timeout), and each
engine's process a memory limit (--memory). Whatever happens (a time
limit, a process killed, a file that is not Python, no files at all), a
result is written, and it says what happened.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

from aelib import ROOT
from aelib.files import write_atomically
from checker import cli, engines, tasks

PLATFORMS = {'gradescope': ('/autograder', 'submission'),
             'prairielearn': ('/grade', 'student'),
             'classroom': ('classroom', 'submission')}
# what grading one folder may take in all, and each engine's process hold
TOTAL = 600
MEMORY = 1000
# how deep a submission's folders are searched for the task files
DEPTH = 3


def parse_args(argv=None):
    """Returns the command line's flags; -h explains them."""
    parser = argparse.ArgumentParser(
        prog='python -m checker.grade', description=__doc__.split('\n\n')[0],
        epilog=__doc__.split('\n\n', 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('platform', choices=sorted(PLATFORMS))
    parser.add_argument('--root', help='the platform\'s folder (default: '
                        '/autograder for Gradescope, /grade for '
                        'PrairieLearn, classroom for GitHub Classroom)')
    parser.add_argument('--engines', nargs='*', choices=tasks.ENGINES,
                        default=[tasks.GRADER_ENGINE], metavar='ENGINE',
                        help='keras2 (default: the grader\'s engine alone), '
                        'keras3 too where its environment is installed')
    parser.add_argument('--total', type=float, default=TOTAL, metavar='S',
                        help='seconds the whole grading may take (default: '
                        '{:g})'.format(TOTAL))
    parser.add_argument('--timeout', type=float, default=engines.TIMEOUT,
                        metavar='S', help='seconds each task may take on '
                        'each engine (default: {:g})'.format(engines.TIMEOUT))
    parser.add_argument('--memory', type=float, default=MEMORY, metavar='MB',
                        help='MiB each engine\'s process may hold (default: '
                        '{:g})'.format(MEMORY))
    parser.add_argument('--jobs', type=int, default=1, metavar='N',
                        help='engine processes at once (default: 1, for a '
                        'container with one CPU or less)')
    parser.add_argument('--unsandboxed', action='store_true',
                        help='grade even where this host gives the '
                        'learner\'s code no sandbox')
    parser.add_argument('--visibility', default='visible',
                        choices=('visible', 'after_due_date',
                                 'after_published', 'hidden'),
                        help='Gradescope\'s visibility of each test')
    args = parser.parse_args(argv)
    args.root = args.root or PLATFORMS[args.platform][0]
    return args


def find_folder(submission):
    """Returns the shallowest folder below submission (itself included, at
    most DEPTH levels down, hidden folders left out) that holds one of the
    task files, or None."""
    names = {task + '.py' for task in tasks.TASKS}
    level = [submission]
    for _ in range(DEPTH + 1):
        below = []
        for folder in sorted(level):
            try:
                entries = sorted(os.listdir(folder))
            except OSError:
                continue
            if names & set(entries):
                return folder
            below += [os.path.join(folder, name) for name in entries
                      if not name.startswith('.') and
                      os.path.isdir(os.path.join(folder, name)) and
                      not os.path.islink(os.path.join(folder, name))]
        level = below
    return None


def listing(submission, limit=20):
    """Returns the submission's files, relative to it, for a message."""
    found = []
    for folder, subfolders, files in os.walk(submission):
        subfolders[:] = sorted(s for s in subfolders if not s.startswith('.'))
        found += [os.path.relpath(os.path.join(folder, name), submission)
                  for name in sorted(files)]
        if len(found) > limit:
            break
    return ', '.join(found[:limit]) + (', ...' if len(found) > limit
                                       else '') or 'none'


# what an environment says of itself (tensorflow-cpu is TensorFlow 2.15's
# distribution here)
VERSIONS = """import sys, importlib.metadata as metadata
found = ['Python %d.%d.%d' % sys.version_info[:3]]
for name in ('tensorflow', 'tensorflow-cpu', 'keras', 'numpy'):
    try:
        found.append('%s %s' % (name, metadata.version(name)))
    except metadata.PackageNotFoundError:
        pass
print(', '.join(found))
"""


def in_learners_terms(report, copy, refused):
    """Rewrites the report's messages for the learner: the grader's copy
    of the folder is "the submission", and a file left out of it (a link,
    or too large: refused, {name: why}) is said to be so rather than
    missing."""
    for test in report['tests']:
        test['output'] = test['output'].replace(copy, 'the submission')
        data = test['extra_data']
        if data['check'] == 'exists' and data['task'] + '.py' in refused:
            test['output'] = refused[data['task'] + '.py']


def versions(names):
    """Returns the versions each engine of names has in its environment,
    one line ('unknown' for one that cannot say)."""
    lines = []
    for engine in names:
        try:
            python = engines.interpreter(engine)
            if python is None:
                lines.append('{}: not installed'.format(engine))
                continue
            said = subprocess.run([python, '-c', VERSIONS],
                                  capture_output=True, text=True,
                                  timeout=60).stdout.strip()
        except (OSError, subprocess.SubprocessError, ValueError):
            said = ''
        lines.append('{}: {}'.format(tasks.ENGINE_NAMES.get(engine, engine),
                                     cli.said(said) or 'unknown'))
    return '; '.join(lines) or 'no engine run (the file checks alone)'


def run_checker(folder, args, work):
    """Runs the self-check on folder in a subprocess within args.total
    seconds; returns (its Gradescope-schema report or None, what went
    wrong or None, seconds)."""
    report = os.path.join(work, 'report.json')
    command = [sys.executable, '-m', 'checker', folder, '--json', report,
               '--timeout', str(args.timeout), '--memory', str(args.memory),
               '--jobs', str(args.jobs), '--engines'] + args.engines
    for engine in tasks.ENGINES:
        command += ['--environment', '{}={}'.format(
            engine, engines.ENGINE_ENVS[engine][0])]
    began = time.monotonic()
    with open(os.path.join(work, 'checker.log'), 'w') as log:
        process = subprocess.Popen(command, cwd=ROOT, stdout=log,
                                   stderr=subprocess.STDOUT,
                                   start_new_session=True)
        try:
            process.wait(timeout=args.total)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            process.wait()
            return None, ('the grading took longer than {:g} s in all (the '
                          'total time limit) and was stopped: a task file '
                          'that does not return, or a machine far slower '
                          'than expected'.format(args.total)), \
                time.monotonic() - began
    seconds = time.monotonic() - began
    try:
        with open(report) as f:
            found = json.load(f)
        if isinstance(found, dict) and isinstance(found.get('tests'), list):
            return found, None, seconds
    except (OSError, ValueError):
        pass
    return None, 'the self-check ended with status {} and no result: ' \
        '{}'.format(process.returncode, log_tail(os.path.join(
            work, 'checker.log'))), seconds


def log_tail(path, most=2000):
    """Returns the last most characters of a log, as a result may say
    them (printable, cli.said), or what kept it from being read."""
    try:
        with open(path, 'rb') as f:
            f.seek(max(0, os.path.getsize(path) - 4 * most))
            tail = f.read().decode('utf-8', errors='replace')[-most:]
    except OSError as error:
        tail = '(its log could not be read: {})'.format(error)
    return cli.said(tail.strip())


def max_score():
    """Returns the number of checks that count (the folder's, the files'
    and the grader's engine's, but for the informational ones)."""
    rows = [{'check': 'readme', 'engine': ''}]
    for task in tasks.TASKS:
        rows += [{'check': check, 'engine': ''}
                 for check in tasks.FILE_CHECKS]
        rows += [{'check': check, 'engine': tasks.GRADER_ENGINE}
                 for check in tasks.engine_checks(task)]
    return sum(cli.counts(row) for row in rows)


def gradescope(report, args, notes, problem, seconds):
    """Returns Gradescope's results.json for the report (or, where there
    is none, the problem as a failed test worth the whole score)."""
    output = '\n'.join(notes + ['Versions: ' + versions(args.engines)])
    if report is None:
        total = max_score()
        return {'score': 0, 'execution_time': round(seconds, 1),
                'output': output, 'visibility': args.visibility,
                'tests': [{'name': 'grading', 'score': 0, 'max_score': total,
                           'status': 'failed', 'output': problem,
                           'visibility': args.visibility}]}
    tests = []
    for test in report['tests']:
        counted = test['extra_data']['counted']
        tests.append(dict(
            test, visibility=args.visibility,
            name=test['name'] + ('' if counted else ' (not counted)')))
    return {'score': report['score'], 'execution_time': round(seconds, 1),
            'output': output, 'visibility': args.visibility, 'tests': tests}


def prairielearn(report, args, notes, problem, seconds):
    """Returns PrairieLearn's results.json for the report (or, where
    there is none, an ungradable result saying why)."""
    output = '\n'.join(notes + ['Versions: ' + versions(args.engines)])
    if report is None:
        return {'gradable': False, 'score': 0, 'message': problem,
                'output': output}
    tests = []
    for test in report['tests']:
        counted = test['extra_data']['counted']
        tests.append({'name': test['name'] + ('' if counted
                                              else ' (not counted)'),
                      'points': test['score'], 'max_points':
                      test['max_score'], 'output': test['output'],
                      'message': test['output'].split('\n')[0]})
    score = report['score'] / report['max_score'] if report['max_score'] \
        else 0
    return {'gradable': True, 'score': round(score, 4),
            'message': '{} of {} checks passed in {:.0f} s'.format(
                report['score'], report['max_score'], seconds),
            'output': output, 'tests': tests}


def classroom(report, args, notes, problem, seconds):
    """Returns the result in the schema of GitHub Classroom's grading
    reporter (the counted checks only: it scores the passed tests'
    share of max_score)."""
    if report is None:
        return {'version': 1, 'status': 'error', 'max_score': max_score(),
                'tests': [{'name': 'grading', 'status': 'error', 'score': 0,
                           'message': problem}]}
    tests = [{'name': test['name'], 'status': 'pass' if test['score'] ==
              test['max_score'] else 'fail', 'score': test['score'],
              'message': test['output']}
             for test in report['tests'] if test['max_score']]
    if notes:
        tests[0]['message'] = '\n'.join(notes + [tests[0]['message']])
    return {'version': 1, 'status': 'pass' if all(
        test['status'] == 'pass' for test in tests) else 'fail',
        'max_score': len(tests), 'tests': tests}


def grade(args):
    """Grades the platform's submission; returns the result written."""
    submission = os.path.join(args.root, PLATFORMS[args.platform][1])
    path = os.path.join(args.root, 'results', 'results.json')
    render = {'gradescope': gradescope, 'prairielearn': prairielearn,
              'classroom': classroom}[args.platform]
    began = time.monotonic()
    report, problem, notes = None, None, []
    try:
        line, enforced = cli.sandbox_line(args.engines, args.timeout)
        notes.append(line)
        folder = find_folder(submission)
        if not enforced and not args.unsandboxed:
            problem = cli.refusal(line)
        elif folder is None:
            problem = ('no task file in the submission: it should hold {} '
                       '(found: {})'.format(', '.join(
                           t + '.py' for t in tasks.TASKS),
                           listing(submission)))
        else:
            if folder != submission:
                notes.append('graded the folder {} of the submission'.format(
                    os.path.relpath(folder, submission)))
            with tempfile.TemporaryDirectory() as work:
                copy = os.path.join(work, 'submission')
                os.mkdir(copy)
                refused = engines.copy_folder(folder, copy)
                notes += list(refused.values())
                report, problem, _ = run_checker(copy, args, work)
                if report:
                    in_learners_terms(report, copy, refused)
    except Exception as error:  # a result is written whatever happens
        problem = cli.said('the grader failed: {}: {}'.format(
            type(error).__name__, error))
    try:
        result = render(report, args, notes, problem,
                        time.monotonic() - began)
    except Exception as error:  # a report it cannot render: said so
        result = render(None, args, notes, cli.said(
            'the grader failed: {}: {}'.format(type(error).__name__, error)),
            time.monotonic() - began)
    # in one piece: a temporary file renamed over the result
    write_atomically(path, json.dumps(result, indent=1))
    return result


def main(argv=None):
    """Grades and writes the result; exits 0 once it is written."""
    result = grade(parse_args(argv))
    print(json.dumps({key: result[key] for key in result
                      if key in ('score', 'gradable', 'message')}))


if __name__ == '__main__':
    main()
