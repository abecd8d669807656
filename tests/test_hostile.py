"""Hostile submissions (tests/hostile/: each builds no model and attacks
the grader one way) graded as make check grades a folder, as --batch
grades a class beside honest classmates, and as the Gradescope autograder
grades a submission (after its set-up's checker.harden). Each must score
no more than its files earn (its engine checks, but for importing cleanly,
all failed or skipped), change nothing outside its own copy, send nothing
to the listeners the test starts on 127.0.0.1, and leave no process
running.

The grader drives the engines' environments itself: make check's and the
batch's run in the Keras 2 suite, the rest in the Keras 3 suite."""
import csv
import hashlib
import json
import os
import pathlib
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import zipfile

import pytest

from conftest import KERAS_3, ROOT, TASKS
from checker import engines, sandbox

# the suites run side by side: make check's and the batch's in the Keras 2
# suite, the rest in the Keras 3 suite (which has the longer list)
keras2_suite = pytest.mark.skipif(KERAS_3, reason='runs in the Keras 2 '
                                  'suite')
keras3_suite = pytest.mark.skipif(not KERAS_3, reason='runs in the Keras 3 '
                                  'suite')
HOSTILE_ROOT = os.path.join(ROOT, 'tests', 'hostile')
# (side-doors/ holds folders of their own, test_side_doors.py's)
HOSTILE = sorted(name for name in os.listdir(HOSTILE_ROOT)
                 if os.path.isdir(os.path.join(HOSTILE_ROOT, name)) and
                 name != 'side-doors')
# the time limit of a task here (the loop, a file that never returns, is
# graded alone with a shorter one: LOOP_TIMEOUT)
TIMEOUT = 120
LOOP_TIMEOUT = 8
# the attacks a batch leaves to make check's test: on the runner's own
# process and limits, not on the class
BATCH_LEFT_OUT = ('loop', 'memory', 'big-file', 'exit-early', 'fake-print')
LAYERS = engines.layers_for('keras2')
# killing every process it sees is tried only where the sandbox scopes
# signals (Landlock ABI 6) or gives the runner its own PID namespace
SIGNALS_SAFE = LAYERS['landlock'] >= 6 or LAYERS['root']


class Listeners:
    """A TCP and a UDP listener on 127.0.0.1 that keep what they get."""

    def __init__(self):
        """Starts both on free ports."""
        self.received, self.stopped = [], False
        self.tcp = socket.socket()
        self.tcp.bind(('127.0.0.1', 0))
        self.tcp.listen()
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(('127.0.0.1', 0))
        self.ports = (self.tcp.getsockname()[1], self.udp.getsockname()[1])
        for target in (self.accept, self.receive):
            threading.Thread(target=target, daemon=True).start()

    def accept(self):
        """Keeps what each TCP connection sends."""
        while True:
            try:
                connection, _ = self.tcp.accept()
            except OSError:
                return
            if self.stopped:
                return
            self.received.append(('tcp', connection.recv(1 << 16)))
            connection.close()

    def receive(self):
        """Keeps each UDP datagram."""
        while True:
            try:
                data = self.udp.recv(1 << 16)
            except OSError:
                return
            if self.stopped:
                return
            self.received.append(('udp', data))

    def stop(self):
        """Closes both."""
        self.stopped = True
        for sock in (self.tcp, self.udp):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()


def hostile_folders(into, token, ports):
    """Copies the hostile folders into into, each with the README that
    names the token and the listeners' ports; returns their paths."""
    found = {}
    for name in HOSTILE:
        if name == 'signals' and not SIGNALS_SAFE:
            continue
        shutil.copytree(os.path.join(HOSTILE_ROOT, name), into / name)
        (into / name / 'README.md').write_text(
            'token {} tcp {} udp {}\n'.format(token, *ports))
        found[name] = str(into / name)
    # a submission whose task file is a link to the grader's own
    found['symlink'] = str(into / 'symlink')
    os.mkdir(found['symlink'])
    os.symlink(os.path.join(ROOT, '0-vanilla.py'),
               os.path.join(found['symlink'], '0-vanilla.py'))
    (into / 'symlink' / 'README.md').write_text('# a link\n')
    return found


def snapshot(folders):
    """Returns {path: SHA-256} of every file below folders."""
    found = {}
    for folder in folders:
        for top, _, files in os.walk(folder):
            for name in files:
                path = os.path.join(top, name)
                with open(path, 'rb') as f:
                    found[path] = hashlib.sha256(f.read()).hexdigest()
    return found


def guarded():
    """The project's files the attacks aim at: its task files (the
    reference) and the learner-style folders."""
    found = snapshot([os.path.join(ROOT, 'tests', 'learners')])
    for task in TASKS:
        with open(os.path.join(ROOT, task + '.py'), 'rb') as f:
            found[task] = hashlib.sha256(f.read()).hexdigest()
    return found


def alive(token):
    """The processes whose command line holds the attacks' sleep time."""
    wanted = ('1000.' + token[:6]).encode()
    found = []
    for name in os.listdir('/proc'):
        try:
            with open('/proc/{}/cmdline'.format(name), 'rb') as f:
                if wanted in f.read():
                    found.append(int(name))
        except OSError:
            pass
    return found


def written_outside(token):
    """The files the attacks tried to write outside their folders."""
    places = ['/tmp', '/var/tmp', '/dev/shm', os.path.expanduser('~'),
              '/root', '/']
    return [os.path.join(place, name) for place in places
            for name in ('hostile-' + token, 'late-1000.' + token[:6])
            if os.path.exists(os.path.join(place, name))]


@pytest.fixture
def arena(tmp_path):
    """Hostile folders with a fresh token and listeners; afterwards
    asserts that nothing escaped them."""
    from test_checker import installed
    if not installed('.venv'):
        pytest.skip('no .venv environment: make venv')
    if not sandbox.sandboxed(LAYERS):
        pytest.skip('this host gives no sandbox: ' + sandbox.describe(LAYERS))
    token = '{:012d}'.format(secrets.randbelow(10 ** 12))
    listeners = Listeners()
    before = guarded()
    folders = hostile_folders(tmp_path / 'class', token, listeners.ports)
    originals = snapshot(folders.values())
    # the processes the attacks start, seen while they are graded
    seen, grading = set(), threading.Event()

    def watch():
        """Notes the attacks' processes until the grading ends."""
        while not grading.is_set():
            seen.update(alive(token))
            time.sleep(0.1)
    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    found = {'token': token, 'folders': folders, 'root': tmp_path,
             'graded': set()}
    yield found
    grading.set()
    watcher.join()
    # the attacks did start their processes, and none is left: a daemon's
    # late write would come 20 s after it began (dead long before)
    if 'processes' in found['graded']:
        assert seen, 'the processes attack started none'
    time.sleep(1)
    listeners.stop()
    assert listeners.received == []
    assert alive(token) == []
    assert written_outside(token) == []
    assert guarded() == before
    kept = {path: digest for path, digest in originals.items()
            if any(path.startswith(folder + os.sep)
                   for folder in folders.values())}
    assert snapshot(folders.values()) == kept


def assert_files_only(name, rows):
    """The engine checks of a hostile folder earn nothing: all but
    importing cleanly failed or skipped."""
    for row in rows:
        if row['engine'] and row['check'] != 'imports_cleanly':
            assert row['verdict'] not in ('pass', 'note'), (name, row)


# These attacks reach os, signal and socket with __import__, which the
# judge refuses to run at all (static.reaching_in: every engine check
# fails unrun); the tests below switch that gate off in the judge's
# processes (never in the runner's), as a file that slipped past it would
# be run, so that what they test is the sandbox behind it. In a judge of
# its own process: through this sitecustomize, on PYTHONPATH (a runner's
# environment keeps no PYTHONPATH)
UNGATED = '''import sys
sys.path.insert(0, {!r})
import checker.static
checker.static.reaching_in = lambda folder, task: []
'''.format(ROOT)


def ungated(folder):
    """Returns the environment of a judge with the gate off (its
    sitecustomize written in folder)."""
    folder.mkdir(exist_ok=True)
    (folder / 'sitecustomize.py').write_text(UNGATED)
    return dict(os.environ, PYTHONPATH=str(folder))


@keras2_suite
def test_the_judge_does_not_run_files_that_reach_modules(arena):
    from checker import static
    folders = arena['folders']
    reaching = {name for name, path in folders.items()
                if static.reaching_in(path, '0-vanilla')}
    # every attack but those that need no module (the loop, the memory,
    # the escapes in a message) and the symbolic link reaches a module
    # without importing it
    assert reaching >= set(folders) - {'symlink', 'loop', 'memory',
                                       'escapes'}, reaching
    name = sorted(reaching)[0]
    rows = engines.check_folders({folders[name]: ['0-vanilla']},
                                 ['keras2'], TIMEOUT, 1)[folders[name]]
    for row in rows:
        if row['engine']:
            assert row['verdict'] == 'fail', row
            assert row['message'].startswith('not run: the file reaches '
                                             'modules'), row


@keras2_suite
def test_make_check_gives_hostile_files_nothing(arena, monkeypatch):
    from checker import static
    monkeypatch.setattr(static, 'reaching_in', lambda folder, task: [])
    folders = arena['folders']
    arena['graded'] = set(folders)
    found = engines.check_folders({path: ['0-vanilla']
                                   for name, path in folders.items()
                                   if name != 'loop'}, ['keras2'], TIMEOUT, 1)
    found.update(engines.check_folders({folders['loop']: ['0-vanilla']},
                                       ['keras2'], LOOP_TIMEOUT, 1))
    for name, path in folders.items():
        rows = found[path]
        assert_files_only(name, rows)
        builds = [r for r in rows if r['check'] == 'builds'][0]
        assert builds['verdict'] in ('fail', 'skip'), (name, builds)
    said = {name: [r for r in found[path] if r['verdict'] == 'fail' and
                   r['engine']][0]['message']
            for name, path in folders.items() if name != 'symlink'}
    assert 'every weight of its kernel is 0' in said['forge-pipe']
    assert 'took longer than 8 s' in said['loop']
    assert 'MiB allowed (--memory)' in said['memory']
    assert 'File too large' in said['big-file']
    assert 'ended the process (status 0) before the import finished' in \
        said['exit-early']
    assert [r['verdict'] for r in found[folders['symlink']]
            if r['check'] == 'exists'] == ['fail']


@keras2_suite
def test_a_batch_grades_hostile_learners_without_harm_to_the_class(arena):
    folders, root = arena['folders'], arena['root']
    # the attacks on the grader's own process and limits, whose time limit
    # and results are a batch's like make check's (above), stay out: the
    # batch holds those that reach for the class
    for name in BATCH_LEFT_OUT:
        shutil.rmtree(folders.pop(name))
    arena['graded'] = set(folders)
    # an honest classmate, checking task 0 so far
    honest = root / 'class' / 'honest'
    honest.mkdir()
    for name in ('0-vanilla.py', 'README.md'):
        shutil.copy2(os.path.join(ROOT, 'tests', 'learners', 'functional',
                                  name), honest)
    kept = snapshot([honest])
    out = root / 'grades'
    done = subprocess.run(
        [sys.executable, '-m', 'checker', '--batch', str(root / 'class'),
         '--out', str(out), '--jobs', '2', '--timeout', str(TIMEOUT)],
        cwd=ROOT, capture_output=True, text=True, timeout=900,
        env=ungated(root / 'ungated'))
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith('sandbox: Landlock ABI')
    with open(out / 'honest.json') as f:
        result = json.load(f)
    # the README and every check of task 0, nothing of the missing three
    assert result['score'] == 18, [t for t in result['tests']
                                   if t['score'] < t['max_score']]
    assert all(t['score'] == t['max_score'] for t in result['tests']
               if t['extra_data']['task'] in ('folder', '0-vanilla'))
    assert snapshot([honest]) == kept
    with open(out / 'grades.csv') as f:
        rows = {row['learner']: row for row in csv.DictReader(f)}
    assert rows['honest']['score'] == '18'
    for name in folders:
        with open(out / (name + '.json')) as f:
            result = json.load(f)
        assert int(rows[name]['score']) == result['score']
        assert_files_only(name, [
            {'engine': t['extra_data']['engine'],
             'check': t['extra_data']['check'],
             'verdict': t['extra_data']['verdict']}
            for t in result['tests']])
        # its three missing files, its files' checks and importing: at
        # most the README, 8 file checks and imports_cleanly
        assert result['score'] <= 10, (name, result['score'])


@pytest.fixture(scope='module')
def autograder():
    """Makes the Gradescope autograder's zip from this checkout; returns
    its path."""
    made = subprocess.run(['make', '--no-print-directory', 'autograder',
                           'PYTHON=' + sys.executable], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert made.returncode == 0, made.stdout + made.stderr
    return os.path.join(ROOT, 'dist', 'gradescope-autograder.zip')


@pytest.fixture(scope='module')
def gradescope_source(autograder):
    """The autograder's folder, unpacked from its zip, set up as setup.sh
    does as root (test_platforms.set_up: in a folder every user may
    enter, the runner's users made, its Python readable by them; one for
    the module's tests), or, as another user, under a folder of its own
    with this checkout's environment linked; returns its path."""
    from test_platforms import assert_set_up, open_folder, set_up
    hardening = os.geteuid() == 0 and sandbox.sandboxed(LAYERS)
    folder = open_folder()
    source = pathlib.Path(folder) / 'source'
    try:
        with zipfile.ZipFile(autograder) as z:
            z.extractall(source)
        os.chmod(source / 'run_autograder', 0o755)
        if hardening:
            assert_set_up(source, set_up(source))
        else:
            os.chmod(folder, 0o700)
            os.symlink(os.path.join(ROOT, '.venv'), source / '.venv')
        yield source
    finally:
        shutil.rmtree(folder)


@keras3_suite
@pytest.mark.parametrize('name', ['read-grader', 'forge-pipe', 'symlink'])
def test_the_gradescope_autograder_gives_hostile_files_nothing(
        arena, gradescope_source, name):
    # as root, set up as setup.sh does: the runner's users made, the
    # reference files root's alone
    source = gradescope_source
    if os.geteuid() == 0:
        assert os.stat(source / '0-vanilla.py').st_mode & 0o077 == 0
    root = arena['root'] / 'autograder'
    shutil.copytree(arena['folders'][name], root / 'submission',
                    symlinks=True)
    done = subprocess.run([str(source / 'run_autograder')],
                          env=dict(os.environ, AUTOGRADER_ROOT=str(root)),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    with open(root / 'results' / 'results.json') as f:
        result = json.load(f)
    assert result['output'].startswith('sandbox: Landlock ABI')
    if os.geteuid() == 0:
        from test_platforms import as_runner_user
        assert as_runner_user(result['output'].split('\n')[0]), \
            result['output']
    assert_files_only(name, [{'engine': t['extra_data']['engine'],
                              'check': t['extra_data']['check'],
                              'verdict': t['extra_data']['verdict']}
                             for t in result['tests']])
    assert result['score'] <= 10
    with open(source / '0-vanilla.py', 'rb') as f:
        assert f.read() == open(os.path.join(ROOT, '0-vanilla.py'),
                                'rb').read()


@keras3_suite
def test_a_judge_killed_with_its_process_group_leaves_nothing_running(
        tmp_path):
    """What checker.grade does at its total time (--total): it kills the
    checker's process group with SIGKILL; the runner's supervisor, in a
    session of its own, then stops the runner and everything it
    started."""
    from test_checker import installed
    if not installed('.venv'):
        pytest.skip('no .venv environment: make venv')
    token = '{:012d}'.format(secrets.randbelow(10 ** 12))
    folder = tmp_path / 'submission'
    folder.mkdir()
    (folder / '0-vanilla.py').write_text(
        '#!/usr/bin/env python3\n"""Forks a sleep, then loops."""\n'
        'import tensorflow.keras as keras\n\n'
        'os = __import__("os")\n'
        'if os.fork() == 0:\n'
        '    try:\n'
        '        os.setsid()\n'
        '    except OSError:\n'
        '        pass\n'
        '    os.execv("/bin/sleep", ["sleep", "1000.{}"])\n'
        'while True:\n'
        '    pass\n'.format(token[:6]))
    judge = subprocess.Popen(
        [sys.executable, '-m', 'checker', str(folder), '--engines',
         'keras2', '--tasks', '0-vanilla'], cwd=ROOT,
        stdout=subprocess.DEVNULL, start_new_session=True,
        env=ungated(tmp_path / 'ungated'))
    deadline = time.monotonic() + 120
    while not alive(token) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert alive(token), 'the submission\'s process never started'
    os.killpg(judge.pid, signal.SIGKILL)
    judge.wait()
    for _ in range(100):
        if not alive(token):
            break
        time.sleep(0.1)
    assert alive(token) == []
