#!/usr/bin/env python3
"""Variational autoencoder"""
import tensorflow.keras as keras


def autoencoder(input_dims, hidden_layers, latent_dims):
    """Makes the encoder, the decoder and the variational autoencoder"""
    backend = keras.backend
    images = keras.Input(shape=(input_dims,))
    out = images
    for width in hidden_layers:
        out = keras.layers.Dense(width, activation='relu')(out)
    z_mean = keras.layers.Dense(latent_dims, activation=None)(out)
    z_log_var = keras.layers.Dense(latent_dims, activation=None)(out)

    def draw(pair):
        """A sample of N(mean, exp(log_var))"""
        m, lv = pair
        return m + backend.exp(lv / 2) * backend.random_normal(
            backend.shape(m))

    z = keras.layers.Lambda(draw)([z_mean, z_log_var])
    encoder = keras.Model(images, [z, z_mean, z_log_var])

    codes = keras.Input(shape=(latent_dims,))
    out = codes
    for width in reversed(hidden_layers):
        out = keras.layers.Dense(width, activation='relu')(out)
    out = keras.layers.Dense(input_dims, activation='sigmoid')(out)
    decoder = keras.Model(codes, out)

    rebuilt = decoder(encoder(images)[0])
    auto = keras.Model(images, rebuilt)
    kl = -0.5 * backend.sum(
        1 + z_log_var - backend.square(z_mean) - backend.exp(z_log_var), 1)
    auto.add_loss(kl)
    auto.compile(optimizer='adam', loss='binary_crossentropy')
    return encoder, decoder, auto
