#!/usr/bin/env python3
"""
Module for the vanilla autoencoder
"""
import tensorflow.keras as keras


def autoencoder(input_dims, hidden_layers, latent_dims):
    """
    Builds a vanilla autoencoder with Sequential models

    Args:
        input_dims (int): size of an input
        hidden_layers (list): nodes of the encoder's hidden layers
        latent_dims (int): size of the latent space

    Returns:
        encoder, decoder, auto
    """
    encoder = keras.Sequential(name='encoder')
    encoder.add(keras.Input(shape=(input_dims,)))
    for units in hidden_layers:
        encoder.add(keras.layers.Dense(units, activation='relu'))
    encoder.add(keras.layers.Dense(latent_dims, activation='relu'))

    decoder = keras.Sequential(name='decoder')
    decoder.add(keras.Input(shape=(latent_dims,)))
    for units in reversed(hidden_layers):
        decoder.add(keras.layers.Dense(units, activation='relu'))
    decoder.add(keras.layers.Dense(input_dims, activation='sigmoid'))

    auto = keras.Sequential([encoder, decoder], name='autoencoder')
    auto.compile(optimizer=keras.optimizers.Adam(),
                 loss=keras.losses.BinaryCrossentropy())
    return encoder, decoder, auto
