"""Restricted Boltzmann machines, stacked and unrolled into an autoencoder,
as Hinton & Salakhutdinov (Science, 2006) pretrained theirs.

Each RBM has visible units with logistic (Bernoulli) means and hidden units
that are logistic or linear with unit-variance Gaussian noise (the code
layer's RBM). It learns by one step of contrastive divergence (CD-1) with
momentum and weight decay, on mini-batches, as in the authors' released
code: the positive statistics use the hidden probabilities, the
reconstruction is the visible probabilities given a sample of the hidden
units, and the negative statistics use the hidden probabilities (or means)
given that reconstruction. A stack is trained greedily: each RBM learns from
the hidden probabilities of the one below, and the unrolled autoencoder's
decoder starts from the transposed weights.
"""
import sys
import time

import numpy as np
import tensorflow as tf

keras = tf.keras
HIDDEN_UNITS = ('logistic', 'linear')


def sigmoid(x):
    """Returns the logistic function of x."""
    return 1. / (1. + np.exp(-x))


class RBM:
    """An RBM of n_visible logistic visible units and n_hidden hidden units,
    'logistic' (binary states) or 'linear' (Gaussian states with unit
    variance). weights: (n_visible, n_hidden); visible_bias, hidden_bias."""

    def __init__(self, n_visible, n_hidden, hidden='logistic', seed=0):
        """Starts from weights drawn from N(0, 0.1^2) and zero biases."""
        for name, value in (('n_visible', n_visible),
                            ('n_hidden', n_hidden)):
            if isinstance(value, bool) or not isinstance(
                    value, (int, np.integer)) or value < 1:
                raise ValueError('{} must be a positive integer, got {!r}'
                                 .format(name, value))
        if hidden not in HIDDEN_UNITS:
            raise ValueError('hidden must be one of {}, got {!r}'.format(
                ', '.join(HIDDEN_UNITS), hidden))
        self.hidden = hidden
        self.rng = np.random.default_rng(seed)
        self.weights = (0.1 * self.rng.standard_normal(
            (n_visible, n_hidden))).astype(np.float32)
        self.visible_bias = np.zeros(n_visible, np.float32)
        self.hidden_bias = np.zeros(n_hidden, np.float32)
        self.velocity = [np.zeros_like(p) for p in self.parameters()]

    def parameters(self):
        """Returns [weights, visible_bias, hidden_bias]."""
        return [self.weights, self.visible_bias, self.hidden_bias]

    def hidden_means(self, visible):
        """Returns the hidden units' means given the visible units."""
        total = visible @ self.weights + self.hidden_bias
        return sigmoid(total) if self.hidden == 'logistic' else total

    def sample_hidden(self, means):
        """Returns hidden states drawn given their means: binary for
        logistic units, means plus N(0, 1) noise for linear ones."""
        if self.hidden == 'logistic':
            return (means > self.rng.random(means.shape)).astype(np.float32)
        return (means + self.rng.standard_normal(means.shape)).astype(
            np.float32)

    def visible_means(self, hidden):
        """Returns the visible units' probabilities given hidden states."""
        return sigmoid(hidden @ self.weights.T + self.visible_bias)

    def gradients(self, visible):
        """Returns the CD-1 estimates of the log-likelihood's gradient
        (weights, visible bias, hidden bias), averaged over the batch, and
        the batch's reconstruction (the visible probabilities)."""
        positive = self.hidden_means(visible)
        reconstruction = self.visible_means(self.sample_hidden(positive))
        negative = self.hidden_means(reconstruction)
        n = len(visible)
        return [(visible.T @ positive - reconstruction.T @ negative) / n,
                np.mean(visible - reconstruction, axis=0),
                np.mean(positive - negative, axis=0)], reconstruction

    def step(self, visible, learning_rate, momentum, weight_cost):
        """Takes one CD-1 step on the batch visible: velocity = momentum *
        velocity + learning_rate * (gradient - weight_cost * weights, the
        decay on the weights only), then parameters += velocity. Returns
        the batch's squared reconstruction error summed over units and
        averaged over the batch."""
        grads, reconstruction = self.gradients(visible)
        grads[0] = grads[0] - weight_cost * self.weights
        for parameter, velocity, grad in zip(self.parameters(),
                                             self.velocity, grads):
            velocity *= momentum
            velocity += learning_rate * grad.astype(np.float32)
            parameter += velocity
        return float(np.sum((visible - reconstruction) ** 2) / len(visible))

    def state(self):
        """Returns everything training changes: the parameters, their
        velocities and the random generator's state."""
        return {'hidden': self.hidden, 'parameters': self.parameters(),
                'velocity': list(self.velocity),
                'rng': self.rng.bit_generator.state}

    def set_state(self, state):
        """Sets what state() returned."""
        self.hidden = state['hidden']
        self.weights, self.visible_bias, self.hidden_bias = [
            np.array(p, np.float32) for p in state['parameters']]
        self.velocity = [np.array(v, np.float32) for v in state['velocity']]
        self.rng.bit_generator.state = state['rng']

    def fit(self, data, epochs, batch_size=100, learning_rate=None,
            weight_cost=2e-4, momentum=(0.5, 0.9), switch_epoch=5,
            name='rbm', errors=(), after_epoch=None):
        """Trains on data (n, n_visible, values in [0, 1]) for epochs,
        shuffled anew each epoch; learning rate 0.1 for logistic hidden
        units and 0.001 for linear ones unless given; the momentum moves
        from momentum[0] to momentum[1] after switch_epoch epochs. Prints
        one line per epoch; returns the reconstruction errors per epoch.
        errors: those of the epochs already trained (training resumes after
        them); after_epoch(errors) is called after each epoch."""
        if learning_rate is None:
            learning_rate = 0.1 if self.hidden == 'logistic' else 1e-3
        data = np.asarray(data, np.float32)
        errors = list(errors)
        for epoch in range(len(errors), epochs):
            began = time.perf_counter()
            order = self.rng.permutation(len(data))
            speed = momentum[0] if epoch < switch_epoch else momentum[1]
            total = 0.
            for start in range(0, len(data), batch_size):
                batch = data[order[start:start + batch_size]]
                total += self.step(batch, learning_rate, speed,
                                   weight_cost) * len(batch)
            errors.append(total / len(data))
            print('{} epoch {}/{}: reconstruction error {:.3f} ({:.1f} s)'
                  .format(name, epoch + 1, epochs, errors[-1],
                          time.perf_counter() - began), file=sys.stderr)
            if after_epoch is not None:
                after_epoch(errors)
        return errors


def train_stack(data, sizes, epochs, seed=0, rbms=(), progress=None):
    """Trains RBMs greedily for the layer sizes (e.g. [784, 1000, 500, 250,
    30]): logistic hidden units, linear ones on top. rbms: already trained
    RBMs for the lowest layers, reused as they are. progress: an
    aelib.progress.Progress that keeps each RBM after every epoch (and
    resumes from it). Returns the list."""
    rbms = list(rbms)
    for rbm in rbms:
        data = rbm.hidden_means(data)
    for depth in range(len(rbms), len(sizes) - 1):
        top = depth == len(sizes) - 2
        rbm = RBM(sizes[depth], sizes[depth + 1],
                  'linear' if top else 'logistic', seed=seed + depth)
        name = 'rbm {}-{}'.format(*sizes[depth:depth + 2])
        key = 'rbm-{}-{}-seed{}'.format(sizes[depth], sizes[depth + 1],
                                        seed + depth)
        errors, after_epoch = (), None
        if progress is not None:
            kept = progress.kept(key)
            if kept is not None:
                rbm.set_state(kept['state'])
                errors = kept['errors']
                progress.say('resuming {} at epoch {} of {}'.format(
                    name, len(errors) + 1, epochs) if len(errors) < epochs
                    else '{}: trained in an earlier run'.format(name))

            def after_epoch(errors, rbm=rbm, key=key):
                """Keeps the RBM and its errors."""
                progress.keep(key, {'state': rbm.state(),
                                    'errors': errors})
                progress.where = 'in {} after epoch {} of {}'.format(
                    name, len(errors), epochs)
        rbm.fit(data, epochs, name=name, errors=errors,
                after_epoch=after_epoch)
        rbms.append(rbm)
        data = rbm.hidden_means(data)
    return rbms


def unroll(rbms):
    """Returns encoder, decoder, auto (uncompiled Keras models) unrolled
    from a stack of RBMs: the encoder's layers carry each RBM's weights and
    hidden biases (logistic, the top one linear); the decoder's carry the
    transposed weights and the visible biases, in reverse order, all
    logistic."""
    inputs = keras.Input(shape=(rbms[0].weights.shape[0],))
    x = inputs
    for rbm in rbms:
        layer = keras.layers.Dense(
            rbm.weights.shape[1],
            activation='sigmoid' if rbm.hidden == 'logistic' else None)
        x = layer(x)
        layer.set_weights([rbm.weights, rbm.hidden_bias])
    encoder = keras.Model(inputs, x, name='encoder')
    codes = keras.Input(shape=(rbms[-1].weights.shape[1],))
    x = codes
    for rbm in reversed(rbms):
        layer = keras.layers.Dense(rbm.weights.shape[0],
                                   activation='sigmoid')
        x = layer(x)
        layer.set_weights([rbm.weights.T, rbm.visible_bias])
    decoder = keras.Model(codes, x, name='decoder')
    auto = keras.Model(inputs, decoder(encoder(inputs)), name='autoencoder')
    return encoder, decoder, auto
