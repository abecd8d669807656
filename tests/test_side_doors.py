"""The sandbox's side doors (checker.sandbox), shut: socket pairs and
socket files, System V and POSIX IPC, the keyrings, /proc, shared memory
the memory limit did not see, an unbounded scratch folder, setsid and the
process slots a classmate needs, uid 0, and what a runner leaves for the
judge to remove.

The fast tests run small scripts under the system's Python through a copy
of checker/sandbox.py that every user can read, as the host's grader
(root here) and as an unprivileged grader (nobody, where the tests run as
root). The slow ones grade the folders of tests/hostile/side-doors (a
correct model and an attack in one task file) through make check's
checker and python -m checker --batch beside an honest classmate."""
import json
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

import pytest

from conftest import KERAS_3, ROOT
from checker import engines, sandbox
from test_hostile import alive, ungated

PYTHON = '/usr/bin/python3'
NOBODY = ('nobody', 65534, 65534)
LAYERS = sandbox.available([PYTHON])
keras2_suite = pytest.mark.skipif(KERAS_3, reason='runs in the Keras 2 '
                                  'suite')
needs_sandbox = pytest.mark.skipif(
    not sandbox.sandboxed(LAYERS) or not os.path.exists(PYTHON),
    reason='this host gives no sandbox (Landlock and seccomp), or has no '
    '/usr/bin/python3')
pytestmark = [keras2_suite, needs_sandbox]
GRADERS = ['root', 'unprivileged'] if os.geteuid() == 0 else \
    ['unprivileged']

# each attempt prints its name, then 'ALLOWED' or 'blocked'; then what it
# sees of the host
DOORS = r'''
import ctypes, os, platform, socket, sys
token, listening, judge = sys.argv[1:4]
LIBC = ctypes.CDLL(None, use_errno=True)
LIBC.syscall.restype = ctypes.c_long
CALLS = {'x86_64': {'mq_open': 240, 'add_key': 248, 'keyctl': 250},
         'aarch64': {'mq_open': 180, 'add_key': 217, 'keyctl': 219}}[
    platform.machine()]
KEY = int(token[:8])

def attempt(name, action):
    try:
        action()
        print(name, 'ALLOWED', flush=True)
    except Exception as error:
        print(name, 'blocked', type(error).__name__, flush=True)

def call(result):
    if result < 0:
        raise OSError(ctypes.get_errno(), 'refused')
    return result

def pair():
    one, _ = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    one.sendto(token.encode(), listening)

attempt('socketpair', pair)
if sys.argv[4:] == ['control']:
    sys.exit()
attempt('unix', lambda: socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM))
attempt('shm', lambda: call(LIBC.shmget(KEY, 1 << 20, 0o1666)))
attempt('msg', lambda: call(LIBC.msgget(KEY + 1, 0o1666)))
attempt('sem', lambda: call(LIBC.semget(KEY + 2, 1, 0o1666)))
attempt('mqueue', lambda: call(LIBC.syscall(
    CALLS['mq_open'], ('ae-' + token).encode(), os.O_CREAT | os.O_RDWR,
    0o600, None)))
attempt('add_key', lambda: call(LIBC.syscall(
    CALLS['add_key'], b'user', ('ae-' + token).encode(), b'secret', 6,
    -4)))
attempt('keyctl', lambda: call(LIBC.syscall(CALLS['keyctl'], 0, -4, 1)))
attempt('memfd', lambda: os.memfd_create('ae'))
attempt('setsid', os.setsid)
attempt('judge', lambda: open('/proc/{}/cmdline'.format(judge)).read())
print('pids', len([n for n in os.listdir('/proc') if n.isdigit()]))
status = dict(line.split(':', 1) for line in open('/proc/self/status'))
print('uid', status['Uid'].split()[0])
print('caps', int(status['CapEff'], 16))
for kind in ('ipc', 'net', 'mnt', 'pid'):
    print(kind, os.readlink('/proc/self/ns/' + kind).replace(' ', ''))
'''

# fills its scratch folder: files, then bytes, then folders in folders
FLOOD = r'''
import os, sys
scratch = sys.argv[1]
made = 0
try:
    for n in range(200000):
        os.close(os.open(os.path.join(scratch, 'f{}'.format(n)),
                         os.O_CREAT | os.O_WRONLY))
        made += 1
except OSError:
    pass
print('files', made, flush=True)
for n in range(made):
    os.unlink(os.path.join(scratch, 'f{}'.format(n)))
written = 0
try:
    for n in range(64):
        with open(os.path.join(scratch, 'b{}'.format(n)), 'wb') as f:
            for _ in range(4):
                f.write(b'x' * (1 << 18))
                f.flush()
                written += 1 << 18
except OSError:
    pass
print('bytes', written, flush=True)
'''

# takes every process slot it can, says how many, and holds them
HOG = r'''
import os, sys, time
held = 0
try:
    while held < 4096:
        if os.fork() == 0:
            time.sleep(120)
            os._exit(0)
        held += 1
except OSError:
    pass
print('held', held, flush=True)
time.sleep(120)
'''

# what an honest classmate's TensorFlow does once it has begun (said
# 'ready' and been told to go): threads, and a few processes
HONEST = r'''
import os, sys, threading, time
print('ready', flush=True)
sys.stdin.readline()
threads = [threading.Thread(target=time.sleep, args=(0.5,))
           for _ in range(48)]
for thread in threads:
    thread.start()
children = []
for _ in range(8):
    pid = os.fork()
    if pid == 0:
        time.sleep(0.2)
        os._exit(0)
    children.append(pid)
for pid in children:
    os.waitpid(pid, 0)
for thread in threads:
    thread.join()
print('honest ok', flush=True)
'''


@pytest.fixture
def box():
    """A folder every user can reach, with a copy of checker/sandbox.py
    (a clone under /root, say, is not every user's) and a scratch folder;
    removed afterwards, whatever was left in it."""
    folder = tempfile.mkdtemp(prefix='side-doors-')
    os.chmod(folder, 0o755)
    shutil.copy2(os.path.join(ROOT, 'checker', 'sandbox.py'), folder)
    os.chmod(os.path.join(folder, 'sandbox.py'), 0o644)
    os.mkdir(os.path.join(folder, 'scratch'))
    yield folder
    sandbox.remove_tree(folder)


def layers_of(grader, box):
    """Returns the layers a runner gets from a grader: root (this host's
    layers) or an unprivileged one (nobody: a user namespace where the
    host gives nobody one)."""
    if grader == 'root':
        return LAYERS
    probe = subprocess.run([PYTHON, '-I', '-B', os.path.join(
        box, 'sandbox.py'), '--probe'], capture_output=True, text=True,
        preexec_fn=as_nobody, timeout=60)
    return dict(LAYERS, root=False, user=None, cgroup=[], opened=[],
                namespaces='user' if probe.returncode == 0 else '',
                namespaces_problem=probe.stderr.strip())


def as_nobody():
    """Makes this (forked) process nobody, before it execs."""
    os.setgroups([])
    os.setgid(NOBODY[2])
    os.setuid(NOBODY[1])


def start(grader, box, layers, script, arguments, limits=None):
    """Starts script under the sandbox (the supervisor as grader) with
    arguments; returns the process (its input and output piped)."""
    path = os.path.join(box, 'script-{}.py'.format(len(os.listdir(box))))
    with open(path, 'w') as f:
        f.write(script)
    os.chmod(path, 0o644)
    scratch = os.path.join(box, 'scratch')
    if grader != 'root' or not layers['namespaces']:
        os.chmod(scratch, 0o777)
    policy = {'layers': layers, 'enforce': True,
              'read': list(sandbox.SYSTEM_READ) + [path],
              'write': list(sandbox.SYSTEM_WRITE) + [scratch],
              'scratch': scratch,
              'limits': dict({'cpu': 60, 'file': 1 << 20,
                              'processes': 128, 'scratch': 4 << 20,
                              'inodes': 1000}, **(limits or {})),
              'environment': {'PATH': '/usr/bin:/bin', 'HOME': scratch}}
    return subprocess.Popen(
        [PYTHON, '-I', '-B', os.path.join(box, 'sandbox.py'),
         json.dumps(policy), '--', PYTHON, '-I', path] + arguments,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
        preexec_fn=as_nobody if grader != 'root' else None)


def run(grader, box, layers, script, arguments, limits=None):
    """Runs script under the sandbox; returns {name: what it printed
    after it}."""
    process = start(grader, box, layers, script, arguments, limits)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    return dict(line.split(' ', 1) for line in out.splitlines())


class Listener:
    """A Unix datagram socket file every user may send to, which keeps
    what it gets."""

    def __init__(self, folder):
        """Binds it in folder and starts receiving."""
        self.path = os.path.join(folder, 'listening.sock')
        self.socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.socket.bind(self.path)
        os.chmod(self.path, 0o777)
        self.socket.settimeout(0.2)
        self.received, self.stopped = [], False
        self.thread = threading.Thread(target=self.receive, daemon=True)
        self.thread.start()

    def receive(self):
        """Keeps each datagram until stopped."""
        while not self.stopped:
            try:
                self.received.append(self.socket.recv(1 << 16))
            except socket.timeout:
                continue
            except OSError:
                return

    def stop(self):
        """Stops receiving; returns what came."""
        time.sleep(0.3)
        self.stopped = True
        self.thread.join()
        self.socket.close()
        return self.received


def sysv_keys():
    """Returns the keys of every System V shared memory segment, message
    queue and semaphore set of this IPC namespace."""
    keys = set()
    for kind in ('shm', 'msg', 'sem'):
        try:
            with open('/proc/sysvipc/' + kind) as f:
                keys |= {int(line.split()[0]) for line in f.readlines()[1:]}
        except OSError:
            pass
    return keys


def key_users():
    """Returns {uid: its line} of /proc/key-users (the keys each user
    holds)."""
    try:
        with open('/proc/key-users') as f:
            return {line.split(':')[0].strip(): line.split(':', 1)[1]
                    for line in f}
    except OSError:
        return {}


@pytest.mark.parametrize('grader', GRADERS)
def test_no_side_door_opens(box, grader):
    """Socket pairs and socket files, System V and POSIX IPC, the
    keyrings, memfd, setsid and the judge's command line are refused; the
    runner is not uid 0, has no capability and, where the host gives
    them, namespaces of its own."""
    layers = layers_of(grader, box)
    token = '{:08d}'.format(os.getpid() % 10 ** 8 + 10 ** 7)
    listener = Listener(box)
    before, keys_before = sysv_keys(), key_users()
    # the listener receives what is sent outside the sandbox
    control = subprocess.run([PYTHON, '-I', '-c', DOORS, token,
                              listener.path, '1', 'control'],
                             capture_output=True, text=True,
                             preexec_fn=as_nobody, timeout=60)
    assert control.stdout.startswith('socketpair ALLOWED'), control.stderr
    time.sleep(0.3)
    assert listener.received == [token.encode()]
    listener.received.clear()
    found = run(grader, box, layers, DOORS, [token, listener.path,
                                             str(os.getpid())])
    assert listener.stop() == []
    for door in ('socketpair', 'unix', 'shm', 'msg', 'sem', 'mqueue',
                 'add_key', 'keyctl', 'memfd', 'setsid', 'judge'):
        assert found[door].startswith('blocked'), (door, found)
    assert int(found['uid']) != 0 and found['caps'] == '0'
    assert not {int(token) + n for n in range(3)} & sysv_keys() - before
    assert key_users().get(found['uid']) == keys_before.get(found['uid'])
    if layers['namespaces']:
        # its own /proc: its own processes only, none of the judge's
        assert int(found['pids']) <= 3, found
        for kind in ('ipc', 'net', 'mnt', 'pid'):
            assert found[kind] != os.readlink('/proc/self/ns/' + kind)
    line = sandbox.describe(layers)
    assert 'no sockets or socket pairs, no System V or POSIX IPC, no ' \
        'keyrings' in line
    assert ('mount, network, IPC and PID namespaces' in line) == \
        bool(layers['namespaces'])


@pytest.mark.parametrize('grader', GRADERS)
def test_the_scratch_folder_is_bounded(box, grader):
    """The scratch folder is a tmpfs of the policy's size and number of
    files, which vanishes with the runner."""
    layers = layers_of(grader, box)
    if not layers['namespaces']:
        pytest.skip('no mount namespace for this grader here ({}): the '
                    'scratch folder is the disk\'s'.format(
                        layers['namespaces_problem']))
    found = run(grader, box, layers, FLOOD, [os.path.join(box, 'scratch')],
                {'scratch': 4 << 20, 'inodes': 1000})
    assert 900 < int(found['files']) < 1000
    assert 3 << 20 <= int(found['bytes']) <= 4 << 20
    # the tmpfs was the runner's alone: nothing of it is left on disk
    assert os.listdir(os.path.join(box, 'scratch')) == []


@pytest.mark.parametrize('grader', GRADERS)
@pytest.mark.parametrize('shared', [False, True])
def test_a_classmate_keeps_its_process_slots(box, grader, shared):
    """A runner that takes every process slot it may leaves its
    classmate's their own: a pids control group or a user of its own
    (root), a user namespace (unprivileged). shared: both runners as the
    same user (nobody), as where checker.harden made no users."""
    layers = layers_of(grader, box)
    if grader != 'root' and shared:
        pytest.skip('an unprivileged grader\'s runners are all its user')
    if grader == 'root' and shared:
        layers = dict(layers, user=NOBODY)
    if grader != 'root' and not layers['namespaces']:
        pytest.skip('no user namespace for an unprivileged grader here '
                    '({}): its runners share its process slots'.format(
                        layers['namespaces_problem']))
    # the classmate begins first (its user's process count is lower then:
    # a limit on the user's processes would let the hog starve it)
    honest = start(grader, box, layers, HONEST, [])
    hog = start(grader, box, layers, HOG, [])
    try:
        assert honest.stdout.readline() == 'ready\n'
        said = hog.stdout.readline().split()
        assert said[0] == 'held' and 100 <= int(said[1]) <= 130, said
        out, err = honest.communicate('go\n', timeout=60)
        assert out == 'honest ok\n', err
    finally:
        for process in (hog, honest):
            process.send_signal(signal.SIGTERM)
            process.communicate(timeout=60)


def test_no_learner_code_runs_as_uid_0(box):
    """Root with no runner user that can read the environment: the
    runner does not start, and one line says what to do."""
    if os.geteuid() != 0:
        pytest.skip('needs root')
    layers = dict(LAYERS, user=None, user_problem='nobody cannot read '
                  '/root/python')
    process = start('root', box, layers, 'print("ran")\n', [])
    out, err = process.communicate(timeout=60)
    assert process.returncode == 125 and out == ''
    assert err.strip() == 'sandbox: the learner\'s code never runs as uid ' \
        '0, and no runner user can (nobody cannot read /root/python): run ' \
        'python -m checker.harden as root, or put the environments where ' \
        '{} can read them'.format(sandbox.runner_user()[0])
    assert 'no runner user: it does not start' in sandbox.describe(layers)


def test_a_runners_memory_group_counts_shared_memory(box):
    """As root, the runner's memory control group counts shared memory:
    a mapping beyond its limit is killed, whoever polls."""
    if 'memory' not in LAYERS['cgroup']:
        pytest.skip('no memory control group here: {}'.format(
            LAYERS['cgroup_problem']))
    # --memory 16: the group's limit is 16 + MEMORY_MARGIN MiB
    size = (16 + sandbox.MEMORY_MARGIN + 200) << 20
    process = start('root', box, LAYERS, 'import mmap\n'
                    'm = mmap.mmap(-1, {0}, mmap.MAP_SHARED | '
                    'mmap.MAP_ANONYMOUS)\nfor page in range(0, {0}, 4096):'
                    '\n    m[page] = 1\nprint("held")\n'.format(size), [],
                    {'memory': 16})
    out, err = process.communicate(timeout=120)
    assert process.returncode == -signal.SIGKILL and out == '', err


def test_shared_memory_counts_in_the_memory_held():
    """The memory the judge polls counts a shared anonymous mapping (it
    counted private pages only)."""
    process = subprocess.Popen(
        [sys.executable, '-c', 'import mmap, sys, time\n'
         'm = mmap.mmap(-1, 300 << 20, mmap.MAP_SHARED | mmap.MAP_ANONYMOUS)'
         '\nfor page in range(0, 300 << 20, 4096):\n    m[page] = 1\n'
         'print("ready", flush=True)\ntime.sleep(60)\n'],
        stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout.readline() == 'ready\n'
        assert sandbox.held_mib(process.pid) >= 300
        assert sandbox.held_mib(process.pid, 'RssAnon') < 100
    finally:
        process.kill()
        process.wait()


def nest(top, depth, name='d' * 40):
    """Makes depth nested folders below top (their path far longer than
    PATH_MAX), each with a read-only file, every tenth folder left with
    mode 000; returns the deepest's depth."""
    fd = os.open(top, os.O_RDONLY | os.O_DIRECTORY)
    closed = []
    for level in range(depth):
        os.mkdir(name, dir_fd=fd)
        inner = os.open(name, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
        made = os.open('file', os.O_CREAT | os.O_WRONLY, 0o400, dir_fd=inner)
        os.close(made)
        if level % 10 == 0:
            closed.append((fd, name))
        else:
            os.close(fd)
        fd = inner
    os.close(fd)
    # closed from the deepest up: a folder of mode 000 cannot be entered
    for parent, folder in reversed(closed):
        os.chmod(folder, 0, dir_fd=parent)
        os.close(parent)
    return depth


def test_whatever_a_runner_leaves_is_removed(tmp_path):
    """1,100 nested folders (a path far beyond PATH_MAX), folders of mode
    000, read-only files: removed, where shutil.rmtree raises."""
    left = tmp_path / 'work'
    left.mkdir()
    nest(str(left), 1100)
    for n in range(2000):
        (left / 'f{}'.format(n)).write_text('x')
    os.chmod(left / ('f0'), 0o400)
    with pytest.raises((RecursionError, OSError)):
        shutil.rmtree(left)
    assert sandbox.remove_tree(str(left))
    assert not left.exists()
    assert sandbox.remove_tree(str(tmp_path / 'not-there'))


def test_removal_never_raises_into_the_judge(tmp_path, monkeypatch):
    """An error while removing is swallowed: the judge goes on."""
    (tmp_path / 'work').mkdir()
    monkeypatch.setattr(sandbox, 'empty_folder', lambda fd: 1 / 0)
    assert sandbox.remove_tree(str(tmp_path / 'work')) is False


def test_the_filter_has_every_refused_call_on_both_architectures():
    """Every refused call has a number on x86_64 and aarch64, and no two
    share one."""
    for arch, (_, numbers) in sandbox.ARCHES.items():
        names = [name for _, group in sandbox.REFUSED for name in group]
        assert set(names) <= set(numbers), arch
        # no two calls share a number
        assert len({numbers[name] for name in names}) == len(names), arch


SIDE_DOORS = os.path.join(ROOT, 'tests', 'hostile', 'side-doors')
# The graded tests are the sandbox's: the judge does not run a file that
# reaches modules without importing them (static.reaching_in: these reach
# os, ctypes and socket with __import__), so they switch that gate off in
# the judge's processes (never in the runner's), as a file that slips past
# it would be run. In a judge started as a process of its own: through
# test_hostile.ungated's sitecustomize
DOORS_FOLDERS = ('socket-pair', 'ipc', 'keyring', 'proc', 'scratch-flood',
                 'shared-memory')
# a task's time limit in the graded tests, and the memory limit of make
# check's (the Gradescope layout's)
TIMEOUT = 240
MEMORY = 1000


def needs_engine():
    """Skips a test where the grader's environment is not installed."""
    from test_checker import installed
    if not installed('.venv'):
        pytest.skip('no .venv environment: make venv')


def hostile_class(into, names, token, listening='-'):
    """Copies the side-door folders names into into, each with the README
    that names the token and the listening socket file; returns their
    paths."""
    found = {}
    for name in names:
        shutil.copytree(os.path.join(SIDE_DOORS, name), into / name)
        (into / name / 'README.md').write_text('token {} sock {}\n'.format(
            token, listening))
        found[name] = str(into / name)
    return found


def placed(pid):
    """Returns (session, scheduler autogroup, CPU control group) of pid,
    or None where it ended (a zombie included)."""
    try:
        with open('/proc/{}/stat'.format(pid)) as f:
            fields = f.read().rsplit(')', 1)[1].split()
        if fields[0] == 'Z':
            # a process that ended, not yet reaped: cgroup v1 has moved it
            # to the root group, which is not where it ran
            return None
        session = fields[3]
        with open('/proc/{}/autogroup'.format(pid)) as f:
            group = f.read().split()[0]
        with open('/proc/{}/cgroup'.format(pid)) as f:
            cgroup = [line.split(':', 2)[2].strip() for line in f
                      if line.split(':')[1] in ('cpu', 'cpu,cpuacct')]
        return session, group, (cgroup or [''])[0]
    except (OSError, IndexError):
        return None


def runners():
    """The runners' processes (checker/runner.py) alive now."""
    found = []
    for name in os.listdir('/proc'):
        try:
            with open('/proc/{}/cmdline'.format(name), 'rb') as f:
                if b'checker/runner.py' in f.read():
                    found.append(int(name))
        except (OSError, ValueError):
            pass
    return found


def runners_keys():
    """Returns /proc/key-users' lines of the users a runner may be."""
    uids = {str(uid) for _, uid, _ in sandbox.runner_users()} | {
        str(NOBODY[1])}
    return {uid: line for uid, line in key_users().items() if uid in uids}


def test_make_check_shuts_every_side_door(box, tmp_path, monkeypatch):
    """The side-door folders graded by make check's checker as root:
    every door shut, every folder a result, nothing left behind."""
    from checker import static
    needs_engine()
    monkeypatch.setattr(static, 'reaching_in', lambda folder, task: [])
    layers = engines.layers_for('keras2')
    token = '{:012d}'.format(int(time.time() * 1000) % 10 ** 12)
    listener = Listener(box)
    keys, sysv = runners_keys(), sysv_keys()
    folders = hostile_class(tmp_path, DOORS_FOLDERS, token, listener.path)
    found = engines.check_folders({path: ['0-vanilla']
                                   for path in folders.values()},
                                  ['keras2'], TIMEOUT, 1, MEMORY)
    said = {}
    for name, path in folders.items():
        # a result for every folder, whatever it did
        builds = [row for row in found[path] if row['check'] == 'builds']
        assert len(builds) == 1, (name, found[path])
        said[name] = builds[0]
        assert builds[0]['verdict'] == 'fail', (name, builds[0])
    assert listener.stop() == []
    for name in ('socket-pair', 'ipc', 'keyring', 'proc'):
        assert 'RuntimeError: shut ' in said[name]['message'], said[name]
    message = said['shared-memory']['message']
    assert 'CROSSED' not in message and ('MiB allowed' in message or
                                         'SIGKILL' in message), message
    if layers['namespaces']:
        message = said['scratch-flood']['message']
        assert 'RuntimeError: shut files=' in message, message
        counts = dict(word.split('=') for word in
                      message.split(' (at ')[0].split() if '=' in word)
        assert counts['depth'] == '1100'
        assert int(counts['files']) < engines.SCRATCH_FILES
        assert int(counts['bytes']) <= engines.SCRATCH_LIMIT
    # nothing stays: no IPC object, no key, no process
    assert not {int(token[:8]) + n for n in range(3)} & sysv_keys() - sysv
    assert runners_keys() == keys
    assert alive(token) == []
    assert not os.path.exists('/dev/shm/ae-' + token)


# run as root: opens to nobody, in a mount namespace of its own, the
# folders given (the checkout, its environment and its Python, the
# MNIST cache: sandbox.open_closed_folders), becomes nobody and runs the
# rest of its command line in the checkout
AS_NOBODY = r'''
import os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sandbox
if sandbox.LIBC.unshare(sandbox.CLONE_NEWNS) != 0:
    sandbox.failed('unshare')
sandbox.mount(None, '/', None, sandbox.MS_REC | sandbox.MS_PRIVATE)
sandbox.open_closed_folders(sys.argv[1].split(os.pathsep), 65534, 65534)
os.setgroups([])
os.setgid(65534)
os.setuid(65534)
os.chdir(sys.argv[2])
os.execv(sys.argv[3], sys.argv[3:])
'''
# what the unprivileged grader runs: make check's checker on the folders
# given; prints the builds check of each and the sandbox line
GRADE = '''
import json, sys
from checker import cli, engines, static
static.reaching_in = lambda folder, task: []
found = engines.check_folders({path: ['0-vanilla'] for path in sys.argv[1:]},
                              ['keras2'], 240, 1, 1000)
print(json.dumps({path: [row for row in rows if row['check'] == 'builds']
                  for path, rows in found.items()}))
print(cli.sandbox_line(['keras2'], 240)[0])
'''


def test_an_unprivileged_grader_shuts_the_side_doors(box):
    """The same folders graded by nobody (the checkout and its
    environment opened to it in a mount namespace of the test's): the
    runner's user namespace shuts the same doors."""
    needs_engine()
    if os.geteuid() != 0:
        pytest.skip('needs root (to run the grader as nobody)')
    python = engines.interpreter('keras2')
    opened = [ROOT, engines.environment_folder('keras2'),
              engines.mnist_folder(), engines.interpreter_prefix(python)]
    unreadable = [path for path in opened + [python]
                  if not sandbox.readable_itself(path, *NOBODY[1:])]
    if unreadable:
        pytest.skip('nobody may not read {} itself (its mode): no copy of '
                    'the checkout and its environment for nobody here'
                    .format(unreadable[0]))
    token = '{:012d}'.format(int(time.time() * 1000) % 10 ** 12)
    listener = Listener(box)
    keys, sysv = runners_keys(), sysv_keys()
    classroom = pathlib.Path(box) / 'class'
    classroom.mkdir()
    folders = hostile_class(classroom, DOORS_FOLDERS[:5], token,
                            listener.path)
    for folder in folders.values():
        os.chmod(folder, 0o777)
    home = os.path.join(box, 'home')
    os.mkdir(home)
    os.chown(home, NOBODY[1], NOBODY[2])
    with open(os.path.join(box, 'as_nobody.py'), 'w') as f:
        f.write(AS_NOBODY)
    done = subprocess.run(
        [PYTHON, '-I', '-B', os.path.join(box, 'as_nobody.py'),
         os.pathsep.join(opened), ROOT, python, '-B', '-c', GRADE] +
        list(folders.values()),
        env={'PATH': os.environ['PATH'], 'HOME': home,
             'TF_CPP_MIN_LOG_LEVEL': '3'},
        capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    builds, line = done.stdout.strip().splitlines()[-2:]
    builds = json.loads(builds)
    assert line.startswith('sandbox: Landlock')
    # the grader's own uid: a user namespace of its own, or none at all
    assert 'a user namespace (its uid kept)' in line or \
        'no namespaces' in line, line
    for name, path in folders.items():
        assert len(builds[path]) == 1, (name, builds)
        if 'a user namespace' in line or name != 'scratch-flood':
            assert 'RuntimeError: shut ' in builds[path][0]['message'], \
                (name, builds[path])
    assert listener.stop() == []
    assert not {int(token[:8]) + n for n in range(3)} & sysv_keys() - sysv
    assert runners_keys() == keys
    assert alive(token) == []


def test_a_classmate_beside_hogs_keeps_every_point(tmp_path):
    """48 processes that call setsid() and spin, and every process slot
    its runner may take, held for 40 s while an honest classmate is
    graded beside it (--batch --jobs 2, task 0 only)."""
    needs_engine()
    token = '{:012d}'.format(int(time.time() * 1000) % 10 ** 12)
    classroom = tmp_path / 'class'
    classroom.mkdir()
    hostile_class(classroom, ['hogs'], token)
    honest = classroom / 'honest'
    honest.mkdir()
    for name in ('0-vanilla.py', 'README.md'):
        shutil.copy2(os.path.join(ROOT, 'tests', 'learners', 'functional',
                                  name), honest)
    most, grading = [0], threading.Event()
    seen = {'hogs': set(), 'runners': set()}

    def watch():
        """Notes the most of the hogs' processes alive at once, and the
        session, scheduler group and CPU control group of each of theirs
        and of the runners'."""
        while not grading.is_set():
            hogs = alive(token)
            most[0] = max(most[0], len(hogs))
            for pid in hogs[:100]:
                seen['hogs'].add(placed(pid))
            for pid in runners():
                seen['runners'].add(placed(pid))
            time.sleep(0.5)
    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    out = tmp_path / 'grades'
    try:
        done = subprocess.run(
            [sys.executable, '-m', 'checker', '--batch', str(classroom),
             '--out', str(out), '--jobs', '2', '--timeout', str(TIMEOUT),
             '--engines', 'keras2'],
            cwd=ROOT, capture_output=True, text=True, timeout=900,
            env=ungated(tmp_path / 'ungated'))
    finally:
        grading.set()
        watcher.join()
    assert done.returncode == 0, done.stdout + done.stderr
    # the attack ran: its spinners and sleepers were there, all in the
    # runner's session (setsid refused: one scheduler group), and as root
    # in its control group, not the classmate's
    assert most[0] >= 300, most[0]
    hogs = seen['hogs'] - {None}
    assert len({session for session, _, _ in hogs}) == 1, hogs
    assert len({group for _, group, _ in hogs}) == 1, hogs
    session, group, cgroup = hogs.pop()
    classmate = {where for where in seen['runners'] - {None}
                 if where[0] != session}
    assert classmate and all(where[1] != group for where in classmate)
    if 'cpu' in sandbox.available()['cgroup']:
        assert '/autoencoders-' in cgroup
        assert all(where[2] != cgroup for where in classmate)
    with open(out / 'honest.json') as f:
        result = json.load(f)
    assert result['score'] == 18, [t for t in result['tests']
                                   if t['score'] < t['max_score']]
    assert os.path.exists(out / 'hogs.json')
    assert alive(token) == []


def test_the_line_names_the_layers_a_host_does_not_give():
    """Each layer is named where the host gives it and where it does
    not."""
    bare = {'landlock': 7, 'seccomp': True, 'root': True,
            'user': NOBODY, 'user_problem': '', 'namespaces': '',
            'namespaces_problem': 'unshare(CLONE_NEWPID): Operation not '
            'permitted', 'cgroup': [], 'cgroup_problem': 'no cgroup v1 '
            'controller this process may make groups in', 'users': 0,
            'opened': []}
    line = sandbox.describe(bare, {'cpu': 60, 'file': 1 << 20,
                                   'processes': 1024})
    assert 'no namespaces (unshare(CLONE_NEWPID): Operation not ' \
        'permitted): /proc shows every process, the scratch folder on ' \
        'disk, not bounded' in line
    assert 'user nobody (65534, shared by every runner)' in line
    assert 'no control group (no cgroup v1 controller' in line
    assert '1024 more processes of nobody, shared by every runner' in line
    unprivileged = dict(bare, root=False, user=None)
    line = sandbox.describe(unprivileged, {'cpu': 60, 'file': 1 << 20,
                                           'processes': 1024})
    assert 'no control group (not root)' in line
    assert '1024 more processes of this user, shared by its other ' \
        'runners' in line


@pytest.mark.parametrize('grader', GRADERS)
def test_a_runner_dies_with_its_supervisor(box, grader):
    """A supervisor killed outright (SIGKILL, which it cannot catch)
    takes its runner and the runner's processes with it, though the
    runner changed its uid (which clears a parent-death signal)."""
    layers = layers_of(grader, box)
    token = '{:012d}'.format(int(time.time() * 1000) % 10 ** 12)
    process = start(grader, box, layers, 'import os, sys, time\n'
                    'os.posix_spawn("/bin/sleep", ["sleep", sys.argv[1]], '
                    '{})\nprint("ready", flush=True)\ntime.sleep(60)\n',
                    ['1000.' + token[:6]])
    try:
        assert process.stdout.readline() == 'ready\n'
        assert alive(token)
        process.kill()
        process.wait()
        for _ in range(100):
            if not alive(token):
                break
            time.sleep(0.05)
        assert alive(token) == []
    finally:
        process.kill()
        process.communicate()
        # the groups a supervisor killed outright left (the next
        # supervisors remove them a minute later)
        for folder in sandbox.cgroup_folders().values():
            try:
                os.rmdir(os.path.join(folder, sandbox.CGROUP_PREFIX +
                                      str(process.pid)))
            except OSError:
                pass


def test_the_memory_held_counts_a_childs_child():
    """held_mib sums the process and every process below it, a child's
    child too: three processes of 100 MiB each."""
    script = ('import mmap, subprocess, sys, time\n'
              'm = mmap.mmap(-1, 100 << 20, mmap.MAP_SHARED | '
              'mmap.MAP_ANONYMOUS)\n'
              'for page in range(0, 100 << 20, 4096):\n    m[page] = 1\n'
              'depth = int(sys.argv[2])\n'
              'if depth < 2:\n'
              '    subprocess.Popen([sys.executable, "-c", sys.argv[1], '
              'sys.argv[1], str(depth + 1)])\n'
              'else:\n'
              '    print("ready", flush=True)\n'
              'time.sleep(60)\n')
    process = subprocess.Popen([sys.executable, '-c', script, script, '0'],
                               stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout.readline() == 'ready\n'
        tree = sandbox.tree(process.pid)
        assert len(tree) == 3 and tree[0] == process.pid
        assert 300 <= sandbox.held_mib(process.pid) < 400
    finally:
        for pid in sandbox.tree(process.pid)[::-1]:
            os.kill(pid, signal.SIGKILL)
        process.wait()
