"""The self-check on the grading platforms' layouts, simulated in temporary
folders: the Gradescope autograder's zip and its run_autograder, the
PrairieLearn result, a hanging, a memory-hungry and a corrupt submission
each ending in a written result that says so, and the batch of a class
stopped by Ctrl-C and resumed without grading anyone twice.

The grader drives the engines' environments itself, so this runs in the
Keras 3 suite only, beside the Keras 2 suite's longer list (as
test_learners.py does)."""
import csv
import json
import os
import pathlib
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zipfile

import pytest

from conftest import KERAS_3, ROOT, TASKS
from checker import batch, cli, grade, sandbox

pytestmark = pytest.mark.skipif(not KERAS_3, reason='runs in the Keras 3 '
                                'suite')


@pytest.fixture(autouse=True, scope='module')
def grader_environment():
    """Waits for the grader's environment (make test installs it beside
    this suite); skips where there is none."""
    from test_checker import installed
    if not installed('.venv'):
        pytest.skip('no .venv environment: make venv')


GRADESCOPE_KEYS = {'name', 'score', 'max_score', 'status', 'output',
                   'visibility'}


def project_folder(into):
    """Copies the project's four task files and a README into into."""
    into.mkdir(parents=True, exist_ok=True)
    for task in TASKS:
        shutil.copy2(os.path.join(ROOT, task + '.py'), into / (task + '.py'))
    (into / 'README.md').write_text('# Autoencoders\n')
    return into


def run_grade(*arguments, timeout=600):
    """Runs python -m checker.grade with arguments; returns its process."""
    return subprocess.run([sys.executable, '-m', 'checker.grade'] +
                          [str(a) for a in arguments], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout)


def read_result(root):
    """Returns the results.json the grader wrote under root."""
    with open(root / 'results' / 'results.json') as f:
        return json.load(f)


def by_name(result):
    """Returns the result's tests by name."""
    return {test['name']: test for test in result['tests']}


def open_folder():
    """Returns a new folder under the temporary folder that every user
    may enter (pytest's own is its user's alone), which the caller
    removes."""
    folder = tempfile.mkdtemp(prefix='autograder-')
    os.chmod(folder, 0o755)
    return folder


def hide_python(venv, folder):
    """Makes the environment venv run a copy of its Python in folder, a
    folder other users cannot enter, as pyenv's under /root is (a host
    whose environment's Python every user can read does not test the
    set-up's copy otherwise)."""
    from checker import harden
    python, prefix, version = harden.base_python(venv)
    os.makedirs(folder, mode=0o700)
    copied = harden.copy_python(python, prefix, version,
                                os.path.join(folder, 'python'))
    harden.point(venv, python, version, copied)


def set_up(source):
    """Does what setup.sh does, as root, to the autograder's folder source
    (unpacked from the zip, in a folder every user may enter), but for
    making the environment: this checkout's grader's environment
    hard-linked into source/.venv (what checker.harden changes there it
    replaces whole, leaving this checkout's as it is), its Python put out
    of other users' reach where it is not already, then checker.harden;
    returns harden's process. Skips where the environment cannot be
    hard-linked (another file system)."""
    from checker import harden
    venv = os.path.realpath(os.path.join(ROOT, '.venv'))
    linked = subprocess.run(['cp', '-al', venv, str(source / '.venv')],
                            capture_output=True, text=True)
    if linked.returncode:
        pytest.skip('could not hard-link the grader\'s environment into '
                    'the temporary folder: ' + linked.stderr.strip())
    python, prefix, version = harden.base_python(str(source / '.venv'))
    if all(sandbox.reachable(path, 65534, 65534) for path in (
            python, os.path.join(prefix, 'lib', 'python' + version))):
        hide_python(str(source / '.venv'), str(source.parent / 'hidden'))
    return subprocess.run(
        [str(source / '.venv' / 'bin' / 'python'), '-m', 'checker.harden'],
        cwd=source, capture_output=True, text=True, timeout=300)


def test_the_autograder_zip_grades_a_correct_folder_full_marks(tmp_path):
    made = subprocess.run(['make', '--no-print-directory', 'autograder',
                           'PYTHON=' + sys.executable], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert made.returncode == 0, made.stdout + made.stderr
    # as root on a host with a sandbox, set up as setup.sh does, in a
    # folder the runner's users may enter; else the environment linked
    hardening = os.geteuid() == 0 and sandbox.sandboxed(
        sandbox.available())
    if hardening:
        tmp_path = pathlib.Path(open_folder())
    try:
        source = tmp_path / 'source'
        with zipfile.ZipFile(os.path.join(ROOT, 'dist',
                                          'gradescope-autograder.zip')) as z:
            names = z.namelist()
            assert 'setup.sh' in names and 'run_autograder' in names
            for name in ('setup.sh', 'run_autograder'):
                assert z.getinfo(name).external_attr >> 16 & 0o111
            z.extractall(source)
        for name in ('setup.sh', 'run_autograder'):
            os.chmod(source / name, 0o755)
        assert (source / 'checker' / 'grade.py').exists()
        if hardening:
            assert_set_up(source, set_up(source))
        else:
            # the grader's environment, as setup.sh would have made it
            os.symlink(os.path.join(ROOT, '.venv'), source / '.venv')
        root = tmp_path / 'autograder'
        project_folder(root / 'submission')
        done = subprocess.run([str(source / 'run_autograder')],
                              env=dict(os.environ, AUTOGRADER_ROOT=str(root)),
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stdout + done.stderr
        result = read_result(root)
    finally:
        if hardening:
            shutil.rmtree(tmp_path)
    assert result['score'] == grade.max_score() == 69
    assert sum(t['max_score'] for t in result['tests']) == 69
    for test in result['tests']:
        assert GRADESCOPE_KEYS <= set(test), test
        assert test['status'] == 'passed', test
    assert 'TensorFlow 2.15 / Keras 2' in result['output']
    assert 'tensorflow-cpu 2.15.1, keras 2.15.0, numpy 1.25.2' in \
        result['output']
    assert result['execution_time'] > 0
    if hardening:
        assert as_runner_user(result['output'].split('\n')[0]), \
            result['output']


def as_runner_user(line):
    """Whether the sandbox line says the runner runs as the set-up's user
    (or one of them), not as uid 0 or nobody."""
    import re
    return re.search(r', (a )?user (of its own \()?autoencoders-runner\b',
                     line) is not None


def assert_set_up(source, hardened):
    """checker.harden, run on the autograder's folder source by set_up,
    gave the runner its own user, with a copy of the environment's Python
    (which that user could not read), and left this checkout's environment
    as it was."""
    from checker import harden
    said = hardened.stdout.splitlines()
    assert hardened.returncode == 0, hardened.stdout + hardened.stderr
    assert said[-1].startswith('sandbox: Landlock'), hardened.stdout
    assert as_runner_user(said[-1]), hardened.stdout
    assert said[0].startswith('python: autoencoders-runner cannot read '), \
        hardened.stdout
    assert os.path.join(str(source), '.venv-python', '') in said[0], said
    python = os.path.realpath(source / '.venv' / 'bin' / 'python')
    assert python.startswith(str(source / '.venv-python') + os.sep)
    for name in harden.runner_users():
        found = pwd.getpwnam(name)
        assert found.pw_shell.endswith('nologin') and not os.path.isdir(
            found.pw_dir), found
    # the reference files are root's alone; this checkout's environment
    # still runs the Python it was made from
    assert os.stat(source / '0-vanilla.py').st_mode & 0o077 == 0
    with open(os.path.join(ROOT, '.venv', 'pyvenv.cfg')) as f:
        assert '.venv-python' not in f.read()
    assert not os.path.realpath(os.path.join(
        ROOT, '.venv', 'bin', 'python')).startswith(str(source))


def tiny_elf(path, runpath):
    """Writes at path the smallest 64-bit ELF file with a dynamic section
    whose RUNPATH is runpath."""
    import struct
    text = b'\0' + runpath.encode() + b'\0'
    dynamic = struct.pack('<qQqQqQ', 5, 224, 29, 1, 0, 0)
    size = 224 + len(text)
    header = b'\x7fELF' + bytes([2, 1, 1]) + bytes(9) + struct.pack(
        '<HHIQQQIHHHHHH', 3, 62, 1, 0, 64, 0, 0, 64, 56, 2, 0, 0, 0)
    loads = struct.pack('<IIQQQQQQ', 1, 4, 0, 0, 0, size, size, 4096)
    dynamic_header = struct.pack('<IIQQQQQQ', 2, 4, 176, 176, 176,
                                 len(dynamic), len(dynamic), 8)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'wb') as f:
        f.write(header + loads + dynamic_header + dynamic + text)


def test_a_copied_python_finds_its_libraries_beside_it(tmp_path):
    from checker import harden
    old, new = '/opt/old-python', str(tmp_path / 'copy')
    binary = os.path.join(new, 'bin', 'python3.11')
    tiny_elf(binary, old + '/lib:/usr/lib/extra')
    assert [text for _, text in harden.elf_paths(binary)] == [
        old + '/lib:/usr/lib/extra']
    harden.relocate(binary, old, new)
    assert [text for _, text in harden.elf_paths(binary)] == [
        '$ORIGIN/../lib:/usr/lib/extra']
    # a path too short to hold its relative form: said, not cut
    tiny_elf(binary, '/o/lib')
    with pytest.raises(harden.Unreadable, match='too short'):
        harden.relocate(binary, '/o', new)
    assert harden.elf_paths(os.path.join(ROOT, 'Makefile')) == []


def test_the_set_up_says_what_to_do_where_the_grader_is_out_of_reach():
    from checker import harden
    folder = open_folder()
    try:
        said = out_of_reach(pathlib.Path(folder) / 'home')
    finally:
        shutil.rmtree(folder)
    assert str(said) == (
        'someone cannot enter {} (mode 700), above the environment {}: put '
        'the grader in a folder every user may enter (clone it under /opt '
        'or /srv, say), make its environments there (make venv-core) and '
        'run checker.harden there'.format(os.path.join(folder, 'home'),
                                          os.path.join(folder, 'home',
                                                       'grader', '.venv')))
    assert isinstance(said, harden.Unreadable)


def out_of_reach(private):
    """Makes an environment in the folder private, mode 700, and returns
    what the set-up raises for a user that cannot enter it."""
    from checker import harden
    venv = private / 'grader' / '.venv'
    os.makedirs(venv / 'bin')
    os.symlink(sys.executable, venv / 'bin' / 'python')
    (venv / 'pyvenv.cfg').write_text('home = {}\nversion_info = {}.{}.0\n'
                                     .format(os.path.dirname(sys.executable),
                                             *sys.version_info[:2]))
    os.chmod(private, 0o700)
    owner = os.stat(private).st_uid
    user = ('someone', owner + 54321, owner + 54321)
    with pytest.raises(harden.Unreadable) as said:
        harden.give_python(str(venv), user)
    return said.value


def test_a_hanging_and_a_memory_hungry_file_end_in_a_written_result(
        tmp_path):
    root = tmp_path / 'autograder'
    folder = project_folder(root / 'submission')
    with open(folder / '0-vanilla.py', 'a') as f:
        f.write('while True:\n    pass\n')
    with open(folder / '1-sparse.py', 'a') as f:
        # about 3 GiB, touched: resident at once
        f.write("HOARD = b'x' * (3 << 30)\n")
    done = run_grade('gradescope', '--root', root, '--engines', 'keras2',
                     '--timeout', 8, '--memory', 1500)
    assert done.returncode == 0, done.stderr
    tests = by_name(read_result(root))
    hang = tests['0-vanilla [keras2]: imports_cleanly']
    assert hang['score'] == 0
    assert 'took longer than 8 s (the time limit' in hang['output']
    hoard = tests['1-sparse [keras2]: imports_cleanly']
    assert hoard['score'] == 0
    assert 'MiB allowed (--memory)' in hoard['output']
    # the other two tasks are graded as usual
    assert tests['2-convolutional [keras2]: structure']['score'] == 1
    assert tests['3-variational [keras2]: vae_loss']['score'] == 1


def test_a_grading_over_its_total_time_is_a_written_result(tmp_path):
    root = tmp_path / 'autograder'
    folder = project_folder(root / 'submission')
    with open(folder / '0-vanilla.py', 'a') as f:
        f.write('while True:\n    pass\n')
    began = time.monotonic()
    done = run_grade('gradescope', '--root', root, '--engines', 'keras2',
                     '--total', 3)
    assert done.returncode == 0, done.stderr
    assert time.monotonic() - began < 60
    result = read_result(root)
    assert result['score'] == 0
    [test] = result['tests']
    assert test['max_score'] == 69 and test['status'] == 'failed'
    assert test['output'].startswith('the grading took longer than 3 s in '
                                     'all (the total time limit)')


def test_corrupt_and_empty_submissions_get_a_result_that_says_why(tmp_path):
    root = tmp_path / 'autograder'
    folder = root / 'submission'
    folder.mkdir(parents=True)
    (folder / '0-vanilla.py').write_bytes(bytes(range(256)) * 8)
    (folder / '1-sparse.py').write_text('#!/usr/bin/env python3\n' + '#' * (
        50 << 20) + '\n')
    done = run_grade('gradescope', '--root', root, '--engines')
    assert done.returncode == 0, done.stderr
    result = read_result(root)
    tests = by_name(result)
    assert tests['0-vanilla: exists']['score'] == 0
    assert tests['0-vanilla: exists']['output'].startswith(
        '0-vanilla.py is not Python text: byte 128 is not UTF-8')
    assert tests['1-sparse: exists']['score'] == 0
    assert tests['1-sparse: exists']['output'].startswith(
        '1-sparse.py is 50.0 MiB, more than the 1 MiB')
    assert '1-sparse.py is 50.0 MiB, more than the 1 MiB a task file may ' \
        'be' in result['output']
    assert tests['3-variational: exists']['output'].startswith(
        'no 3-variational.py in the submission')
    # nothing to grade: PrairieLearn's "not gradable", with the reason
    root = tmp_path / 'grade'
    (root / 'student').mkdir(parents=True)
    (root / 'student' / 'notes.txt').write_text('hello\n')
    done = run_grade('prairielearn', '--root', root, '--engines')
    assert done.returncode == 0, done.stderr
    result = read_result(root)
    assert result['gradable'] is False
    assert result['message'].startswith('no task file in the submission')
    assert '(found: notes.txt)' in result['message']


def test_prairielearn_scores_from_0_to_1_with_points_per_test(tmp_path):
    root = tmp_path / 'grade'
    folder = project_folder(root / 'student' / 'autoencoders')
    os.chmod(folder / '2-convolutional.py', 0o644)
    done = run_grade('prairielearn', '--root', root, '--engines')
    assert done.returncode == 0, done.stderr
    result = read_result(root)
    assert result['gradable'] is True
    assert result['score'] == pytest.approx(32 / 33, abs=1e-4)
    tests = by_name(result)
    failed = [name for name, test in tests.items()
              if test['points'] < test['max_points']]
    assert failed == ['2-convolutional: executable']
    assert tests['2-convolutional: executable']['message'] == \
        'the file is not executable'
    assert 'graded the folder autoencoders' in result['output']


def test_the_gradescope_schema_marks_keras3_as_not_counted():
    rows = [{'task': '0-vanilla', 'engine': 'keras2', 'check': 'builds',
             'verdict': 'pass', 'message': 'built', 'hint': ''},
            {'task': '0-vanilla', 'engine': 'keras3', 'check': 'builds',
             'verdict': 'fail', 'message': 'raised ValueError', 'hint': ''}]
    report = cli.gradescope(rows, 1.0)

    class Args:
        engines, visibility = [], 'after_due_date'
    result = grade.gradescope(report, Args, [], None, 2.0)
    tests = by_name(result)
    counted = tests['0-vanilla [keras2]: builds']
    assert (counted['score'], counted['max_score']) == (1, 1)
    newest = tests['0-vanilla [keras3]: builds (not counted)']
    assert (newest['score'], newest['max_score']) == (0, 0)
    assert newest['output'].startswith('not counted: the newest TensorFlow')
    assert result['score'] == 1
    assert {t['visibility'] for t in result['tests']} == {'after_due_date'}


def test_a_batch_stopped_by_ctrl_c_resumes_without_grading_anyone_twice(
        tmp_path):
    submissions = tmp_path / 'class'
    for n in range(20):
        folder = project_folder(submissions / 'learner{:02d}'.format(n))
        if n % 4 == 1:
            # a slip: no shebang in 0-vanilla.py
            text = (folder / '0-vanilla.py').read_text()
            (folder / '0-vanilla.py').write_text(text.split('\n', 1)[1])
    out = tmp_path / 'grades'
    command = [sys.executable, '-m', 'checker', '--batch', str(submissions),
               '--engines', '--jobs', '2', '--out', str(out)]
    # the first run one learner at a time, so that a busy host's delay in
    # this loop cannot let it finish before Ctrl-C
    # (with Ctrl-C's default action, which a suite started in the
    # background of a shell inherits ignored)
    first = subprocess.Popen(command[:-3] + ['1'] + command[-2:], cwd=ROOT,
                             stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True,
                             preexec_fn=lambda: signal.signal(
                                 signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 120
    while len(list(out.glob('*.json'))) < 3 and \
            time.monotonic() < deadline:
        time.sleep(0.1)
    first.send_signal(signal.SIGINT)
    said = first.communicate(timeout=120)[0]
    assert first.returncode == 130, said
    assert 'stopped:' in said
    graded = {path.name: path.stat().st_mtime_ns
              for path in out.glob('*.json')}
    assert 3 <= len(graded) < 20
    assert not list(out.glob('.tmp*'))
    with open(out / 'grades.csv') as f:
        assert len(list(csv.DictReader(f))) == len(graded)
    again = subprocess.run(command, cwd=ROOT, capture_output=True,
                           text=True, timeout=600)
    assert again.returncode == 0, again.stdout + again.stderr
    assert '{} already graded, {} to grade'.format(
        len(graded), 20 - len(graded)) in again.stdout
    for name, stamp in graded.items():
        assert (out / name).stat().st_mtime_ns == stamp, name
    with open(out / 'grades.csv') as f:
        rows = list(csv.DictReader(f))
    assert [row['learner'] for row in rows] == batch.learners(
        str(submissions))
    for row in rows:
        slipped = int(row['learner'][-2:]) % 4 == 1
        assert row['max_score'] == '33'
        assert row['score'] == ('32' if slipped else '33'), row
        if slipped:
            assert row['first_failure'].startswith(
                "0-vanilla: shebang: first line '"), row
            assert row['first_failure'].endswith(
                "the specification asks for exactly '#!/usr/bin/env "
                "python3'"), row
        else:
            assert row['first_failure'] == '', row


def workflow_step(path, name):
    """Returns the shell script of the step called name in the workflow at
    path (its `run: |` block, dedented)."""
    with open(path) as f:
        lines = f.read().split('\n')
    start = lines.index('      - name: {}'.format(name))
    run = next(n for n in range(start, len(lines))
               if lines[n].strip() == 'run: |')
    script = []
    for line in lines[run + 1:]:
        if line.strip() and not line.startswith(' ' * 10):
            break
        script.append(line[10:])
    return '\n'.join(script)


def test_the_classroom_workflow_reports_points_in_the_reporters_format(
        tmp_path):
    import base64
    workflow = os.path.join(ROOT, 'platforms', 'classroom', 'classroom.yml')
    with open(workflow) as f:
        text = f.read()
    assert 'make -C grader venv-core' in text
    assert 'SELF-CHECK_RESULTS: ${{ steps.self-check.outputs.result }}' \
        in text
    # the runner's workspace: the learner's repository (one slip) and the
    # grader checked out beside it
    folder = project_folder(tmp_path / 'submission')
    os.chmod(folder / '3-variational.py', 0o644)
    os.symlink(ROOT, tmp_path / 'grader')
    output = tmp_path / 'github_output'
    done = subprocess.run(
        ['bash', '-e', '-c', workflow_step(workflow, 'Self-check')],
        cwd=str(tmp_path), capture_output=True, text=True, timeout=300,
        env=dict(os.environ, GITHUB_WORKSPACE=str(tmp_path),
                 GITHUB_OUTPUT=str(output), GRADER_FLAGS='--engines'))
    assert done.returncode == 0, done.stdout + done.stderr
    key, _, value = output.read_text().strip().partition('=')
    assert key == 'result'
    result = json.loads(base64.b64decode(value))
    assert result['version'] == 1 and result['status'] == 'fail'
    assert result['max_score'] == len(result['tests']) == 33
    failed = [t for t in result['tests'] if t['status'] != 'pass']
    assert [t['name'] for t in failed] == ['3-variational: executable']
    assert failed[0]['message'].startswith('the file is not executable')
    # the reporter's score: the passed tests' share of max_score
    passed = sum(t['status'] == 'pass' for t in result['tests'])
    assert passed / len(result['tests']) * result['max_score'] == 32


def test_each_defect_of_the_corpus_loses_exactly_its_points(tmp_path):
    # the learner-style folders with mistakes, graded as a class: each
    # learner's JSON (the platforms' schema) fails exactly the checks the
    # self-check fails there, each with its message
    from test_learners import FAILURES, LEARNERS
    submissions = tmp_path / 'class'
    submissions.mkdir()
    chosen = ('defects', 'slips')
    for name in chosen:
        os.symlink(os.path.join(LEARNERS, name), submissions / name)
    out = tmp_path / 'grades'
    done = subprocess.run(
        [sys.executable, '-m', 'checker', '--batch', str(submissions),
         '--jobs', '2', '--out', str(out)], cwd=ROOT, capture_output=True,
        text=True, timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    for name in chosen:
        with open(out / (name + '.json')) as f:
            result = json.load(f)
        failed = {}
        for test in result['tests']:
            data = test['extra_data']
            if test['max_score'] and test['score'] < test['max_score'] \
                    and data['verdict'] != 'skip':
                failed[data['task'], data['engine'], data['check']] = \
                    test['output']
        assert set(failed) == set(FAILURES[name]), (name, failed)
        for key, fragment in FAILURES[name].items():
            assert fragment in failed[key], (key, failed[key])
        assert result['score'] == sum(t['max_score'] for t in
                                      result['tests']) - sum(
            1 for t in result['tests'] if t['max_score'] and
            t['score'] < t['max_score'])
