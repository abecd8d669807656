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
        '--limit', '6000', '--no-show']
ANOMALY = [os.path.join(ROOT, 'applications', 'anomaly.py'), '--epochs',
           '4', '--limit', '2000', '--k', '4', '--models', 'vanilla']


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
            time.sleep(0.01)
    out, err = child.communicate(timeout=timeout)
    return child.returncode, out, err


def fit_epochs(name):
    """Returns a test: the model name has at least k epochs kept."""
    return lambda k: lambda m: m['fits'].get(name, {}).get('epoch', 0) >= k


def rows_without_times(path):
    """Returns the record's rows (timing keys left out)."""
    with open(path) as f:
        return json.load(f)['rows']


def interrupted_line(err, signum, kept):
    """Returns the one line saying the run stopped, checking its form: it
    names the epochs kept (1 to kept)."""
    lines = [line for line in err.splitlines() if 'interrupted' in line]
    assert len(lines) == 1, err[-2000:]
    epochs = 'epoch 1' if kept == 1 else 'epochs 1-{}'.format(kept)
    assert re.match(r'interrupted by {} in vanilla (at epoch {} of 4|after '
                    r'epoch {} of 4) \({} kept\); progress: '.format(
                        signum.name, kept + 1, kept, epochs), lines[0]), \
        lines[0]
    assert lines[0].endswith('Run the same command again to resume '
                             '(--fresh starts afresh).')
    assert 'Traceback' not in err
    return lines[0]


@pytest.mark.skipif(not KERAS_3, reason='the Keras 3 suite runs it')
def test_a_main_stopped_by_sigint_then_sigterm_resumes_the_same(tmp_path):
    """SIGINT after epoch 1, SIGTERM after epoch 2 of the resumed run, then
    the run to the end: each stop one line and its exit status, the
    previous metrics untouched, and the same losses, validation losses and
    printed value as an uninterrupted run."""
    whole, resumed = tmp_path / 'whole.json', tmp_path / 'resumed.json'
    status, _, _ = run(MAIN + ['--out', str(tmp_path), '--metrics',
                               str(whole)], tmp_path / 'a')
    assert status == 0
    resumed.write_text('the previous record\n')
    flags = MAIN + ['--out', str(tmp_path), '--metrics', str(resumed)]
    kept = 0
    for signum, status in ((signal.SIGINT, 130), (signal.SIGTERM, 143)):
        # stopped during the epoch after the next one kept (or, arriving
        # while that one is written, once it is)
        code, _, err = run(flags, tmp_path / 'b', signum=signum,
                           until=fit_epochs('vanilla')(kept + 1))
        assert code == status
        now = max(m['fits']['vanilla']['epoch']
                  for m in manifests(tmp_path / 'b'))
        assert now in (kept + 1, kept + 2)
        interrupted_line(err, signum, now)
        assert resumed.read_text() == 'the previous record\n'
        kept = now
    code, out, err = run(flags, tmp_path / 'b')
    assert code == 0, err
    resumed_at = int(re.search(r'resuming vanilla at epoch (\d) of 4',
                               err).group(1))
    assert resumed_at == kept + 1
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
    assert re.search('resuming fashion_mnist.vanilla at epoch [234] of 4',
                     err), err
    assert rows_without_times(resumed) == rows_without_times(whole)
    assert json.load(open(resumed))['sessions'] == 3
    assert not os.listdir(tmp_path / 'b')


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


def small_model(units=2):
    """Returns a compiled one-layer model of 4 inputs."""
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(units)])
    model.compile('adam', 'mse')
    return model


def test_a_truncated_checkpoint_is_set_aside_with_its_message(tmp_path):
    lines = []
    x = np.random.default_rng(0).random((32, 4)).astype('float32')
    first = progress.Progress('probe', {'n': 5}, root=str(tmp_path),
                              say=say_into(lines))
    first.fit('m', small_model(), x, x[:, :2], epochs=1, verbose=0)
    kept, = glob.glob(os.path.join(first.folder, 'm.npz-*'))
    with open(kept, 'r+b') as f:
        f.truncate(os.path.getsize(kept) // 2)
    lines.clear()
    second = progress.Progress('probe', {'n': 5}, root=str(tmp_path),
                               say=say_into(lines))
    assert lines == ['progress in {0} cannot be used ({1} is corrupt or '
                     'partial: its SHA-256 differs); set aside as '
                     '{0}.set-aside; starting afresh'.format(
                         first.folder, os.path.basename(kept))]
    assert os.path.isdir(first.folder + '.set-aside')
    assert not second.resumed
    history = second.fit('m', small_model(), x, x[:, :2], epochs=2,
                         verbose=0)
    assert len(history.history['loss']) == 2
    second.finish()


def test_each_epoch_has_its_own_seed():
    seeds = {progress.epoch_seed(name, epoch) for name in ('a', 'b')
             for epoch in range(5)}
    assert len(seeds) == 10
    assert progress.epoch_seed('a', 3) == progress.epoch_seed('a', 3)


def test_a_kept_model_that_does_not_fit_trains_afresh(tmp_path):
    lines = []
    small = small_model()
    x = np.random.default_rng(0).random((32, 4)).astype('float32')
    first = progress.Progress('probe', {'n': 4}, root=str(tmp_path),
                              say=say_into(lines))
    first.fit('m', small, x, x[:, :2], epochs=1, verbose=0)
    wide = small_model(3)
    second = progress.Progress('probe', {'n': 4}, root=str(tmp_path),
                               say=say_into(lines))
    history = second.fit('m', wide, x, x[:, :3], epochs=2, verbose=0)
    assert any('the kept epochs cannot be used' in line for line in lines)
    assert len(history.history['loss']) == 2
    second.finish()


class CountsSteps(keras.Model):
    """A model whose train_step counts its traces (a step of its own)."""

    traces = 0

    def train_step(self, data):
        """Counts the trace, then trains as Keras does."""
        CountsSteps.traces += 1
        return super().train_step(data)


def traced_fit(built_first, own_step=False):
    """Fits a small model for two epochs, its optimizer built before the
    fit or not; returns (its step's traces, the losses)."""
    keras.backend.clear_session()
    keras.utils.set_random_seed(0)
    inputs = keras.Input((4,))
    outputs = keras.layers.Dense(2, activation='sigmoid')(
        keras.layers.Dense(3, activation='relu')(inputs))
    model = (CountsSteps if own_step else keras.Model)(inputs, outputs)
    model.compile(optimizer='adam', loss='binary_crossentropy')
    traced = []
    if not own_step:
        step = model.train_step
        model.train_step = lambda data: traced.append(1) or step(data)
    if built_first:
        progress.build_optimizer(model)
    x = np.random.default_rng(0).random((64, 4)).astype('float32')
    losses = model.fit(x, x[:, :2], epochs=2, batch_size=16, shuffle=False,
                       verbose=0).history['loss']
    return len(traced) if not own_step else CountsSteps.traces, losses


def test_an_optimizer_built_first_traces_the_step_once_same_losses():
    plain, plain_losses = traced_fit(False)
    built, built_losses = traced_fit(True)
    assert (plain, built) == (2, 1)
    assert built_losses == plain_losses


def test_a_model_with_its_own_train_step_keeps_its_optimizer_unbuilt():
    CountsSteps.traces = 0
    traces, _ = traced_fit(True, own_step=True)
    assert traces == 2


def test_a_model_not_yet_built_is_left_to_build_its_optimizer_in_fit():
    model = keras.Sequential([keras.layers.Dense(2)])
    model.compile('adam', 'mse')
    progress.build_optimizer(model)
    x = np.random.default_rng(0).random((8, 4)).astype('float32')
    losses = model.fit(x, x[:, :2], epochs=2, verbose=0).history['loss']
    assert losses[1] < losses[0]
