"""The engines' runs of the self-check: each engine's runner started in
its sandbox (checker.sandbox) on copies of the learners' folders, what
the judge reads of it (each task's frames and outputs on pipes of their
own: run_jobs), the time and memory limits it watches, and the verdicts
the judge (checker.judge) draws from that, per folder and task
(check_folders). A file that reaches modules without importing them is
not run (static.reaching_in).
"""
import concurrent.futures
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

from aelib import ROOT, datasets
from checker import judge, parsing, protocol, sandbox, static, tasks

# each engine: its environment's folder and the variables that select it
ENGINE_ENVS = {engine: (tasks.ENVIRONMENT_FOLDERS[engine],
                        tasks.ENGINE_VARIABLES[engine])
               for engine in tasks.ENGINES}
# seconds each task may take on each engine, unless --timeout says
TIMEOUT = 180
# MiB the runner's processes may hold in all, unless --memory says; from
# TOGETHER_MEMORY up, each job's three processes may run at once (each
# counts the zygote's TensorFlow again, about 350 MiB on Keras 3: a task's
# checks and main together held 1.1 GiB with the zygote's, one after the
# other 0.75 GiB)
MEMORY = 4096
TOGETHER_MEMORY = 3072
# the engine whose runner takes longest (TensorFlow's import alone: 4.4 s
# on Keras 3, 1.8 s on Keras 2): where the runners take every core, its
# runner alone runs each job's processes at once, and so gets more than
# one core's share while the others run (docs/self-check.md)
SLOWEST = 'keras3'
# the largest file the runner may write, and how many processes (threads
# count) it may have where the limit applies (not to root)
FILE_LIMIT = 64 << 20
PROCESSES = 1024
# the scratch folder's size and number of files and folders, where the
# sandbox makes it a tmpfs of its own
SCRATCH_LIMIT = 256 << 20
SCRATCH_FILES = 20000
# the project's packages the runner uses: copied for it (only their .py
# files), so that nothing else of the project is within its reach
STAGED = ('aelib', 'checker', 'test_files')
# the variables of the grader's environment a runner keeps (the engines'
# settings); every other one is left out
KEPT = ('PATH', 'LANG', 'LC_ALL', 'TZ')
KEPT_PREFIXES = ('TF_', 'XLA_', 'OMP_', 'KMP_', 'MKL_', 'ONEDNN_', 'DNNL_',
                 'CUDA_')
# how often (s) the judge looks at the runner's time and memory
POLL = 0.1
# the processes the runner starts for each job, whose stdout the judge
# reads, and the most bytes of each it keeps
PHASES = ('import', 'checks', 'main')
OUTPUT_LIMIT = 64 << 10
# the most bytes the import's and the main's frames may hold (a line or two
# each: what they report is whether the file imported, or why the main
# crashed); the checks' may hold protocol.TOTAL_LIMIT
SMALL_REPORT = 1 << 20
# the seconds the runner may take to start (import TensorFlow, read MNIST)
# before its first job begins, where the time limit is shorter: a job's
# time is its own, on a slow or busy host too
START_LIMIT = 120


def copy_folder(folder, into):
    """Copies the task files and README.md of folder into into, keeping
    their modes, leaving out those the checker does not read (a symbolic
    link, a file larger than static.LARGEST); returns {name: the line
    saying why} for those."""
    said = {}
    for name in [task + '.py' for task in tasks.TASKS] + ['README.md']:
        path = os.path.join(folder, name)
        reason = static.refused(folder, name)
        if reason:
            said[name] = reason
        elif os.path.isfile(path):
            shutil.copy2(path, os.path.join(into, name))
    return said


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


def stage(work):
    """Copies the project's packages the runner uses into work/lib (their
    .py files only); returns that folder."""
    lib = os.path.join(work, 'lib')
    for package in STAGED:
        os.makedirs(os.path.join(lib, package))
        for name in os.listdir(os.path.join(ROOT, package)):
            if name.endswith('.py'):
                shutil.copy2(os.path.join(ROOT, package, name),
                             os.path.join(lib, package, name))
    return lib


def mnist_folder():
    """Returns the folder of the verified MNIST cache the runner reads,
    making the cache first where it is not there (the runner may not
    write it)."""
    folder = os.environ.get('MNIST_DATA_DIR') or datasets.DEFAULT_DATA_DIR
    if not os.path.isfile(os.path.join(folder, 'mnist.npz')):
        # (numpy reads each .npy header with Python's parser)
        with parsing.LOCK:
            (x_train, y_train), (x_test, y_test) = datasets.load_mnist()
        datasets.write_npz(os.path.join(folder, 'mnist.npz'),
                           (x_train, y_train, x_test, y_test))
    return os.path.realpath(folder)


def environment_folder(engine):
    """Returns the absolute folder of an engine's environment."""
    return os.path.realpath(os.path.join(ROOT, ENGINE_ENVS[engine][0]))


def interpreter_prefix(python):
    """Returns the installation folder of the Python an environment's
    interpreter links to (its standard library and libraries)."""
    return os.path.dirname(os.path.dirname(os.path.realpath(python)))


def layers_for(engine):
    """Returns the sandbox layers this host gives an engine's runner."""
    python = interpreter(engine)
    reads = [python, interpreter_prefix(python), environment_folder(engine)] \
        if python else []
    return sandbox.available(reads + [tempfile.gettempdir()])


def limits(timeout, jobs, memory=None):
    """Returns the runner's limits: CPU seconds (every core busy for the
    time its jobs may take), the largest file, the processes, the scratch
    folder's size and number of files (where it is a tmpfs of its own)
    and the memory (MiB, --memory: its control group's, where it has
    one)."""
    return {'cpu': int((timeout * (jobs + 1) + 60) * (os.cpu_count() or 1)),
            'file': FILE_LIMIT, 'processes': PROCESSES,
            'scratch': SCRATCH_LIMIT, 'inodes': SCRATCH_FILES,
            'memory': memory}


def policy(engine, work, lib, layers, enforce, timeout, jobs, memory=None):
    """Returns the sandbox's policy for a runner of engine in work: its
    scratch folder (HOME, TMPDIR) and the copies of the learners' folders
    are what the sandbox mounts on a bounded tmpfs where it can."""
    python = interpreter(engine)
    scratch = os.path.join(work, 'scratch')
    environment = {key: value for key, value in os.environ.items()
                   if key in KEPT or key.startswith(KEPT_PREFIXES)}
    data = mnist_folder()
    environment.update(
        ENGINE_ENVS[engine][1], HOME=os.path.join(scratch, 'home'),
        TMPDIR=os.path.join(scratch, 'tmp'),
        KERAS_HOME=os.path.join(scratch, 'keras'),
        MPLCONFIGDIR=os.path.join(scratch, 'matplotlib'), MPLBACKEND='Agg',
        TF_CPP_MIN_LOG_LEVEL='3', PYTHONDONTWRITEBYTECODE='1',
        MNIST_DATA_DIR=data)
    return {'layers': layers, 'enforce': enforce, 'judge': os.getpid(),
            'read': list(sandbox.SYSTEM_READ) + [
                interpreter_prefix(python), environment_folder(engine),
                lib, data],
            'write': list(sandbox.SYSTEM_WRITE) + [
                scratch, os.path.join(work, 'folders')],
            'scratch': scratch, 'copies': os.path.join(work, 'folders'),
            'limits': limits(timeout, jobs, memory),
            'environment': environment}


def hand_over(work, layers):
    """Lets the runner reach work where it runs as another user; the
    sandbox's supervisor, which takes the user (one no other runner
    holds), makes the copies and the scratch folder that user's."""
    if layers['user']:
        os.chmod(work, 0o755)


def run_engine(jobs, engine, timeout, memory=None, enforce=True,
               together=False):
    """Runs the engine checks of jobs, [(folder, task)], in a sandboxed
    runner, one after the other in one process where nothing goes wrong,
    and judges them; returns {(folder, task): its results in order}. A
    job that takes longer than timeout seconds, or whose process dies,
    fails the check under way and skips the rest; the jobs after it run in
    a new process. So does a job whose processes hold more than memory
    MiB. enforce: apply the sandbox (False where the host has none and the
    learner checks their own files). together: run each job's three
    processes at once (where a core is free for them)."""
    python = interpreter(engine)
    if python is None:
        return {job: [static.result(check, 'skip', not_installed(engine))
                      for check in tasks.engine_checks(job[1])]
                for job in jobs}
    layers = layers_for(engine)
    judged = {}
    # removed by sandbox.remove_tree, whatever the runner left there (a
    # TemporaryDirectory's rmtree recurses: 1,100 nested folders raise)
    work = tempfile.mkdtemp(prefix='autoencoders-')
    try:
        lib = stage(work)
        for folder in ('scratch/home', 'scratch/tmp', 'scratch/keras',
                       'scratch/matplotlib', 'folders'):
            os.makedirs(os.path.join(work, folder))
        copies = {}
        for folder, _ in jobs:
            if folder not in copies:
                copies[folder] = os.path.join(work, 'folders',
                                              str(len(copies)))
                os.mkdir(copies[folder])
                copy_folder(folder, copies[folder])
        hand_over(work, layers)
        rules = policy(engine, work, lib, layers, enforce, timeout,
                       len(jobs), memory)
        remaining = list(range(len(jobs)))
        while remaining:
            drawn = judge.challenge()
            done, current = run_jobs(
                python, [(copies[jobs[n][0]], jobs[n][1])
                         for n in remaining], rules, timeout, memory,
                work, drawn, lambda number, read, problem, drawn=drawn,
                share=remaining: judge.verdicts(
                    jobs[share[number]][1], read, drawn, problem),
                together)
            for number, results in done.items():
                judged[jobs[remaining[number]]] = results
            if current is None:
                break
            remaining = remaining[current + 1:]
        for job in jobs:
            if job not in judged:
                judged[job] = judge.verdicts(job[1], {}, None, judge.ENDED)
    finally:
        sandbox.remove_tree(work)
    return judged


def read_frames(stream, frames, broken, times=None,
                total=protocol.TOTAL_LIMIT):
    """Reads the runner's frames from stream into frames until its end, at
    most total bytes (and into times, where given, when each arrived, on
    the judge's clock); a broken frame ends the reading (said in broken),
    and the rest of the stream is read and left."""
    reader = protocol.Reader(stream, total)
    try:
        while True:
            frame = reader.read()
            if frame is None:
                break
            if times is not None:
                times.append(time.monotonic())
            frames.append(frame)
    except protocol.ProtocolError as error:
        broken.append(str(error))
        while stream.read(1 << 16):
            pass
    stream.close()


def read_output(stream, into, limit=OUTPUT_LIMIT):
    """Reads what a learner's process printed from stream until its end:
    the first limit bytes kept in into (a bytearray), the rest read and
    left."""
    while True:
        chunk = stream.read(1 << 16)
        if not chunk:
            break
        into += chunk[:max(0, limit - len(into))]
    stream.close()


def feed(stream, data):
    """Writes data to a stream and closes it (a runner that never reads it
    only leaves it unread)."""
    try:
        stream.write(data)
        stream.close()
    except OSError:
        pass


def stop(process):
    """Stops a runner and everything it started: its supervisor kills
    them all (SIGTERM), or, where it does not within 10 s, is killed."""
    try:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except OSError:
        pass


class Job:
    """What the judge reads of one job's processes: for each of its three
    processes, on two pipes of its own, the frames it sent (of its checks)
    and what it printed on stdout."""

    def __init__(self):
        """Makes the job's pipes; the runner gets their write ends."""
        self.sent = {phase: ([], []) for phase in PHASES}
        self.broken = []
        self.outputs = {phase: bytearray() for phase in PHASES}
        self.ends, self.threads = [], []
        for phase in PHASES:
            read_end, write_end = os.pipe()
            self.ends.append(write_end)
            # the checks send the evidence; the import and the main only a
            # line or two: a job holds little more than one conversation
            self.threads.append(threading.Thread(
                target=read_frames, daemon=True,
                args=(os.fdopen(read_end, 'rb'), self.sent[phase][0],
                      self.broken, self.sent[phase][1],
                      protocol.TOTAL_LIMIT if phase == 'checks'
                      else SMALL_REPORT)))
            read_end, write_end = os.pipe()
            self.ends.append(write_end)
            self.threads.append(threading.Thread(
                target=read_output, daemon=True, args=(
                    os.fdopen(read_end, 'rb'), self.outputs[phase])))

    @property
    def frames(self):
        """Returns the frames its processes sent: the import's, then the
        checks', then the main's, each process's in the order it sent
        them (whether the processes ran one after the other or at
        once)."""
        return [frame for phase in PHASES for frame in self.sent[phase][0]]

    def start(self):
        """Starts reading, once the runner holds the write ends."""
        for end in self.ends:
            os.close(end)
        for thread in self.threads:
            thread.start()

    def join(self, timeout):
        """Waits for the pipes' ends (every process that held them gone)
        at most timeout seconds in all."""
        limit = time.monotonic() + timeout
        for thread in self.threads:
            thread.join(timeout=max(0., limit - time.monotonic()))

    def printed(self):
        """Returns {phase: text} of what each process printed."""
        return {phase: bytes(data).decode('utf-8', errors='replace')
                for phase, data in self.outputs.items()}

    def finished(self):
        """Says whether every pipe of the job has ended."""
        return not any(thread.is_alive() for thread in self.threads)

    def read(self, ended):
        """Returns what the judge read of the job (ended: {phase: exit
        status}, as the runner's own pipe says)."""
        return {'frames': self.frames, 'printed': self.printed(),
                'ended': ended, 'broken': list(self.broken)}

    def release(self, profiling=False):
        """Gives back what the job's frames hold, once it is judged (the
        frames of every job of a runner, held until its end, would fill
        the judge's budget of the reports it holds at once); profiling,
        the checks' names alone are kept, for the profile (profiled)."""
        for frames, times in self.sent.values():
            if not profiling:
                frames[:], times[:] = [], []
                continue
            kept = []
            for frame in frames:
                header = frame['header']
                check = header.get('check')
                kept.append({'header': {
                    'kind': 'check', 'check': check if check in
                    tasks.ENGINE_CHECKS else None} if header.get('kind') ==
                    'check' else {}})
            frames[:] = kept


# a file to add where the time of a grading went, read on the judge's
# clock as the runner's frames arrive (tools/profile_check.py)
PROFILE = 'AUTOENCODERS_PROFILE'


def profiled(path, python, jobs, started, frames, times, readers):
    """Adds to the file at path a JSON line per part of the runner's
    work: its start (the sandbox, Python, TensorFlow's import) to its
    first job's beginning, each job's import, checks and main processes
    (from when each started to when it ended, with the CPU seconds the
    runner says it used), each check within the checks process (from the
    frame before it), and the runner's whole time. Only a measure of
    time: no verdict reads it."""
    records, began = [], {}
    for frame, arrived in zip(frames, times):
        header = frame['header']
        number, phase = header.get('job'), header.get('phase')
        if header.get('kind') == 'end':
            records.append({'part': 'runner', 'seconds': arrived - started})
        if not isinstance(number, int) or not 0 <= number < len(jobs):
            continue
        task = jobs[number][1]
        if header.get('kind') == 'begin' and number == 0:
            records.append({'part': 'start', 'seconds': arrived - started})
        elif header.get('kind') == 'started':
            began[number, phase] = arrived
        elif header.get('kind') == 'ended' and (number, phase) in began:
            records.append({'part': 'process', 'task': task,
                            'phase': phase,
                            'seconds': arrived - began[number, phase],
                            'cpu': header.get('cpu')})
            if phase == 'checks':
                before = began[number, phase]
                for sent, arrived_check in zip(*readers[number].sent[phase]):
                    if sent['header'].get('kind') == 'check':
                        records.append({
                            'part': 'check', 'task': task,
                            'check': sent['header'].get('check'),
                            'seconds': arrived_check - before})
                        before = arrived_check
    engine = 'keras3' if 'keras3' in python else 'keras2'
    with open(path, 'a') as f:
        for record in records:
            f.write(json.dumps(dict(record, engine=engine)) + '\n')


def endings(frames, ended):
    """Adds to ended, {job: {phase: exit status}}, how each process ended,
    from the runner's own frames."""
    for frame in frames:
        header = frame['header']
        number = header.get('job')
        if header.get('kind') == 'ended' and header.get('phase') in \
                PHASES and isinstance(number, int) and \
                isinstance(header.get('status'), int):
            ended.setdefault(number, {})[header['phase']] = header['status']


def run_jobs(python, jobs, rules, timeout, memory, work, drawn, decide,
             together=False):
    """Runs checker/runner.py on jobs, [(copy of a folder, task)], under
    the sandbox's rules, each within timeout seconds (from the moment it
    begins: the runner's start, which runs no learner's code, has
    START_LIMIT, or timeout where more) and memory MiB of
    its processes (where given). Each job that ends is judged as soon as
    its pipes end, by decide(number, what the judge read of it, problem),
    and its frames given back; so is the job under way when the runner was
    stopped or died, with what happened to it. Returns ({job: decide's
    result}, the number of that job or None). What the judge read of a
    job: {'frames', 'printed': {phase: text}, 'ended': {phase: exit
    status}, 'broken'}."""
    read_end, write_end = os.pipe()
    command = [python, '-I', '-B', os.path.join(work, 'lib', 'checker',
                                                'runner.py'),
               '--pipe', str(write_end)] + (
                   ['--together'] if together else [])
    readers = [Job() for _ in jobs]
    for (copy, task), job in zip(jobs, readers):
        command += ['--job', copy, task, ','.join(str(fd)
                                                  for fd in job.ends)]
    if sys.platform == 'linux':
        command = [sys.executable, '-I', '-B',
                   os.path.join(ROOT, 'checker', 'sandbox.py'),
                   json.dumps(rules), '--'] + command
    errors = os.path.join(work, 'runner.stderr')
    frames, broken, times = [], [], []
    current, began, problem = 0, None, None
    started = time.monotonic()
    with open(errors, 'w') as stderr:
        process = subprocess.Popen(
            command, cwd=work, env=rules['environment'],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=stderr,
            pass_fds=[write_end] + [fd for job in readers
                                    for fd in job.ends],
            start_new_session=True)
    os.close(write_end)
    for job in readers:
        job.start()
    threading.Thread(target=feed, daemon=True, args=(
        process.stdin, protocol.encode({'kind': 'challenge'}, drawn))).start()
    reader = threading.Thread(target=read_frames, daemon=True, args=(
        os.fdopen(read_end, 'rb'), frames, broken, times))
    reader.start()
    ended, seen, begun, done = {}, 0, 0, {}
    # (a thread of its own: the time and memory limits are watched while
    # the judge decides)
    deciding = concurrent.futures.ThreadPoolExecutor(1)

    def judge_ended():
        """Judges the jobs whose three processes ended and whose pipes
        all ended."""
        for number, job in enumerate(readers):
            if number not in done and len(ended.get(number, {})) == \
                    len(PHASES) and job.finished():
                done[number] = deciding.submit(
                    decide, number, job.read(ended[number]), judge.ENDED)
                job.release(bool(os.environ.get(PROFILE)))

    try:
        while True:
            try:
                process.wait(timeout=POLL)
                finished = True
            except subprocess.TimeoutExpired:
                finished = False
            arrived = frames[seen:]
            seen += len(arrived)
            endings(arrived, ended)
            begun += sum(f['header'].get('kind') == 'begin' for f in arrived)
            if begun and (began is None or begun - 1 > current):
                current, began = begun - 1, time.monotonic()
            if finished:
                break
            if began is None and time.monotonic() - started > max(
                    timeout, START_LIMIT):
                # (no learner's code runs before the first job begins)
                stop(process)
                problem = 'the grader\'s runner did not start within {:g} s ' \
                    '(TensorFlow\'s import): the host is too slow or too ' \
                    'busy'.format(max(timeout, START_LIMIT))
                break
            if began is not None and time.monotonic() - began > timeout:
                stop(process)
                problem = 'took longer than {:g} s (the time limit, ' \
                    '--timeout): something in the file or in autoencoder() ' \
                    'does not return'.format(timeout)
                break
            # (their own resident memory: not the shared libraries' pages,
            # which the system can drop and read again)
            held = sandbox.held_mib(process.pid) if memory else 0
            if memory and held > memory:
                stop(process)
                problem = 'held {:.0f} MiB of memory, more than the {:g} ' \
                    'MiB allowed (--memory): something in the file or in ' \
                    'autoencoder() builds far more than the models ' \
                    'need'.format(held, memory)
                break
            judge_ended()
    except BaseException:
        # (the grader's own failure: the runner goes with it)
        stop(process)
        deciding.shutdown(wait=False)
        raise
    reader.join(timeout=30)
    for job in readers:
        job.join(timeout=10)
    endings(frames[seen:], ended)
    if os.environ.get(PROFILE):
        profiled(os.environ[PROFILE], python, jobs, started, frames, times,
                 readers)
    current = max(0, min(current, len(jobs) - 1))
    if problem is None and broken:
        stop(process)
        problem = 'the runner sent something that is not a report ' \
            '({}); nothing after it was read'.format(broken[0])
    judge_ended()
    if problem is None and len(done) == len(jobs):
        # (every job's processes ended: how the runner ended after them
        # changes none of their verdicts)
        return decided(deciding, done), None
    if problem is None:
        current = min(set(range(len(jobs))) - set(done))
    if problem is None and process.returncode == 0:
        problem = judge.ENDED
    if problem is None and process.returncode == -signal.SIGKILL:
        problem = 'the process was killed (SIGKILL) from outside: on a ' \
            'grading platform, most often for using more memory than ' \
            'allowed'
    if problem is None:
        with open(errors, 'rb') as f:
            f.seek(max(0, os.path.getsize(errors) - (64 << 10)))
            tail = f.read().decode(errors='replace')
        problem = 'the process ended with status {}{}'.format(
            process.returncode, died_of(tail, jobs[current][0]))
        said = [line for line in tail.splitlines()
                if line.startswith('sandbox: ')]
        if said:
            problem = said[-1]
    # (a job whose processes all ended keeps its verdicts: what happened
    # came after it)
    for number in range(current + 1):
        if number not in done:
            done[number] = deciding.submit(
                decide, number, readers[number].read(ended.get(number, {})),
                problem if number == current else judge.ENDED)
    return decided(deciding, done), current


def decided(deciding, done):
    """Returns {job: its verdicts} once every job of done, {job: the
    future of its verdicts}, is decided (what the judge raised, raised)."""
    deciding.shutdown()
    return {number: future.result() for number, future in done.items()}


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


def not_taken(reaching):
    """Returns the failure of every engine check of a file that reaches
    modules without importing them."""
    return 'not run: the file reaches modules or files without importing ' \
        'them ({}; see imports), so nothing its processes report could be ' \
        'taken as evidence; write it with keras alone'.format(', '.join(
            '{} at line {}'.format(*item) for item in reaching[:3]))


def engine_results(future, job):
    """Returns a job's engine results from its engine run; a run that
    raised (in the grader's own code) fails every check of the job, saying
    so, rather than losing every folder of the call."""
    try:
        return future.result()[job]
    except Exception as error:
        message = 'the grader failed while grading this: {}: {}'.format(
            type(error).__name__, protocol.safe(str(error), 200))
        return [static.result(check, 'fail', message)
                for check in tasks.engine_checks(job[1])]


def check_folders(requests, engines, timeout, jobs, memory=MEMORY,
                  enforce=True):
    """Returns {folder: every result, each with its task and engine, in
    order} for requests, {folder: the tasks to check there}, on engines.
    The engine checks of all the folders share each engine's processes
    (one per engine, or more where jobs allows): one import of TensorFlow
    serves them all, and each folder's modules are forgotten before the
    next folder's are imported."""
    files, present, voided = {}, [], {}
    for folder, task_list in requests.items():
        for task in task_list:
            if static.check_exists(folder, task)[1] is None:
                continue
            reaching = static.reaching_in(folder, task)
            if reaching:
                # the file reaches the runner's modules, or Python's own
                # machinery, beside the models: what its processes report
                # is not evidence
                voided[folder, task] = not_taken(reaching)
            else:
                present.append((folder, task))
    # one process per engine, or more where there are more cores; each
    # job's checks and main run side by side where a core is left for them,
    # else in the slowest engine's runners alone (where memory allows)
    groups = max(1, min(len(present), jobs // max(1, len(engines))))
    spare = len(engines) * min(groups, len(present)) < jobs
    roomy = (os.cpu_count() or 1) > 1 and (
        memory is None or memory >= TOGETHER_MEMORY)
    futures = {}
    with concurrent.futures.ThreadPoolExecutor(max(1, jobs)) as pool:
        for engine in engines:
            for group in range(groups):
                share = present[group::groups]
                if share:
                    future = pool.submit(
                        run_engine, share, engine, timeout, memory, enforce,
                        roomy and (spare or engine == SLOWEST))
                    for job in share:
                        futures[job, engine] = future
        # the file checks read the files while the runners start
        for folder, task_list in requests.items():
            for task in task_list:
                files[folder, task] = static.check_file(folder, task)
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
                    if (folder, task) in voided:
                        results = [static.result(check, 'fail',
                                                 voided[folder, task])
                                   for check in tasks.engine_checks(task)]
                    elif ((folder, task), engine) in futures:
                        results = judge.printed_by(engine_results(
                            futures[(folder, task), engine], (folder, task)),
                            task, static.prints_in(folder, task))
                    else:
                        results = [static.result(check, 'skip', 'skipped: '
                                                 'waits on exists, which '
                                                 'failed')
                                   for check in tasks.engine_checks(task)]
                    rows += [dict(r, task=task, engine=engine)
                             for r in results]
            found[folder] = rows
    return found
