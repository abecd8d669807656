"""The runner's sandbox: what a learner's code can reach while it runs.

    python -m checker.sandbox POLICY_JSON -- COMMAND...

runs COMMAND (the runner) as a child under the policy and is its
supervisor: a child subreaper (every process the runner starts, even one
that calls setsid and forks twice, becomes the supervisor's when its
parent dies), which kills every one of them once the runner has ended or
when it is itself told to stop (SIGTERM, SIGINT), then exits with the
runner's status (or dies of its signal); the judge's end stops it too
(SIGTERM, as its parent-death signal). The child applies, in order,
before COMMAND runs:

- as root: a network namespace of its own (no interface but a loopback
  that is down) and a PID namespace of its own (its processes die with
  it), where root holds CAP_SYS_ADMIN (not in a default Docker
  container); then an unprivileged user (the policy's 'user', where that
  user can reach the environment), else uid 0 without any capability;
- no new privileges, then Landlock (Linux 5.13+): read and execute
  beneath the policy's 'read' paths, everything beneath its 'write' paths,
  nothing else; no TCP bind or connect (ABI 4+); no signal to, and no
  abstract socket of, a process outside the sandbox (ABI 6+);
- a seccomp filter: socket() of any family and io_uring fail with EACCES
  (UDP is not Landlock's);
- limits: CPU seconds, the largest file, the number of processes (but for
  uid 0, which the kernel does not count).

available() says which layers this host gives, describe() says them in
one line ('sandbox: ...'); the judge (checker.cli) prints that line.
"""
import ctypes
import ctypes.util
import json
import os
import platform
import pwd
import resource
import signal
import stat
import sys
import time

LIBC = ctypes.CDLL(ctypes.util.find_library('c') or None, use_errno=True)
LIBC.syscall.restype = ctypes.c_long
# system call numbers: the same on x86_64 and aarch64 for Landlock
LANDLOCK_CREATE_RULESET, LANDLOCK_ADD_RULE, LANDLOCK_RESTRICT_SELF = \
    444, 445, 446
ARCHES = {'x86_64': (0xC000003E, 41), 'aarch64': (0xC00000B7, 198)}
IO_URING_SETUP = 425
PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, PR_CAPBSET_DROP = 38, 22, 24
PR_SET_CHILD_SUBREAPER, PR_SET_PDEATHSIG = 36, 1
CLONE_NEWNET, CLONE_NEWPID = 0x40000000, 0x20000000
# Landlock's filesystem rights, by the ABI that brought them
EXECUTE, WRITE_FILE, READ_FILE, READ_DIR = 1, 2, 4, 8
FS_ABI1 = (1 << 13) - 1
REFER, TRUNCATE, IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15
FILE_RIGHTS = EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE | IOCTL_DEV
NET_BIND_TCP, NET_CONNECT_TCP = 1, 2
SCOPE_ABSTRACT_UNIX, SCOPE_SIGNAL = 1, 2
# the user the runner becomes where the grader is root (the platforms'
# set-up makes it; nobody where it does not exist)
RUNNER_USER = 'autoencoders-runner'
# what every process needs to read: the system's libraries and settings
SYSTEM_READ = ('/usr', '/lib', '/lib64', '/bin', '/etc', '/proc', '/sys',
               '/dev/urandom', '/dev/random', '/dev/zero')
SYSTEM_WRITE = ('/dev/null',)


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
    """Returns (audit arch, socket's number) of this machine, or None."""
    return ARCHES.get(platform.machine()) if sys.platform == 'linux' \
        else None


def runner_user():
    """Returns (name, uid, gid) of the user the runner becomes under
    root."""
    try:
        found = pwd.getpwnam(RUNNER_USER)
        return RUNNER_USER, found.pw_uid, found.pw_gid
    except KeyError:
        return 'nobody', 65534, 65534


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
        if info.st_uid == uid:
            bits = info.st_mode >> 6
        elif info.st_gid == gid:
            bits = info.st_mode >> 3
        else:
            bits = info.st_mode
        if not bits & wanted:
            return False
    return True


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


def available(reads=()):
    """Returns the layers this host gives a runner: {'landlock': ABI,
    'seccomp': bool, 'root': bool, 'user': (name, uid, gid) or None and
    'user_problem': why not}; reads: what the runner's user must be able
    to read (its interpreter, its environment)."""
    root = sys.platform == 'linux' and os.geteuid() == 0
    found = {'landlock': landlock_abi(), 'seccomp': seccomp_arch() is not
             None, 'root': root, 'user': None, 'user_problem': '',
             'namespaces': root and capable(CAP_SYS_ADMIN)}
    if root and not capable(CAP_SETUID):
        found['user_problem'] = 'no CAP_SETUID'
    elif root:
        name, uid, gid = runner_user()
        blocked = [path for path in reads if not reachable(path, uid, gid)]
        if blocked:
            found['user_problem'] = '{} cannot read {}'.format(name,
                                                               blocked[0])
        else:
            found['user'] = (name, uid, gid)
    return found


def sandboxed(layers):
    """Whether the layers keep the grader's files out of reach: Landlock
    (any ABI) with seccomp."""
    return layers['landlock'] >= 1 and layers['seccomp']


def describe(layers, limits=None):
    """Returns the one line that says what the runner runs under."""
    if not sandboxed(layers):
        return 'sandbox: none on this host ({}): the learner\'s code runs ' \
            'with this user\'s files, network and processes in ' \
            'reach'.format('no Landlock' if layers['landlock'] < 1
                           else 'no seccomp')
    abi = layers['landlock']
    parts = ['Landlock ABI {} (files: its own copy and a scratch folder'
             '{}{})'.format(abi, '; no TCP' if abi >= 4 else
                            '; TCP not covered before ABI 4',
                            '; no signals out' if abi >= 6 else ''),
             'seccomp (no sockets)']
    if layers['root']:
        parts.append('network and PID namespaces' if layers['namespaces']
                     else 'no namespaces (no CAP_SYS_ADMIN)')
        parts.append('user {} ({})'.format(*layers['user'][:2])
                     if layers['user'] else 'uid 0 without capabilities ({})'
                     .format(layers['user_problem']))
    parts.append('process tree killed at the end')
    if limits:
        parts.append('limits: CPU {:.0f} s, files {:.0f} MiB, {}'.format(
            limits['cpu'], limits['file'] / 2 ** 20,
            '{} more processes'.format(limits['processes'])
            if not layers['root'] or layers['user'] else
            'processes not limited (uid 0)'))
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


def apply_seccomp():
    """Makes socket() (of any family) and io_uring_setup() fail with
    EACCES; another architecture's system calls kill the process."""
    arch = seccomp_arch()
    if arch is None:
        raise SandboxError('no seccomp filter for {}'.format(
            platform.machine()))
    audit, socket_nr = arch
    load, jeq, jge, ret = 0x20, 0x15, 0x35, 0x06
    allow, deny = 0x7fff0000, 0x00050000 | 13  # ERRNO(EACCES)
    kill = 0x80000000
    program = [
        bpf(load, 4),                       # 0: the architecture
        bpf(jeq, audit, 0, 6),              # 1: another one: kill
        bpf(load, 0),                       # 2: the call's number
        bpf(jge, 0x40000000, 3, 0),         # 3: x32 calls: deny
        bpf(jeq, socket_nr, 2, 0),          # 4: socket(): deny
        bpf(jeq, IO_URING_SETUP, 1, 0),     # 5: io_uring: deny
        bpf(ret, allow),                    # 6
        bpf(ret, deny),                     # 7
        bpf(ret, kill),                     # 8
    ]
    filters = (SockFilter * len(program))(*program)
    prog = SockFprog(len(program), filters)
    if LIBC.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        failed('prctl(PR_SET_NO_NEW_PRIVS)')
    if LIBC.prctl(PR_SET_SECCOMP, 2, ctypes.byref(prog), 0, 0) != 0:
        failed('prctl(PR_SET_SECCOMP)')


def drop_capabilities():
    """Leaves uid 0 with no capability at all (bounding set, effective,
    permitted, inheritable)."""
    for cap in range(64):
        if LIBC.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            break
    header = (ctypes.c_uint32 * 2)(0x20080522, 0)
    data = (ctypes.c_uint32 * 6)()
    if LIBC.syscall(126 if platform.machine() == 'x86_64' else 91,
                    header, data) != 0:
        failed('capset')


def apply(policy):
    """Applies the policy to this process (the runner's, before it execs
    the command)."""
    layers = policy['layers']
    if policy['enforce'] and layers['root']:
        if layers['namespaces'] and LIBC.unshare(CLONE_NEWNET) != 0:
            failed('unshare(CLONE_NEWNET)')
        if layers['user']:
            _, uid, gid = layers['user']
            os.setgroups([])
            os.setgid(gid)
            os.setuid(uid)
        else:
            drop_capabilities()
    limits = policy['limits']
    resource.setrlimit(resource.RLIMIT_CPU, (limits['cpu'],
                                             limits['cpu'] + 5))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits['file'],) * 2)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if policy['enforce'] and (not layers['root'] or layers['user']):
        # RLIMIT_NPROC counts every process of the user: those it has now
        # and the policy's number more
        more = limits['processes'] + user_tasks(os.getuid())
        resource.setrlimit(resource.RLIMIT_NPROC, (more, more))
    if policy['enforce']:
        apply_landlock(policy['read'], policy['write'])
        apply_seccomp()


def descendants(pid):
    """Returns the processes whose parent is pid (by /proc)."""
    found = []
    for name in os.listdir('/proc'):
        if not name.isdigit():
            continue
        try:
            with open('/proc/{}/stat'.format(name)) as f:
                fields = f.read().rsplit(')', 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid:
            found.append(int(name))
    return found


def tree(pid):
    """Returns pid and every process below it."""
    found, level = [pid], [pid]
    while level:
        level = [child for parent in level for child in descendants(parent)]
        found += level
    return found


def held_mib(pid, field='RssAnon'):
    """Returns the memory pid and every process below it hold, in MiB, as
    /proc/PID/status's field says it (RssAnon: their own, resident;
    VmRSS: with the libraries' pages); 0 where the system does not say."""
    if not os.path.isdir('/proc'):
        return 0.0
    held = 0
    for process in tree(pid):
        try:
            with open('/proc/{}/status'.format(process)) as f:
                for line in f:
                    if line.startswith(field + ':'):
                        held += int(line.split()[1])
        except OSError:
            pass
    return held / 1024


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
        while True:
            try:
                if os.waitpid(-1, os.WNOHANG)[0] == 0:
                    break
            except ChildProcessError:
                break
        time.sleep(0.01)


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
    if policy['enforce'] and policy['layers']['namespaces'] and \
            LIBC.unshare(CLONE_NEWPID) != 0:
        failed('unshare(CLONE_NEWPID)')
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
            apply(policy)
            os.execve(command[0], command, policy['environment'])
        except BaseException as error:  # the sandbox or the command
            os.write(2, 'sandbox: could not start the runner: {}\n'.format(
                error).encode())
        os._exit(125)
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
    """python -m checker.sandbox POLICY_JSON -- COMMAND..."""
    argv = sys.argv[1:] if argv is None else argv
    policy, command = json.loads(argv[0]), argv[2:]
    try:
        status = supervise(policy, command)
    except SandboxError as error:
        sys.stderr.write('sandbox: {}\n'.format(error))
        sys.exit(125)
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        signal.signal(number, signal.SIG_DFL)
        os.kill(os.getpid(), number)
    sys.exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1)


if __name__ == '__main__':
    main()
