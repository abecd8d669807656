#!/usr/bin/env python3
"""Variational autoencoder"""
import tensorflow.keras as keras


def autoencoder(input_dims, hidden_layers, latent_dims):
    """Creates a variational autoencoder: encoder, decoder, auto"""
    inputs = keras.layers.Input(shape=(input_dims,))
    x = inputs
    for units in hidden_layers:
        x = keras.layers.Dense(units, activation='relu')(x)
    z_mean = keras.layers.Dense(latent_dims)(x)
    z_log_var = keras.layers.Dense(latent_dims)(x)

    def sampling(args):
        """Samples z from N(z_mean, exp(z_log_var))"""
        mean, log_var = args
        epsilon = keras.backend.random_normal(keras.backend.shape(mean))
        return mean + keras.backend.exp(log_var / 2) * epsilon

    z = keras.layers.Lambda(sampling)([z_mean, z_log_var])
    encoder = keras.models.Model(inputs, [z, z_mean, z_log_var])

    latent = keras.layers.Input(shape=(latent_dims,))
    x = latent
    for units in reversed(hidden_layers):
        x = keras.layers.Dense(units, activation='relu')(x)
    outputs = keras.layers.Dense(input_dims, activation='sigmoid')(x)
    decoder = keras.models.Model(latent, outputs)

    auto = keras.models.Model(inputs, decoder(z))

    def vae_loss(x, x_decoded):
        """Summed binary cross-entropy plus the KL divergence"""
        bce = keras.backend.binary_crossentropy(x, x_decoded)
        reconstruction = keras.backend.sum(bce, axis=1)
        kl = -0.5 * keras.backend.sum(1 + z_log_var
                                      - keras.backend.square(z_mean)
                                      - keras.backend.exp(z_log_var), axis=1)
        return reconstruction + kl

    auto.compile(optimizer='adam', loss=vae_loss)
    return encoder, decoder, auto
