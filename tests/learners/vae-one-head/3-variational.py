#!/usr/bin/env python3
"""Variational Autoencoder"""
import tensorflow.keras as keras


def autoencoder(input_dims, hidden_layers, latent_dims):
    """
    input_dims: dimensions of the model input
    hidden_layers: nodes of each hidden layer of the encoder
    latent_dims: dimensions of the latent space
    Returns: encoder, decoder, auto
    """
    K = keras.backend
    X = keras.Input(shape=(input_dims,))
    Y = X
    for nodes in hidden_layers:
        Y = keras.layers.Dense(nodes, activation='relu')(Y)
    head = keras.layers.Dense(latent_dims)
    mu = head(Y)
    log_sig = head(Y)

    def sampling(args):
        """Samples the latent vector"""
        m, s = args
        return m + K.exp(s / 2) * K.random_normal(K.shape(m))

    z = keras.layers.Lambda(sampling)([mu, log_sig])
    encoder = keras.Model(X, [z, mu, log_sig])

    X_dec = keras.Input(shape=(latent_dims,))
    Y = X_dec
    for nodes in reversed(hidden_layers):
        Y = keras.layers.Dense(nodes, activation='relu')(Y)
    Y = keras.layers.Dense(input_dims, activation='sigmoid')(Y)
    decoder = keras.Model(X_dec, Y)

    out = decoder(encoder(X)[0])
    auto = keras.Model(X, out)
    reconstruction = K.sum(K.binary_crossentropy(X, out), axis=-1)
    kl = -0.5 * K.sum(1 + log_sig - K.square(mu) - K.exp(log_sig), axis=-1)
    auto.add_loss(K.mean(reconstruction + kl))
    auto.compile(optimizer='adam')
    return encoder, decoder, auto
