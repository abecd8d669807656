#!/usr/bin/env python3
"""Variational autoencoder"""
import tensorflow.keras as keras


class Sampling(keras.layers.Layer):
    """Samples z from (z_mean, z_log_var) and adds the KL term"""

    def call(self, inputs):
        """Returns a sample z"""
        z_mean, z_log_var = inputs
        kl = keras.backend.sum(1 + z_log_var - keras.backend.square(z_mean)
                               - keras.backend.exp(z_log_var), axis=-1)
        self.add_loss(-0.5 * keras.backend.mean(kl))
        eps = keras.backend.random_normal(keras.backend.shape(z_mean))
        return z_mean + keras.backend.exp(0.5 * z_log_var) * eps


def autoencoder(input_dims, hidden_layers, latent_dims):
    """Creates a VAE; returns encoder, decoder, auto"""
    x_in = keras.Input(shape=(input_dims,))
    h = x_in
    for units in hidden_layers:
        h = keras.layers.Dense(units, activation='relu')(h)
    z_mean = keras.layers.Dense(latent_dims, name='z_mean')(h)
    z_log_var = keras.layers.Dense(latent_dims, name='z_log_var')(h)
    z = Sampling(name='z')([z_mean, z_log_var])
    encoder = keras.Model(x_in, [z_mean, z_log_var, z], name='encoder')

    z_in = keras.Input(shape=(latent_dims,))
    h = z_in
    for units in reversed(hidden_layers):
        h = keras.layers.Dense(units, activation='relu')(h)
    x_out = keras.layers.Dense(input_dims, activation='sigmoid')(h)
    decoder = keras.Model(z_in, x_out, name='decoder')

    def summed_bce(y_true, y_pred):
        """Binary cross-entropy summed over the pixels"""
        return input_dims * keras.losses.binary_crossentropy(y_true, y_pred)

    auto = keras.Model(x_in, decoder(encoder(x_in)[2]), name='vae')
    auto.compile(optimizer='adam', loss=summed_bce)
    return encoder, decoder, auto
