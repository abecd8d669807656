"""The offline Fashion-MNIST loader: IDX files read and verified, on small
files written here and on the real data, with clear errors."""
import gzip
import os
import struct

import numpy as np
import pytest

from aelib import datasets


def write_idx(path, array, magic=None, extra=b''):
    """Writes array as a gzip IDX file of unsigned bytes (magic: other
    header bytes; extra: bytes appended to the data)."""
    array = np.asarray(array, np.uint8)
    header = magic if magic is not None else bytes((0, 0, 8, array.ndim))
    header += struct.pack('>{}I'.format(array.ndim), *array.shape)
    with gzip.open(path, 'wb') as f:
        f.write(header + array.tobytes() + extra)


def tiny_arrays():
    """Returns four small arrays shaped like Fashion-MNIST's splits."""
    rng = np.random.default_rng(0)
    return (rng.integers(0, 256, (6, 28, 28)), np.arange(6) % 10,
            rng.integers(0, 256, (3, 28, 28)), np.array([9, 2, 1]))


def write_folder(folder, arrays):
    """Writes arrays as the four Fashion-MNIST files in folder."""
    os.makedirs(folder, exist_ok=True)
    for name, array in zip(datasets.FASHION_FILES, arrays):
        write_idx(os.path.join(folder, name), array)
    return str(folder)


def test_read_idx_gives_back_what_was_written(tmp_path):
    images = np.arange(2 * 3 * 4).reshape(2, 3, 4)
    write_idx(tmp_path / 'x.gz', images)
    read = datasets.read_idx(str(tmp_path / 'x.gz'))
    assert read.dtype == np.uint8 and read.shape == (2, 3, 4)
    np.testing.assert_array_equal(read, images)
    write_idx(tmp_path / 'y.gz', [7, 1, 0])
    assert datasets.read_idx(str(tmp_path / 'y.gz')).tolist() == [7, 1, 0]


def test_read_idx_refuses_another_element_type(tmp_path):
    write_idx(tmp_path / 'x.gz', [[1, 2]], magic=bytes((0, 0, 0x0D, 2)))
    with pytest.raises(datasets.DataError,
                       match='not an IDX file of unsigned bytes'):
        datasets.read_idx(str(tmp_path / 'x.gz'))


@pytest.mark.parametrize('extra', [b'\x00', b'\x00' * 100])
def test_read_idx_refuses_data_its_header_does_not_announce(
        tmp_path, extra):
    write_idx(tmp_path / 'x.gz', [[1, 2], [3, 4]], extra=extra)
    with pytest.raises(datasets.DataError, match='its header says 2x2'):
        datasets.read_idx(str(tmp_path / 'x.gz'))


def test_read_idx_refuses_a_truncated_file(tmp_path):
    write_idx(tmp_path / 'x.gz', np.zeros((10, 28, 28)))
    data = (tmp_path / 'x.gz').read_bytes()
    (tmp_path / 'x.gz').write_bytes(data[:len(data) // 2])
    with pytest.raises(datasets.DataError, match='could not be read'):
        datasets.read_idx(str(tmp_path / 'x.gz'))


def test_read_idx_refuses_a_file_that_is_not_gzip(tmp_path):
    (tmp_path / 'x.gz').write_bytes(b'\x00\x00\x08\x01\x00\x00\x00\x01\x05')
    with pytest.raises(datasets.DataError) as raised:
        datasets.read_idx(str(tmp_path / 'x.gz'))
    assert 'apt-get install dataset-fashion-mnist' in str(raised.value)


def test_a_folder_missing_a_file_is_skipped(tmp_path):
    folder = write_folder(tmp_path / 'f', tiny_arrays())
    os.remove(os.path.join(folder, datasets.FASHION_FILES[3]))
    assert datasets.read_fashion_folder(folder) is None


def test_files_that_are_not_fashion_mnist_are_refused(tmp_path):
    folder = write_folder(tmp_path / 'f', tiny_arrays())
    with pytest.raises(datasets.DataError) as raised:
        datasets.load_fashion_mnist([folder], download=False)
    message = str(raised.value)
    assert 'corrupt' in message and 'pinned SHA-256' in message
    assert folder in message and 'dataset-fashion-mnist' in message


def test_files_matching_the_pinned_hash_load_in_order(tmp_path,
                                                      monkeypatch):
    arrays = tiny_arrays()
    monkeypatch.setattr(datasets, 'FASHION_SHA256',
                        datasets.sha256_arrays(
                            [np.asarray(a, np.uint8) for a in arrays]))
    empty = str(tmp_path / 'empty')
    folder = write_folder(tmp_path / 'f', arrays)
    (x_train, y_train), (x_test, y_test) = datasets.load_fashion_mnist(
        [empty, folder], download=False)
    assert x_train.shape == (6, 28, 28) and x_train.dtype == np.uint8
    assert y_test.tolist() == [9, 2, 1]
    np.testing.assert_array_equal(x_test, arrays[2])


def test_a_corrupt_first_folder_is_reported_not_skipped(tmp_path,
                                                        monkeypatch):
    arrays = tiny_arrays()
    good = write_folder(tmp_path / 'good', arrays)
    bad = [a.copy() for a in arrays]
    bad[0][0, 0, 0] ^= 1
    corrupt = write_folder(tmp_path / 'bad', bad)
    monkeypatch.setattr(datasets, 'FASHION_SHA256', datasets.sha256_arrays(
        [np.asarray(a, np.uint8) for a in arrays]))
    with pytest.raises(datasets.DataError, match='corrupt'):
        datasets.load_fashion_mnist([corrupt, good], download=False)


def test_missing_data_says_how_to_get_it(tmp_path):
    with pytest.raises(datasets.DataError) as raised:
        datasets.load_fashion_mnist([str(tmp_path)], download=False)
    message = str(raised.value)
    assert message.startswith('Fashion-MNIST not found in ' + str(tmp_path))
    assert 'sudo apt-get install dataset-fashion-mnist' in message
    assert '\n' not in message


def test_a_download_that_fails_its_hash_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(datasets, 'download_fashion', tiny_arrays)
    with pytest.raises(datasets.DataError, match='downloaded by Keras does '
                       'not match the pinned SHA-256'):
        datasets.load_fashion_mnist([str(tmp_path)])


@pytest.fixture(scope='module')
def fashion():
    """The real Fashion-MNIST, from the default folders."""
    return datasets.load('fashion_mnist')


def test_real_data_has_kerass_shapes_and_types(fashion):
    (x_train, y_train), (x_test, y_test) = fashion
    assert x_train.shape == (60000, 28, 28) and x_train.dtype == np.uint8
    assert y_train.shape == (60000,) and y_train.dtype == np.uint8
    assert x_test.shape == (10000, 28, 28) and x_test.dtype == np.uint8
    assert y_test.shape == (10000,) and y_test.dtype == np.uint8


def test_real_data_has_6000_and_1000_images_per_class(fashion):
    (_, y_train), (_, y_test) = fashion
    assert np.bincount(y_train).tolist() == [6000] * 10
    assert np.bincount(y_test).tolist() == [1000] * 10


def test_real_data_is_in_kerass_order(fashion):
    """Keras's first training labels are 9 0 0 3 0 (ankle boot, T-shirt,
    T-shirt, dress, T-shirt), its first test labels 9 2 1 1 6."""
    (x_train, y_train), (_, y_test) = fashion
    assert y_train[:5].tolist() == [9, 0, 0, 3, 0]
    assert y_test[:5].tolist() == [9, 2, 1, 1, 6]
    assert x_train.max() == 255 and x_train.min() == 0


def test_real_data_matches_the_pinned_hash(fashion):
    assert datasets.sha256_arrays(sum(fashion, ())) == \
        datasets.FASHION_SHA256


def test_load_names_the_data_sets():
    with pytest.raises(ValueError, match="name must be one of mnist, "
                       "fashion_mnist, got 'cifar10'"):
        datasets.load('cifar10')


def test_images_scales_to_floats_in_0_1():
    x = np.array([[[0, 255], [51, 102]]], np.uint8)
    out = datasets.images(x, (2, 2, 1))
    assert out.dtype == np.float32 and out.shape == (1, 2, 2, 1)
    assert out.ravel().tolist() == pytest.approx([0., 1., 0.2, 0.4])
    assert datasets.images(np.zeros((3, 28, 28), np.uint8)).shape == (3, 784)
