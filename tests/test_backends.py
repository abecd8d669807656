"""Keras 3 runs one model definition on several engines: each task model,
saved in the .keras format under TensorFlow, loads (in safe mode) and
predicts the same under JAX, and the other way round. Keras reads
KERAS_BACKEND once, at its first import: the TensorFlow side runs in this
process (the Keras 3 suite runs on TensorFlow), the JAX side in one process
of its own that loads TensorFlow's models and saves its own. The section
tools/backends.py writes is tested on made-up rows."""
import os
import subprocess
import sys

import numpy as np
import pytest

from conftest import KERAS_3, ROOT, keras

JAX_SIDE = '''
import sys
import numpy as np
import aelib
import tensorflow.keras as keras
assert keras.backend.backend() == 'jax', keras.backend.backend()
folder = sys.argv[1]
for task, args in {arguments}.items():
    aelib.task(task)  # registers the task's custom layers, if any
    codes = np.load('{{}}/{{}}-codes.npy'.format(folder, task))
    auto = keras.models.load_model('{{}}/{{}}-tf.keras'.format(folder, task),
                                   safe_mode=True)
    np.save('{{}}/{{}}-tf-on-jax.npy'.format(folder, task),
            auto.get_layer('decoder').predict(codes, verbose=0))
    keras.utils.set_random_seed(0)
    encoder, decoder, auto = aelib.task(task).autoencoder(*args)
    x = np.load('{{}}/{{}}-x.npy'.format(folder, task))
    auto.fit(x, x, epochs=1, batch_size=16, verbose=0)
    auto.save('{{}}/{{}}-jax.keras'.format(folder, task))
    np.save('{{}}/{{}}-jax.npy'.format(folder, task),
            decoder.predict(codes, verbose=0))
'''
# (the vanilla model is the sparse one's layers without the regularizer)
ARGUMENTS = {
    '1-sparse': (784, [32, 16], 8, 1e-5),
    '2-convolutional': ((28, 28, 1), [4, 4, 4], (4, 4, 4)),
    '3-variational': (784, [32], 2),
}


def shape(size):
    """Returns a size (int or tuple) as a shape tuple."""
    return size if isinstance(size, tuple) else (size,)


@pytest.mark.skipif(not KERAS_3, reason='Keras 2 has one engine only')
def test_models_saved_on_one_engine_predict_the_same_on_the_other(tmp_path):
    pytest.importorskip('jax', reason='the JAX engine is not installed')
    if keras.backend.backend() != 'tensorflow':
        pytest.skip('run from the TensorFlow side (the Keras 3 suite)')
    from aelib import task as load
    rng = np.random.default_rng(0)
    saved = {}
    for name in ARGUMENTS:
        images, code = ARGUMENTS[name][0], ARGUMENTS[name][2]
        x = rng.random((32,) + shape(images), np.float32)
        codes = rng.standard_normal((5,) + shape(code)).astype(np.float32)
        np.save(tmp_path / (name + '-x.npy'), x)
        np.save(tmp_path / (name + '-codes.npy'), codes)
        keras.utils.set_random_seed(0)
        _, decoder, auto = load(name).autoencoder(*ARGUMENTS[name])
        auto.fit(x, x, epochs=1, batch_size=16, verbose=0)
        auto.save(tmp_path / (name + '-tf.keras'))
        saved[name] = decoder.predict(codes, verbose=0)
        assert saved[name].shape == (5,) + shape(images), name
    done = subprocess.run(
        [sys.executable, '-c', JAX_SIDE.format(arguments=repr(ARGUMENTS)),
         str(tmp_path)], capture_output=True, text=True, cwd=ROOT,
        timeout=300, env=dict(os.environ, KERAS_BACKEND='jax',
                              TF_CPP_MIN_LOG_LEVEL='3'))
    assert done.returncode == 0, done.stderr[-3000:]
    for name in ARGUMENTS:
        codes = np.load(tmp_path / (name + '-codes.npy'))
        np.testing.assert_allclose(
            np.load(tmp_path / (name + '-tf-on-jax.npy')), saved[name],
            rtol=1e-5, atol=1e-6, err_msg=name + ': TensorFlow to JAX')
        auto = keras.models.load_model(tmp_path / (name + '-jax.keras'),
                                       safe_mode=True)
        np.testing.assert_allclose(
            auto.get_layer('decoder').predict(codes, verbose=0),
            np.load(tmp_path / (name + '-jax.npy')), rtol=1e-5, atol=1e-6,
            err_msg=name + ': JAX to TensorFlow')


def engine_rows():
    """Returns rows as tools/backends.py writes them, made up: the JAX
    engine twice as fast on 0-vanilla, the engines 3% apart on 3-variational
    and within 2% elsewhere, oneDNN halving Keras 2's epoch."""
    from tools.bench import TASKS as MAINS
    rows = []
    for task in MAINS:
        for engine, keras, venv, backend, onednn, seconds in (
                ('Keras 2 / TF, oneDNN off', '2.15.0', '.venv', 'tensorflow',
                 False, 8.),
                ('Keras 2 / TF, oneDNN on', '2.15.0', '.venv', 'tensorflow',
                 True, 4.),
                ('Keras 3 / JAX', '3.15.1', '.venv-keras3', 'jax', None,
                 2. if task == '0-vanilla' else 6.)):
            loss = 100. if task == '3-variational' else 0.1
            if task == '3-variational' and backend == 'jax':
                loss *= 1.03
            rows.append({'task': task, 'keras': keras, 'backend': backend,
                         'backend_version': '0.10.2' if backend == 'jax'
                         else '2.15.1', 'tensorflow': '2.15.1',
                         'venv': venv, 'onednn': onednn, 'engine': engine,
                         'epochs': 5, 'first_epoch_seconds': seconds + 3,
                         's_per_epoch': seconds, 'floor_s_per_epoch': 0.5,
                         'x_floor': seconds / 0.5, 'val_loss': loss,
                         'limit': None})
    return rows


def test_each_main_runs_on_the_engine_with_the_fewest_seconds():
    from tools import backends
    best = backends.fastest_engines(engine_rows())
    assert best['0-vanilla']['backend'] == 'jax'
    assert (best['2-convolutional']['engine'],
            best['2-convolutional']['onednn']) == \
        ('Keras 2 / TF, oneDNN on', True)
    assert best['0-vanilla']['venv'] == '.venv-keras3'


def test_an_epochs_floor_is_its_multiply_adds_at_the_matmul_rate():
    from tools import backends
    # 1e6 multiply-adds: 2e6 FLOPs an image, 3 passes for each of 60,000
    # training images, 1 for each of 10,000 test images, at 100 GFLOP/s
    assert backends.floor_seconds(1e6, 100.) == \
        pytest.approx(2e6 * 190000 / 100e9)
    assert backends.floor_seconds(1e6, 100., limit=500) == \
        pytest.approx(2e6 * 2000 / 100e9)


def test_engines_are_selected_by_keras_backend_and_onednn():
    from tools import backends
    assert backends.engine_env(('.venv', 'tensorflow', False)) == \
        {'KERAS_BACKEND': 'tensorflow', 'TF_ENABLE_ONEDNN_OPTS': '0'}
    assert backends.engine_env(('.venv-keras3', 'jax', None)) == \
        {'KERAS_BACKEND': 'jax'}
    assert backends.engine_label(('.venv-keras3', 'tensorflow', True)) == \
        'Keras 3 / TF, oneDNN on'


def run_of(engine, x_floor):
    """Returns a made-up record of the four mains on one engine."""
    return {'total_seconds': 700., 'floor_seconds': 100., 'x_floor': x_floor,
            'x_floor_training': x_floor - 0.5, 'limit': None, 'tasks': {
                '0-vanilla': {'engine': engine, 'epochs': 50,
                              'val_loss': 0.0850, 'wall_seconds': 100.,
                              'floor_seconds': 10., 'x_floor': 10.}}}


def test_the_section_gives_floors_onednn_and_the_runs_against_the_goal():
    from tools import backends
    rows = engine_rows()
    fastest = dict(run_of('Keras 3 / JAX', 7.), command='x',
                   calibration_seconds=90., calibration_batches=24,
                   cpu='a CPU', calibration=rows)
    record = {'rows': rows, 'command': 'tools/backends.py',
              'bench_seconds': 100., 'wall_seconds': 5., 'cpu': 'a CPU',
              'cpu_flags': ['avx2', 'fma'], 'onednn_by_default': False,
              'matmul_gflops': 90., 'fastest': fastest,
              'demo': dict(run_of('Keras 2 / TF, oneDNN on', 7.5),
                           times_fastest=1.07)}
    text = backends.render(record)
    assert 'does not turn on oneDNN by itself here' in text
    assert 'this one has none of them' in text
    assert '**90 GFLOP/s**' in text
    assert '| 0-vanilla | 0.500 | 8.00 (16.0×) | 4.00 (8.0×) | 2.00 (4.0×) |' \
        in text
    assert '2-convolutional on Keras 2 2.00×' in text
    assert 'Beyond 2% apart: 3-variational.' in text
    assert '— 100 s wall time' in text
    # the calibration's fastest engine in bold
    assert '| 0-vanilla | 8.00 | 4.00 | **2.00** |' in text
    # against the specification's 0.0842 after 50 epochs: +0.95%
    assert '| 0-vanilla | Keras 3 / JAX | 50 | 0.0850 | 0.0842 | ' \
        '+1.0% | 100 | 10 | 10.0× |' in text
    assert '7.00× their combined floor of 100 s' in text
    assert 'against the goal of 2.0×' in text
    assert '7.50× the floor, against the goal of 3.5×; 1.07× the time' \
        in text


def test_calibration_estimates_an_epoch_from_timed_batches(capsys):
    from tools import calibrate
    calibrate.main(['--tasks', 'vanilla', '--batches', '8'])
    import json
    seconds = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert set(seconds) == {'vanilla', 'seconds'}
    # at least the 235 + 40 batches at a few microseconds each (no upper
    # bound: a slow or busy host may take any time)
    assert 0.001 < seconds['vanilla'] < float('inf')
