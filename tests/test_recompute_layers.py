"""The judge's numpy layers (checker.recompute) against Keras itself:
Conv2DTranspose, Cropping2D and ZeroPadding2D (strides 1 and 2, kernels
smaller and larger than the stride, 'same' and 'valid', odd sizes, no
bias, asymmetric margins), and Activation and Reshape as learners write
them, each model described as the runner describes it (checker.describe)
and recomputed within 1e-5 of its predict(); and the refusal of malformed
configurations with Unverified, never another exception."""
import copy

import numpy as np
import pytest

from conftest import KERAS_3, batch, keras
from checker import describe, recompute

L = keras.layers
# the layers and configuration keys these tests need the runner's
# descriptions to carry
NEEDED_KINDS = ('Conv2DTranspose', 'Cropping2D', 'ZeroPadding2D')
NEEDED_CONFIG = ('cropping', 'output_padding')


@pytest.fixture(autouse=True)
def described(monkeypatch):
    """checker.describe naming the layers and keeping the configuration
    keys these tests need, where it does not already."""
    monkeypatch.setattr(describe, 'KINDS', describe.KINDS + tuple(
        k for k in NEEDED_KINDS if k not in describe.KINDS))
    monkeypatch.setattr(describe, 'CONFIG', describe.CONFIG + tuple(
        k for k in NEEDED_CONFIG if k not in describe.CONFIG))


def build(layers, shape, seed=0):
    """Returns a functional model of the layers on inputs of shape, its
    weights drawn afresh (biases too) and small."""
    inputs = keras.Input(shape)
    x = inputs
    for layer in layers:
        x = layer(x)
    model = keras.Model(inputs, x)
    rng = np.random.default_rng(seed)
    model.set_weights([0.5 * rng.standard_normal(w.shape).astype(np.float32)
                       for w in model.get_weights()])
    return model


def described_model(model):
    """Returns the model's description as the runner gives it, and its
    weights."""
    arrays = {}
    return describe.describe(model, arrays), arrays


def agrees(layers, shape, seed=0):
    """Asserts that the judge's forward pass of the model of layers is
    Keras's predict() within 1e-5; returns the description."""
    model = build(layers, shape, seed)
    description, arrays = described_model(model)
    x = batch(shape, n=3, seed=seed)
    [found] = recompute.forward(description, [x.astype(np.float64)],
                                arrays)
    expected = model.predict(x, verbose=0)
    assert found is not None
    assert found.shape == expected.shape
    np.testing.assert_allclose(found, expected, rtol=1e-5, atol=1e-5)
    return description


@pytest.mark.parametrize('filters, kernel, strides, padding, use_bias, '
                         'activation, shape', [
                             (3, 3, 1, 'same', True, 'linear', (7, 7, 2)),
                             (3, 3, 2, 'same', True, 'relu', (7, 7, 2)),
                             (2, 2, 2, 'same', False, None, (5, 6, 1)),
                             (2, 3, 2, 'valid', True, 'sigmoid', (5, 6, 2)),
                             (2, 2, 2, 'valid', True, 'linear', (7, 7, 1)),
                             (4, 3, 1, 'valid', False, 'tanh', (5, 6, 3)),
                             (2, 4, 2, 'same', True, 'linear', (5, 6, 2)),
                             (2, 5, 2, 'same', True, 'linear', (5, 6, 1)),
                             (2, 5, 2, 'valid', True, 'linear', (5, 6, 1)),
                             (2, 3, 3, 'same', True, 'linear', (5, 6, 2)),
                             (2, 1, 2, 'valid', True, 'linear', (5, 6, 1)),
                             (2, 1, 2, 'same', True, 'linear', (5, 6, 1)),
                             (2, (3, 2), (2, 3), 'same', True, 'linear',
                              (5, 6, 2)),
                             (2, (3, 2), (2, 3), 'valid', True, 'linear',
                              (5, 6, 2)),
                         ])
def test_conv2d_transpose_is_keras(filters, kernel, strides, padding,
                                   use_bias, activation, shape):
    description = agrees([L.Conv2DTranspose(
        filters, kernel, strides=strides, padding=padding,
        use_bias=use_bias, activation=activation)], shape)
    [layer] = description['layers']
    # Keras 2's Conv2DTranspose is a Conv2D: the judge tells them apart
    assert 'Conv2DTranspose' in layer['kinds']
    assert ('Conv2D' in layer['kinds']) is not KERAS_3


@pytest.mark.parametrize('cropping, shape', [
    (((1, 0), (2, 1)), (7, 7, 2)),
    (((0, 2), (1, 0)), (5, 6, 1)),
    (1, (5, 6, 1)),
    ((1, 2), (5, 6, 3)),
    (((0, 0), (0, 0)), (5, 6, 1)),
    (((3, 3), (2, 3)), (7, 6, 1)),
])
def test_cropping2d_is_keras(cropping, shape):
    agrees([L.Conv2D(2, 3, padding='same'), L.Cropping2D(cropping)], shape)


@pytest.mark.parametrize('padding, shape', [
    (((1, 0), (2, 1)), (7, 7, 2)),
    (((0, 2), (1, 0)), (5, 6, 1)),
    (1, (5, 6, 1)),
    ((2, 0), (5, 6, 3)),
])
def test_zero_padding2d_is_keras(padding, shape):
    agrees([L.ZeroPadding2D(padding), L.Conv2D(2, 3, strides=2)], shape)


@pytest.mark.parametrize('activation', ['sigmoid', 'relu', 'tanh',
                                        'softmax', 'linear'])
def test_activation_as_learners_write_it(activation):
    agrees([L.Dense(8), L.Activation(activation)], (6,))
    agrees([L.Conv2D(3, 3, padding='same'), L.Activation(activation)],
           (5, 6, 2))


def test_activation_given_a_function():
    agrees([L.Dense(8), L.Activation(keras.activations.sigmoid)], (6,))


@pytest.mark.parametrize('target, following', [
    ((4, 4, 8), lambda: [L.Conv2D(2, 3, padding='same')]),
    ([4, 4, 8], lambda: [L.Conv2DTranspose(2, 3, strides=2,
                                           padding='same')]),
    ((-1, 8), lambda: [L.Dense(3)]),
    ((128,), lambda: []),
])
def test_reshape_as_learners_write_it(target, following):
    agrees([L.Dense(128), L.Reshape(target)] + following(), (10,))


def test_a_decoder_and_an_encoder_of_these_layers():
    agrees([L.ZeroPadding2D(((1, 0), (1, 0))),
            L.Conv2D(2, 3, strides=2, padding='same', activation='relu'),
            L.Conv2DTranspose(3, 3, strides=2, padding='same',
                              activation='relu'),
            L.Cropping2D(((1, 0), (0, 1))), L.Conv2D(1, 3, padding='same'),
            L.Activation('sigmoid')], (7, 7, 1))
    agrees([L.Dense(7 * 7 * 2, activation='relu'), L.Reshape((7, 7, 2)),
            L.Conv2DTranspose(4, 3, strides=2, padding='same',
                              activation='relu'),
            L.Conv2DTranspose(1, 3, strides=2, padding='same',
                              activation='sigmoid')], (3,))


def refused(layer, shape, change, match, arrays_change=None):
    """Asserts that the judge refuses, with Unverified matching match, the
    one-layer model's description changed by change (a function of its
    layer's description) or its weights changed by arrays_change."""
    description, arrays = described_model(build([layer], shape))
    description = copy.deepcopy(description)
    change(description['layers'][0])
    if arrays_change is not None:
        arrays_change(description['layers'][0], arrays)
    x = batch(shape, n=2).astype(np.float64)
    with pytest.raises(recompute.Unverified, match=match):
        recompute.forward(description, [x], arrays)


def setting(key, value):
    """Returns a change that sets key of a layer's configuration."""
    def change(layer):
        """Sets the key."""
        layer['config'][key] = value
    return change


@pytest.mark.parametrize('value, match', [
    ([[-1, 0], [0, 0]], 'cropping -1'),
    ('same', 'cropping .same.'),
    (1, 'cropping 1, where the grader reads'),
    ([1, 1], r'cropping \[1, 1\]'),
    ([[1, 0], [0]], 'cropping'),
    ([[True, 0], [0, 0]], 'cropping True'),
    ([[1.0, 0], [0, 0]], 'cropping 1.0'),
    ([[None, 0], [0, 0]], 'cropping None'),
    ([[4, 3], [0, 0]], 'leaving nothing'),
    ([[0, 0], [3, 3]], 'leaving nothing'),
    ([[0, 0], [0, 1 << 40]], 'cropping'),
    (None, 'cropping None'),
])
def test_malformed_cropping_is_refused(value, match):
    refused(L.Cropping2D(1), (7, 6, 1), setting('cropping', value), match)


def test_cropping2d_without_its_cropping_or_channels_first_is_refused():
    refused(L.Cropping2D(1), (7, 6, 1),
            lambda layer: layer['config'].pop('cropping'), 'cropping None')
    refused(L.Cropping2D(1), (7, 6, 1),
            setting('data_format', 'channels_first'), 'channels-last')


@pytest.mark.parametrize('value, match', [
    ([[-1, 0], [0, 0]], 'padding -1'),
    ('same', 'padding .same.'),
    (2, 'padding 2, where the grader reads'),
    ([[1, 0], [0, 1 << 20]], 'beyond what the grader recomputes'),
    ([[1, 0], [0, 1 << 40]], 'padding'),
    ([[0.5, 0], [0, 0]], 'padding 0.5'),
])
def test_malformed_zero_padding_is_refused(value, match):
    refused(L.ZeroPadding2D(1), (7, 6, 1), setting('padding', value), match)


def test_zero_padding_channels_first_is_refused():
    refused(L.ZeroPadding2D(1), (7, 6, 1),
            setting('data_format', 'channels_first'), 'channels-last')


def test_conv2d_transpose_with_output_padding_is_refused():
    refused(L.Conv2DTranspose(2, 3, strides=2, output_padding=1),
            (5, 6, 1), lambda layer: None, 'output_padding')


def transposed_kernel(layer, arrays):
    """Gives the layer a kernel laid out as Conv2D's (height, width,
    channels, filters) instead of Conv2DTranspose's."""
    name = layer['weights'][0]
    arrays[name] = np.ascontiguousarray(arrays[name].transpose(0, 1, 3, 2))


@pytest.mark.parametrize('key, value, match', [
    ('output_padding', [1, 1], 'output_padding'),
    ('output_padding', 0, 'output_padding'),
    ('dilation_rate', [2, 2], 'undilated'),
    ('data_format', 'channels_first', 'channels-last'),
    ('padding', 'full', 'padding .full.'),
    ('padding', None, 'padding None'),
    ('strides', [0, 1], 'strides 0'),
    ('strides', [1 << 16, 1 << 16], 'beyond what the grader recomputes'),
    ('strides', 'two', 'strides'),
    ('kernel_size', [0, 3], 'kernel_size 0'),
    ('kernel_size', [100, 100], 'beyond what the grader recomputes'),
    ('kernel_size', [2, 2], 'a weight of shape'),
    ('filters', 3, 'a weight of shape'),
    ('filters', -1, 'filters -1'),
    ('filters', 2.0, 'filters 2.0'),
    ('use_bias', False, '1 weights reported, 2 expected|2 weights '
                        'reported, 1 expected'),
    ('use_bias', 'yes', 'use_bias'),
    ('activation', 'gelu_of_mine', 'activation'),
])
def test_malformed_conv2d_transpose_is_refused(key, value, match):
    refused(L.Conv2DTranspose(2, 3, strides=2, padding='same'), (5, 6, 1),
            setting(key, value), match)


def test_a_conv2d_transpose_kernel_of_the_wrong_shape_is_refused():
    refused(L.Conv2DTranspose(2, 3, strides=2, padding='same'), (5, 6, 1),
            lambda layer: None, 'a weight of shape', transposed_kernel)
    refused(L.Conv2DTranspose(2, 3, strides=2, padding='same'), (5, 6, 1),
            lambda layer: None, 'not an array of numbers',
            lambda layer, arrays: arrays.update(
                {layer['weights'][0]: 'kernel'}))


def test_conv2d_transpose_on_a_flat_input_is_refused():
    layer = {'class': 'Conv2DTranspose', 'kinds': ['Conv2DTranspose'],
             'site': None, 'config': {'filters': 2, 'kernel_size': [3, 3],
                                      'strides': [2, 2], 'padding': 'same',
                                      'use_bias': False},
             'weights': ['k']}
    arrays = {'k': np.zeros((3, 3, 2, 1))}
    with pytest.raises(recompute.Unverified, match='images'):
        recompute.run_layer(layer, [np.zeros((2, 6))], arrays, 'c')
    with pytest.raises(recompute.Unverified, match='nothing to enlarge'):
        recompute.run_layer(layer, [np.zeros((2, 0, 3, 1))], arrays, 'c')


@pytest.mark.parametrize('target, match', [
    ((4, 4, 7), 'cannot reshape'),
    ([4, 4, 7], 'cannot reshape'),
    ([1 << 62, 1 << 62], 'cannot reshape'),
    ([1 << 70], 'cannot reshape'),
    ([-1, 1 << 40], 'cannot reshape'),
    ((-1, -1), 'target shape'),
    ((0, 128), 'target shape'),
    ('4x4x8', 'target shape'),
])
def test_malformed_reshape_is_refused(target, match):
    refused(L.Reshape((128,)), (128,), setting('target_shape', target),
            match)


def test_the_new_layers_are_recomputed_not_named_beyond():
    description, _ = described_model(build([
        L.ZeroPadding2D(1), L.Conv2DTranspose(2, 3, strides=2),
        L.Cropping2D(1), L.Activation('sigmoid'), L.Reshape((-1,))],
        (5, 6, 1)))
    assert recompute.not_recomputed(description, 'decoder') == ''
