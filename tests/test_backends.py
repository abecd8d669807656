"""Keras 3 runs one model definition on several engines: each task model,
saved in the .keras format under TensorFlow, loads (in safe mode) and
predicts the same under JAX, and the other way round. Each side runs in a
process of its own, since Keras reads KERAS_BACKEND once, at its first
import; one process saves (or loads) all four models."""
import os
import subprocess
import sys

import numpy as np
import pytest

from conftest import KERAS_3, ROOT, TASKS

SAVE = '''
import sys
import numpy as np
import aelib
import tensorflow.keras as keras
assert keras.backend.backend() == sys.argv[2], keras.backend.backend()
for task, args in {arguments}.items():
    keras.utils.set_random_seed(0)
    encoder, decoder, auto = aelib.task(task).autoencoder(*args)
    x = np.load('{{}}/{{}}-x.npy'.format(sys.argv[1], task))
    auto.fit(x, x, epochs=1, batch_size=16, verbose=0)
    auto.save('{{}}/{{}}.keras'.format(sys.argv[1], task))
    codes = np.load('{{}}/{{}}-codes.npy'.format(sys.argv[1], task))
    np.save('{{}}/{{}}-saved.npy'.format(sys.argv[1], task),
            decoder.predict(codes, verbose=0))
'''
LOAD = '''
import sys
import numpy as np
import aelib
import tensorflow.keras as keras
assert keras.backend.backend() == sys.argv[2], keras.backend.backend()
for task in {arguments}:
    aelib.task(task)  # registers the task's custom layers, if any
    auto = keras.models.load_model('{{}}/{{}}.keras'.format(sys.argv[1], task),
                                   safe_mode=True)
    codes = np.load('{{}}/{{}}-codes.npy'.format(sys.argv[1], task))
    np.save('{{}}/{{}}-loaded.npy'.format(sys.argv[1], task),
            auto.get_layer('decoder').predict(codes, verbose=0))
'''
ARGUMENTS = {
    '0-vanilla': (784, [32, 16], 8), '1-sparse': (784, [32, 16], 8, 1e-5),
    '2-convolutional': ((28, 28, 1), [4, 4, 4], (4, 4, 4)),
    '3-variational': (784, [32], 2),
}


def python(code, folder, backend):
    """Runs code in a fresh process with KERAS_BACKEND=backend."""
    env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL='3')
    done = subprocess.run(
        [sys.executable, '-c', code.format(arguments=repr(ARGUMENTS)),
         str(folder), backend], capture_output=True, text=True, env=env,
        cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]


def shape(size):
    """Returns a size (int or tuple) as a shape tuple."""
    return size if isinstance(size, tuple) else (size,)


@pytest.mark.skipif(not KERAS_3, reason='Keras 2 has one engine only')
@pytest.mark.parametrize('saved_on, loaded_on', [('tensorflow', 'jax'),
                                                 ('jax', 'tensorflow')])
def test_models_saved_on_one_engine_predict_the_same_on_the_other(
        saved_on, loaded_on, tmp_path):
    pytest.importorskip('jax', reason='the JAX engine is not installed')
    rng = np.random.default_rng(0)
    for task in TASKS:
        images, code = ARGUMENTS[task][0], ARGUMENTS[task][2]
        np.save(tmp_path / (task + '-x.npy'),
                rng.random((32,) + shape(images), np.float32))
        np.save(tmp_path / (task + '-codes.npy'),
                rng.standard_normal((5,) + shape(code)).astype(np.float32))
    python(SAVE, tmp_path, saved_on)
    python(LOAD, tmp_path, loaded_on)
    for task in TASKS:
        saved = np.load(tmp_path / (task + '-saved.npy'))
        loaded = np.load(tmp_path / (task + '-loaded.npy'))
        assert saved.shape == (5,) + shape(ARGUMENTS[task][0]), task
        np.testing.assert_allclose(loaded, saved, rtol=1e-5, atol=1e-6,
                                   err_msg=task)
