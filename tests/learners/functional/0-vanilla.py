#!/usr/bin/env python3
"""Vanilla autoencoder"""
import tensorflow.keras as keras


def autoencoder(input_dims, hidden_layers, latent_dims):
    """
    Creates an autoencoder
    input_dims: integer, dimensions of the model input
    hidden_layers: list of nodes for each hidden layer in the encoder
    latent_dims: integer, dimensions of the latent space representation
    Returns: encoder, decoder, auto
    """
    inputs = keras.Input(shape=(input_dims,))
    x = inputs
    for nodes in hidden_layers:
        x = keras.layers.Dense(nodes, activation='relu')(x)
    code = keras.layers.Dense(latent_dims, activation='relu')(x)
    encoder = keras.Model(inputs, code)

    latent = keras.Input(shape=(latent_dims,))
    y = latent
    for nodes in hidden_layers[::-1]:
        y = keras.layers.Dense(nodes, activation='relu')(y)
    outputs = keras.layers.Dense(input_dims, activation='sigmoid')(y)
    decoder = keras.Model(latent, outputs)

    auto = keras.Model(inputs, decoder(encoder(inputs)))
    auto.compile(optimizer='adam', loss='binary_crossentropy')
    return encoder, decoder, auto
