#!/usr/bin/env python3
"""A variational autoencoder"""
import tensorflow.keras as keras
K = keras.backend


def sampling(args):
    """Samples z from the mean and the log variance"""
    z_mu, z_log_var = args
    return z_mu + K.exp(z_log_var * 0.5) * K.random_normal(K.shape(z_mu))


def vae_loss(x, x_hat, z_mu, z_log_var):
    """Reconstruction plus KL divergence"""
    bce = keras.losses.binary_crossentropy(x, x_hat) * 784
    kl = -0.5 * K.sum(1 + z_log_var - K.square(z_mu) - K.exp(z_log_var),
                      axis=-1)
    return K.mean(bce + kl)


def autoencoder(input_dims, hidden_layers, latent_dims):
    """Returns the encoder, the decoder and the full autoencoder"""
    x = keras.Input(shape=(input_dims,))
    h = x
    for nodes in hidden_layers:
        h = keras.layers.Dense(nodes, activation='relu')(h)
    z_mu = keras.layers.Dense(latent_dims)(h)
    z_log_var = keras.layers.Dense(latent_dims)(h)
    z = keras.layers.Lambda(sampling)([z_mu, z_log_var])
    encoder = keras.Model(x, [z, z_mu, z_log_var])

    code = keras.Input(shape=(latent_dims,))
    h = code
    for nodes in reversed(hidden_layers):
        h = keras.layers.Dense(nodes, activation='relu')(h)
    decoder = keras.Model(code, keras.layers.Dense(input_dims,
                                                   activation='sigmoid')(h))

    auto = keras.Model(x, decoder(encoder(x)[0]))
    auto.compile(optimizer='adam',
                 loss=lambda y_true, y_pred: vae_loss(x, y_pred, z_mu,
                                                      z_log_var))
    return encoder, decoder, auto
