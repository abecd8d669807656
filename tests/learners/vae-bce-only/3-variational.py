#!/usr/bin/env python3
"""Variational autoencoder (task 3)"""
import tensorflow.keras as keras


def autoencoder(input_dims, hidden_layers, latent_dims):
    """Returns the encoder, the decoder and the full autoencoder"""
    def sampling(inputs):
        """draws z"""
        mean, log_var = inputs
        eps = keras.backend.random_normal(keras.backend.shape(mean))
        return mean + keras.backend.exp(log_var / 2) * eps

    encoder_in = keras.Input(shape=(input_dims,))
    hidden = encoder_in
    for size in hidden_layers:
        hidden = keras.layers.Dense(size, activation='relu')(hidden)
    mean = keras.layers.Dense(latent_dims, activation=None)(hidden)
    log_var = keras.layers.Dense(latent_dims, activation=None)(hidden)
    z = keras.layers.Lambda(sampling)([mean, log_var])
    encoder = keras.Model(encoder_in, [z, mean, log_var])

    decoder_in = keras.Input(shape=(latent_dims,))
    hidden = decoder_in
    for size in reversed(hidden_layers):
        hidden = keras.layers.Dense(size, activation='relu')(hidden)
    decoder_out = keras.layers.Dense(input_dims, activation='sigmoid')(hidden)
    decoder = keras.Model(decoder_in, decoder_out)

    auto = keras.Model(encoder_in, decoder(encoder(encoder_in)[0]))
    auto.compile(optimizer='adam', loss='binary_crossentropy')
    return encoder, decoder, auto
