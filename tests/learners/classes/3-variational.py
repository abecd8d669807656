#!/usr/bin/env python3
"""3-variational: a variational autoencoder"""
import tensorflow.keras as keras


class Sample(keras.layers.Layer):
    """The reparameterization trick"""

    def call(self, inputs):
        """z = mu + exp(log_var / 2) * eps"""
        mu, log_var = inputs
        eps = keras.backend.random_normal(shape=keras.backend.shape(mu))
        return mu + keras.backend.exp(log_var * 0.5) * eps


class VAE:
    """The encoder, the decoder and the autoencoder of a VAE"""

    def __init__(self, input_dims, hidden_layers, latent_dims):
        """Builds the three models and compiles the autoencoder"""
        self.input_dims = input_dims
        self.encoder = self.make_encoder(hidden_layers, latent_dims)
        self.decoder = self.make_decoder(hidden_layers, latent_dims)
        inputs = self.encoder.inputs
        self.auto = keras.Model(inputs, self.decoder(
            self.encoder(inputs)[0]))
        self.auto.compile(optimizer='adam', loss=self.loss)

    def make_encoder(self, hidden_layers, latent_dims):
        """The encoder: z, mu, log_var"""
        x = keras.Input(shape=(self.input_dims,))
        h = x
        for n in hidden_layers:
            h = keras.layers.Dense(n, activation='relu')(h)
        mu = keras.layers.Dense(latent_dims, activation=None)(h)
        log_var = keras.layers.Dense(latent_dims, activation=None)(h)
        z = Sample()([mu, log_var])
        return keras.Model(x, [z, mu, log_var])

    def make_decoder(self, hidden_layers, latent_dims):
        """The decoder"""
        z = keras.Input(shape=(latent_dims,))
        h = z
        for n in reversed(hidden_layers):
            h = keras.layers.Dense(n, activation='relu')(h)
        out = keras.layers.Dense(self.input_dims, activation='sigmoid')(h)
        return keras.Model(z, out)

    def loss(self, x, x_decoded):
        """Cross-entropy summed over the pixels plus the KL divergence"""
        _, mu, log_var = self.encoder(x)
        reconstruction = keras.backend.sum(
            keras.backend.binary_crossentropy(x, x_decoded), axis=1)
        kl = -0.5 * keras.backend.sum(1 + log_var - keras.backend.square(mu)
                                      - keras.backend.exp(log_var), axis=1)
        return reconstruction + kl


def autoencoder(input_dims, hidden_layers, latent_dims):
    """creates a variational autoencoder: encoder, decoder, auto"""
    vae = VAE(input_dims, hidden_layers, latent_dims)
    return vae.encoder, vae.decoder, vae.auto
