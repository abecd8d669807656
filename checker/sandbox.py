"""The runner's sandbox: what a learner's code can reach while it runs.

    python -m checker.sandbox POLICY_JSON -- COMMAND...

runs COMMAND (the runner) as a child under the policy and is its
supervisor: a child subreaper (every process the runner starts, even one
that forks twice, becomes the supervisor's when its parent dies), which
kills every one of them once the runner has ended or when it is itself
told to stop (SIGTERM, SIGINT), then exits with the runner's status (or
dies of its signal); the judge's end stops it too (SIGTERM, as its
parent-death signal). Before it starts the runner it takes, as root, a
user no other runner holds and a control group of the runner's own; the
child then applies, in order, before COMMAND runs:

- namespaces of its own where the host gives them (as root; else in a
  user namespace that maps the grader's uid to itself, where unprivileged
  user namespaces work): mount, network (no interface but a loopback that
  is down), IPC (no System V object or POSIX message queue of another
  process) and PID (its processes die with it). In the mount namespace:
  a /proc of its own PID namespace (its own processes only), and the
  scratch folder with the copies of the learners' folders on a tmpfs
  bounded in size and in files; the namespace, its tmpfs and its IPC
  objects vanish with the runner;
- as root: the control group (cgroup v1: an equal CPU share, a memory
  limit that counts shared memory and tmpfs pages, the number of its
  processes) and an unprivileged user (checker.harden's
  autoencoders-runner-N that no other runner holds, else
  autoencoders-runner, else nobody); a folder above the environment
  that user cannot enter (pyenv's /root, say) is replaced, in the mount
  namespace, by one holding only what the runner reads beneath it.
  Never uid 0: where no user can read the environment, the runner does
  not start, and says what to do;
- no new privileges, then Landlock (Linux 5.13+): read and execute
  beneath the policy's 'read' paths, everything beneath its 'write' paths,
  nothing else; no TCP bind or connect (ABI 4+); no signal to, and no
  abstract socket of, a process outside the sandbox (ABI 6+);
- a seccomp filter: socket() and socketpair() of any family (EACCES; UDP
  and Unix sockets are not Landlock's), io_uring, System V shared memory,
  semaphores and message queues, POSIX message queues, the keyrings,
  memfd_create() and setsid() (EPERM: the runner's processes stay in one
  session, one scheduler group);
- limits: CPU seconds, the largest file, the number of processes (per
  runner: its control group, its own user or its user namespace).

available() says which layers this host gives, describe() says them in
one line ('sandbox: ...'); the judge (checker.cli) prints that line.
remove_tree() removes what a runner left, however deep, whatever its
modes.
"""
import ctypes
import ctypes.util
import fcntl
import json
import os
import platform
import pwd
import resource
import signal
import stat
import subprocess
import sys
import tempfile
import time

LIBC = ctypes.CDLL(ctypes.util.find_library('c') or None, use_errno=True)
LIBC.syscall.restype = ctypes.c_long
LIBC.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p,
                       ctypes.c_ulong, ctypes.c_char_p]
# system call numbers: the same on x86_64 and aarch64 for Landlock and the
# new mount calls
LANDLOCK_CREATE_RULESET, LANDLOCK_ADD_RULE, LANDLOCK_RESTRICT_SELF = \
    444, 445, 446
OPEN_TREE, MOVE_MOUNT = 428, 429
# the calls the seccomp filter refuses, by family, with the errno each
# family gets (sockets: EACCES, as Landlock says for TCP; the rest EPERM)
REFUSED = (
    (13, ('socket', 'socketpair')),
    (1, ('io_uring_setup', 'io_uring_enter', 'io_uring_register')),
    (1, ('shmget', 'shmat', 'shmctl', 'shmdt', 'semget', 'semop', 'semctl',
         'semtimedop', 'msgget', 'msgsnd', 'msgrcv', 'msgctl')),
    (1, ('mq_open', 'mq_unlink', 'mq_timedsend', 'mq_timedreceive',
         'mq_notify', 'mq_getsetattr')),
    (1, ('add_key', 'request_key', 'keyctl')),
    (1, ('memfd_create', 'setsid')))
# each architecture: its audit number and its calls' numbers (there is no
# socketcall() or ipc() multiplexer on either; another architecture's
# calls, x86's 32-bit ones, say, kill the process)
ARCHES = {
    'x86_64': (0xC000003E, {
        'socket': 41, 'socketpair': 53, 'io_uring_setup': 425,
        'io_uring_enter': 426, 'io_uring_register': 427, 'shmget': 29,
        'shmat': 30, 'shmctl': 31, 'shmdt': 67, 'semget': 64, 'semop': 65,
        'semctl': 66, 'semtimedop': 220, 'msgget': 68, 'msgsnd': 69,
        'msgrcv': 70, 'msgctl': 71, 'mq_open': 240, 'mq_unlink': 241,
        'mq_timedsend': 242, 'mq_timedreceive': 243, 'mq_notify': 244,
        'mq_getsetattr': 245, 'add_key': 248, 'request_key': 249,
        'keyctl': 250, 'memfd_create': 319, 'setsid': 112, 'capset': 126}),
    'aarch64': (0xC00000B7, {
        'socket': 198, 'socketpair': 199, 'io_uring_setup': 425,
        'io_uring_enter': 426, 'io_uring_register': 427, 'shmget': 194,
        'shmat': 196, 'shmctl': 195, 'shmdt': 197, 'semget': 190,
        'semop': 193, 'semctl': 191, 'semtimedop': 192, 'msgget': 186,
        'msgsnd': 189, 'msgrcv': 188, 'msgctl': 187, 'mq_open': 180,
        'mq_unlink': 181, 'mq_timedsend': 182, 'mq_timedreceive': 183,
        'mq_notify': 184, 'mq_getsetattr': 185, 'add_key': 217,
        'request_key': 218, 'keyctl': 219, 'memfd_create': 279,
        'setsid': 157, 'capset': 91})}
PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, PR_CAPBSET_DROP = 38, 22, 24
PR_SET_CHILD_SUBREAPER, PR_SET_PDEATHSIG = 36, 1
PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 47, 4
CLONE_NEWNS, CLONE_NEWIPC, CLONE_NEWUSER = 0x20000, 0x8000000, 0x10000000
CLONE_NEWNET, CLONE_NEWPID = 0x40000000, 0x20000000
MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_BIND, MS_REC, MS_PRIVATE = \
    2, 4, 8, 4096, 16384, 1 << 18
AT_FDCWD, AT_RECURSIVE, OPEN_TREE_CLONE = -100, 0x8000, 1
MOVE_MOUNT_F_EMPTY_PATH = 4
# Landlock's filesystem rights, by the ABI that brought them
EXECUTE, WRITE_FILE, READ_FILE, READ_DIR = 1, 2, 4, 8
FS_ABI1 = (1 << 13) - 1
REFER, TRUNCATE, IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15
FILE_RIGHTS = EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE | IOCTL_DEV
NET_BIND_TCP, NET_CONNECT_TCP = 1, 2
SCOPE_ABSTRACT_UNIX, SCOPE_SIGNAL = 1, 2
# the users the runner becomes where the grader is root (checker.harden
# makes them: RUNNER_USER, then RUNNER_USER-1 to RUNNER_USER-15, one per
# runner at a time; nobody where none exists)
RUNNER_USER = 'autoencoders-runner'
RUNNERS = 16
# where the supervisors lock the user each holds: folders only root may
# write
LOCK_FOLDERS = ('/run/autoencoders', '/var/lock/autoencoders')
# the cgroup v1 controllers a runner gets a group of, named by this prefix
# and its supervisor's pid beside the grader's own group's children (not
# in a group of all runners: each runner's group then weighs as much as a
# process or a session of the host's, as its session did before)
CONTROLLERS = ('cpu', 'memory', 'pids')
CGROUP_PREFIX = 'autoencoders-'
# the memory cgroup's limit over the judge's (--memory): the judge, which
# polls, stops a runner first and says why; the group is the bound for
# what the poll cannot see (tmpfs pages, shared memory no process maps)
MEMORY_MARGIN = 1024
# the scratch tmpfs where the policy's limits do not say: its size and its
# number of files and folders
SCRATCH_BYTES, SCRATCH_FILES = 256 << 20, 20000
# what every process needs to read: the system's libraries and settings
SYSTEM_READ = ('/usr', '/lib', '/lib64', '/bin', '/etc', '/proc', '/sys',
               '/dev/urandom', '/dev/random', '/dev/zero')
SYSTEM_WRITE = ('/dev/null',)
# the memory /proc/PID/status counts as a runner's own: its private pages
# and the shared ones it maps (shared anonymous mappings, tmpfs files, System
# V segments)
HELD = ('RssAnon', 'RssShmem')


class RulesetAttr(ctypes.Structure):
    """struct landlock_ruleset_attr."""
    _fields_ = [('handled_access_fs', ctypes.c_uint64),
                ('handled_access_net', ctypes.c_uint64),
                ('scoped', ctypes.c_uint64)]


class PathBeneath(ctypes.Structure):
    """struct landlock_path_beneath_attr (packed)."""
    _pack_ = 1
    _fields_ = [('allowed_access', ctypes.c_uint64),
                ('parent_fd', ctypes.c_int32)]


class SockFilter(ctypes.Structure):
    """struct sock_filter: one BPF instruction."""
    _fields_ = [('code', ctypes.c_uint16), ('jt', ctypes.c_uint8),
                ('jf', ctypes.c_uint8), ('k', ctypes.c_uint32)]


class SockFprog(ctypes.Structure):
    """struct sock_fprog."""
    _fields_ = [('len', ctypes.c_uint16),
                ('filter', ctypes.POINTER(SockFilter))]


class SandboxError(Exception):
    """A layer of the sandbox could not be applied."""


def failed(what):
    """Raises SandboxError for the last system call, naming what."""
    number = ctypes.get_errno()
    raise SandboxError('{}: {}'.format(what, os.strerror(number)))


def landlock_abi():
    """Returns the host's Landlock ABI version, 0 where there is none."""
    if sys.platform != 'linux':
        return 0
    found = LIBC.syscall(LANDLOCK_CREATE_RULESET, None, ctypes.c_size_t(0),
                         ctypes.c_uint32(1))
    return max(0, int(found))


def seccomp_arch():
    """Returns (audit arch, {call: number}) of this machine, or None."""
    return ARCHES.get(platform.machine()) if sys.platform == 'linux' \
        else None


def runner_users():
    """Returns [(name, uid, gid)] of the runner's users that exist:
    autoencoders-runner, then autoencoders-runner-1 to -15."""
    found = []
    for number in range(RUNNERS):
        name = RUNNER_USER + ('-{}'.format(number) if number else '')
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            continue
        found.append((name, entry.pw_uid, entry.pw_gid))
    return found


def runner_user():
    """Returns (name, uid, gid) of the user the runner becomes under
    root: autoencoders-runner where it exists, else nobody (a supervisor
    takes a numbered one that no other runner holds: claim_user)."""
    try:
        found = pwd.getpwnam(RUNNER_USER)
        return RUNNER_USER, found.pw_uid, found.pw_gid
    except KeyError:
        return 'nobody', 65534, 65534


def permits(info, uid, gid, wanted):
    """Whether uid:gid may do wanted (os.R_OK, os.X_OK) with a file of
    stat info, by its permission bits."""
    if info.st_uid == uid:
        bits = info.st_mode >> 6
    elif info.st_gid == gid:
        bits = info.st_mode >> 3
    else:
        bits = info.st_mode
    return bool(bits & wanted)


def reachable(path, uid, gid, mode=os.R_OK):
    """Whether uid:gid can reach path (search every folder above it) and
    read it (by the permission bits; for the root folder too)."""
    path = os.path.realpath(path)
    parts = path.split(os.sep)
    for depth in range(1, len(parts) + 1):
        current = os.sep.join(parts[:depth]) or os.sep
        try:
            info = os.stat(current)
        except OSError:
            return False
        wanted = os.X_OK if depth < len(parts) or stat.S_ISDIR(
            info.st_mode) else mode
        if not permits(info, uid, gid, wanted):
            return False
    return True


def closed_folder(path, uid, gid):
    """Returns the highest folder above path (its real path) that uid:gid
    cannot enter, or None."""
    parts = os.path.realpath(path).split(os.sep)
    for depth in range(1, len(parts)):
        current = os.sep.join(parts[:depth]) or os.sep
        try:
            if not permits(os.stat(current), uid, gid, os.X_OK):
                return current
        except OSError:
            return None
    return None


def readable_itself(path, uid, gid):
    """Whether uid:gid may read path itself (search it, for a folder) by
    its own permission bits, whatever the folders above it say."""
    try:
        info = os.stat(path)
    except OSError:
        return False
    return permits(info, uid, gid, os.X_OK if stat.S_ISDIR(info.st_mode)
                   else os.R_OK)


CAP_SETUID, CAP_SYS_ADMIN = 7, 21


def capable(capability):
    """Whether this process holds a capability (by /proc/self/status)."""
    try:
        with open('/proc/self/status') as f:
            for line in f:
                if line.startswith('CapEff:'):
                    return bool(int(line.split()[1], 16) >> capability & 1)
    except (OSError, ValueError):
        pass
    return False


def user_tasks(uid):
    """Returns how many processes and threads uid has now (what
    RLIMIT_NPROC counts)."""
    count = 0
    for name in os.listdir('/proc'):
        if not name.isdigit():
            continue
        try:
            with open('/proc/{}/status'.format(name)) as f:
                fields = dict(line.split(':', 1) for line in f
                              if ':' in line)
            if int(fields['Uid'].split()[0]) == uid:
                count += int(fields['Threads'])
        except (OSError, KeyError, ValueError):
            continue
    return count


# what probing this host's namespaces found, by effective uid ('' where
# they work, else why not): the probe starts a process, once
PROBED = {}


def namespaces_problem():
    """Returns '' where this process can give a runner its namespaces (as
    root, or in a user namespace), else why not (the probe runs in a
    process of its own: python sandbox.py --probe)."""
    if sys.platform != 'linux':
        return 'not Linux'
    uid = os.geteuid()
    if uid not in PROBED:
        try:
            done = subprocess.run(
                [sys.executable, '-I', '-B', os.path.abspath(__file__),
                 '--probe'], capture_output=True, text=True, timeout=60)
            lines = done.stderr.strip().splitlines()
            PROBED[uid] = '' if done.returncode == 0 else (
                lines[-1] if lines else 'status {}'.format(done.returncode))
        except (OSError, subprocess.SubprocessError) as error:
            PROBED[uid] = str(error)
    return PROBED[uid]


def namespace_kind(layers):
    """Returns which namespaces a runner gets: 'root' (made by root),
    'user' (inside a user namespace of its own) or '' (none)."""
    kind = layers.get('namespaces')
    if kind is True:
        return 'root' if layers.get('root') else 'user'
    return kind if kind in ('root', 'user') else ''


def cgroup_folders():
    """Returns {controller: the folder of this process's group} for the
    cgroup v1 controllers (cpu, memory, pids) mounted here that this
    process may make groups in."""
    mounts, found = {}, {}
    try:
        with open('/proc/self/mountinfo') as f:
            for line in f:
                fields = line.split()
                tail = fields[fields.index('-') + 1:]
                if len(tail) < 3 or tail[0] != 'cgroup':
                    continue
                for controller in tail[2].split(','):
                    if controller in CONTROLLERS:
                        mounts[controller] = (fields[4], fields[3])
        with open('/proc/self/cgroup') as f:
            groups = [line.rstrip('\n').split(':', 2) for line in f]
    except (OSError, ValueError, IndexError):
        return {}
    for group in groups:
        if len(group) != 3:
            continue
        for controller in group[1].split(','):
            if controller not in mounts:
                continue
            point, root = mounts[controller]
            path = group[2]
            if root != '/' and (path + '/').startswith(root + '/'):
                path = path[len(root):]
            folder = os.path.join(point, path.lstrip('/'))
            if os.path.isfile(os.path.join(folder, 'cgroup.procs')) and \
                    os.access(folder, os.W_OK):
                found[controller] = folder
    return found


def available(reads=()):
    """Returns the layers this host gives a runner: {'landlock': ABI,
    'seccomp': bool, 'root': bool, 'namespaces': 'root', 'user' or '' and
    'namespaces_problem': why not, 'cgroup': [controllers] and
    'cgroup_problem', 'user': (name, uid, gid) or None and
    'user_problem': why not, 'users': how many runner users exist,
    'opened': the folders a mount namespace opens to that user}; reads:
    what the runner's user must be able to read (its interpreter, its
    environment)."""
    linux = sys.platform == 'linux'
    root = linux and os.geteuid() == 0
    problem = namespaces_problem() if linux else 'not Linux'
    found = {'landlock': landlock_abi(), 'seccomp': seccomp_arch() is not
             None, 'root': root, 'user': None, 'user_problem': '',
             'namespaces': '' if problem else ('root' if root else 'user'),
             'namespaces_problem': problem, 'cgroup': [],
             'cgroup_problem': 'not root', 'users': 0, 'opened': []}
    if not root:
        return found
    controllers = cgroup_folders()
    found['cgroup'] = sorted(controllers)
    found['cgroup_problem'] = '' if controllers else \
        'no cgroup v1 controller this process may make groups in'
    if not capable(CAP_SETUID):
        found['user_problem'] = 'no CAP_SETUID'
        return found
    name, uid, gid = runner_user()
    found['users'] = len(runner_users())
    blocked, opened = [], set()
    for path in reads:
        if reachable(path, uid, gid):
            continue
        gate = closed_folder(path, uid, gid) if found['namespaces'] else None
        if gate and gate != os.sep and readable_itself(path, uid, gid):
            opened.add(gate)
        else:
            blocked.append(path)
    if blocked:
        found['user_problem'] = '{} cannot read {}'.format(name, blocked[0])
    else:
        found['user'] = (name, uid, gid)
        found['opened'] = sorted(opened)
    return found


def sandboxed(layers):
    """Whether the layers keep the grader's files out of reach: Landlock
    (any ABI) with seccomp."""
    return layers['landlock'] >= 1 and layers['seccomp']


def no_root(layers):
    """Returns the line a runner that would be uid 0 stops with."""
    name = runner_user()[0]
    return 'the learner\'s code never runs as uid 0, and no runner user ' \
        'can ({}): run python -m checker.harden as root, or put the ' \
        'environments where {} can read them'.format(
            layers.get('user_problem') or 'none', name)


def processes_said(layers, limits):
    """Returns how the line says the limit on the runner's processes."""
    number = limits['processes']
    if namespace_kind(layers) == 'user':
        return '{} processes (counted in its user namespace)'.format(number)
    if not layers['root']:
        return '{} more processes of this user, shared by its other ' \
            'runners'.format(number)
    if 'pids' in layers.get('cgroup', ()):
        return '{} processes (its control group)'.format(number)
    if layers.get('users', 0) > 1:
        return '{} more processes (its own user)'.format(number)
    return '{} more processes of {}, shared by every runner'.format(
        number, (layers['user'] or ('nobody',))[0])


def describe(layers, limits=None):
    """Returns the one line that says what the runner runs under."""
    if not sandboxed(layers):
        return 'sandbox: none on this host ({}): the learner\'s code runs ' \
            'with this user\'s files, network and processes in ' \
            'reach'.format('no Landlock' if layers['landlock'] < 1
                           else 'no seccomp')
    abi = layers['landlock']
    limits = limits or {}
    parts = ['Landlock ABI {} (files: its own copy and a scratch folder'
             '{}{})'.format(abi, '; no TCP' if abi >= 4 else
                            '; TCP not covered before ABI 4',
                            '; no signals out' if abi >= 6 else ''),
             'seccomp (no sockets or socket pairs, no System V or POSIX '
             'IPC, no keyrings, no memfd, no setsid)']
    kind = namespace_kind(layers)
    if kind:
        parts.append('{}mount, network, IPC and PID namespaces (its own '
                     '/proc; scratch: a tmpfs of {:.0f} MiB and {} files)'
                     .format('a user namespace (its uid kept), '
                             if kind == 'user' else '',
                             limits.get('scratch', SCRATCH_BYTES) / 2 ** 20,
                             limits.get('inodes', SCRATCH_FILES)))
    else:
        parts.append('no namespaces ({}): /proc shows every process, the '
                     'scratch folder on disk, not bounded'.format(
                         layers.get('namespaces_problem') or 'not given'))
    if layers['root']:
        user = layers['user']
        if not user:
            parts.append('no runner user: it does not start ({})'.format(
                no_root(layers)))
        elif user[0] == RUNNER_USER and layers.get('users', 0) > 1:
            parts.append('a user of its own ({} or {}-1 to -{}, one per '
                         'runner)'.format(user[0], user[0],
                                          layers['users'] - 1))
        else:
            parts.append('user {} ({}, shared by every runner)'.format(
                user[0], user[1]))
        if user and layers.get('opened'):
            parts.append('{} replaced in its mount namespace by what it '
                         'reads beneath'.format(', '.join(layers['opened'])))
        cgroup = layers.get('cgroup') or []
        if cgroup:
            said = {'cpu': 'CPU share', 'memory': 'memory',
                    'pids': 'processes'}
            parts.append('a control group of its own ({})'.format(
                ', '.join(said[c] for c in cgroup)))
        else:
            parts.append('no control group ({})'.format(
                layers.get('cgroup_problem') or 'not given'))
    else:
        parts.append('no control group (not root): its processes share '
                     'one scheduler group (no setsid)')
    parts.append('process tree killed at the end')
    if 'cpu' in limits:
        parts.append('limits: CPU {:.0f} s, files {:.0f} MiB, {}'.format(
            limits['cpu'], limits['file'] / 2 ** 20,
            processes_said(layers, limits)))
    return 'sandbox: ' + ', '.join(parts)


def add_path(ruleset, path, rights):
    """Lets the ruleset's processes use path (and what is beneath it) with
    rights; a path that does not exist is left out."""
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except OSError:
        return
    try:
        if not stat.S_ISDIR(os.fstat(fd).st_mode):
            rights &= FILE_RIGHTS
        attr = PathBeneath(rights, fd)
        if LIBC.syscall(LANDLOCK_ADD_RULE, ruleset, 1, ctypes.byref(attr),
                        0) != 0:
            failed('landlock_add_rule({})'.format(path))
    finally:
        os.close(fd)


def apply_landlock(reads, writes):
    """Restricts this process and what it runs to reading reads and
    writing writes, with no TCP and no signal out, as far as the host's
    ABI goes."""
    abi = landlock_abi()
    if abi < 1:
        raise SandboxError('Landlock is not available on this kernel')
    handled = FS_ABI1 | (REFER if abi >= 2 else 0) | (
        TRUNCATE if abi >= 3 else 0) | (IOCTL_DEV if abi >= 5 else 0)
    attr = RulesetAttr(handled,
                       NET_BIND_TCP | NET_CONNECT_TCP if abi >= 4 else 0,
                       SCOPE_ABSTRACT_UNIX | SCOPE_SIGNAL if abi >= 6 else 0)
    ruleset = LIBC.syscall(LANDLOCK_CREATE_RULESET, ctypes.byref(attr),
                           ctypes.c_size_t(ctypes.sizeof(attr)), 0)
    if ruleset < 0:
        failed('landlock_create_ruleset')
    read = (EXECUTE | READ_FILE | READ_DIR) & handled
    for path in reads:
        add_path(ruleset, path, read)
    for path in writes:
        add_path(ruleset, path, handled)
    if LIBC.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        failed('prctl(PR_SET_NO_NEW_PRIVS)')
    if LIBC.syscall(LANDLOCK_RESTRICT_SELF, ruleset, 0) != 0:
        failed('landlock_restrict_self')
    os.close(ruleset)


def bpf(code, k, jt=0, jf=0):
    """Returns one BPF instruction."""
    return SockFilter(code, jt, jf, k)


def seccomp_program():
    """Returns the filter's instructions for this machine: another
    architecture's calls kill, x32's and REFUSED's fail, the rest run."""
    arch = seccomp_arch()
    if arch is None:
        raise SandboxError('no seccomp filter for {}'.format(
            platform.machine()))
    audit, numbers = arch
    load, jeq, jge, ret = 0x20, 0x15, 0x35, 0x06
    allow, errno, kill = 0x7fff0000, 0x00050000, 0x80000000
    program = [bpf(load, 4),                    # the architecture
               bpf(jeq, audit, 1, 0),           # this one: go on
               bpf(ret, kill),
               bpf(load, 0),                    # the call's number
               bpf(jge, 0x40000000, 0, 1),      # x32's calls: EACCES
               bpf(ret, errno | 13)]
    for number, names in REFUSED:
        for name in names:
            program += [bpf(jeq, numbers[name], 0, 1),
                        bpf(ret, errno | number)]
    return program + [bpf(ret, allow)]


def apply_seccomp():
    """Makes the REFUSED calls fail (sockets with EACCES, the rest with
    EPERM); another architecture's system calls kill the process."""
    program = seccomp_program()
    filters = (SockFilter * len(program))(*program)
    prog = SockFprog(len(program), filters)
    if LIBC.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        failed('prctl(PR_SET_NO_NEW_PRIVS)')
    if LIBC.prctl(PR_SET_SECCOMP, 2, ctypes.byref(prog), 0, 0) != 0:
        failed('prctl(PR_SET_SECCOMP)')


def drop_bounding_set():
    """Empties the capability bounding set and the ambient set (nothing
    this process runs can gain a capability back)."""
    for cap in range(64):
        if LIBC.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            break
    LIBC.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)


def drop_capabilities():
    """Leaves this process with no capability at all (bounding set,
    effective, permitted, inheritable)."""
    drop_bounding_set()
    header = (ctypes.c_uint32 * 2)(0x20080522, 0)
    data = (ctypes.c_uint32 * 6)()
    if LIBC.syscall(seccomp_arch()[1]['capset'] if seccomp_arch() else 126,
                    header, data) != 0:
        failed('capset')


def write_file(path, text):
    """Writes text to path (a /proc or cgroup file), in one write."""
    fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


def enter_user_namespace():
    """Moves this process into a user namespace of its own that maps its
    uid and gid to themselves (no uid 0 inside: the runner's processes
    keep the grader's uid, and their count is the namespace's own)."""
    uid, gid = os.geteuid(), os.getegid()
    if LIBC.unshare(CLONE_NEWUSER) != 0:
        failed('unshare(CLONE_NEWUSER)')
    try:
        write_file('/proc/self/setgroups', 'deny')
        write_file('/proc/self/uid_map', '{0} {0} 1'.format(uid))
        write_file('/proc/self/gid_map', '{0} {0} 1'.format(gid))
    except OSError as error:
        raise SandboxError('the user namespace\'s maps: {}'.format(error))


def mount(source, target, kind, flags, data=None):
    """mount(2), raising SandboxError."""
    if LIBC.mount(source and source.encode(), target.encode(),
                  kind and kind.encode(), flags,
                  data and data.encode()) != 0:
        failed('mount {} on {}'.format(kind or source, target))


def mount_tmpfs(target, size, inodes, uid, gid, mode):
    """Mounts a tmpfs of size bytes and inodes files and folders on
    target, its top folder uid:gid's with mode."""
    mount('tmpfs', target, 'tmpfs', MS_NOSUID | MS_NODEV,
          'size={},nr_inodes={},mode={:o},uid={},gid={}'.format(
              size, inodes, mode, uid, gid))


def enter_namespaces():
    """Moves this process (PID 1 of a PID namespace of its own) into
    mount, network and IPC namespaces of its own, its mounts kept from
    the host's, with a /proc of its PID namespace."""
    if LIBC.unshare(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC) != 0:
        failed('unshare(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC)')
    mount(None, '/', None, MS_REC | MS_PRIVATE)
    mount('proc', '/proc', 'proc', MS_NOSUID | MS_NODEV | MS_NOEXEC)


def copy_tree(source, target, uid, gid, depth=0):
    """Copies the folders and regular files beneath the open folder source
    into the folder target, with their modes, made uid:gid's (what the
    judge put in a runner's folders: a few levels)."""
    for entry in os.scandir(source):
        path = os.path.join(target, entry.name)
        info = entry.stat(follow_symlinks=False)
        if stat.S_ISDIR(info.st_mode) and depth < 8:
            os.mkdir(path, 0o700)
            inner = os.open(entry.name, os.O_RDONLY | os.O_DIRECTORY |
                            os.O_NOFOLLOW, dir_fd=source)
            try:
                copy_tree(inner, path, uid, gid, depth + 1)
            finally:
                os.close(inner)
        elif stat.S_ISREG(info.st_mode):
            given = os.open(entry.name, os.O_RDONLY | os.O_NOFOLLOW,
                            dir_fd=source)
            made = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL,
                           0o600)
            try:
                while True:
                    data = os.read(given, 1 << 20)
                    if not data:
                        break
                    os.write(made, data)
            finally:
                os.close(given)
                os.close(made)
        else:
            continue
        os.chown(path, uid, gid)
        os.chmod(path, stat.S_IMODE(info.st_mode))


def bounded_scratch(policy, uid, gid):
    """Mounts a tmpfs bounded in size and files (the policy's limits) on
    the scratch folder (policy['scratch']), holding what the judge put
    there and a copy of the learners' folders (policy['copies']), which
    is mounted back where they were: whatever the runner writes counts
    against the bound, and vanishes with its mount namespace."""
    scratch, copies = policy.get('scratch'), policy.get('copies')
    if not scratch:
        return
    limits = policy['limits']
    given = {path: os.open(path, os.O_RDONLY | os.O_DIRECTORY)
             for path in (scratch, copies) if path}
    try:
        mount_tmpfs(scratch, limits.get('scratch', SCRATCH_BYTES),
                    limits.get('inodes', SCRATCH_FILES), uid, gid, 0o755)
        copy_tree(given[scratch], scratch, uid, gid)
        if copies:
            inside = os.path.join(scratch, '.folders')
            os.mkdir(inside, 0o755)
            os.chown(inside, uid, gid)
            copy_tree(given[copies], inside, uid, gid)
            mount(inside, copies, None, MS_BIND | MS_REC)
    finally:
        for fd in given.values():
            os.close(fd)


def own_tree(path, uid, gid):
    """Makes path and what is beneath it uid:gid's (the runner's folders
    on disk, where there is no mount namespace to copy them into)."""
    for folder, subfolders, files in os.walk(path):
        for name in [folder] + [os.path.join(folder, f)
                                for f in subfolders + files]:
            os.lchown(name, uid, gid)


def open_closed_folders(paths, uid, gid):
    """In this process's mount namespace, replaces the highest folder
    above each of paths that uid:gid cannot enter (/root, above pyenv's
    Pythons, say) with a tmpfs holding only those of paths beneath it,
    mounted back where they were: uid:gid reaches them, and nothing else
    there. Returns the folders replaced."""
    closed = {}
    for path in sorted({os.path.realpath(p) for p in paths
                        if os.path.exists(p)}):
        folder = closed_folder(path, uid, gid)
        if folder is None:
            continue
        if folder == os.sep:
            raise SandboxError('uid {} cannot enter /'.format(uid))
        kept = closed.setdefault(folder, [])
        if not any(path.startswith(k + os.sep) for k in kept):
            kept.append(path)
    for folder, kept in closed.items():
        trees = []
        for path in kept:
            fd = LIBC.syscall(OPEN_TREE, AT_FDCWD, path.encode(),
                              OPEN_TREE_CLONE | AT_RECURSIVE | os.O_CLOEXEC)
            if fd < 0:
                failed('open_tree({})'.format(path))
            trees.append((path, fd, os.path.isdir(path)))
        mount_tmpfs(folder, 1 << 20, 4096, 0, 0, 0o755)
        for path, fd, is_folder in trees:
            above = folder
            for part in os.path.relpath(path, folder).split(os.sep)[:-1]:
                above = os.path.join(above, part)
                if not os.path.isdir(above):
                    os.mkdir(above, 0o755)
            if is_folder:
                os.mkdir(path, 0o755)
            else:
                os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o644))
            if LIBC.syscall(MOVE_MOUNT, fd, b'', AT_FDCWD, path.encode(),
                            MOVE_MOUNT_F_EMPTY_PATH) != 0:
                failed('move_mount({})'.format(path))
            os.close(fd)
    return sorted(closed)


def claim_user(user):
    """Returns (user, lock): for the runner's user autoencoders-runner, the
    first of its numbered users that no other runner holds, with the open
    lock file (flock) that holds it until this process ends (lock None
    where all are held, or where there is no safe lock folder: then the
    first, shared); another user (nobody) as it is."""
    if user is None or user[0] != RUNNER_USER:
        return user, None
    candidates = runner_users() or [user]
    for folder in LOCK_FOLDERS:
        try:
            os.makedirs(folder, 0o700, exist_ok=True)
            info = os.lstat(folder)
        except OSError:
            continue
        # only root may make or swap the lock files
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != 0 or \
                info.st_mode & 0o022:
            continue
        for candidate in candidates:
            try:
                fd = os.open(os.path.join(folder, candidate[0] + '.lock'),
                             os.O_RDWR | os.O_CREAT | os.O_CLOEXEC |
                             os.O_NOFOLLOW, 0o600)
            except OSError:
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return candidate, fd
            except OSError:
                os.close(fd)
        break
    return candidates[0], None


def make_cgroups(limits):
    """Makes the runner's control groups, one per controller beneath the
    grader's own (CGROUP_PREFIX and this process's pid), with an equal
    CPU share, the memory limit and the number of processes; returns
    {controller: folder} of those made."""
    made = {}
    for controller, folder in cgroup_folders().items():
        mine = os.path.join(folder, CGROUP_PREFIX + str(os.getpid()))
        try:
            # the groups of supervisors that were killed before removing
            # theirs: empty (rmdir refuses one that is not), their pid gone
            # and made a minute ago or more (a supervisor in another PID
            # namespace may have made one a moment ago, its runner not in
            # it yet)
            for name in os.listdir(folder):
                number = name[len(CGROUP_PREFIX):]
                path = os.path.join(folder, name)
                try:
                    if name.startswith(CGROUP_PREFIX) and \
                            number.isdigit() and \
                            not os.path.exists('/proc/' + number) and \
                            time.time() - os.stat(path).st_ctime > 60:
                        os.rmdir(path)
                except OSError:
                    pass
            os.mkdir(mine)
        except OSError:
            continue
        made[controller] = mine
        memory = limits.get('memory')
        settings = {'cpu': [('cpu.shares', 1024)],
                    'memory': [('memory.limit_in_bytes',
                                (memory + MEMORY_MARGIN) * 2 ** 20)]
                    if memory else [],
                    'pids': [('pids.max', limits['processes'])]}[controller]
        for name, value in settings:
            try:
                write_file(os.path.join(mine, name), str(int(value)))
            except OSError:
                pass
    return made


def remove_cgroups(made):
    """Kills whatever is left in the runner's control groups and removes
    them."""
    for folder in made.values():
        for _ in range(200):
            try:
                with open(os.path.join(folder, 'cgroup.procs')) as f:
                    left = [int(line) for line in f if line.strip()]
            except (OSError, ValueError):
                left = []
            for pid in left:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            try:
                os.rmdir(folder)
                break
            except FileNotFoundError:
                break
            except OSError:
                reap()
                time.sleep(0.01)


def apply(policy, user=None, cgroups=None):
    """Applies the policy to this process (the runner's, before it execs
    the command); user: (name, uid, gid) it becomes where the grader is
    root; cgroups: {controller: folder} it joins."""
    layers, limits = policy['layers'], policy['limits']
    root, kind = layers['root'], namespace_kind(layers)
    for folder in (cgroups or {}).values():
        write_file(os.path.join(folder, 'cgroup.procs'), '0')
    if root and not user:
        raise SandboxError(no_root(layers))
    uid, gid = (user[1], user[2]) if root else (os.getuid(), os.getgid())
    # (counted before this process's /proc shows its own processes only)
    before = user_tasks(uid)
    where = os.getcwd()
    if kind:
        enter_namespaces()
        bounded_scratch(policy, uid, gid)
        if root:
            open_closed_folders(policy['read'] + policy['write'], uid, gid)
    elif root:
        for path in (policy.get('scratch'), policy.get('copies')):
            if path:
                own_tree(path, uid, gid)
    if root:
        drop_bounding_set()
        os.setgroups([])
        os.setgid(gid)
        os.setuid(uid)
    elif kind:
        drop_capabilities()
    try:
        os.chdir(where)
    except OSError:
        os.chdir('/')
    resource.setrlimit(resource.RLIMIT_CPU, (limits['cpu'],
                                             limits['cpu'] + 5))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits['file'],) * 2)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    # RLIMIT_NPROC counts the processes of a user (in a user namespace:
    # of the user in that namespace, this runner's alone); where the
    # runner has a pids control group, that counts them, and a limit
    # shared with other runners of the same user would only let one of
    # them starve another
    if kind == 'user':
        most = limits['processes'] + 2
    elif root and 'pids' in (cgroups or {}):
        most = None
    else:
        most = limits['processes'] + before
    if most is not None:
        resource.setrlimit(resource.RLIMIT_NPROC, (most, most))
    # (a change of uid cleared it: the runner, PID 1 of its namespace, and
    # with it every process there, dies with its supervisor)
    LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if policy['enforce']:
        apply_landlock(policy['read'], policy['write'])
        apply_seccomp()


def probe():
    """Tries, in this process and a child, what a runner's namespaces
    need (python sandbox.py --probe); returns the exit status: 0 where
    all worked, else 1 with the reason on stderr."""
    try:
        if os.geteuid() != 0:
            enter_user_namespace()
        if LIBC.unshare(CLONE_NEWPID) != 0:
            failed('unshare(CLONE_NEWPID)')
        pid = os.fork()
        if pid == 0:
            try:
                enter_namespaces()
                mount_tmpfs(os.path.realpath(tempfile.gettempdir()), 1 << 20,
                            16, os.getuid(), os.getgid(), 0o700)
                os._exit(0)
            except BaseException as error:
                os.write(2, '{}\n'.format(error).encode())
                os._exit(1)
        _, status = os.waitpid(pid, 0)
        return 0 if status == 0 else 1
    except (SandboxError, OSError) as error:
        sys.stderr.write('{}\n'.format(error))
        return 1


def parents():
    """Returns {pid: the processes whose parent it is} of every process
    (by /proc, read once)."""
    found = {}
    for name in os.listdir('/proc'):
        if not name.isdigit():
            continue
        try:
            with open('/proc/{}/stat'.format(name)) as f:
                fields = f.read().rsplit(')', 1)[1].split()
            found.setdefault(int(fields[1]), []).append(int(name))
        except (OSError, IndexError, ValueError):
            continue
    return found


def tree(pid):
    """Returns pid and every process below it."""
    children = parents()
    found, level = [pid], [pid]
    while level:
        level = [child for parent in level
                 for child in children.get(parent, [])]
        found += level
    return found


def held_mib(pid, field=HELD):
    """Returns the memory pid and every process below it hold, in MiB, as
    /proc/PID/status's fields say it (HELD: their own and the shared pages
    they map, resident; 'VmRSS': with the libraries' pages); 0 where the
    system does not say."""
    if not os.path.isdir('/proc'):
        return 0.0
    fields = tuple(f + ':' for f in ((field,) if isinstance(field, str)
                                     else field))
    held = 0
    for process in tree(pid):
        try:
            with open('/proc/{}/status'.format(process)) as f:
                for line in f:
                    if line.startswith(fields):
                        held += int(line.split()[1])
        except (OSError, ValueError, IndexError):
            pass
    return held / 1024


def reap():
    """Reaps every child that has ended, without waiting."""
    while True:
        try:
            if os.waitpid(-1, os.WNOHANG)[0] == 0:
                return
        except ChildProcessError:
            return


def kill_children():
    """Kills every process below this one (a subreaper: orphans below it
    come back to it) and reaps them, until none is left."""
    me = os.getpid()
    for _ in range(1000):
        children = tree(me)[1:]
        if not children:
            return
        for child in children:
            try:
                os.kill(child, signal.SIGKILL)
            except OSError:
                pass
        reap()
        time.sleep(0.01)


def open_folder(parent, name):
    """Opens the folder name in the open folder parent, made this user's
    to search and change first where its mode says no; None where it
    cannot be opened."""
    flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        fd = os.open(name, flags, dir_fd=parent)
    except PermissionError:
        try:
            os.chmod(name, 0o700, dir_fd=parent)
            fd = os.open(name, flags, dir_fd=parent)
        except OSError:
            return None
    except OSError:
        return None
    try:
        os.fchmod(fd, 0o700)
    except OSError:
        pass
    return fd


def empty_folder(fd):
    """Removes every file beneath the open folder fd and returns the names
    of the folders in it."""
    folders = []
    try:
        entries = list(os.scandir(fd))
    except OSError:
        return folders
    for entry in entries:
        try:
            if entry.is_dir(follow_symlinks=False):
                folders.append(entry.name)
            else:
                os.unlink(entry.name, dir_fd=fd)
        except OSError:
            pass
    return folders


def remove_tree(path):
    """Removes path and everything beneath it, however deep (no recursion:
    a runner may leave thousands of nested folders) and whatever their
    modes (folders of mode 000, read-only files); never raises. Returns
    whether path is gone."""
    try:
        if not os.path.isdir(path) or os.path.islink(path):
            if os.path.lexists(path):
                os.unlink(path)
            return True
        top = os.open(os.path.dirname(os.path.abspath(path)) or os.sep,
                      os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        return not os.path.lexists(path)
    name = os.path.basename(os.path.abspath(path))
    try:
        fd = open_folder(top, name)
        # one open folder at a time: the path from the top is kept as
        # names, each with the subfolders still to remove, and '..' leads
        # back up
        stack = [[name, None]]
        while fd is not None and stack:
            current = stack[-1]
            if current[1] is None:
                current[1] = empty_folder(fd)
            if current[1]:
                inner = current[1].pop()
                below = open_folder(fd, inner)
                if below is None:
                    try:
                        os.rmdir(inner, dir_fd=fd)
                    except OSError:
                        pass
                    continue
                os.close(fd)
                fd = below
                stack.append([inner, None])
                continue
            stack.pop()
            if not stack:
                break
            above = os.open('..', os.O_RDONLY | os.O_DIRECTORY |
                            os.O_CLOEXEC, dir_fd=fd)
            os.close(fd)
            fd = above
            try:
                os.rmdir(current[0], dir_fd=fd)
            except OSError:
                pass
        if fd is not None:
            os.close(fd)
        os.rmdir(name, dir_fd=top)
    except Exception:  # whatever is left stays: the judge goes on
        pass
    finally:
        os.close(top)
    return not os.path.lexists(path)


def supervise(policy, command):
    """Runs command under the policy as this process's child; kills
    everything it left; returns its wait status."""
    if LIBC.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        failed('prctl(PR_SET_CHILD_SUBREAPER)')
    # the judge's end (killed with its process group, say) stops the
    # runner too: this process is told with SIGTERM, and cleans up
    judge = policy.get('judge')
    LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    if judge and os.getppid() != judge:
        return signal.SIGKILL
    layers = policy['layers']
    kind = namespace_kind(layers)
    user, lock, cgroups = None, None, {}
    if layers['root']:
        user, lock = claim_user(layers.get('user'))
        if user is None:
            raise SandboxError(no_root(layers))
        if layers.get('cgroup'):
            cgroups = make_cgroups(policy['limits'])
    try:
        if kind == 'user':
            enter_user_namespace()
        if kind and LIBC.unshare(CLONE_NEWPID) != 0:
            failed('unshare(CLONE_NEWPID)')
        return run_child(policy, command, user, cgroups,
                         () if lock is None else (lock,))
    finally:
        remove_cgroups(cgroups)
        if lock is not None:
            os.close(lock)


def close_others(keep):
    """Closes every file descriptor above stderr but those of keep."""
    try:
        open_now = [int(name) for name in os.listdir('/proc/self/fd')]
    except OSError:
        open_now = range(3, 1 << 16)
    for fd in open_now:
        if fd > 2 and fd not in keep:
            try:
                os.close(fd)
            except OSError:
                pass


def run_child(policy, command, user, cgroups, keep=()):
    """Forks the runner, applies the policy in it and execs command;
    waits for it, kills what it left; returns its wait status. The pipes
    the runner was given are its own: this process keeps none of them (the
    judge reads each job's until it ends), only keep."""
    stop = []

    def stopping(number, _):
        """Kills the runner and its processes, then goes on to exit."""
        stop.append(number)
        kill_children()
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, stopping)
    if stop:
        return signal.SIGKILL
    pid = os.fork()
    if pid == 0:
        try:
            for number in (signal.SIGTERM, signal.SIGINT):
                signal.signal(number, signal.SIG_DFL)
            LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
            apply(policy, user, cgroups)
            os.execve(command[0], command, policy['environment'])
        except BaseException as error:  # the sandbox or the command
            os.write(2, 'sandbox: could not start the runner: {}\n'.format(
                error).encode())
        os._exit(125)
    close_others(keep)
    while True:
        try:
            _, status = os.waitpid(pid, 0)
            break
        except ChildProcessError:
            status = signal.SIGKILL
            break
        except InterruptedError:
            continue
    kill_children()
    return status


def main(argv=None):
    """python -m checker.sandbox POLICY_JSON -- COMMAND..., or --probe."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ['--probe']:
        sys.exit(probe())
    policy, command = json.loads(argv[0]), argv[2:]
    try:
        status = supervise(policy, command)
    except SandboxError as error:
        sys.stderr.write('sandbox: {}\n'.format(error))
        sys.exit(125)
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        if number != signal.SIGKILL:
            # (SIGKILL's handler cannot be set, nor needs to be)
            signal.signal(number, signal.SIG_DFL)
        os.kill(os.getpid(), number)
    sys.exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1)


if __name__ == '__main__':
    main()
