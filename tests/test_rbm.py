"""The RBMs of the dimensionality application: one CD-1 step against a hand
computation on a tiny layer, the greedy stack, and the unrolling into an
autoencoder whose decoder starts from the transposed weights."""
import numpy as np
import pytest

from conftest import keras
from aelib import rbm


def tiny(hidden='logistic'):
    """Returns a 3-visible, 2-hidden RBM with known weights and biases."""
    machine = rbm.RBM(3, 2, hidden, seed=7)
    machine.weights[:] = [[0.5, -1.], [0.25, 0.], [-0.5, 1.5]]
    machine.visible_bias[:] = [0.1, -0.2, 0.]
    machine.hidden_bias[:] = [0., 0.3]
    return machine


def by_hand(machine, v, draws, hidden):
    """Returns the expected CD-1 parameters after one step (learning rate
    0.1, momentum 0.5 on a zero velocity, weight cost 0.01), computed from
    the formulas with the same random draws."""
    w, b, c = (p.astype(np.float64) for p in machine.parameters())
    s = 1 / (1 + np.exp(-(v @ w + c)))
    h0 = s if hidden == 'logistic' else v @ w + c
    states = (h0 > draws).astype(float) if hidden == 'logistic' \
        else h0 + draws
    v1 = 1 / (1 + np.exp(-(states @ w.T + b)))
    h1 = 1 / (1 + np.exp(-(v1 @ w + c))) if hidden == 'logistic' \
        else v1 @ w + c
    n = len(v)
    dw = (v.T @ h0 - v1.T @ h1) / n - 0.01 * w
    return (w + 0.1 * dw, b + 0.1 * (v - v1).mean(0),
            c + 0.1 * (h0 - h1).mean(0), np.sum((v - v1) ** 2) / n)


@pytest.mark.parametrize('hidden', rbm.HIDDEN_UNITS)
def test_one_cd1_step_matches_the_hand_computation(hidden):
    machine = tiny(hidden)
    v = np.array([[1., 0., 1.], [0., 1., 0.], [0.5, 0.5, 0.2],
                  [1., 1., 0.]], np.float32)
    # the same draws the machine's generator will make
    twin = np.random.default_rng(7)
    twin.standard_normal((3, 2))  # the initial weights
    draws = twin.random((4, 2)) if hidden == 'logistic' \
        else twin.standard_normal((4, 2))
    want_w, want_b, want_c, want_error = by_hand(
        machine, v.astype(np.float64), draws, hidden)
    error = machine.step(v, learning_rate=0.1, momentum=0.5,
                         weight_cost=0.01)
    np.testing.assert_allclose(machine.weights, want_w, rtol=1e-5)
    np.testing.assert_allclose(machine.visible_bias, want_b, rtol=1e-5,
                               atol=1e-7)
    np.testing.assert_allclose(machine.hidden_bias, want_c, rtol=1e-5,
                               atol=1e-7)
    assert error == pytest.approx(want_error, rel=1e-5)


def test_momentum_adds_the_last_step_to_the_next():
    v = np.array([[1., 0., 1.]], np.float32)
    once, twice = tiny(), tiny()
    before = once.weights.copy()
    once.step(v, 0.1, 0.9, 0.)
    np.testing.assert_allclose(once.velocity[0], once.weights - before,
                               atol=1e-7)
    # a second step with a zero learning rate moves by 0.9 of the first
    twice.step(v, 0.1, 0.9, 0.)
    middle = twice.weights.copy()
    twice.step(v, 0., 0.9, 0.)
    np.testing.assert_allclose(twice.weights - middle,
                               0.9 * (middle - before), atol=1e-7)


def test_training_lowers_the_reconstruction_error():
    rng = np.random.default_rng(0)
    # two prototypes with noise: an RBM of 4 hidden units learns them
    prototypes = np.array([[1, 1, 1, 0, 0, 0], [0, 0, 0, 1, 1, 1]], float)
    data = np.abs(prototypes[rng.integers(0, 2, 400)]
                  - (rng.random((400, 6)) < 0.05))
    machine = rbm.RBM(6, 4, seed=0)
    errors = machine.fit(data, 10, batch_size=20)
    assert len(errors) == 10
    assert errors[-1] < 0.5 * errors[0]


def test_stack_is_logistic_below_and_linear_on_top():
    data = np.random.default_rng(0).random((50, 12)).astype(np.float32)
    rbms = rbm.train_stack(data, [12, 8, 6, 3], epochs=1)
    assert [r.weights.shape for r in rbms] == [(12, 8), (8, 6), (6, 3)]
    assert [r.hidden for r in rbms] == ['logistic', 'logistic', 'linear']
    # the lower RBMs are reused as they are when given
    again = rbm.train_stack(data, [12, 8, 6, 2], epochs=1, rbms=rbms[:2])
    assert again[0] is rbms[0] and again[1] is rbms[1]
    assert again[2].weights.shape == (6, 2)


def test_unrolled_decoder_starts_from_the_transposed_weights():
    data = np.random.default_rng(0).random((40, 12)).astype(np.float32)
    rbms = rbm.train_stack(data, [12, 8, 3], epochs=1)
    encoder, decoder, auto = rbm.unroll(rbms)
    dense = [layer for layer in encoder.layers
             if isinstance(layer, keras.layers.Dense)]
    assert [layer.get_config()['activation'] for layer in dense] == \
        ['sigmoid', 'linear']
    for layer, machine in zip(dense, rbms):
        kernel, bias = layer.get_weights()
        np.testing.assert_array_equal(kernel, machine.weights)
        np.testing.assert_array_equal(bias, machine.hidden_bias)
    back = [layer for layer in decoder.layers
            if isinstance(layer, keras.layers.Dense)]
    assert all(layer.get_config()['activation'] == 'sigmoid'
               for layer in back)
    for layer, machine in zip(back, reversed(rbms)):
        kernel, bias = layer.get_weights()
        np.testing.assert_array_equal(kernel, machine.weights.T)
        np.testing.assert_array_equal(bias, machine.visible_bias)
    # the unrolled encoder computes the RBMs' hidden means
    means = rbms[1].hidden_means(rbms[0].hidden_means(data))
    np.testing.assert_allclose(encoder.predict(data, verbose=0), means,
                               rtol=1e-4, atol=1e-5)
    assert auto.predict(data, verbose=0).shape == (40, 12)


@pytest.mark.parametrize('arguments, message', [
    ((0, 3), 'n_visible must be a positive integer, got 0'),
    ((3, 2.5), 'n_hidden must be a positive integer, got 2.5'),
    ((3, 2, 'gaussian'), "hidden must be one of logistic, linear, got "
                         "'gaussian'"),
])
def test_bad_arguments_are_refused_by_name(arguments, message):
    with pytest.raises(ValueError) as raised:
        rbm.RBM(*arguments)
    assert str(raised.value) == message
