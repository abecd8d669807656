"""The runner: the only code that imports a learner's task files. It runs in
a sandbox (checker.sandbox) that the judge (checker.engines) starts:

    python -I -B checker/runner.py --pipe FD [--together] \
        --job COPY 0-vanilla PIPES [...]

Theory of operation. This process, the zygote, imports TensorFlow, reads
the judge's challenge from stdin (the images and codes to run the models
on, drawn once the runner had started) and never imports a learner's file.
For each job (a task of a folder; COPY is the sandbox's copy of the
folder) it forks three processes, one after the other (with --together,
all three at once: the checks and the main then run side by side on two
cores), each holding only its own two of that job's pipes, each in a
Landlock domain of its own nested in the sandbox's (so that none can
trace, signal or open the files of the zygote or of another process),
each with the copy as its working directory and first on sys.path, as
the grader's mains have it. PIPES gives two pipes for each, in this
order: the frames (checker.protocol) it sends, and its stdout:

- import: imports the task file;
- checks: imports it, builds the models, runs the probes (checker.probes)
  and sends what they find, and the evidence the judge checks them
  against (checker.describe);
- main: runs the task's main for one epoch on a slice of MNIST.

The zygote writes on its own pipe (--pipe) only what it knows itself:
when each job began ('begin'), when each process started ('started') and
how it ended ('ended', with its exit status and CPU seconds), then 'end'.
Processes a job's processes leave behind come back to the zygote (a child
subreaper) and are killed once the processes run together have ended
(with --together, what the import left then runs on beside the checks and
the main, which are the same learner's), before any other starts. The
judge reads the three outputs itself, and trusts nothing the checks
process sends that it cannot check: that process holds the learner's code,
which can rewrite anything in it.
"""
import os
import sys

# the runner's own copy of the project's packages (checker.sandbox lets it
# read nothing else of the project): first on sys.path
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))

import argparse  # noqa: E402
import ctypes  # noqa: E402
import gc  # noqa: E402
import importlib  # noqa: E402
import io  # noqa: E402
import signal  # noqa: E402
import traceback  # noqa: E402

import aelib  # noqa: F401,E402  (first: sets TensorFlow's options)
import tensorflow as tf  # noqa: E402

from aelib import mains  # noqa: E402
from checker import explain, protocol, sandbox, tasks  # noqa: E402
from checker.describe import send_evidence  # noqa: E402
from checker.explain import (SOURCE, crash_text, hint_for,  # noqa: E402
                             watch_sites)
from checker import probes, vae_probes, variants  # noqa: E402

keras = tf.keras
PHASES = ('import', 'checks', 'main')
# Landlock's rights a nested domain handles with no rule (none of them is
# needed to run the models), so that it is a domain of its own; and its
# scopes
MAKE_CHAR, MAKE_SOCK, MAKE_FIFO, MAKE_BLOCK = 1 << 6, 1 << 9, 1 << 10, \
    1 << 11
# the rights of writing (a file's content, making and removing files and
# folders), which a nested domain keeps to the scratch folder
WRITES = sandbox.WRITE_FILE | (1 << 4) | (1 << 5) | (1 << 7) | (1 << 8) | \
    (1 << 12)


class Probe:
    """Sends the results of one job's checks (a task of a folder) to the
    judge."""

    def __init__(self, pipe, task, job=0):
        """pipe: the binary stream to the judge; task: '0-vanilla', ...;
        job: the job's number on the command line."""
        self.pipe = pipe
        self.task = task
        self.job = job
        self.done = {}
        self.crashes = {}

    def write(self, arrays=None, **record):
        """Sends one frame, with the job's task and number."""
        protocol.write(self.pipe, dict(record, task=self.task, job=self.job),
                       arrays)

    def record(self, check, verdict, message='', hint=''):
        """Writes one check's result."""
        self.done[check] = verdict
        self.write(kind='check', check=check, verdict=verdict,
                   message=message, hint=hint)

    def run(self, check, function, *arguments):
        """Runs function(*arguments), which returns None (pass), a message
        (fail) or (verdict, message, hint); an exception fails the check
        with its type, its first line and the line of the learner's file
        it came from."""
        if check not in tasks.engine_checks(self.task) or \
                check in tasks.JUDGED:
            return
        needed = tasks.NEEDS.get(check, 'builds')
        if needed and self.done.get(needed, 'pass') not in ('pass', 'note'):
            self.record(check, 'skip', 'skipped: waits on {}, which {}'.format(
                needed, 'failed' if self.done.get(needed) == 'fail'
                else 'was skipped'))
            return
        try:
            outcome = function(*arguments)
        except Exception as error:
            outcome = ('fail', crash_text(error), hint_for(error))
            same = [earlier for earlier, text in self.crashes.items()
                    if text == outcome[1].split(' (at ')[0]]
            self.crashes[check] = outcome[1].split(' (at ')[0]
            if same:
                outcome = ('fail', outcome[1] + ' (the same error as {} '
                           'above)'.format(same[0]), '')
        if check in tasks.WARNINGS and outcome is not None and \
                not isinstance(outcome, str) and outcome[0] == 'fail':
            outcome = ('note',) + tuple(outcome[1:])
        if outcome is None:
            self.record(check, 'pass')
        elif isinstance(outcome, str):
            self.record(check, 'fail', outcome)
        else:
            self.record(check, *outcome)


def enter(folder, task):
    """Makes folder the learner's folder: the working directory and first
    on sys.path; notes the task file's text (hints look for causes
    there)."""
    explain.FOLDER = os.path.realpath(folder)
    os.chdir(explain.FOLDER)
    sys.path.insert(0, explain.FOLDER)
    importlib.invalidate_caches()
    try:
        with open(os.path.join(explain.FOLDER, task + '.py'),
                  errors='replace') as f:
            SOURCE['text'] = f.read()
    except OSError:
        SOURCE['text'] = ''


def read_challenge():
    """Returns the judge's challenge: {name: array} from stdin."""
    frame = protocol.Reader(sys.stdin.buffer).read() or {}
    frame.pop('header', None)
    return frame


def nest():
    """Puts this process in a Landlock domain of its own, nested in the
    sandbox's: it can no longer trace, signal (ABI 6+) or read the open
    files of its parent or of any process outside it, and it writes only
    beneath the scratch folder (HOME, TMPDIR): the copy of the learner's
    folder, its task files included, is read-only to it. Returns whether
    it did (a host without Landlock has no domain to nest in)."""
    abi = sandbox.landlock_abi()
    if abi < 1:
        return False
    writes = WRITES | (sandbox.REFER if abi >= 2 else 0) | (
        sandbox.TRUNCATE if abi >= 3 else 0)
    attr = sandbox.RulesetAttr(
        writes | MAKE_CHAR | MAKE_SOCK | MAKE_FIFO | MAKE_BLOCK, 0,
        sandbox.SCOPE_ABSTRACT_UNIX | sandbox.SCOPE_SIGNAL if abi >= 6
        else 0)
    ruleset = sandbox.LIBC.syscall(sandbox.LANDLOCK_CREATE_RULESET,
                                   ctypes.byref(attr),
                                   ctypes.c_size_t(ctypes.sizeof(attr)), 0)
    if ruleset < 0:
        sandbox.failed('landlock_create_ruleset')
    scratch = os.path.dirname(os.environ.get('TMPDIR', '').rstrip('/'))
    if scratch and scratch != '/':
        sandbox.add_path(ruleset, scratch, writes)
    sandbox.add_path(ruleset, os.devnull, sandbox.WRITE_FILE)
    if sandbox.LIBC.prctl(sandbox.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        sandbox.failed('prctl(PR_SET_NO_NEW_PRIVS)')
    if sandbox.LIBC.syscall(sandbox.LANDLOCK_RESTRICT_SELF, ruleset, 0) != 0:
        sandbox.failed('landlock_restrict_self')
    os.close(ruleset)
    return True


def import_phase(task, probe, challenge):
    """Imports the task file; says whether it imported."""
    module, outcome = probes.import_task(task, explain.FOLDER)
    if module is None:
        probe.record('imports_cleanly', *outcome)
    else:
        probe.write(kind='imported')


def checks_phase(task, probe, challenge):
    """Runs one task's checks but the main: what each probe finds, and the
    evidence the judge checks."""
    seen = {}
    arguments = tasks.MAIN_ARGS[task]
    module, outcome = probes.import_task(task, explain.FOLDER)
    if module is None:
        probe.record('imports_cleanly', *outcome)
        return
    probe.record('imports_cleanly', 'pass')
    probe.run('builds', probes.build, module, arguments, seen)
    models = seen.get('models')
    if probe.done.get('builds') == 'pass':
        send_evidence(probe, task, seen, challenge)
    probe.run('structure', probes.structure, task, models, arguments,
              seen.get('roles'))
    probe.run('compiled', probes.compiled, task, models, arguments)
    probe.run('regularizer', probes.regularizer, task, module, models,
              arguments)
    probe.run('vae_outputs', vae_probes.vae_outputs, models, seen)
    probe.run('vae_loss', vae_probes.vae_loss, models, seen, probe, challenge)
    probe.run('variants', variants.variants, task, module,
              probe.done.get('regularizer') in ('pass', 'note'), probe,
              challenge)
    probe.run('trains', probes.trains, task, module, arguments, probe)


def main_phase(task, probe, challenge):
    """Runs the task's main; what it prints is the judge's to read."""
    module, outcome = probes.import_task(task, explain.FOLDER)
    if module is None:
        return
    try:
        probes.run_main(task, module)
    except Exception as error:
        probe.record('main_output', 'fail', crash_text(error),
                     hint_for(error))


def child(job, phase, pipes, every):
    """Forks the process of one phase of a job; returns its pid. It keeps
    only its phase's two pipes (its frames and its output) of every pipe
    given, in a Landlock domain of its own; it exits 0 once its phase is
    done."""
    folder, task, number = job
    frames, output = pipes[2 * PHASES.index(phase):][:2]
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid:
        return pid
    status = 1
    try:
        for fd in every:
            if fd not in (frames, output):
                os.close(fd)
        os.dup2(output, 1)
        os.close(output)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        nest()
        # what the learner's code prints reaches the judge as it is
        # printed, even where the process then ends abruptly
        sys.stdout = io.TextIOWrapper(
            io.FileIO(1, 'w', closefd=False), encoding='utf-8',
            errors='backslashreplace', write_through=True)
        enter(folder, task)
        probe = Probe(os.fdopen(frames, 'wb'), task, number)
        {'import': import_phase, 'checks': checks_phase,
         'main': main_phase}[phase](task, probe, CHALLENGE)
        status = 0
    except BaseException:
        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
        except BaseException:
            pass
        os._exit(status)


CHALLENGE = {}


def run_phases(pipe, job, phases, pipes, every):
    """Runs the processes of phases of a job at once and waits for them
    all; writes when each started and how it ended, then kills what they
    left running."""
    running = {}
    for phase in phases:
        running[child(job, phase, pipes, every)] = phase
        protocol.write(pipe, {'kind': 'started', 'job': job[2],
                              'phase': phase})
    while running:
        try:
            pid, status, usage = os.wait4(-1, 0)
        except InterruptedError:
            continue
        if pid in running:
            protocol.write(pipe, {'kind': 'ended', 'job': job[2],
                                  'phase': running.pop(pid),
                                  'status': os.waitstatus_to_exitcode(
                                      status),
                                  'cpu': usage.ru_utime + usage.ru_stime})
    sandbox.kill_children()


def main(argv=None):
    """Runs the checks of each job given (a task of a folder), one after
    the other, on this process's engine, each phase in a process of its
    own."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--job', nargs=3, action='append', required=True,
                        metavar=('FOLDER', 'TASK', 'PIPES'))
    parser.add_argument('--pipe', type=int, required=True)
    parser.add_argument('--together', action='store_true',
                        help='run each job\'s three processes at once')
    args = parser.parse_args(argv)
    jobs = []
    for folder, task, pipes in args.job:
        if task not in tasks.TASKS:
            parser.error('--job: no task {!r}'.format(task))
        try:
            pipes = [int(fd) for fd in pipes.split(',')]
        except ValueError:
            pipes = []
        if len(pipes) != 2 * len(PHASES):
            parser.error('--job: PIPES is two for each of {}, their frames '
                         'and their output'.format(', '.join(PHASES)))
        jobs.append((folder, task, pipes))
    every = {fd for _, _, pipes in jobs for fd in pipes} | {args.pipe}
    pipe = os.fdopen(args.pipe, 'wb')
    CHALLENGE.update(read_challenge())
    sandbox.LIBC.prctl(sandbox.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    watch_sites()
    # MNIST read and verified once, for every process of every job
    mains.keep_data('mnist', probes.MAIN_IMAGES, probes.TRAINED_IMAGES)
    probes.training_images()
    # what the zygote holds now (TensorFlow, Keras, the challenge) is never
    # garbage: the garbage collector's passes in the forked processes
    # (Keras 3's clear_session() runs one each time) leave it out, instead
    # of walking it again in each, and leave its pages shared
    gc.freeze()
    for number, (folder, task, pipes) in enumerate(jobs):
        protocol.write(pipe, {'kind': 'begin', 'job': number, 'task': task})
        for phases in [PHASES] if args.together else zip(PHASES):
            run_phases(pipe, (folder, task, number), phases, pipes, every)
        for fd in pipes:
            os.close(fd)
            every.discard(fd)
    protocol.write(pipe, {'kind': 'end'})


if __name__ == '__main__':
    main()
