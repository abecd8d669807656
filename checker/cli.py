"""make check DIR=FOLDER, or python -m checker FOLDER: grades the four task
files in FOLDER as the school's checker would, on TensorFlow 2.15 (Keras 2,
the grader's engine), and shows apart what the newest TensorFlow (Keras 3)
would say.

The learner's code never runs in this process: each engine's checks run in a
runner of their own (checker/runner.py), sandboxed (checker/sandbox.py:
its own copy of the folder and a scratch folder, no network, no signals
out, limits, every process it started killed at the end), each task with a
time limit, with no display; this process is the judge (checker/judge.py),
which checks what the runner reports and decides each verdict. A crash is
reported as its exception and the line of the learner's file it came
from. Every check is
passed, failed, skipped (saying which failure it waits on) or passed with a
note. The score and the exit status (0 only when every counted check passed)
are the grader's engine's: the folder's and the files' checks and the Keras
2 checks.
"""
import argparse
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
from aelib.files import write_atomically
from checker import judge, protocol, sandbox, static, tasks

# each engine: its environment's folder and the variables that select it
ENGINE_ENVS = {engine: (tasks.ENVIRONMENT_FOLDERS[engine],
                        tasks.ENGINE_VARIABLES[engine])
               for engine in tasks.ENGINES}
# seconds each task may take on each engine, unless --timeout says
TIMEOUT = 180
# MiB the runner's processes may hold in all, unless --memory says
MEMORY = 4096
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
# what a check the runner never reported says where its process ended
# well (status 0): the learner's file ended it
ENDED = 'the process ended (status 0) before this check reported: ' \
    'something in the file ends it (os._exit, say)'


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
        if engine not in ENGINE_ENVS or not folder:
            parser.error('--environment {!r}: give ENGINE=FOLDER, ENGINE one '
                         'of {}'.format(given, ', '.join(ENGINE_ENVS)))
        ENGINE_ENVS[engine] = (os.path.abspath(folder),
                               ENGINE_ENVS[engine][1])
    return args


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


def run_engine(jobs, engine, timeout, memory=None, enforce=True):
    """Runs the engine checks of jobs, [(folder, task)], in a sandboxed
    runner, one after the other in one process where nothing goes wrong,
    and judges them; returns {(folder, task): its results in order}. A
    job that takes longer than timeout seconds, or whose process dies,
    fails the check under way and skips the rest; the jobs after it run in
    a new process. So does a job whose processes hold more than memory
    MiB. enforce: apply the sandbox (False where the host has none and the
    learner checks their own files)."""
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
        remaining, found = list(range(len(jobs))), {}
        while remaining:
            drawn = judge.challenge()
            read, current, problem = run_jobs(
                python, [(copies[jobs[n][0]], jobs[n][1])
                         for n in remaining], rules, timeout, memory,
                work, drawn)
            for number, read_of in read.items():
                found[remaining[number]] = (read_of, drawn, ENDED)
            if current is None:
                break
            found[remaining[current]] = (read.get(current, {}), drawn,
                                         problem)
            remaining = remaining[current + 1:]
        for n, job in enumerate(jobs):
            read_of, drawn, problem = found.get(n, ({}, None, ENDED))
            judged[job] = judge.verdicts(job[1], read_of, drawn, problem)
    finally:
        sandbox.remove_tree(work)
    return judged


def read_frames(stream, frames, broken):
    """Reads the runner's frames from stream into frames until its end;
    a broken frame ends the reading (said in broken), and the rest of the
    stream is read and left."""
    reader = protocol.Reader(stream)
    try:
        while True:
            frame = reader.read()
            if frame is None:
                break
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
    """What the judge reads of one job's processes: the frames of its
    checks (and the import's and the main's), and what each of its three
    processes printed on stdout, each on a pipe of its own."""

    def __init__(self):
        """Makes the job's pipes; the runner gets their write ends."""
        self.frames, self.broken = [], []
        self.outputs = {phase: bytearray() for phase in PHASES}
        self.ends, self.threads = [], []
        read_end, write_end = os.pipe()
        self.ends.append(write_end)
        self.threads.append(threading.Thread(
            target=read_frames, daemon=True,
            args=(os.fdopen(read_end, 'rb'), self.frames, self.broken)))
        for phase in PHASES:
            read_end, write_end = os.pipe()
            self.ends.append(write_end)
            self.threads.append(threading.Thread(
                target=read_output, daemon=True, args=(
                    os.fdopen(read_end, 'rb'), self.outputs[phase])))

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


def run_jobs(python, jobs, rules, timeout, memory, work, drawn):
    """Runs checker/runner.py on jobs, [(copy of a folder, task)], under
    the sandbox's rules, each within timeout seconds (from the moment it
    begins; the process's start counts for the first) and memory MiB of
    its processes (where given); returns ({job: what the judge read of
    it}, the number of the job under way when it was stopped or died or
    None, what happened to it). What the judge read of a job: {'frames',
    'printed': {phase: text}, 'ended': {phase: exit status}, 'broken'}."""
    read_end, write_end = os.pipe()
    command = [python, '-I', '-B', os.path.join(work, 'lib', 'checker',
                                                'runner.py'),
               '--pipe', str(write_end)]
    readers = [Job() for _ in jobs]
    for (copy, task), job in zip(jobs, readers):
        command += ['--job', copy, task, ','.join(str(fd)
                                                  for fd in job.ends)]
    if sys.platform == 'linux':
        command = [sys.executable, '-I', '-B',
                   os.path.join(ROOT, 'checker', 'sandbox.py'),
                   json.dumps(rules), '--'] + command
    errors = os.path.join(work, 'runner.stderr')
    frames, broken = [], []
    current, began, problem = 0, time.monotonic(), None
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
        os.fdopen(read_end, 'rb'), frames, broken))
    reader.start()
    while True:
        try:
            process.wait(timeout=POLL)
            finished = True
        except subprocess.TimeoutExpired:
            finished = False
        begun = sum(f['header'].get('kind') == 'begin' for f in frames[:])
        if begun - 1 > current:
            current, began = begun - 1, time.monotonic()
        if finished:
            break
        if time.monotonic() - began > timeout:
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
    reader.join(timeout=30)
    for job in readers:
        job.join(timeout=10)
    ended = {}
    for frame in frames:
        header = frame['header']
        number = header.get('job')
        if header.get('kind') == 'ended' and header.get('phase') in \
                PHASES and isinstance(number, int) and \
                isinstance(header.get('status'), int):
            ended.setdefault(number, {})[header['phase']] = header['status']
    by_job = {number: {'frames': job.frames, 'printed': job.printed(),
                       'ended': ended.get(number, {}),
                       'broken': job.broken}
              for number, job in enumerate(readers)}
    done = [number for number in range(len(jobs))
            if len(ended.get(number, {})) == len(PHASES)]
    current = max(0, min(current, len(jobs) - 1))
    if problem is None and broken:
        stop(process)
        problem = 'the runner sent something that is not a report ' \
            '({}); nothing after it was read'.format(broken[0])
    if problem is None and process.returncode == 0 and \
            len(done) == len(jobs):
        return by_job, None, None
    if problem is None:
        current = min(set(range(len(jobs))) - set(done))
    if problem is None and process.returncode == 0:
        problem = ENDED
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
    return by_job, current, problem


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
            files[folder, task] = static.check_file(folder, task)
            reaching = static.reaching_in(folder, task)
            if files[folder, task][0]['verdict'] != 'pass':
                continue
            if reaching:
                # the file reaches the runner's modules, or Python's own
                # machinery, beside the models: what its processes report
                # is not evidence
                voided[folder, task] = not_taken(reaching)
            else:
                present.append((folder, task))
    # one process per engine, or more where there are more cores
    groups = max(1, min(len(present), jobs // max(1, len(engines))))
    futures = {}
    with concurrent.futures.ThreadPoolExecutor(max(1, jobs)) as pool:
        for engine in engines:
            for group in range(groups):
                share = present[group::groups]
                if share:
                    future = pool.submit(run_engine, share, engine, timeout,
                                         memory, enforce)
                    for job in share:
                        futures[job, engine] = future
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
                        results = engine_results(
                            futures[(folder, task), engine], (folder, task))
                    else:
                        results = [static.result(check, 'skip', 'skipped: '
                                                 'waits on exists, which '
                                                 'failed')
                                   for check in tasks.engine_checks(task)]
                    rows += [dict(r, task=task, engine=engine)
                             for r in results]
            found[folder] = rows
    return found


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
