"""Task 2, sentence by sentence: the convolutional autoencoder."""
import pytest

from conftest import (activation, input_shape, keras, layers, output_shapes,
                      task)

MAIN = ((28, 28, 1), [16, 8, 8], (4, 4, 8))
# the main's call, an RGB input, one convolution, and sizes that round up
VARIANTS = [
    MAIN,
    ((28, 28, 3), [32, 16, 8], (4, 4, 8)),
    ((60, 60, 3), [8, 8, 8], (8, 8, 8)),
    ((28, 28, 1), [4], (14, 14, 4)),
    ((30, 20, 2), [8, 4, 4], (4, 3, 4)),
]


def build(input_dims, filters, latent_dims):
    """Builds the convolutional models."""
    return task('2-convolutional').autoencoder(input_dims, filters,
                                               latent_dims)


def test_returns_three_keras_models():
    models = build(*MAIN)
    assert len(models) == 3
    assert all(isinstance(model, keras.Model) for model in models)


@pytest.mark.parametrize('args', VARIANTS, ids=str)
def test_encoder_is_conv_then_max_pooling_for_each_filter(args):
    input_dims, filters, latent_dims = args
    encoder, _, _ = build(*args)
    encoder_layers = layers(encoder)
    assert [type(layer) for layer in encoder_layers] == \
        [keras.layers.Conv2D, keras.layers.MaxPooling2D] * len(filters)
    convs = encoder_layers[0::2]
    pools = encoder_layers[1::2]
    assert [conv.filters for conv in convs] == filters
    for conv in convs:
        assert tuple(conv.kernel_size) == (3, 3)
        assert conv.padding == 'same'
        assert activation(conv) == 'relu'
    for pool in pools:
        assert tuple(pool.pool_size) == (2, 2)


@pytest.mark.parametrize('args', VARIANTS, ids=str)
def test_encoder_maps_input_dims_to_latent_dims(args):
    input_dims, _, latent_dims = args
    encoder, _, _ = build(*args)
    assert input_shape(encoder) == (None,) + input_dims
    assert output_shapes(encoder) == [(None,) + latent_dims]


def test_main_encoder_pools_28_to_14_to_7_to_4():
    encoder, _, _ = build(*MAIN)
    pools = [layer for layer in layers(encoder)
             if isinstance(layer, keras.layers.MaxPooling2D)]
    assert [tuple(pool.output.shape[1:]) for pool in pools] == \
        [(14, 14, 16), (7, 7, 8), (4, 4, 8)]


@pytest.mark.parametrize('args', VARIANTS, ids=str)
def test_decoder_is_same_convs_and_upsampling_then_valid_then_output(args):
    input_dims, filters, _ = args
    _, decoder, _ = build(*args)
    decoder_layers = layers(decoder)
    assert [type(layer) for layer in decoder_layers] == \
        [keras.layers.Conv2D, keras.layers.UpSampling2D] * len(filters) \
        + [keras.layers.Conv2D]
    convs = decoder_layers[0::2]
    assert [conv.filters for conv in convs] == \
        filters[::-1] + [input_dims[-1]]
    for conv in convs:
        assert tuple(conv.kernel_size) == (3, 3)
    assert [conv.padding for conv in convs] == \
        ['same'] * (len(filters) - 1) + ['valid', 'same']
    assert [activation(conv) for conv in convs] == \
        ['relu'] * len(filters) + ['sigmoid']
    for upsampling in decoder_layers[1::2]:
        assert tuple(upsampling.size) == (2, 2)


def test_main_decoder_grows_4_to_8_to_16_to_14_to_28():
    _, decoder, _ = build(*MAIN)
    shapes = [tuple(layer.output.shape[1:]) for layer in layers(decoder)]
    assert shapes == [(4, 4, 8), (8, 8, 8), (8, 8, 8), (16, 16, 8),
                      (14, 14, 16), (28, 28, 16), (28, 28, 1)]


@pytest.mark.parametrize('args', [VARIANTS[i] for i in (0, 1, 2)], ids=str)
def test_decoder_and_auto_give_back_input_dims(args):
    input_dims, _, latent_dims = args
    _, decoder, auto = build(*args)
    assert input_shape(decoder) == (None,) + latent_dims
    assert output_shapes(decoder) == [(None,) + input_dims]
    assert input_shape(auto) == (None,) + input_dims
    assert output_shapes(auto) == [(None,) + input_dims]


def test_auto_is_the_decoder_applied_to_the_encoder():
    encoder, decoder, auto = build(*MAIN)
    assert layers(auto) == [encoder, decoder]


def test_auto_is_compiled_with_adam_and_binary_cross_entropy():
    _, _, auto = build(*MAIN)
    assert isinstance(auto.optimizer, keras.optimizers.Adam)
    assert auto.loss == 'binary_crossentropy'


def test_decoder_output_that_differs_from_input_is_built_as_specified():
    """One filter on 28x28: the valid convolution leaves 24x24; the spec's
    layers are built anyway and no error is raised."""
    _, decoder, _ = build((28, 28, 1), [4], (14, 14, 4))
    assert output_shapes(decoder) == [(None, 24, 24, 1)]
