"""The tied-weights layer and model, and the KL sparsity penalty: shapes,
the shared kernel, save and load, and the penalty against a hand
computation."""
import numpy as np
import pytest

from conftest import batch, keras, task
from aelib import layers


def test_tied_autoencoder_has_the_vanilla_shapes_and_half_the_kernels():
    tied = layers.tied_autoencoder(784, [128, 64], 32)
    _, _, untied = task('0-vanilla').autoencoder(784, [128, 64], 32)
    x = batch((784,), n=5)
    assert tied.predict(x, verbose=0).shape == (5, 784)
    assert tuple(tied.encode(x).shape) == (5, 32)
    kernels = 784 * 128 + 128 * 64 + 64 * 32
    biases = 128 + 64 + 32
    assert untied.count_params() == 2 * kernels + 2 * biases + 784 - 32
    assert tied.count_params() == kernels + biases + 64 + 128 + 784


def test_decoder_uses_the_encoders_kernel_transposed():
    tied = layers.tied_autoencoder(6, [4], 2)
    first, second = tied.encoder_layers
    # its own weights: the bias; the kernel it holds is the encoder's
    own = [w for w in tied.decoder_layers[0].trainable_weights
           if all(w is not v for v in second.trainable_weights)]
    assert [tuple(w.shape) for w in own] == [(4,)]
    codes = np.array([[0.5, 1.0]], np.float32)
    bias = tied.decoder_layers[0].bias.numpy()
    expected = np.maximum(codes @ second.kernel.numpy().T + bias, 0)
    np.testing.assert_allclose(
        tied.decoder_layers[0](codes).numpy(), expected, rtol=1e-6)
    # changing the encoder's kernel changes the decoder
    before = tied.decode(codes).numpy()
    second.kernel.assign(second.kernel * 2)
    assert not np.allclose(tied.decode(codes).numpy(), before)


def test_output_layer_is_sigmoid_of_the_first_kernel():
    tied = layers.tied_autoencoder(6, [4], 2)
    hidden = np.array([[0.2, 0.0, 1.0, 0.3]], np.float32)
    out = tied.decoder_layers[-1](hidden).numpy()
    logits = hidden @ tied.encoder_layers[0].kernel.numpy().T
    np.testing.assert_allclose(out, 1 / (1 + np.exp(-logits)), rtol=1e-5)


def test_training_moves_one_kernel_per_layer():
    tied = layers.tied_autoencoder(8, [4], 2)
    x = batch((8,), n=64)
    loss = tied.evaluate(x, x, verbose=0)
    tied.fit(x, x, epochs=5, batch_size=16, verbose=0)
    assert tied.evaluate(x, x, verbose=0) < loss
    assert len(tied.trainable_weights) == 2 * 2 + 2


def test_save_and_load_keep_predictions_and_the_tie(tmp_path):
    tied = layers.tied_autoencoder(10, [6], 3)
    x = batch((10,), n=4)
    tied.fit(x, x, epochs=1, verbose=0)
    path = str(tmp_path / 'tied.keras')
    tied.save(path)
    loaded = keras.models.load_model(path)
    assert isinstance(loaded, layers.TiedAutoencoder)
    np.testing.assert_allclose(loaded.predict(x, verbose=0),
                               tied.predict(x, verbose=0), rtol=1e-5)
    assert loaded.count_params() == tied.count_params()
    assert loaded.decoder_layers[0].dense is loaded.encoder_layers[-1]


def test_kl_sparsity_by_hand():
    activations = np.array([[0.1, 0.5], [0.3, 0.5]], np.float32)
    # unit means 0.2 and 0.5 against the target 0.1
    p = 0.1
    expected = sum(p * np.log(p / q) + (1 - p) * np.log((1 - p) / (1 - q))
                   for q in (0.2, 0.5))
    assert float(layers.kl_sparsity(activations, p)) == pytest.approx(
        expected, rel=1e-5)
    assert float(layers.kl_sparsity(np.full((3, 4), 0.1, np.float32),
                                    0.1)) == pytest.approx(0, abs=1e-6)


def test_kl_sparsity_layer_adds_its_weighted_penalty_to_the_loss():
    inputs = keras.Input(shape=(2,))
    outputs = layers.KLSparsity(target=0.1, weight=3.0)(
        keras.layers.Activation('sigmoid')(inputs))
    model = keras.Model(inputs, outputs)
    model.compile(loss='mse')
    x = np.array([[0., 2.], [1., -1.]], np.float32)
    sig = 1 / (1 + np.exp(-x))
    penalty = 3.0 * float(layers.kl_sparsity(sig.astype(np.float32), 0.1))
    assert model.evaluate(x, sig, verbose=0) == pytest.approx(penalty,
                                                              rel=1e-4)


def test_kl_sparsity_layer_round_trips_its_config():
    layer = layers.KLSparsity(target=0.05, weight=0.5)
    again = layers.KLSparsity.from_config(layer.get_config())
    assert (again.target, again.weight) == (0.05, 0.5)


@pytest.mark.parametrize('target', [0, 1, 1.5])
def test_kl_sparsity_refuses_a_target_outside_0_1(target):
    with pytest.raises(ValueError, match='target must be between 0 and 1'):
        layers.KLSparsity(target=target)
