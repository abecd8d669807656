#!/usr/bin/env python3
"""Variational autoencoder whose KL term is added by a layer of its own"""
import tensorflow.keras as keras


class KLDivergence(keras.layers.Layer):
    """Adds the KL divergence of its inputs, the mean and the log variance,
    to the model's loss, and gives them back as they are"""

    def call(self, inputs):
        """Adds the batch's mean KL divergence"""
        mu, log_var = inputs
        kl = -0.5 * keras.backend.sum(
            1 + log_var - keras.backend.square(mu) - keras.backend.exp(
                log_var), axis=-1)
        self.add_loss(keras.backend.mean(kl))
        return inputs


def sample(inputs):
    """z = mu + sigma * epsilon"""
    mu, log_var = inputs
    epsilon = keras.backend.random_normal(keras.backend.shape(mu))
    return mu + keras.backend.exp(log_var / 2) * epsilon


def reconstruction(x, x_decoded):
    """The binary cross-entropy summed over the pixels"""
    return keras.backend.sum(keras.backend.binary_crossentropy(x, x_decoded),
                             axis=-1)


def autoencoder(input_dims, hidden_layers, latent_dims):
    """Creates a variational autoencoder: encoder, decoder, auto"""
    x = keras.Input(shape=(input_dims,))
    h = x
    for nodes in hidden_layers:
        h = keras.layers.Dense(nodes, activation='relu')(h)
    mu = keras.layers.Dense(latent_dims)(h)
    log_var = keras.layers.Dense(latent_dims)(h)
    mu, log_var = KLDivergence()([mu, log_var])
    z = keras.layers.Lambda(sample)([mu, log_var])
    encoder = keras.Model(x, [z, mu, log_var])

    code = keras.Input(shape=(latent_dims,))
    h = code
    for nodes in reversed(hidden_layers):
        h = keras.layers.Dense(nodes, activation='relu')(h)
    decoder = keras.Model(code, keras.layers.Dense(input_dims,
                                                   activation='sigmoid')(h))

    auto = keras.Model(x, decoder(encoder(x)[0]))
    auto.compile(optimizer='adam', loss=reconstruction)
    return encoder, decoder, auto
