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
        mean, log_var = args
        batch = keras.backend.shape(mean)[0]
        epsilon = keras.backend.random_normal(shape=(batch, latent_dims))
        return mean + keras.backend.exp(log_var / 2) * epsilon

    inputs = keras.Input(shape=(input_dims,))
    x = inputs
    for nodes in hidden_layers:
        x = keras.layers.Dense(nodes, activation='relu')(x)
    mean = keras.layers.Dense(latent_dims)(x)
    log_var = keras.layers.Dense(latent_dims)(x)
    z = keras.layers.Lambda(sampling)([mean, log_var])
    encoder = keras.Model(inputs, [z, mean, log_var])

    codes = keras.Input(shape=(latent_dims,))
    x = codes
    for nodes in reversed(hidden_layers):
        x = keras.layers.Dense(nodes, activation='relu')(x)
    outputs = keras.layers.Dense(input_dims, activation='sigmoid')(x)
    decoder = keras.Model(codes, outputs)

    auto = keras.Model(inputs, decoder(z))
    kl = -0.5 * keras.backend.sum(1 + log_var - keras.backend.square(mean)
                                  - keras.backend.exp(log_var), axis=-1)
    auto.add_loss(keras.backend.mean(kl))

    def reconstruction_loss(y_true, y_pred):
        """Binary cross-entropy summed over the pixels"""
        loss = keras.backend.binary_crossentropy(y_true, y_pred)
        print('loss shape:', loss.shape)
        return keras.backend.sum(loss, axis=-1)

    auto.compile(optimizer='adam', loss=reconstruction_loss)
    return encoder, decoder, auto
