#!/usr/bin/env python3
"""Variational autoencoder"""
import tensorflow.keras as keras


def autoencoder(input_dims, hidden_layers, latent_dims):
    """Builds a variational autoencoder

    input_dims: size of an input
    hidden_layers: nodes of the encoder's hidden layers
    latent_dims: size of the latent space
    Returns: encoder, decoder, auto
    """
    inputs = keras.Input(shape=(input_dims,))
    h = inputs
    for units in hidden_layers:
        h = keras.layers.Dense(units, activation='relu')(h)
    mean = keras.layers.Dense(latent_dims)(h)
    log_var = keras.layers.Dense(latent_dims)(h)

    def reparameterize(tensors):
        """z from the mean and the log variance"""
        _, lv = tensors
        eps = keras.backend.random_normal(keras.backend.shape(lv))
        return mean + keras.backend.exp(lv / 2) * eps

    z = keras.layers.Lambda(reparameterize)([mean, log_var])
    encoder = keras.Model(inputs, [z, mean, log_var])

    codes = keras.Input(shape=(latent_dims,))
    h = codes
    for units in hidden_layers[::-1]:
        h = keras.layers.Dense(units, activation='relu')(h)
    decoder = keras.Model(
        codes, keras.layers.Dense(input_dims, activation='sigmoid')(h))

    outputs = decoder(encoder(inputs)[0])
    auto = keras.Model(inputs, outputs)
    pixels = keras.backend.sum(
        keras.backend.binary_crossentropy(inputs, outputs), axis=1)
    kl = -0.5 * keras.backend.sum(
        1 + log_var - keras.backend.square(mean) - keras.backend.exp(log_var),
        axis=1)
    auto.add_loss(keras.backend.mean(pixels + kl))
    auto.compile(optimizer='adam')
    return encoder, decoder, auto
