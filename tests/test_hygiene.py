"""The grader's rules on the files beside the task files: the mains of
test_files/ keep them too, checked by the self-check's own functions (the
task files themselves are checked by the self-check, test_checker.py; the
style and Python 3.9 of every file by `make lint`). The prototypes the
task files define are the specification's."""
import ast
import os

import pytest

from conftest import ROOT, TASKS
from checker import static, tasks

MAIN_FILES = [os.path.join(ROOT, 'test_files', '{}-main.py'.format(n))
              for n in range(4)]


@pytest.mark.parametrize('path', MAIN_FILES, ids=os.path.basename)
def test_each_main_keeps_the_graders_file_rules(path):
    with open(path, 'rb') as f:
        data = f.read()
    tree = static.parse(data, filename=path)
    # (their style and Python 3.9: make lint, on every file)
    results = [static.check_shebang(data), static.check_newline(data),
               static.check_executable(path), static.check_documented(tree)]
    assert [(r['check'], r['verdict'], r['message']) for r in results] == \
        [(r['check'], 'pass', '') for r in results]


@pytest.mark.parametrize('name', TASKS)
def test_each_task_file_defines_the_specifications_prototype(name):
    with open(os.path.join(ROOT, name + '.py'), 'rb') as f:
        tree = static.parse(f.read())
    found = [node for node in tree.body if isinstance(node, ast.FunctionDef)
             and node.name == 'autoencoder']
    assert len(found) == 1
    assert [a.arg for a in found[0].args.args] == tasks.PROTOTYPES[name]
