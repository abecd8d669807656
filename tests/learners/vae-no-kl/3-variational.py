#!/usr/bin/env python3
"""VAE"""
import tensorflow.keras as keras


def sample(args):
    """reparameterization: mu + sigma * epsilon"""
    mu, log_var = args
    epsilon = keras.backend.random_normal(shape=keras.backend.shape(mu))
    return mu + keras.backend.exp(log_var / 2) * epsilon


def autoencoder(input_dims, hidden_layers, latent_dims):
    """builds a variational autoencoder"""
    inputs = keras.Input(shape=(input_dims,))
    x = inputs
    for n in hidden_layers:
        x = keras.layers.Dense(n, activation='relu')(x)
    mu = keras.layers.Dense(latent_dims)(x)
    log_var = keras.layers.Dense(latent_dims)(x)
    z = keras.layers.Lambda(sample)([mu, log_var])
    encoder = keras.Model(inputs, [z, mu, log_var])

    latent = keras.Input(shape=(latent_dims,))
    x = latent
    for n in hidden_layers[::-1]:
        x = keras.layers.Dense(n, activation='relu')(x)
    x = keras.layers.Dense(input_dims, activation='sigmoid')(x)
    decoder = keras.Model(latent, x)

    outputs = decoder(encoder(inputs)[0])
    auto = keras.Model(inputs, outputs)
    loss = keras.backend.sum(
        keras.backend.binary_crossentropy(inputs, outputs), axis=1)
    auto.add_loss(keras.backend.mean(loss))
    auto.compile(optimizer='adam')
    return encoder, decoder, auto
