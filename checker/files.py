"""The checks that read the task files alone (checker.static: shebang,
newline, executable, pycodestyle 2.11.1, Python 3.9 syntax, docstrings,
imports), on the task files among the paths given, as the pre-commit hook
`autoencoders-files` runs them on the staged files:

    python -m checker.files 0-vanilla.py 1-sparse.py ...

Paths that are not a task's file (0-vanilla.py ... 3-variational.py) are
left out. Nothing here imports TensorFlow or runs the files: it answers in
about a second. The exit status is 1 where a check fails, else 0.
"""
import argparse
import os
import sys

from checker import static, tasks


def task_files(paths):
    """Returns [(folder, task)] of the paths that are a task's file, each
    once, in order."""
    found = []
    for path in paths:
        name = os.path.basename(path)
        task = name[:-3] if name.endswith('.py') else None
        folder = os.path.dirname(path) or '.'
        if task in tasks.TASKS and (folder, task) not in found:
            found.append((folder, task))
    return found


def line(path, row):
    """Returns how the table shows one result of the file at path."""
    if row['verdict'] == 'pass':
        return 'ok   {} {}'.format(path, row['check'])
    text = '{} {} {}: {}'.format(
        'FAIL' if row['verdict'] == 'fail' else row['verdict'], path,
        row['check'], row['message'])
    return text + ('\n     hint: ' + row['hint'] if row.get('hint') else '')


def main(argv=None):
    """Checks the task files among the paths; prints a line per check and
    returns the exit status."""
    parser = argparse.ArgumentParser(
        prog='autoencoders-files', description='The checks that read the '
        'autoencoders task files alone (no TensorFlow): shebang, newline, '
        'executable, pycodestyle 2.11.1, Python 3.9, docstrings, imports.')
    parser.add_argument('paths', nargs='*', help='files; those that are '
                        'not a task file (0-vanilla.py ... 3-variational.py) '
                        'are left out')
    arguments = parser.parse_args(argv)
    failed = False
    for folder, task in task_files(arguments.paths):
        path = os.path.join(folder, task + '.py')
        for row in static.check_file(folder, task):
            print(line(path, row))
            failed = failed or row['verdict'] == 'fail'
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
