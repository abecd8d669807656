"""The runner's sandbox (checker.sandbox) on a small hostile script run by
the system's Python (no TensorFlow: each run takes a fraction of a second),
as the grader's user, as an unprivileged user of its own where the tests
run as root, and as an unprivileged grader; and the pipe's frames
(checker.protocol), which the judge reads without trusting them."""
import io
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading

import numpy as np
import pytest

from conftest import KERAS_3, ROOT
from checker import engines, protocol, sandbox

PYTHON = '/usr/bin/python3'
LAYERS = sandbox.available([PYTHON])
needs_sandbox = pytest.mark.skipif(
    not sandbox.sandboxed(LAYERS) or not os.path.exists(PYTHON),
    reason='this host gives no sandbox (Landlock and seccomp), or has no '
    '/usr/bin/python3')

# each attempt prints its name and 'ALLOWED' or 'blocked'
ATTACK = r'''
import os, socket, sys, time
def attempt(name, action):
    try:
        action()
        print(name, 'ALLOWED', flush=True)
    except Exception as error:
        print(name, 'blocked', type(error).__name__, flush=True)
secret, outside, scratch, port = sys.argv[1:5]
attempt('read', lambda: open(secret).read())
attempt('list', lambda: os.listdir(os.path.dirname(secret)))
attempt('write', lambda: open(outside, 'w').write('x'))
attempt('scratch', lambda: open(os.path.join(scratch, 'ok'), 'w').write('x'))
attempt('tcp', lambda: socket.create_connection(('127.0.0.1', int(port)), 2))
attempt('udp', lambda: socket.socket(socket.AF_INET,
        socket.SOCK_DGRAM).sendto(b'x', ('127.0.0.1', int(port))))
attempt('unix', lambda: socket.socket(socket.AF_UNIX))
attempt('signal', lambda: os.kill(int(sys.argv[5]), 0))
attempt('big', lambda: open(os.path.join(scratch, 'big'), 'wb').write(
    b'x' * (3 << 20)))
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execv('/bin/sleep', ['sleep', sys.argv[6]])
    os._exit(0)
time.sleep(0.2)
'''


@pytest.fixture
def open_tmp():
    """A folder every user can reach (pytest's own is its user's only)."""
    folder = tempfile.mkdtemp(prefix='sandbox-test-')
    os.chmod(folder, 0o755)
    yield __import__('pathlib').Path(folder)
    shutil.rmtree(folder)


def run_attack(tmp_path, layers, as_user=None):
    """Runs ATTACK under the sandbox with layers; returns {attempt:
    'ALLOWED' or 'blocked'}, the secret's folder and the sleep's time."""
    secret_folder = tmp_path / 'grader'
    secret_folder.mkdir()
    (secret_folder / 'reference.py').write_text('SECRET = 1\n')
    scratch = tmp_path / 'scratch'
    scratch.mkdir()
    script = scratch / 'attack.py'
    script.write_text(ATTACK)
    if layers['user'] or as_user:
        uid = (layers['user'] or as_user)[1]
        os.chmod(tmp_path, 0o755)
        os.chown(scratch, uid, uid)
        os.chmod(secret_folder, 0o700)
    listener = socket.socket()
    listener.bind(('127.0.0.1', 0))
    listener.listen()
    listener.settimeout(0.5)
    seconds = '1000.{}'.format(os.getpid())
    policy = {'layers': layers, 'enforce': True,
              'read': list(sandbox.SYSTEM_READ) + [str(script)],
              'write': list(sandbox.SYSTEM_WRITE) + [str(scratch)],
              # (root's runner is one of the runner's users, which the
              # supervisor takes: it makes the scratch folder that one's)
              'scratch': str(scratch),
              'limits': {'cpu': 30, 'file': 1 << 20, 'processes': 256},
              'environment': {'PATH': '/usr/bin:/bin',
                              'HOME': str(scratch)}}
    command = [PYTHON if as_user else sys.executable,
               os.path.join(ROOT, 'checker', 'sandbox.py'),
               json.dumps(policy), '--', PYTHON, str(script),
               str(secret_folder / 'reference.py'),
               str(tmp_path / 'outside'), str(scratch),
               str(listener.getsockname()[1]), str(os.getpid()), seconds]

    def demote():
        """Runs the supervisor itself as the unprivileged user."""
        os.setgid(as_user[2])
        os.setuid(as_user[1])
    done = subprocess.run(command, capture_output=True, text=True,
                          timeout=60, preexec_fn=demote if as_user else None)
    assert done.returncode == 0, done.stderr
    try:
        connection, _ = listener.accept()
        received = connection.recv(10)
    except OSError:
        received = None
    listener.close()
    found = dict(line.split()[:2] for line in done.stdout.splitlines())
    return found, received, seconds, tmp_path


def still_running(seconds):
    """Whether a process of the attack is alive (its sleep)."""
    for name in os.listdir('/proc'):
        try:
            with open('/proc/{}/cmdline'.format(name), 'rb') as f:
                if seconds.encode() in f.read():
                    return True
        except OSError:
            pass
    return False


def assert_contained(found, received, seconds, tmp_path):
    """The attack read, wrote, sent, signalled and left nothing."""
    assert found == {'read': 'blocked', 'list': 'blocked',
                     'write': 'blocked', 'scratch': 'ALLOWED',
                     'tcp': 'blocked', 'udp': 'blocked', 'unix': 'blocked',
                     'signal': 'blocked', 'big': 'blocked'}, found
    assert received is None
    assert not (tmp_path / 'outside').exists()
    assert not still_running(seconds)


@needs_sandbox
def test_the_sandbox_as_the_hosts_layers_give_it(open_tmp):
    assert_contained(*run_attack(open_tmp, LAYERS))


@needs_sandbox
@pytest.mark.skipif(os.geteuid() != 0, reason='needs root')
def test_the_sandbox_of_an_unprivileged_grader(open_tmp, monkeypatch):
    # the grader runs as nobody, which may not enter this checkout (a
    # clone under /root): it runs its own copy of checker/, in a folder
    # it can read
    copy = open_tmp / 'grader-copy'
    os.makedirs(copy / 'checker')
    for name in os.listdir(os.path.join(ROOT, 'checker')):
        if name.endswith('.py'):
            shutil.copy(os.path.join(ROOT, 'checker', name),
                        copy / 'checker' / name)
    readable = [copy, copy / 'checker'] + list((copy / 'checker').iterdir())
    for path in readable:
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    monkeypatch.setattr(sys.modules[__name__], 'ROOT', str(copy))
    unprivileged = dict(LAYERS, root=False, user=None, namespaces=False)
    assert_contained(*run_attack(open_tmp, unprivileged,
                                 as_user=('nobody', 65534, 65534)))


@needs_sandbox
@pytest.mark.skipif(os.geteuid() != 0, reason='needs root')
def test_root_runs_the_runner_as_an_unprivileged_user(open_tmp):
    layers = dict(LAYERS, user=sandbox.runner_user())
    found = run_attack(open_tmp, layers)
    assert_contained(*found)
    line = sandbox.describe(layers)
    assert 'mount, network, IPC and PID namespaces' in line
    assert layers['user'][0] in line
    assert 'uid 0' not in line


def test_a_host_without_a_sandbox_is_said_in_one_line():
    line = sandbox.describe({'landlock': 0, 'seccomp': True, 'root': False,
                             'user': None, 'user_problem': '',
                             'namespaces': False})
    assert line.startswith('sandbox: none on this host (no Landlock)')
    assert '\n' not in line


def test_reachable_follows_every_folder_above(tmp_path):
    private = tmp_path / 'private'
    private.mkdir()
    (private / 'file').write_text('x')
    os.chmod(private, 0o700)
    os.chmod(tmp_path, 0o755)
    owner = os.stat(private).st_uid
    assert sandbox.reachable(str(private / 'file'), owner, owner)
    assert not sandbox.reachable(str(private / 'file'), owner + 12345,
                                 owner + 12345)


def frames_of(data):
    """Returns every frame of data, as the judge reads them."""
    reader, found = protocol.Reader(io.BytesIO(data)), []
    while True:
        frame = reader.read()
        if frame is None:
            return found
        found.append(frame)


def test_frames_carry_json_and_arrays_whole():
    data = protocol.encode({'kind': 'check', 'check': 'builds'},
                           {'w': np.arange(6, dtype=np.float32).reshape(2, 3)})
    data += protocol.encode({'kind': 'lines', 'lines': ['0.5']})
    first, second = frames_of(data)
    assert first['header']['check'] == 'builds'
    assert first['w'].tolist() == [[0, 1, 2], [3, 4, 5]]
    assert second['header']['lines'] == ['0.5']


def test_the_judge_refuses_pickles_oversized_and_broken_frames():
    header = json.dumps({'arrays': ['a']}).encode()
    pickled = io.BytesIO()
    np.save(pickled, np.array([{'x': 1}], dtype=object), allow_pickle=True)
    length = struct.Struct('<Q')
    with pytest.raises(protocol.ProtocolError, match='not a .npy'):
        frames_of(length.pack(len(header)) + header +
                  length.pack(pickled.tell()) + pickled.getvalue())
    with pytest.raises(protocol.ProtocolError, match='beyond the limit'):
        frames_of(length.pack(protocol.HEADER_LIMIT + 1) + b'{}')
    with pytest.raises(protocol.ProtocolError, match='not JSON'):
        frames_of(length.pack(3) + b'{x]')
    with pytest.raises(protocol.ProtocolError, match='not a frame'):
        frames_of(length.pack(2) + b'[]')
    with pytest.raises(protocol.ProtocolError, match='ended inside'):
        frames_of(protocol.encode({'kind': 'x'})[:-1])


def test_a_conversation_is_bounded():
    data = protocol.encode({'kind': 'x'}, {'a': np.zeros(1000)}) * 3
    reader = protocol.Reader(io.BytesIO(data), total=len(data) // 2)
    reader.read()
    with pytest.raises(protocol.ProtocolError, match='beyond the limit'):
        reader.read()


def test_reading_a_pipe_never_blocks_on_a_broken_frame():
    read_end, write_end = os.pipe()
    frames, broken = [], []
    reader = threading.Thread(target=engines.read_frames, args=(
        os.fdopen(read_end, 'rb'), frames, broken))
    reader.start()
    with os.fdopen(write_end, 'wb') as f:
        f.write(protocol.encode({'kind': 'begin'}))
        f.write(b'\xff' * 8 + b'garbage' * 100000)
    reader.join(timeout=10)
    assert not reader.is_alive()
    assert [f['header']['kind'] for f in frames] == ['begin']
    assert 'beyond the limit' in broken[0]


def test_the_set_up_leaves_the_reference_to_root_and_the_rest_readable(
        tmp_path):
    from checker import harden
    for task in ('0-vanilla', '3-variational'):
        (tmp_path / (task + '.py')).write_text('# the reference\n')
    harden.private(str(tmp_path))
    assert os.stat(tmp_path / '0-vanilla.py').st_mode & 0o777 == 0o700
    environment = tmp_path / 'env' / 'bin'
    environment.mkdir(parents=True)
    (environment / 'tool').write_text('#!/bin/sh\n')
    os.chmod(environment / 'tool', 0o700)
    os.chmod(environment, 0o700)
    harden.readable(str(tmp_path / 'env'))
    assert os.stat(environment).st_mode & 0o777 == 0o755
    assert os.stat(environment / 'tool').st_mode & 0o777 == 0o755


@pytest.mark.skipif(KERAS_3, reason='runs in the Keras 2 suite')
def test_a_host_without_landlock_checks_ones_own_files_but_grades_no_class(
        tmp_path, monkeypatch, capsys):
    from checker import batch, cli, grade
    monkeypatch.setattr(sandbox, 'landlock_abi', lambda: 0)
    folder = tmp_path / 'mine'
    folder.mkdir()
    (folder / 'README.md').write_text('# mine\n')
    shutil.copy2(os.path.join(ROOT, '0-vanilla.py'), folder)
    # make check on one's own files: runs, and says so first
    with pytest.raises(SystemExit) as stop:
        cli.main([str(folder), '--engines', 'keras2', '--tasks',
                  '0-vanilla'])
    said = capsys.readouterr().out
    if engines.interpreter('keras2'):
        assert said.startswith('sandbox: none on this host (no Landlock): '
                               'the learner\'s code runs with this user\'s '
                               'files, network and processes in reach\n')
        assert 'ok   0-vanilla [keras2]       builds' in said
        assert stop.value.code == 0
    # a class: refused, saying why, unless --unsandboxed
    args = cli.parse_args([str(tmp_path), '--batch', '--engines', 'keras2',
                           '--out', str(tmp_path / 'grades')])
    with pytest.raises(SystemExit) as stop:
        batch.main(args)
    said = capsys.readouterr().out
    if engines.interpreter('keras2'):
        assert stop.value.code == 2
        assert said.startswith('not graded: sandbox: none on this host')
        assert 'pass --unsandboxed to grade anyway' in said
        assert not (tmp_path / 'grades').exists()
        root = tmp_path / 'autograder'
        (root / 'submission').mkdir(parents=True)
        result = grade.grade(grade.parse_args(['gradescope', '--root',
                                               str(root)]))
        assert result['score'] == 0
        assert result['tests'][0]['output'].startswith(
            'not graded: sandbox: none on this host')
