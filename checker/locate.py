"""Finds the folder of a learner's repository that holds the task files
(0-vanilla.py ... 3-variational.py), as the Action (action.yml) and the
pre-push hook grade it:

    python -m checker.locate [ROOT] [PATH ...]

With paths (the files a commit or a push touches), the folder of the first
task file among them; else, below ROOT (default: the current folder), the
folder holding the most task files, the one named autoencoders first, then
the shallowest. Prints the folder relative to ROOT; the exit status is 1,
with one line on standard error, where there is none. Standard library
only: it runs before any environment is made.
"""
import os
import sys

TASK_FILES = ('0-vanilla.py', '1-sparse.py', '2-convolutional.py',
              '3-variational.py')
# folders never searched: version control, environments, caches
SKIPPED = ('.git', '.venv', '.venv-keras3', 'node_modules', '__pycache__',
           '.cache', 'site-packages')


def folder_of(root, paths=()):
    """Returns the folder (relative to root) the task files are in, or
    None."""
    for path in paths:
        if os.path.basename(path) in TASK_FILES:
            return os.path.dirname(os.path.normpath(path)) or '.'
    best = None
    for folder, folders, files in os.walk(root):
        folders[:] = sorted(f for f in folders if f not in SKIPPED and
                            not f.startswith('.'))
        count = sum(name in TASK_FILES for name in files)
        if not count:
            continue
        relative = os.path.relpath(folder, root)
        key = (count, os.path.basename(folder) == 'autoencoders',
               -relative.count(os.sep))
        if best is None or key > best[0]:
            best = (key, relative)
    return best[1] if best else None


def main(argv=None):
    """Prints the folder; returns the exit status."""
    argv = sys.argv[1:] if argv is None else argv
    root = argv[0] if argv else '.'
    found = folder_of(root, argv[1:])
    if found is None:
        print('no task file (0-vanilla.py ... 3-variational.py) below '
              '{}'.format(os.path.abspath(root)), file=sys.stderr)
        return 1
    print(found)
    return 0


if __name__ == '__main__':
    sys.exit(main())
