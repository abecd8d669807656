#!/usr/bin/env python3
"""Variational autoencoder"""
import tensorflow.keras as keras


def sample(args):
    """Draws z = mean + sigma * epsilon"""
    mean, log_var = args
    epsilon = keras.backend.random_normal(shape=keras.backend.shape(mean))
    return mean + keras.backend.exp(0.5 * log_var) * epsilon


def make_loss(mean, log_var):
    """Returns the VAE loss for the encoder's mean and log variance"""
    def loss(y_true, y_pred):
        """Reconstruction (summed over the pixels) plus KL divergence"""
        reconstruction = keras.backend.sum(
            keras.backend.binary_crossentropy(y_true, y_pred), axis=-1)
        kl = -0.5 * keras.backend.sum(1 + log_var - keras.backend.square(mean)
                                      - keras.backend.exp(log_var), axis=-1)
        return reconstruction + kl
    return loss


def autoencoder(input_dims, hidden_layers, latent_dims):
    """
    Creates a variational autoencoder
    input_dims: integer, dimensions of the model input
    hidden_layers: list of nodes for each hidden layer of the encoder
    latent_dims: integer, dimensions of the latent space
    Returns: encoder, decoder, auto
    """
    inputs = keras.Input(shape=(input_dims,))
    x = inputs
    for nodes in hidden_layers:
        x = keras.layers.Dense(nodes, activation='relu')(x)
    mean = keras.layers.Dense(latent_dims)(x)
    log_var = keras.layers.Dense(latent_dims)(x)
    z = keras.layers.Lambda(sample)([mean, log_var])
    encoder = keras.Model(inputs, [z, mean, log_var])

    latent = keras.Input(shape=(latent_dims,))
    y = latent
    for nodes in reversed(hidden_layers):
        y = keras.layers.Dense(nodes, activation='relu')(y)
    outputs = keras.layers.Dense(input_dims, activation='sigmoid')(y)
    decoder = keras.Model(latent, outputs)

    auto = keras.Model(inputs, decoder(encoder(inputs)[0]))
    auto.compile(optimizer='adam', loss=make_loss(mean, log_var))
    return encoder, decoder, auto
