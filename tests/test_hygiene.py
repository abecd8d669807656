"""The grader's rules for every task file, checked the way it checks them."""
import ast
import os
import subprocess
import sys

import pytest

from conftest import ROOT, TASKS, task

TASK_FILES = [os.path.join(ROOT, name + '.py') for name in TASKS]
MAIN_FILES = [os.path.join(ROOT, 'test_files', '{}-main.py'.format(n))
              for n in range(4)]


def tracked_python_files():
    """Returns every Python file git tracks (or, outside git, finds), but
    the learner-style folders of tests/learners, some of which break the
    rules on purpose."""
    try:
        names = subprocess.run(['git', 'ls-files', '*.py',
                                ':!tests/learners'], cwd=ROOT,
                               capture_output=True, text=True,
                               check=True).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        names = []
    if not names:
        for folder, dirs, files in os.walk(ROOT):
            dirs[:] = [d for d in dirs if not d.startswith('.')
                       and os.path.join(folder, d) != os.path.join(
                           ROOT, 'tests', 'learners')]
            names += [os.path.relpath(os.path.join(folder, f), ROOT)
                      for f in files if f.endswith('.py')]
    return [os.path.join(ROOT, name) for name in names]


@pytest.mark.parametrize('path', TASK_FILES + MAIN_FILES,
                         ids=os.path.basename)
def test_first_line_is_the_python3_shebang(path):
    with open(path) as f:
        assert f.readline() == '#!/usr/bin/env python3\n', \
            '{} must start with #!/usr/bin/env python3'.format(path)


@pytest.mark.parametrize('path', TASK_FILES + MAIN_FILES,
                         ids=os.path.basename)
def test_file_is_executable(path):
    assert os.access(path, os.X_OK), '{} is not executable'.format(path)


@pytest.mark.parametrize('path', TASK_FILES + MAIN_FILES,
                         ids=os.path.basename)
def test_file_ends_with_a_newline(path):
    with open(path, 'rb') as f:
        assert f.read().endswith(b'\n'), \
            '{} does not end with a newline'.format(path)


@pytest.mark.parametrize('path', TASK_FILES, ids=os.path.basename)
def test_only_import_is_tensorflow_keras_as_keras(path):
    with open(path) as f:
        tree = ast.parse(f.read())
    imports = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imports += [(alias.name, alias.asname) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            imports.append(('from ' + str(node.module), None))
        elif (isinstance(node, ast.Call)
              and isinstance(node.func, ast.Name)
              and node.func.id in ('__import__', 'exec', 'eval')):
            imports.append((node.func.id, None))
    assert imports == [('tensorflow.keras', 'keras')], \
        '{} may only `import tensorflow.keras as keras`, found {}'.format(
            path, imports)


@pytest.mark.parametrize('name', TASKS)
def test_docstrings_reach_the_grader(name):
    """The grader prints module.__doc__, module.function.__doc__,
    module.Class.__doc__ and module.Class.method.__doc__."""
    module = task(name)
    assert module.__doc__ and module.__doc__.strip(), name
    assert module.autoencoder.__doc__.strip(), name + '.autoencoder'
    with open(module.__file__) as f:
        tree = ast.parse(f.read())
    missing = [node.name for node in ast.walk(tree)
               if isinstance(node, (ast.FunctionDef, ast.ClassDef))
               and not (ast.get_docstring(node) or '').strip()]
    assert missing == [], '{}: no docstring on {}'.format(name, missing)
    for top in tree.body:
        if isinstance(top, ast.ClassDef):
            cls = getattr(module, top.name)
            assert cls.__doc__.strip(), '{}.{}'.format(name, top.name)
            for node in top.body:
                if isinstance(node, ast.FunctionDef):
                    method = getattr(cls, node.name)
                    assert method.__doc__.strip(), '{}.{}.{}'.format(
                        name, top.name, node.name)


@pytest.mark.parametrize('name', TASKS)
def test_signature_is_the_specs(name):
    expected = {
        '0-vanilla': ['input_dims', 'hidden_layers', 'latent_dims'],
        '1-sparse': ['input_dims', 'hidden_layers', 'latent_dims',
                     'lambtha'],
        '2-convolutional': ['input_dims', 'filters', 'latent_dims'],
        '3-variational': ['input_dims', 'hidden_layers', 'latent_dims'],
    }[name]
    code = task(name).autoencoder.__code__
    assert list(code.co_varnames[:code.co_argcount]) == expected


def test_pycodestyle_2_11_1_finds_nothing_in_any_python_file():
    import pycodestyle
    assert pycodestyle.__version__ == '2.11.1', \
        'the grader uses pycodestyle 2.11.1, not ' + pycodestyle.__version__
    files = tracked_python_files()
    assert len(files) >= 8
    report = pycodestyle.StyleGuide(quiet=True).check_files(files)
    assert report.total_errors == 0, \
        'pycodestyle: {}'.format(report.get_statistics())


def test_python_files_need_no_more_than_python_3_9():
    """vermin reads the code and says which Python it needs at least."""
    result = subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), 'vermin'),
         '--target=3.9-', '--violations', '--no-tips', '--eval-annotations']
        + tracked_python_files(), capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
