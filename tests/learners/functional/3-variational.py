#!/usr/bin/env python3
"""Variational autoencoder"""
import tensorflow.keras as keras


class Sampling(keras.layers.Layer):
    """Draws z from N(mean, exp(log_var)) and adds the KL divergence"""

    def call(self, inputs):
        """Returns z = mean + sigma * epsilon"""
        mean, log_var = inputs
        kl = -0.5 * keras.backend.sum(
            1 + log_var - keras.backend.square(mean)
            - keras.backend.exp(log_var), axis=1)
        self.add_loss(keras.backend.mean(kl))
        epsilon = keras.backend.random_normal(keras.backend.shape(mean))
        return mean + keras.backend.exp(log_var / 2) * epsilon


def autoencoder(input_dims, hidden_layers, latent_dims):
    """
    Creates a variational autoencoder
    input_dims: integer, dimensions of the model input
    hidden_layers: list of nodes for each hidden layer in the encoder
    latent_dims: integer, dimensions of the latent space representation
    Returns: encoder, decoder, auto
    """
    inputs = keras.Input(shape=(input_dims,))
    x = inputs
    for nodes in hidden_layers:
        x = keras.layers.Dense(nodes, activation='relu')(x)
    mean = keras.layers.Dense(latent_dims)(x)
    log_var = keras.layers.Dense(latent_dims)(x)
    z = Sampling()([mean, log_var])
    encoder = keras.Model(inputs, [z, mean, log_var])

    latent = keras.Input(shape=(latent_dims,))
    y = latent
    for nodes in hidden_layers[::-1]:
        y = keras.layers.Dense(nodes, activation='relu')(y)
    outputs = keras.layers.Dense(input_dims, activation='sigmoid')(y)
    decoder = keras.Model(latent, outputs)

    def reconstruction(x_true, x_pred):
        """Binary cross-entropy summed over the pixels"""
        return keras.backend.sum(
            keras.backend.binary_crossentropy(x_true, x_pred), axis=-1)

    auto = keras.Model(inputs, decoder(encoder(inputs)[0]))
    auto.compile(optimizer='adam', loss=reconstruction)
    return encoder, decoder, auto
