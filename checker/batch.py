"""A class graded on one machine: every learner's folder below a folder of
submissions, each graded as the platforms grade one (checker.grade: its
own subprocesses, the same limits, the same JSON), N at a time.

    python -m checker --batch SUBMISSIONS [--jobs N] [--out DIR]

Each learner's result is DIR/LEARNER.json (Gradescope's schema), written
whole once the learner is graded; grades.csv (one row per learner: score,
maximum, seconds, the first failure) is rewritten after each one. Stopped
(Ctrl-C), the batch leaves what it finished; run again, it grades only the
learners without a result. Whatever goes wrong with one learner (its
grading ends without a result, the grader fails), that learner's result
says what, scoring 0, and the others are graded all the same.
"""
import concurrent.futures
import csv
import io
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time

from aelib import ROOT
from aelib.files import write_atomically
from checker import cli, grade

CSV_FIELDS = ('learner', 'score', 'max_score', 'seconds', 'first_failure')


def learners(submissions):
    """Returns the learners' folders below submissions: its subfolders,
    hidden ones left out, by name."""
    return sorted(name for name in os.listdir(submissions)
                  if not name.startswith('.') and
                  os.path.isdir(os.path.join(submissions, name)))


def first_failure(result):
    """Returns the first counted check that failed, with its message's
    first line, or ''."""
    for test in result.get('tests', []):
        if test.get('max_score') and test.get('score', 0) < \
                test['max_score']:
            return '{}: {}'.format(test['name'],
                                   test.get('output', '').split('\n')[0])
    return ''


def write_csv(out, names):
    """Rewrites out/grades.csv from the results finished so far, in one
    piece."""
    text = io.StringIO()
    writer = csv.DictWriter(text, CSV_FIELDS)
    writer.writeheader()
    for name in names:
        path = os.path.join(out, name + '.json')
        if not os.path.exists(path):
            continue
        writer.writerow(csv_row(name, path))
    write_atomically(os.path.join(out, 'grades.csv'), text.getvalue())


def csv_row(name, path):
    """Returns a learner's row of grades.csv from its result (a row of
    score 0 saying why where the result cannot be read)."""
    try:
        with open(path) as f:
            result = json.load(f)
        return {'learner': name, 'score': result.get('score', 0),
                'max_score': sum(t.get('max_score', 0)
                                 for t in result.get('tests', [])),
                'seconds': result.get('execution_time', ''),
                'first_failure': first_failure(result)}
    except (OSError, ValueError, AttributeError, TypeError) as error:
        return {'learner': name, 'score': 0,
                'max_score': grade.max_score(), 'seconds': '',
                'first_failure': cli.said('its result could not be read: '
                                          '{}: {}'.format(
                                              type(error).__name__, error))}


def load(path):
    """Returns a result written before (a failure saying why where it
    cannot be read)."""
    try:
        with open(path) as f:
            found = json.load(f)
        if isinstance(found, dict) and isinstance(found.get('tests'), list):
            return found
        raise ValueError('not a result')
    except (OSError, ValueError) as error:
        return failure('its result could not be read: {}'.format(error), 0)


def failure(problem, seconds):
    """Returns a learner's result where its grading gave none: Gradescope's
    schema, one failed test worth the whole score, saying what happened
    (delete it to grade the learner again)."""
    return {'score': 0, 'execution_time': round(seconds, 1),
            'output': 'no result: delete this file to grade the learner '
                      'again',
            'tests': [{'name': 'grading', 'score': 0,
                       'max_score': grade.max_score(), 'status': 'failed',
                       'output': cli.said(problem)}]}


class Batch:
    """The learners' gradings under way, so that Ctrl-C stops them all."""

    def __init__(self):
        """No grading under way yet."""
        self.running, self.lock, self.stopped = set(), threading.Lock(), False

    def grade_one(self, submissions, name, out, flags):
        """Grades one learner in a platform layout of its own; moves the
        result to out/NAME.json; returns the result (None if stopped).
        Where the grading gives no result, or anything here fails, the
        result written says what happened, scoring 0."""
        began = time.monotonic()
        try:
            return self.graded(submissions, name, out, flags)
        except Exception as error:  # a result whatever happens
            target = os.path.join(out, name + '.json')
            if os.path.exists(target):
                # the result was moved in before the failure (the learners
                # graded now have none before): it stands
                return load(target)
            found = failure('the grading of {} gave no result: {}: {}'.format(
                name, type(error).__name__, error), time.monotonic() - began)
            write_atomically(target, json.dumps(found, indent=1))
            return found

    def graded(self, submissions, name, out, flags):
        """grade_one(), its failures raised."""
        with tempfile.TemporaryDirectory() as root:
            os.symlink(os.path.abspath(os.path.join(submissions, name)),
                       os.path.join(root, 'submission'))
            command = [sys.executable, '-m', 'checker.grade', 'gradescope',
                       '--root', root] + flags
            process = subprocess.Popen(command, cwd=ROOT,
                                       stdout=subprocess.DEVNULL,
                                       start_new_session=True)
            with self.lock:
                if self.stopped:
                    os.killpg(process.pid, signal.SIGKILL)
                self.running.add(process)
            process.wait()
            with self.lock:
                self.running.discard(process)
                if self.stopped:
                    return None
            result = os.path.join(root, 'results', 'results.json')
            with open(result) as f:
                found = json.load(f)
            if not isinstance(found, dict) or not isinstance(
                    found.get('tests'), list):
                raise ValueError('its results.json is not a result')
            os.replace(result, os.path.join(out, name + '.json'))
        return found

    def stop(self):
        """Stops every grading under way (their results are not kept)."""
        with self.lock:
            self.stopped = True
            for process in self.running:
                try:
                    os.killpg(process.pid, signal.SIGKILL)
                except OSError:
                    pass


def run(submissions, out, jobs, flags, say=print):
    """Grades every learner of submissions without a result in out, jobs
    at a time; returns the names graded now."""
    os.makedirs(out, exist_ok=True)
    names = learners(submissions)
    todo = [name for name in names
            if not os.path.exists(os.path.join(out, name + '.json'))]
    say('{} learners, {} already graded, {} to grade, {} at a time'.format(
        len(names), len(names) - len(todo), len(todo), jobs))
    batch, done = Batch(), []
    pool = concurrent.futures.ThreadPoolExecutor(max(1, jobs))
    try:
        futures = {pool.submit(batch.grade_one, submissions, name, out,
                               flags): name for name in todo}
        for future in concurrent.futures.as_completed(futures):
            name, result = futures[future], future.result()
            if result is None:  # stopped
                continue
            done.append(name)
            write_csv(out, names)
            say('{}/{} {}: {}/{} in {:.0f} s'.format(
                len(done), len(todo), cli.said(name), result.get('score', 0),
                sum(t.get('max_score', 0) for t in result['tests']),
                result.get('execution_time', 0)))
    except KeyboardInterrupt:
        batch.stop()
        pool.shutdown(wait=True, cancel_futures=True)
        write_csv(out, names)
        say('stopped: {} graded now, the others are graded by running the '
            'same command again'.format(len(done)))
        raise
    pool.shutdown(wait=True)
    write_csv(out, names)
    return done


def main(args):
    """python -m checker --batch: grades the class in args.folder; exits 0
    once done, 130 when stopped, 2 where the host gives the learners' code
    no sandbox and args.unsandboxed does not say to grade anyway."""
    flags = ['--timeout', str(args.timeout), '--memory', str(args.memory),
             '--engines'] + args.engines
    line, enforced = cli.sandbox_line(args.engines, args.timeout)
    if not enforced and not args.unsandboxed:
        print(cli.refusal(line))
        sys.exit(2)
    print(line)
    if not enforced:
        flags.append('--unsandboxed')
    try:
        run(args.folder, args.out, args.jobs, flags)
    except KeyboardInterrupt:
        sys.exit(130)
    sys.exit(0)
