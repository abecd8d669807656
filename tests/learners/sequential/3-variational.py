#!/usr/bin/env python3
"""
Module for the variational autoencoder
"""
import tensorflow.keras as keras


def sampling(args):
    """
    Reparameterization trick: z = mu + sigma * epsilon

    Args:
        args (list): the mean and the log variance tensors

    Returns:
        the sampled z
    """
    z_mean, z_log_var = args
    batch = keras.backend.shape(z_mean)[0]
    dims = keras.backend.int_shape(z_mean)[1]
    epsilon = keras.backend.random_normal(shape=(batch, dims))
    return z_mean + keras.backend.exp(0.5 * z_log_var) * epsilon


def autoencoder(input_dims, hidden_layers, latent_dims):
    """
    Builds a variational autoencoder

    Args:
        input_dims (int): size of an input
        hidden_layers (list): nodes of the encoder's hidden layers
        latent_dims (int): size of the latent space

    Returns:
        encoder, decoder, auto
    """
    x = keras.Input(shape=(input_dims,))
    h = x
    for units in hidden_layers:
        h = keras.layers.Dense(units, activation='relu')(h)
    z_mean = keras.layers.Dense(latent_dims)(h)
    z_log_var = keras.layers.Dense(latent_dims)(h)
    z = keras.layers.Lambda(sampling)([z_mean, z_log_var])
    encoder = keras.Model(x, [z, z_mean, z_log_var], name='encoder')

    decoder = keras.Sequential(name='decoder')
    decoder.add(keras.Input(shape=(latent_dims,)))
    for units in reversed(hidden_layers):
        decoder.add(keras.layers.Dense(units, activation='relu'))
    decoder.add(keras.layers.Dense(input_dims, activation='sigmoid'))

    x_decoded = decoder(z)
    auto = keras.Model(x, x_decoded, name='vae')
    reconstruction = keras.losses.binary_crossentropy(x, x_decoded)
    reconstruction *= input_dims
    kl = -0.5 * keras.backend.sum(1 + z_log_var - keras.backend.square(z_mean)
                                  - keras.backend.exp(z_log_var), axis=-1)
    auto.add_loss(keras.backend.mean(reconstruction + kl))
    auto.compile(optimizer='adam')
    return encoder, decoder, auto
