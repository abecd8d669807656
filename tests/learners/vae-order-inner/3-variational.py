#!/usr/bin/env python3
"""
Variational autoencoder built from the encoder's own tensors
"""
import tensorflow.keras as keras


def sampling(inputs):
    """Reparameterization trick"""
    mu, log_sigma2 = inputs
    eps = keras.backend.random_normal(shape=keras.backend.shape(mu))
    return mu + keras.backend.exp(log_sigma2 / 2) * eps


def make_encoder(input_dims, hidden_layers, latent_dims):
    """The encoder model and its mean and log variance tensors"""
    inputs = keras.layers.Input(shape=(input_dims,))
    hidden = inputs
    for units in hidden_layers:
        hidden = keras.layers.Dense(units=units, activation='relu')(hidden)
    mu = keras.layers.Dense(latent_dims, activation=None)(hidden)
    log_sigma2 = keras.layers.Dense(latent_dims, activation=None)(hidden)
    z = keras.layers.Lambda(sampling)([mu, log_sigma2])
    return keras.Model(inputs, [mu, log_sigma2, z]), mu, log_sigma2


def make_decoder(latent_dims, hidden_layers, input_dims):
    """The decoder model"""
    codes = keras.layers.Input(shape=(latent_dims,))
    hidden = codes
    for units in reversed(hidden_layers):
        hidden = keras.layers.Dense(units=units, activation='relu')(hidden)
    outputs = keras.layers.Dense(input_dims, activation='sigmoid')(hidden)
    return keras.Model(codes, outputs)


def autoencoder(input_dims, hidden_layers, latent_dims):
    """Creates a variational autoencoder: encoder, decoder, auto"""
    encoder, mu, log_sigma2 = make_encoder(input_dims, hidden_layers,
                                           latent_dims)
    decoder = make_decoder(latent_dims, hidden_layers, input_dims)
    decoded = decoder(encoder.output[0])
    auto = keras.Model(encoder.input, decoded)
    reconstruction = input_dims * keras.losses.binary_crossentropy(
        encoder.input, decoded)
    kl = -0.5 * keras.backend.sum(1 + log_sigma2 - keras.backend.square(mu)
                                  - keras.backend.exp(log_sigma2), axis=-1)
    auto.add_loss(keras.backend.mean(reconstruction + kl))
    auto.compile(optimizer='adam')
    return encoder, decoder, auto
