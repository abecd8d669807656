"""Task 3, sentence by sentence: the variational autoencoder, and the loss it
trains: binary cross-entropy summed over the pixels plus the KL term."""
import numpy as np
import pytest

from conftest import (activation, batch, input_shape, keras, layers,
                      output_shapes, task)

EPSILON = 1e-7  # Keras clips probabilities to [EPSILON, 1 - EPSILON]


def build(input_dims=784, hidden_layers=(512,), latent_dims=2):
    """Builds the variational models."""
    return task('3-variational').autoencoder(input_dims, list(hidden_layers),
                                             latent_dims)


def dense_named(model, name):
    """Returns the model's layer called name."""
    return [layer for layer in layers(model) if layer.name == name][0]


def summed_cross_entropy(x, p):
    """Per-sample binary cross-entropy of p against x, summed over pixels."""
    p = np.clip(p.astype(np.float64), EPSILON, 1 - EPSILON)
    return -np.sum(x * np.log(p) + (1 - x) * np.log(1 - p), axis=-1)


def kl_divergence(mean, log_var):
    """Per-sample KL divergence of N(mean, exp(log_var)) from N(0, I)."""
    mean, log_var = mean.astype(np.float64), log_var.astype(np.float64)
    return -0.5 * np.sum(1 + log_var - mean ** 2 - np.exp(log_var), axis=-1)


def test_returns_three_keras_models():
    models = build()
    assert len(models) == 3
    assert all(isinstance(model, keras.Model) for model in models)


@pytest.mark.parametrize('hidden_layers', [[512], [256, 128], []], ids=str)
@pytest.mark.parametrize('latent_dims', [2, 5])
def test_encoder_outputs_z_mean_log_var_in_this_order(hidden_layers,
                                                      latent_dims):
    encoder, _, _ = build(784, hidden_layers, latent_dims)
    assert input_shape(encoder) == (None, 784)
    assert output_shapes(encoder) == [(None, latent_dims)] * 3
    z, mean, log_var = encoder.outputs
    names = [tensor_layer_name(t) for t in (z, mean, log_var)]
    assert names == ['z', 'z_mean', 'z_log_var']


def tensor_layer_name(tensor):
    """Returns the name of the layer that produced a symbolic tensor."""
    history = getattr(tensor, '_keras_history', None)
    return history[0].name if history else tensor.name.split('/')[0]


@pytest.mark.parametrize('hidden_layers', [[512], [256, 128], []], ids=str)
def test_hidden_layers_are_relu_in_order_and_reversed(hidden_layers):
    encoder, decoder, _ = build(784, hidden_layers, 3)
    hidden = [layer for layer in layers(encoder)
              if layer.name not in ('z_mean', 'z_log_var', 'z')]
    assert [layer.units for layer in hidden] == hidden_layers
    assert [activation(layer) for layer in hidden] == ['relu'] * len(hidden)
    assert [layer.units for layer in layers(decoder)] == \
        hidden_layers[::-1] + [784]
    assert [activation(layer) for layer in layers(decoder)] == \
        ['relu'] * len(hidden_layers) + ['sigmoid']


def test_mean_and_log_variance_layers_have_no_activation():
    encoder, _, _ = build(784, [512], 2)
    for name in ('z_mean', 'z_log_var'):
        layer = dense_named(encoder, name)
        assert isinstance(layer, keras.layers.Dense)
        assert layer.units == 2
        assert activation(layer) == 'linear'


def test_decoder_maps_latent_to_input_dims():
    _, decoder, auto = build(784, [512], 2)
    assert input_shape(decoder) == (None, 2)
    assert output_shapes(decoder) == [(None, 784)]
    assert input_shape(auto) == (None, 784)
    assert output_shapes(auto) == [(None, 784)]


def test_auto_decodes_the_sampled_z():
    encoder, decoder, auto = build()
    assert layers(auto) == [encoder, decoder]
    x = batch((784,), n=8)
    # with the mean pinned and the variance driven to ~0, z equals the mean
    dense_named(encoder, 'z_log_var').set_weights(
        [np.zeros((512, 2)), np.full(2, -40.0)])
    _, mean, _ = encoder.predict(x, verbose=0)
    np.testing.assert_allclose(auto.predict(x, verbose=0),
                               decoder.predict(mean, verbose=0), atol=1e-5)


def test_z_is_sampled_anew_on_each_call_and_the_mean_is_not():
    encoder, _, _ = build()
    x = batch((784,), n=16)
    z1, mean1, log_var1 = encoder.predict(x, verbose=0)
    z2, mean2, log_var2 = encoder.predict(x, verbose=0)
    assert not np.allclose(z1, z2), 'z should be a new sample on each call'
    np.testing.assert_array_equal(mean1, mean2)
    np.testing.assert_array_equal(log_var1, log_var2)


def test_z_follows_mean_and_standard_deviation():
    """Over many draws, (z - mean) / exp(log_var / 2) is N(0, 1)."""
    encoder, _, _ = build(784, [64], 2)
    x = np.repeat(batch((784,), n=1), 4000, axis=0)
    z, mean, log_var = encoder.predict(x, verbose=0)
    epsilon = (z - mean) / np.exp(log_var / 2)
    assert abs(epsilon.mean()) < 0.06
    assert epsilon.std() == pytest.approx(1, abs=0.05)


def test_auto_is_compiled_with_adam():
    _, _, auto = build()
    assert isinstance(auto.optimizer, keras.optimizers.Adam)


def test_compiled_loss_is_summed_cross_entropy_plus_kl_exactly():
    """The decoder is made blind to z, so the cross-entropy term has no
    sampling noise and the loss must equal the hand-computed value."""
    encoder, decoder, auto = build(784, [64], 3)
    first = layers(decoder)[0]
    kernel, bias = first.get_weights()
    first.set_weights([np.zeros_like(kernel), bias])
    x = batch((784,), n=64)
    _, mean, log_var = encoder.predict(x, verbose=0)
    reconstruction = decoder.predict(np.zeros_like(mean), verbose=0)
    expected = np.mean(summed_cross_entropy(x, reconstruction)
                       + kl_divergence(mean, log_var))
    assert np.mean(kl_divergence(mean, log_var)) > 0.01
    loss = auto.evaluate(x, x, batch_size=64, verbose=0)
    assert loss == pytest.approx(expected, rel=1e-4)


def test_compiled_loss_matches_hand_computation_with_sampling():
    """With a working decoder the cross-entropy depends on the sampled z:
    the loss must match the hand computation within the sampling noise."""
    encoder, decoder, auto = build(784, [64], 2)
    x = batch((784,), n=64)
    _, mean, log_var = encoder.predict(x, verbose=0)
    rng = np.random.default_rng(1)
    draws = [mean + np.exp(log_var / 2) * rng.standard_normal(mean.shape)
             for _ in range(20)]
    expected = np.mean([
        np.mean(summed_cross_entropy(x, decoder.predict(z, verbose=0))
                + kl_divergence(mean, log_var)) for z in draws])
    loss = np.mean([auto.evaluate(x, x, batch_size=64, verbose=0)
                    for _ in range(20)])
    assert loss == pytest.approx(expected, rel=0.01)


def test_loss_is_on_the_per_image_sum_scale():
    """Summed over 784 pixels, an untrained model's loss is near
    784 * ln 2 ~ 543, not the ~0.69 of a per-pixel mean."""
    _, _, auto = build()
    x = batch((784,), n=64)
    loss = auto.evaluate(x, x, verbose=0)
    assert 784 * np.log(2) * 0.9 < loss < 784 * np.log(2) * 1.2


def test_the_file_can_be_loaded_again_in_the_same_process():
    """A checker may execute the file more than once: registering Sampling
    and the loss for serialization a second time must not fail."""
    import importlib.util
    import os
    path = os.path.join(os.path.dirname(task('3-variational').__file__),
                        '3-variational.py')
    spec = importlib.util.spec_from_file_location('variational_again', path)
    again = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(again)
    encoder, _, _ = again.autoencoder(784, [64], 2)
    assert output_shapes(encoder) == [(None, 2)] * 3
