"""Resuming after an interruption (aelib.progress): real processes killed
with SIGKILL at chosen points and run again to the end give the numbers of
an uninterrupted run; SIGINT and SIGTERM give one line and exit statuses
130 and 143; kept files that are corrupt or foreign are set aside with a
message. The runs are small slices (a few hundred images, three epochs).
The main's test runs in the Keras 3 suite, the application's in the
Keras 2 suite, each on its suite's engine."""
import glob
import json
import os
import re
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from conftest import KERAS_3, ROOT, keras
from aelib import progress

# epochs long enough (a few tenths of a second) for the signal to arrive
# within the epoch after the one awaited
MAIN = [os.path.join(ROOT, 'test_files', '0-main.py'), '--epochs', '4',
        '--limit', '8000', '--no-show']
ANOMALY = [os.path.join(ROOT, 'applications', 'anomaly.py'), '--epochs',
           '4', '--limit', '3000', '--k', '4', '--models', 'vanilla']


def environment(root):
    """Returns the environment of a run keeping its progress under root."""
    return dict(os.environ, AUTOENCODERS_PROGRESS=str(root),
                TF_CPP_MIN_LOG_LEVEL='3', MPLBACKEND='Agg')


def manifests(root):
    """Returns the manifests of every progress under root."""
    found = []
    for path in glob.glob(os.path.join(str(root), '*', 'manifest.json')):
        try:
            with open(path) as f:
                found.append(json.load(f))
        except (OSError, ValueError):
            pass
    return found


def run(command, root, until=None, signum=signal.SIGKILL, timeout=300):
    """Runs command (a script and its flags) with this interpreter; with
    until (a test of the progress's manifest), sends signum as soon as it
    holds. Returns (exit status, stdout, stderr)."""
    child = subprocess.Popen([sys.executable] + command, cwd=ROOT,
                             env=environment(root), text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if until is not None:
        began = time.monotonic()
        while child.poll() is None and time.monotonic() - began < timeout:
            if any(until(m) for m in manifests(root)):
                child.send_signal(signum)
                break
            time.sleep(0.05)
    out, err = child.communicate(timeout=timeout)
    return child.returncode, out, err


def fit_epochs(name):
    """Returns a test: the model name has at least k epochs kept."""
    return lambda k: lambda m: m['fits'].get(name, {}).get('epoch', 0) >= k


def rows_without_times(path):
    """Returns the record's rows (timing keys left out)."""
    with open(path) as f:
        return json.load(f)['rows']


@pytest.mark.skipif(not KERAS_3, reason='the Keras 3 suite runs it')
def test_a_main_killed_after_epoch_1_resumes_with_the_same_losses(tmp_path):
    whole, resumed = tmp_path / 'whole.json', tmp_path / 'resumed.json'
    status, _, _ = run(MAIN + ['--out', str(tmp_path), '--metrics',
                               str(whole)], tmp_path / 'a')
    assert status == 0
    status, _, _ = run(MAIN + ['--out', str(tmp_path), '--metrics',
                               str(resumed)], tmp_path / 'b',
                       until=fit_epochs('vanilla')(1))
    assert status == -signal.SIGKILL
    assert not resumed.exists()
    status, out, err = run(MAIN + ['--out', str(tmp_path), '--metrics',
                                   str(resumed)], tmp_path / 'b')
    assert status == 0, err
    resumed_at = int(re.search(r'resuming vanilla at epoch (\d) of 4',
                               err).group(1))
    assert resumed_at in (2, 3)
    # stdout: Keras's remaining epochs, then what the spec's main prints
    assert 'Epoch 1/4' not in out
    assert 'Epoch {}/4'.format(resumed_at) in out
    first, second = (json.load(open(p)) for p in (whole, resumed))
    assert second['loss'] == first['loss']
    assert second['val_loss'] == first['val_loss']
    assert second['printed'] == first['printed']
    assert len(second['epoch_seconds']) == 4
    # a finished run removes its progress
    assert not os.listdir(tmp_path / 'b')


@pytest.mark.skipif(not KERAS_3, reason='the Keras 3 suite runs it')
@pytest.mark.parametrize('signum, status', [(signal.SIGINT, 130),
                                            (signal.SIGTERM, 143)])
def test_sigint_and_sigterm_stop_with_one_line(tmp_path, signum, status):
    metrics = tmp_path / 'metrics.json'
    metrics.write_text('the previous record\n')
    code, out, err = run(MAIN + ['--out', str(tmp_path), '--metrics',
                                 str(metrics)], tmp_path / 'p',
                         until=fit_epochs('vanilla')(1), signum=signum)
    assert code == status
    lines = [line for line in err.splitlines() if 'interrupted' in line]
    assert len(lines) == 1
    assert re.match(r'interrupted by {} in vanilla at epoch (2 of 4 \(epoch '
                    r'1|3 of 4 \(epochs 1-2) kept\)'.format(signum.name),
                    lines[0]), lines[0]
    assert 'Run the same command again to resume' in lines[0]
    assert 'Traceback' not in err
    assert metrics.read_text() == 'the previous record\n'


@pytest.mark.skipif(KERAS_3, reason='the Keras 2 suite runs it')
def test_an_application_killed_twice_ends_with_the_same_rows(tmp_path):
    whole, resumed = tmp_path / 'whole.json', tmp_path / 'resumed.json'
    status, _, err = run(ANOMALY + ['--out', str(tmp_path / 'w'), '--json',
                                    str(whole)], tmp_path / 'a')
    assert status == 0, err
    flags = ANOMALY + ['--out', str(tmp_path / 'r'), '--json', str(resumed)]
    # after the first model (MNIST's) ...
    status, _, _ = run(flags, tmp_path / 'b',
                       until=lambda m: 'mnist.vanilla' in m['steps'])
    assert status == -signal.SIGKILL
    # ... and in the middle of the second's epochs
    status, _, err = run(flags, tmp_path / 'b',
                         until=fit_epochs('fashion_mnist.vanilla')(1))
    assert status == -signal.SIGKILL
    assert 'mnist.vanilla: kept from an earlier run' in err
    assert not resumed.exists()
    status, _, err = run(flags, tmp_path / 'b')
    assert status == 0, err
    assert re.search('resuming fashion_mnist.vanilla at epoch [23] of 4',
                     err), err
    assert rows_without_times(resumed) == rows_without_times(whole)
    assert json.load(open(resumed))['sessions'] == 3
    assert not os.listdir(tmp_path / 'b')


@pytest.mark.skipif(KERAS_3, reason='the Keras 2 suite runs it')
def test_a_truncated_checkpoint_is_set_aside_with_its_message(tmp_path):
    flags = ANOMALY + ['--out', str(tmp_path), '--json',
                       str(tmp_path / 'a.json')]
    run(flags, tmp_path / 'p', until=fit_epochs('mnist.vanilla')(1))
    folder, = glob.glob(str(tmp_path / 'p' / 'anomaly-*'))
    kept, = glob.glob(os.path.join(folder, 'mnist.vanilla.npz-*'))
    with open(kept, 'r+b') as f:
        f.truncate(os.path.getsize(kept) // 2)
    status, _, err = run(flags, tmp_path / 'p')
    assert status == 0, err
    assert 'is corrupt or partial: its SHA-256 differs); set aside as ' \
        '{}.set-aside; starting afresh'.format(folder) in err
    assert 'Traceback' not in err
    assert os.path.isdir(folder + '.set-aside')
    assert json.load(open(tmp_path / 'a.json'))['rows']


def say_into(lines):
    """Returns a say() that appends to lines."""
    return lines.append


def test_foreign_or_malformed_progress_is_set_aside(tmp_path):
    lines = []
    first = progress.Progress('probe', {'n': 1}, root=str(tmp_path),
                              say=say_into(lines))
    first.step('one', lambda: {'x': np.arange(3), 'pair': (1, 'a')})
    first.finish()
    # another command's manifest in this command's folder
    kept = progress.Progress('probe', {'n': 1}, root=str(tmp_path),
                             say=say_into(lines))
    kept.step('one', lambda: 1)
    manifest = os.path.join(kept.folder, 'manifest.json')
    other = json.load(open(manifest))
    other['key'] = 'someone else'
    open(manifest, 'w').write(json.dumps(other))
    lines.clear()
    again = progress.Progress('probe', {'n': 1}, root=str(tmp_path),
                              say=say_into(lines))
    assert again.folder == kept.folder and not again.resumed
    assert 'it belongs to another command' in lines[0]
    # a manifest cut short
    again.step('one', lambda: 1)
    open(manifest, 'w').write('{"format": 1, "ke')
    lines.clear()
    third = progress.Progress('probe', {'n': 1}, root=str(tmp_path),
                              say=say_into(lines))
    assert 'unreadable manifest' in lines[0] and not third.resumed
    for done in (first, kept, again, third):
        done.finish()


def test_steps_are_kept_and_returned_as_computed(tmp_path):
    lines = []
    value = {'rows': [{'a': 1.5, 'b': None}], 'images': np.eye(3),
             'pair': (np.float32(2.5), 'x'), 'nested': [[np.arange(2)]]}
    first = progress.Progress('probe', {'n': 2}, root=str(tmp_path),
                              say=say_into(lines))
    assert first.step('s', lambda: value) is value
    second = progress.Progress('probe', {'n': 2}, root=str(tmp_path),
                               say=say_into(lines))
    assert second.resumed
    kept = second.step('s', lambda: pytest.fail('computed again'))
    assert kept['rows'] == value['rows']
    np.testing.assert_array_equal(kept['images'], value['images'])
    assert kept['pair'] == (2.5, 'x')
    np.testing.assert_array_equal(kept['nested'][0][0], np.arange(2))
    # other flags: another progress
    third = progress.Progress('probe', {'n': 3}, root=str(tmp_path),
                              say=say_into(lines))
    assert third.folder != second.folder and not third.resumed
    with pytest.raises(TypeError, match='cannot hold set'):
        third.step('bad', lambda: {1, 2})
    second.finish()
    assert not os.path.exists(second.folder)
    third.finish()


def test_each_epoch_has_its_own_seed():
    seeds = {progress.epoch_seed(name, epoch) for name in ('a', 'b')
             for epoch in range(5)}
    assert len(seeds) == 10
    assert progress.epoch_seed('a', 3) == progress.epoch_seed('a', 3)


def test_a_kept_model_that_does_not_fit_trains_afresh(tmp_path):
    lines = []
    small = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    small.compile('adam', 'mse')
    x = np.random.default_rng(0).random((32, 4)).astype('float32')
    first = progress.Progress('probe', {'n': 4}, root=str(tmp_path),
                              say=say_into(lines))
    first.fit('m', small, x, x[:, :2], epochs=1, verbose=0)
    wide = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    wide.compile('adam', 'mse')
    second = progress.Progress('probe', {'n': 4}, root=str(tmp_path),
                               say=say_into(lines))
    history = second.fit('m', wide, x, x[:, :3], epochs=2, verbose=0)
    assert any('the kept epochs cannot be used' in line for line in lines)
    assert len(history.history['loss']) == 2
    second.finish()
