#!/usr/bin/env python3
"""Variational autoencoder"""
import tensorflow.keras as keras


def autoencoder(input_dims, hidden_layers, latent_dims):
    """Creates a variational autoencoder

    input_dims: number of pixels of an image
    hidden_layers: nodes of each hidden layer of the encoder
    latent_dims: dimensions of the latent space
    Returns: encoder, decoder, auto
    """
    def sampling(args):
        """Draws z from the mean and the log variance"""
        mu, log_sigma = args
        epsilon = keras.backend.random_normal(shape=(latent_dims,))
        return mu + keras.backend.exp(log_sigma / 2) * epsilon

    x_in = keras.Input(shape=(input_dims,))
    h = x_in
    for nodes in hidden_layers:
        h = keras.layers.Dense(nodes, activation='relu')(h)
    mu = keras.layers.Dense(latent_dims)(h)
    log_sigma = keras.layers.Dense(latent_dims)(h)
    z = keras.layers.Lambda(sampling)([mu, log_sigma])
    encoder = keras.Model(x_in, [z, mu, log_sigma])

    z_in = keras.Input(shape=(latent_dims,))
    h = z_in
    for nodes in reversed(hidden_layers):
        h = keras.layers.Dense(nodes, activation='relu')(h)
    x_out = keras.layers.Dense(input_dims, activation='sigmoid')(h)
    decoder = keras.Model(z_in, x_out)

    auto = keras.Model(x_in, decoder(z))
    reconstruction = keras.losses.binary_crossentropy(x_in, auto.output)
    reconstruction *= input_dims
    kl = -0.5 * keras.backend.sum(1 + log_sigma - keras.backend.square(mu)
                                  - keras.backend.exp(log_sigma), axis=-1)
    auto.add_loss(keras.backend.mean(reconstruction + kl))
    auto.compile(optimizer='adam')
    return encoder, decoder, auto
