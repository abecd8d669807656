"""Bad arguments get a clear error naming them; whole floats are taken as
their integers. The checks are the task files' own Python, the same on
every engine: the Keras 2 suite runs them."""
import numpy as np
import pytest

from conftest import task

# (task, arguments, exception, fragment of its message)
BAD_CALLS = [
    ('0-vanilla', (0, [128], 32), ValueError,
     'input_dims must be a positive integer, got 0'),
    ('0-vanilla', (-784, [128], 32), ValueError, 'input_dims'),
    ('0-vanilla', ('784', [128], 32), TypeError,
     "input_dims must be a positive integer, got '784'"),
    ('0-vanilla', (784.5, [128], 32), TypeError, 'input_dims'),
    ('0-vanilla', (True, [128], 32), TypeError, 'input_dims'),
    ('0-vanilla', (None, [128], 32), TypeError, 'input_dims'),
    ('0-vanilla', (784, [128, 0], 32), ValueError,
     'hidden_layers must be a list of positive integers, got [128, 0]'),
    ('0-vanilla', (784, [128, -64], 32), ValueError, 'hidden_layers'),
    ('0-vanilla', (784, [128, 'a'], 32), TypeError, 'hidden_layers'),
    ('0-vanilla', (784, [128, 2.5], 32), TypeError, 'hidden_layers'),
    ('0-vanilla', (784, [True], 32), TypeError, 'hidden_layers'),
    ('0-vanilla', (784, 128, 32), TypeError,
     'hidden_layers must be a list of positive integers, got 128'),
    ('0-vanilla', (784, '128', 32), TypeError, 'hidden_layers'),
    ('0-vanilla', (784, None, 32), TypeError, 'hidden_layers'),
    ('0-vanilla', (784, {128: 64}, 32), TypeError, 'hidden_layers'),
    ('0-vanilla', (784, [128], 0), ValueError,
     'latent_dims must be a positive integer, got 0'),
    ('0-vanilla', (784, [128], (32,)), TypeError, 'latent_dims'),
    ('1-sparse', (784, [128], 32, -1e-5), ValueError,
     'lambtha must be a non-negative number, got -1e-05'),
    ('1-sparse', (784, [128], 32, '1e-5'), TypeError,
     "lambtha must be a non-negative number, got '1e-5'"),
    ('1-sparse', (784, [128], 32, None), TypeError, 'lambtha'),
    ('1-sparse', (784, [128], 32, False), TypeError, 'lambtha'),
    ('1-sparse', (784, [128], 32, float('nan')), ValueError, 'lambtha'),
    ('1-sparse', (784, [128], 32, float('inf')), ValueError, 'lambtha'),
    ('1-sparse', (784, [0], 32, 1e-5), ValueError, 'hidden_layers'),
    ('1-sparse', (0, [128], 32, 1e-5), ValueError, 'input_dims'),
    ('2-convolutional', ((28, 28), [16, 8, 8], (4, 4, 8)), ValueError,
     'input_dims must be a tuple of 3 positive integers, got (28, 28)'),
    ('2-convolutional', (784, [16, 8, 8], (4, 4, 8)), TypeError,
     'input_dims must be a tuple of 3 positive integers, got 784'),
    ('2-convolutional', ((28, 28, 0), [16, 8, 8], (4, 4, 8)), ValueError,
     'input_dims'),
    ('2-convolutional', ((28, 28, 1), [], (4, 4, 8)), ValueError,
     'filters must be a non-empty list of positive integers, got []'),
    ('2-convolutional', ((28, 28, 1), [16, 0, 8], (4, 4, 8)), ValueError,
     'filters must be a non-empty list of positive integers, got [16, 0, 8]'),
    ('2-convolutional', ((28, 28, 1), 16, (4, 4, 8)), TypeError, 'filters'),
    ('2-convolutional', ((28, 28, 1), [16, 8.5], (7, 7, 8)), TypeError,
     'filters'),
    ('2-convolutional', ((28, 28, 1), [16, 8, 8], (4, 4)), ValueError,
     'latent_dims must be a tuple of 3 positive integers, got (4, 4)'),
    ('2-convolutional', ((28, 28, 1), [16, 8, 8], 4), TypeError,
     'latent_dims'),
    ('2-convolutional', ((28, 28, 1), [16, 8, 8], (3, 3, 8)), ValueError,
     'latent_dims must be (4, 4, 8) for input_dims (28, 28, 1) and filters '
     '[16, 8, 8], got (3, 3, 8)'),
    ('2-convolutional', ((28, 28, 1), [16, 8, 8], (4, 4, 16)), ValueError,
     'latent_dims must be (4, 4, 8)'),
    ('2-convolutional', ((4, 4, 1), [8, 8], (1, 1, 8)), ValueError,
     'input_dims (4, 4, 1) is too small for 2 convolutions'),
    ('3-variational', (784, [512, 0], 2), ValueError,
     'hidden_layers must be a list of positive integers, got [512, 0]'),
    ('3-variational', (784, [512], 0), ValueError, 'latent_dims'),
    ('3-variational', (784, [512], 2.5), TypeError, 'latent_dims'),
    ('3-variational', ([784], [512], 2), TypeError, 'input_dims'),
]

# (task, arguments) accepted beyond those the self-check builds (its
# `variants` check: other sizes, an empty hidden_layers, lambtha 0 or an
# int, one convolution; test_checker.py): the same sizes in other types,
# floats that are whole numbers, numpy integers, floats and arrays, tuples
VALID_CALLS = [
    ('0-vanilla', (64.0, [32.0], 8.0), [(None, 8)]),
    ('0-vanilla', (np.int64(64), [np.int64(32)], np.int64(8)), [(None, 8)]),
    ('0-vanilla', (64, np.array([32]), 8), [(None, 8)]),
    ('1-sparse', (64, [32], 8, np.float64(1e-4)), [(None, 8)]),
    ('1-sparse', (64, (32,), 8, 1e-4), [(None, 8)]),
    ('3-variational', (64.0, [32.0], 2.0), [(None, 2)] * 3),
    ('3-variational', (np.int64(64), (32,), np.int64(2)), [(None, 2)] * 3),
]


def ids(call):
    """Names a table row by its task and arguments."""
    return '{}{}'.format(call[0], call[1])


@pytest.mark.parametrize('name, args, error, fragment', BAD_CALLS,
                         ids=[ids(call) for call in BAD_CALLS])
def test_bad_call_raises_a_clear_error(name, args, error, fragment):
    with pytest.raises(error) as raised:
        task(name).autoencoder(*args)
    assert fragment in str(raised.value)


@pytest.mark.parametrize('name, args, shapes', VALID_CALLS,
                         ids=[ids(call) for call in VALID_CALLS])
def test_the_same_sizes_in_other_types_build_the_same_models(
        name, args, shapes):
    encoder, decoder, auto = task(name).autoencoder(*args)
    assert [tuple(t.shape) for t in encoder.outputs] == shapes
    assert tuple(auto.outputs[0].shape) == (None, 64)
