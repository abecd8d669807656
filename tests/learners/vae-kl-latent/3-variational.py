#!/usr/bin/env python3
"""Variational autoencoder"""
import tensorflow.keras as keras


class Sampling(keras.layers.Layer):
    """Reparameterization trick layer"""

    def call(self, inputs):
        """z = mean + exp(log_var / 2) * epsilon; adds the KL loss"""
        mean, log_var = inputs
        kl = -0.5 * keras.backend.mean(
            1 + log_var - keras.backend.square(mean)
            - keras.backend.exp(log_var), axis=-1)
        self.add_loss(keras.backend.mean(kl))
        epsilon = keras.backend.random_normal(keras.backend.shape(mean))
        return mean + keras.backend.exp(log_var / 2) * epsilon


def autoencoder(input_dims, hidden_layers, latent_dims):
    """Builds the VAE: encoder, decoder, auto"""
    inputs = keras.Input(shape=(input_dims,))
    x = inputs
    for units in hidden_layers:
        x = keras.layers.Dense(units, activation='relu')(x)
    mean = keras.layers.Dense(latent_dims)(x)
    log_var = keras.layers.Dense(latent_dims)(x)
    z = Sampling()([mean, log_var])
    encoder = keras.Model(inputs, [z, mean, log_var])

    code = keras.Input(shape=(latent_dims,))
    x = code
    for units in reversed(hidden_layers):
        x = keras.layers.Dense(units, activation='relu')(x)
    outputs = keras.layers.Dense(input_dims, activation='sigmoid')(x)
    decoder = keras.Model(code, outputs)

    def reconstruction_loss(y_true, y_pred):
        """Summed binary cross-entropy"""
        return keras.backend.sum(
            keras.backend.binary_crossentropy(y_true, y_pred), axis=-1)

    auto = keras.Model(inputs, decoder(encoder(inputs)[0]))
    auto.compile(optimizer='adam', loss=reconstruction_loss)
    return encoder, decoder, auto
