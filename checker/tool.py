"""autoencoders-check: the self-check as a command of its own, from any
directory (`uv tool install` or `pipx install` of this repository, and the
pre-push hook of .pre-commit-hooks.yaml):

    autoencoders-check FOLDER [the self-check's options]
    autoencoders-check path/to/0-vanilla.py ...   (the files' folder)

The first run makes the environments it grades with (the grader's
TensorFlow 2.15 and the newest TensorFlow, each from the project's hashed
locks, by tools/environment.py) in a home of its own:
$AUTOENCODERS_CHECK_HOME, by default ~/.cache/autoencoders-check/VERSION,
where the project's files it needs are copied first; later runs reuse
them. Where no Python fits the newest TensorFlow, the folder is graded on
the grader's engine alone, as `make check` does. The exit status is the
self-check's.
"""
import hashlib
import os
import shutil
import subprocess
import sys

from checker import locate, tasks

# the project's files the grading needs beside the checker: its modules,
# the mains the runner runs, the set-up and its locks
TREES = ('aelib', 'checker', 'test_files', 'locks')
FILES = ('pyproject.toml', 'requirements-data.txt',
         os.path.join('tools', 'environment.py'))
# where an installed wheel keeps those files (pyproject.toml's data-files)
SHARED = os.path.join('share', 'autoencoders-check')


def source():
    """Returns the folder that holds the project's files: the repository
    this module is in (a clone, an editable install), else the copy an
    installed wheel keeps under its prefix."""
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if os.path.isfile(os.path.join(here, FILES[-1])):
        return here
    return os.path.join(sys.prefix, SHARED)


def version(folder):
    """Returns a short digest of the project's files in folder: a home
    for each version of them."""
    digest = hashlib.sha256()
    for tree in TREES:
        for parent, folders, names in sorted(os.walk(os.path.join(folder,
                                                                  tree))):
            folders[:] = sorted(f for f in folders if f != '__pycache__')
            for name in sorted(n for n in names if not n.endswith('.pyc')):
                with open(os.path.join(parent, name), 'rb') as f:
                    digest.update(name.encode() + f.read())
    for name in FILES:
        with open(os.path.join(folder, name), 'rb') as f:
            digest.update(f.read())
    return digest.hexdigest()[:12]


def home(folder):
    """Returns the home of this version of the project's files: its
    environments and its copy of the files."""
    given = os.environ.get('AUTOENCODERS_CHECK_HOME')
    if given:
        return os.path.abspath(given)
    cache = os.environ.get('XDG_CACHE_HOME') or os.path.join(
        os.path.expanduser('~'), '.cache')
    return os.path.join(cache, 'autoencoders-check', version(folder))


def copied(folder, target):
    """Copies the project's files from folder to target where they are not
    there yet."""
    for tree in TREES:
        if not os.path.isdir(os.path.join(target, tree)):
            shutil.copytree(os.path.join(folder, tree),
                            os.path.join(target, tree),
                            ignore=shutil.ignore_patterns('__pycache__'))
    for name in FILES:
        path = os.path.join(target, name)
        if not os.path.isfile(path):
            os.makedirs(os.path.dirname(path), exist_ok=True)
            shutil.copy(os.path.join(folder, name), path)


def uv():
    """Returns the uv to make the environments with: the one installed
    beside this command, else one on the PATH."""
    beside = os.path.join(os.path.dirname(sys.executable), 'uv')
    return beside if os.path.isfile(beside) else shutil.which('uv') or 'uv'


def environments(target):
    """Makes the environments in target where they are not made yet
    (the newest TensorFlow's optional); returns {engine: its folder} of
    those there."""
    made = {}
    for engine, optional in (('keras2', False), ('keras3', True)):
        folder = os.path.join(target, tasks.ENVIRONMENT_FOLDERS[engine])
        stamp = os.path.join(folder, '.core')
        if not os.path.exists(stamp) and not os.path.exists(
                folder + '.missing'):
            print('autoencoders-check: making the {} environment in {} (the '
                  'first time only)'.format(tasks.ENGINE_NAMES[engine],
                                            folder), file=sys.stderr)
            status = subprocess.call(
                [sys.executable, os.path.join(target, FILES[-1]), engine,
                 'core', '--folder', folder, '--uv', uv()] +
                (['--optional'] if optional else []))
            if status:
                sys.exit(status)
            if not os.path.exists(folder + '.missing'):
                open(stamp, 'w').close()
        if os.path.exists(stamp):
            # (the sandbox sees an environment by its own path, not by a
            # link to it)
            made[engine] = os.path.realpath(folder)
    return made


def main(argv=None):
    """Grades the folder (or the task files' folder) the arguments name,
    from the environments of this command's home; returns the exit
    status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    # the arguments that name a file or a folder are the paths; the rest
    # are the self-check's options, with their values
    paths = [a for a in argv if not a.startswith('-') and os.path.exists(a)]
    options = [a for a in argv if a not in paths]
    if not paths:
        print('usage: autoencoders-check FOLDER [options of python -m '
              'checker]\n       autoencoders-check TASK_FILE ... [options]',
              file=sys.stderr)
        return 2
    files = [p for p in paths if os.path.basename(p) in locate.TASK_FILES]
    folder = locate.folder_of('.', files) if files else paths[0]
    target = home(source())
    os.makedirs(target, exist_ok=True)
    copied(source(), target)
    made = environments(target)
    flags = []
    for engine, environment in made.items():
        flags += ['--environment', '{}={}'.format(engine, environment)]
    if 'keras3' not in made and '--engines' not in options:
        flags += ['--engines', 'keras2']
    python = os.path.join(made['keras2'], 'bin', 'python')
    return subprocess.call([python, '-m', 'checker',
                            os.path.abspath(folder)] + flags + options,
                           cwd=target)


if __name__ == '__main__':
    sys.exit(main())
