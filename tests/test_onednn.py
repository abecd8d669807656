"""Every command of the project sets TensorFlow's oneDNN option before
TensorFlow is imported (TensorFlow reads TF_ENABLE_ONEDNN_OPTS once, at
import), and a value the user set wins."""
import json
import os
import subprocess
import sys

import pytest

from conftest import KERAS_3, ROOT

# the import order is the same code in both environments; Keras 3's
# packages import parts of TensorFlow by other routes, which the hook below
# does not follow
pytestmark = pytest.mark.skipif(KERAS_3, reason='checked on Keras 2')

# the commands, as scripts run by path or modules run with -m, and the
# tests' shared set-up
COMMANDS = ['test_files/{}-main.py'.format(n) for n in range(4)] + [
    'applications/{}.py'.format(name) for name in (
        'anomaly', 'compression', 'denoising', 'dimensionality', 'theory')] + [
    'tools/bench.py', 'tools/backends.py', 'tools/calibrate.py',
    'tools/vae_kl_ablation.py', '-m explorer', '-m explorer.bench',
    'tests/conftest.py']
# Runs each command's imports in one process without loading TensorFlow: an
# import hook notes TF_ENABLE_ONEDNN_OPTS when TensorFlow's import starts and
# stops the command there; the project's modules it imported are then
# forgotten.
DRIVER = r'''
import json, os, runpy, sys
class Stop(BaseException):
    pass
class Finder:
    def find_spec(self, name, path=None, target=None):
        if name == 'tensorflow':
            raise Stop(os.environ.get('TF_ENABLE_ONEDNN_OPTS'))
        return None
sys.meta_path.insert(0, Finder())
PROJECT = {'aelib', 'applications', 'tools', 'explorer', 'conftest'}
before = set(sys.modules)
value = sys.argv[2]
seen = {}
for command in json.loads(sys.argv[1]):
    if value == 'unset':
        os.environ.pop('TF_ENABLE_ONEDNN_OPTS', None)
    else:
        os.environ['TF_ENABLE_ONEDNN_OPTS'] = value
    sys.argv[:] = [command, '--help']
    try:
        if command.startswith('-m '):
            runpy.run_module(command[3:], run_name='__main__')
        else:
            runpy.run_path(command, run_name='__main__')
        seen[command] = 'TensorFlow never imported'
    except Stop as stop:
        seen[command] = stop.args[0]
    except SystemExit:
        seen[command] = 'TensorFlow never imported'
    for name in set(sys.modules) - before:
        if name.split('.')[0] in PROJECT:
            del sys.modules[name]
print(json.dumps(seen))
'''


def onednn_at_import(value):
    """Returns {command: TF_ENABLE_ONEDNN_OPTS when it imports TensorFlow}
    with the variable unset ('unset') or set to value by the user."""
    done = subprocess.run(
        [sys.executable, '-c', DRIVER, json.dumps(COMMANDS), value],
        cwd=ROOT, capture_output=True, text=True, check=True,
        env=dict(os.environ, MPLBACKEND='Agg'))
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_every_command_turns_onednn_on_before_tensorflow_loads():
    seen = onednn_at_import('unset')
    assert seen == {command: '1' for command in COMMANDS}


@pytest.mark.parametrize('value', ['0', '1'])
def test_the_users_value_wins(value):
    seen = onednn_at_import(value)
    assert seen == {command: value for command in COMMANDS}
