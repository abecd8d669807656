"""Readies a grading machine, as root, once its environments are made (the
platforms' set-up runs it: Gradescope's setup.sh, the Dockerfile that
PrairieLearn and the batch use):

    .venv/bin/python -m checker.harden [--no-user]

- makes the runner's own unprivileged user (checker.sandbox.RUNNER_USER;
  --no-user leaves the users as they are), which the learners' code then
  runs as;
- leaves the grader's own task files (the reference solution) readable
  by root only;
- leaves the environments and the MNIST cache readable by everyone (the
  runner reads them);
- prints the sandbox line a runner now gets, and exits 1 where the runner
  would not run as that user (and says why).
"""
import argparse
import os
import pwd
import stat
import subprocess
import sys

from aelib import ROOT
from checker import cli, sandbox, tasks


def make_user():
    """Makes the runner's user where it does not exist (a system user
    with no home and no shell)."""
    try:
        pwd.getpwnam(sandbox.RUNNER_USER)
        return
    except KeyError:
        pass
    for command in (['useradd', '--system', '--no-create-home',
                     '--home-dir', '/nonexistent', '--shell',
                     '/usr/sbin/nologin', sandbox.RUNNER_USER],
                    ['adduser', '-S', '-H', '-h', '/nonexistent', '-s',
                     '/sbin/nologin', sandbox.RUNNER_USER]):
        try:
            subprocess.run(command, check=True, capture_output=True)
            return
        except (OSError, subprocess.CalledProcessError):
            continue
    raise SystemExit('checker.harden: could not make the user {} '
                     '(useradd and adduser failed)'.format(
                         sandbox.RUNNER_USER))


def private(root):
    """Makes the reference task files readable by root only; returns the
    paths changed."""
    changed = []
    for task in tasks.TASKS:
        path = os.path.join(root, task + '.py')
        if os.path.exists(path):
            os.chmod(path, 0o700)
            changed.append(path)
    return changed


def readable(folder):
    """Lets everyone read folder and what is beneath it (and search its
    folders), as uv and pip leave an environment anyway."""
    for top, folders, files in os.walk(folder):
        for name in [top] + [os.path.join(top, f) for f in files]:
            try:
                mode = os.lstat(name).st_mode
            except OSError:
                continue
            if stat.S_ISLNK(mode):
                continue
            wanted = mode | stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH
            if stat.S_ISDIR(mode) or mode & stat.S_IXUSR:
                wanted |= stat.S_IXGRP | stat.S_IXOTH
            if wanted != mode:
                os.chmod(name, wanted)


def main(argv=None):
    """Readies the machine; prints the runner's sandbox line."""
    parser = argparse.ArgumentParser(
        prog='python -m checker.harden', description=__doc__.split('\n\n')[0])
    parser.add_argument('--no-user', action='store_true', help='do not make '
                        'the runner\'s user (the runner is then nobody)')
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        raise SystemExit('checker.harden: run it as root (the platforms\' '
                         'set-up does); as another user the runner is '
                         'sandboxed by Landlock and seccomp alone')
    if not args.no_user:
        make_user()
    private(ROOT)
    for engine in tasks.ENGINES:
        if cli.interpreter(engine):
            readable(cli.environment_folder(engine))
    readable(cli.mnist_folder())
    line, enforced = cli.sandbox_line([tasks.GRADER_ENGINE], cli.TIMEOUT)
    print(line)
    layers = cli.layers_for(tasks.GRADER_ENGINE)
    if not enforced or not layers['user']:
        sys.exit(1)


if __name__ == '__main__':
    main()
