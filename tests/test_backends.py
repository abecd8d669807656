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

from conftest import KERAS_3, ROOT, TASKS, keras

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
ARGUMENTS = {
    '0-vanilla': (784, [32, 16], 8), '1-sparse': (784, [32, 16], 8, 1e-5),
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
    for name in TASKS:
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
    for name in TASKS:
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
    and within 2% elsewhere."""
    from tools.bench import TASKS as MAINS
    rows = []
    for task in MAINS:
        for keras, venv, backend, seconds in (
                ('2.15.0', '.venv', 'tensorflow', 4.),
                ('3.15.1', '.venv-keras3', 'tensorflow', 5.),
                ('3.15.1', '.venv-keras3', 'jax',
                 2. if task == '0-vanilla' else 6.)):
            loss = 100. if task == '3-variational' else 0.1
            if task == '3-variational' and backend == 'jax':
                loss *= 1.03
            rows.append({'task': task, 'keras': keras, 'backend': backend,
                         'backend_version': '0.10.2' if backend == 'jax'
                         else '2.21.0', 'tensorflow': '2.21.0',
                         'venv': venv, 'epochs': 5,
                         'first_epoch_seconds': seconds + 3,
                         's_per_epoch': seconds, 'val_loss': loss,
                         'limit': None})
    return rows


def test_each_main_runs_on_the_engine_with_the_fewest_seconds():
    from tools import backends
    best = backends.fastest_engines(engine_rows())
    assert best['0-vanilla']['backend'] == 'jax'
    assert (best['2-convolutional']['keras'],
            best['2-convolutional']['backend']) == ('2.15.0', 'tensorflow')
    assert best['0-vanilla']['venv'] == '.venv-keras3'


def test_the_section_gives_ratios_to_keras_2_and_names_disagreements():
    from tools import backends
    record = {'rows': engine_rows(), 'command': 'tools/backends.py',
              'bench_seconds': 100., 'wall_seconds': 5.,
              'environment': {'machine': 'a machine'},
              'fastest': {'total_seconds': 600., 'command': 'x', 'tasks': {
                  '0-vanilla': {'keras': '3.15.1', 'backend': 'jax',
                                'epochs': 50, 'val_loss': 0.0850,
                                'wall_seconds': 100.}}}}
    text = backends.render(record)
    assert '| 0-vanilla | 4.00 (1.00×) | 5.00 (1.25×) | 2.00 (0.50×) |' \
        in text
    assert 'Beyond 2% apart: 3-variational.' in text
    assert '— 100 s wall time' in text
    # against the specification's 0.0842 after 50 epochs: +0.95%
    assert '| 0-vanilla | Keras 3.15.1 / jax | 50 | 0.0850 | 0.0842 | ' \
        '+1.0% | 100 |' in text
    assert 'all four in **600 s**' in text


def test_the_goal_sentence_says_how_far_and_where_the_time_goes():
    from tools import backends
    tasks = {'0-vanilla': {'wall_seconds': 90.},
             '2-convolutional': {'wall_seconds': 2010.}}
    assert backends.goal_sentence({'total_seconds': 2400., 'tasks': tasks}) \
        == ('That misses the goal of 10 minutes by 1800 s (4.0 times the '
            'goal); 2-convolutional alone takes 2010 s of it (84%).')
    assert backends.goal_sentence({'total_seconds': 580., 'tasks': tasks}) \
        == 'That meets the goal of 10 minutes.'
