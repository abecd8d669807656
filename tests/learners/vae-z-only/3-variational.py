#!/usr/bin/env python3
"""Variational autoencoder"""
import tensorflow.keras as keras


def sample(args):
    """Draws z = mean + sigma * epsilon"""
    mean, log_var = args
    epsilon = keras.backend.random_normal(keras.backend.shape(mean))
    return mean + keras.backend.exp(0.5 * log_var) * epsilon


def autoencoder(input_dims, hidden_layers, latent_dims):
    """Returns encoder, decoder, auto of a variational autoencoder"""
    x_in = keras.Input(shape=(input_dims,))
    x = x_in
    for n in hidden_layers:
        x = keras.layers.Dense(n, activation='relu')(x)
    mean = keras.layers.Dense(latent_dims)(x)
    log_var = keras.layers.Dense(latent_dims)(x)
    z = keras.layers.Lambda(sample)([mean, log_var])
    encoder = keras.Model(x_in, z)

    z_in = keras.Input(shape=(latent_dims,))
    x = z_in
    for n in reversed(hidden_layers):
        x = keras.layers.Dense(n, activation='relu')(x)
    x = keras.layers.Dense(input_dims, activation='sigmoid')(x)
    decoder = keras.Model(z_in, x)

    x_out = decoder(encoder(x_in))
    auto = keras.Model(x_in, x_out)
    loss = input_dims * keras.losses.binary_crossentropy(x_in, x_out)
    loss += -0.5 * keras.backend.sum(
        1 + log_var - keras.backend.square(mean) - keras.backend.exp(log_var),
        axis=-1)
    auto.add_loss(keras.backend.mean(loss))
    auto.compile(optimizer='adam')
    return encoder, decoder, auto
