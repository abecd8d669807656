#!/usr/bin/env python3
"""Variational autoencoder"""
import tensorflow.keras as keras


class Sampling(keras.layers.Layer):
    """z from the mean and the log variance"""

    def call(self, inputs):
        """Samples z and adds the KL divergence to the losses"""
        mean, log_var = inputs
        epsilon = keras.backend.random_normal(keras.backend.shape(mean),
                                              stddev=0.1)
        kl = 1 + log_var - keras.backend.square(mean) \
            - keras.backend.exp(log_var)
        self.add_loss(-0.5 * keras.backend.mean(keras.backend.sum(kl, 1)))
        return mean + keras.backend.exp(log_var / 2) * epsilon


def autoencoder(input_dims: int, hidden_layers: list[int] | tuple[int],
                latent_dims: int):
    """Returns encoder, decoder, auto"""
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

    def loss(y, y_hat):
        """Summed binary cross-entropy"""
        return input_dims * keras.losses.binary_crossentropy(y, y_hat)

    auto = keras.Model(inputs, decoder(encoder(inputs)[0]))
    auto.compile(optimizer='adam', loss=loss)
    return encoder, decoder, auto
