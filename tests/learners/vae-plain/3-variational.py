#!/usr/bin/env python3
"""Variational autoencoder"""
import tensorflow.keras as keras


def autoencoder(input_dims, hidden_layers, latent_dims):
    """Creates the encoder, decoder and auto models"""
    encoder_in = keras.layers.Input(shape=(input_dims,))
    layer = encoder_in
    for nodes in hidden_layers:
        layer = keras.layers.Dense(nodes, activation='relu')(layer)
    latent = keras.layers.Dense(latent_dims, activation='relu')(layer)
    encoder = keras.models.Model(encoder_in, latent)

    decoder_in = keras.layers.Input(shape=(latent_dims,))
    layer = decoder_in
    for nodes in hidden_layers[::-1]:
        layer = keras.layers.Dense(nodes, activation='relu')(layer)
    layer = keras.layers.Dense(input_dims, activation='sigmoid')(layer)
    decoder = keras.models.Model(decoder_in, layer)

    auto_in = keras.layers.Input(shape=(input_dims,))
    auto = keras.models.Model(auto_in, decoder(encoder(auto_in)))
    auto.compile(optimizer='adam', loss='binary_crossentropy')
    return encoder, decoder, auto
