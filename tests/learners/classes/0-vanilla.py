#!/usr/bin/env python3
"""0-vanilla: a vanilla autoencoder"""
import tensorflow.keras as K


def autoencoder(input_dims, hidden_layers, latent_dims):
    """creates an autoencoder and returns encoder, decoder, auto"""
    X = K.Input(shape=(input_dims,))
    for i in range(len(hidden_layers)):
        if i == 0:
            h = K.layers.Dense(hidden_layers[i], activation='relu')(X)
        else:
            h = K.layers.Dense(hidden_layers[i], activation='relu')(h)
    code = K.layers.Dense(latent_dims, activation='relu')(h)
    encoder = K.Model(X, code)
    Z = K.Input(shape=(latent_dims,))
    for i in range(len(hidden_layers) - 1, -1, -1):
        if i == len(hidden_layers) - 1:
            h = K.layers.Dense(hidden_layers[i], activation='relu')(Z)
        else:
            h = K.layers.Dense(hidden_layers[i], activation='relu')(h)
    out = K.layers.Dense(input_dims, activation='sigmoid')(h)
    decoder = K.Model(Z, out)
    auto = K.Model(X, decoder(encoder(X)))
    auto.compile(optimizer='adam', loss='binary_crossentropy')
    return encoder, decoder, auto
