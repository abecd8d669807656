"""Tasks 0 and 1, sentence by sentence: the vanilla and the sparse
autoencoder (the sparse one is the vanilla one plus an L1 activity
regularizer on the latent layer)."""
import pytest

from conftest import (activation, input_shape, keras, layers, output_shapes,
                      task)

DENSE_TASKS = ('0-vanilla', '1-sparse')
# the main's hidden layers, a deeper and a shallower encoder, and none
HIDDEN = [[128, 64], [256, 128, 64], [32], []]


def build(name, input_dims, hidden_layers, latent_dims, lambtha=1e-5):
    """Builds task name's models; lambtha only goes to the sparse one."""
    extra = (lambtha,) if name == '1-sparse' else ()
    return task(name).autoencoder(input_dims, hidden_layers, latent_dims,
                                  *extra)


@pytest.mark.parametrize('name', DENSE_TASKS)
def test_returns_three_keras_models(name):
    models = build(name, 784, [128, 64], 32)
    assert len(models) == 3
    for model in models:
        assert isinstance(model, keras.Model)


@pytest.mark.parametrize('name', DENSE_TASKS)
@pytest.mark.parametrize('hidden_layers', HIDDEN, ids=str)
def test_encoder_has_the_hidden_layers_in_order_then_latent(
        name, hidden_layers):
    encoder, _, _ = build(name, 784, hidden_layers, 16)
    dense = layers(encoder)
    assert all(isinstance(layer, keras.layers.Dense) for layer in dense)
    assert [layer.units for layer in dense] == hidden_layers + [16]
    assert input_shape(encoder) == (None, 784)
    assert output_shapes(encoder) == [(None, 16)]


@pytest.mark.parametrize('name', DENSE_TASKS)
@pytest.mark.parametrize('hidden_layers', HIDDEN, ids=str)
def test_decoder_has_the_hidden_layers_reversed_then_output(
        name, hidden_layers):
    _, decoder, _ = build(name, 784, hidden_layers, 16)
    dense = layers(decoder)
    assert all(isinstance(layer, keras.layers.Dense) for layer in dense)
    assert [layer.units for layer in dense] == hidden_layers[::-1] + [784]
    assert input_shape(decoder) == (None, 16)
    assert output_shapes(decoder) == [(None, 784)]


@pytest.mark.parametrize('name', DENSE_TASKS)
@pytest.mark.parametrize('hidden_layers', HIDDEN, ids=str)
def test_every_layer_is_relu_but_the_decoder_output_is_sigmoid(
        name, hidden_layers):
    encoder, decoder, _ = build(name, 100, hidden_layers, 8)
    assert [activation(layer) for layer in layers(encoder)] == \
        ['relu'] * (len(hidden_layers) + 1)
    assert [activation(layer) for layer in layers(decoder)] == \
        ['relu'] * len(hidden_layers) + ['sigmoid']


@pytest.mark.parametrize('name', DENSE_TASKS)
def test_auto_is_the_decoder_applied_to_the_encoder(name):
    encoder, decoder, auto = build(name, 784, [128, 64], 32)
    assert [type(layer) for layer in layers(auto)] == \
        [type(encoder), type(decoder)]
    assert layers(auto)[0] is encoder and layers(auto)[1] is decoder
    assert input_shape(auto) == (None, 784)
    assert output_shapes(auto) == [(None, 784)]


@pytest.mark.parametrize('name', DENSE_TASKS)
def test_auto_is_compiled_with_adam_and_binary_cross_entropy(name):
    _, _, auto = build(name, 784, [128, 64], 32)
    assert isinstance(auto.optimizer, keras.optimizers.Adam)
    assert auto.loss == 'binary_crossentropy'


def test_vanilla_has_no_regularizer():
    encoder, decoder, _ = build('0-vanilla', 784, [128, 64], 32)
    for layer in layers(encoder) + layers(decoder):
        assert layer.activity_regularizer is None
        assert layer.kernel_regularizer is None


@pytest.mark.parametrize('lambtha', [10e-6, 0.5, 0])
def test_sparse_latent_layer_has_l1_activity_regularizer_lambtha(lambtha):
    encoder, _, _ = build('1-sparse', 784, [128, 64], 32, lambtha)
    latent = layers(encoder)[-1]
    assert isinstance(latent.activity_regularizer, keras.regularizers.L1)
    assert latent.activity_regularizer.get_config()['l1'] == \
        pytest.approx(lambtha, rel=1e-6)


def test_sparse_regularizes_nothing_but_the_latent_activity():
    encoder, decoder, auto = build('1-sparse', 784, [128, 64], 32)
    for layer in layers(encoder)[:-1] + layers(decoder):
        assert layer.activity_regularizer is None
    for layer in layers(encoder) + layers(decoder):
        assert layer.kernel_regularizer is None
        assert layer.bias_regularizer is None


def test_sparse_is_vanilla_with_the_same_layers():
    vanilla = build('0-vanilla', 784, [128, 64], 32)
    sparse = build('1-sparse', 784, [128, 64], 32)
    for plain, regularized in zip(vanilla[:2], sparse[:2]):
        assert [(layer.units, activation(layer)) for layer in layers(plain)] \
            == [(layer.units, activation(layer))
                for layer in layers(regularized)]
