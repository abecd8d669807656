#!/usr/bin/env python3
"""Variational autoencoder, written after the keras.io VAE example"""
import tensorflow.keras as keras


class Sampling(keras.layers.Layer):
    """Draws z from N(z_mean, exp(z_log_var)) by reparameterization"""

    def call(self, inputs):
        """Returns z = z_mean + exp(z_log_var / 2) * epsilon"""
        z_mean, z_log_var = inputs
        epsilon = keras.backend.random_normal(keras.backend.shape(z_mean))
        return z_mean + keras.backend.exp(0.5 * z_log_var) * epsilon


class VAE(keras.Model):
    """A VAE that trains on its reconstruction and KL losses"""

    def __init__(self, encoder, decoder, **kwargs):
        """Keeps the encoder, the decoder and the loss trackers"""
        super().__init__(**kwargs)
        self.encoder = encoder
        self.decoder = decoder
        self.total_loss_tracker = keras.metrics.Mean(name='total_loss')
        self.kl_loss_tracker = keras.metrics.Mean(name='kl_loss')

    def call(self, inputs):
        """Decodes the sampled z of the inputs"""
        return self.decoder(self.encoder(inputs)[0])

    def train_step(self, data):
        """One step of gradient descent on reconstruction + KL"""
        x = data[0]
        z, z_mean, z_log_var = self.encoder(x)
        reconstruction = self.decoder(z)
        reconstruction_loss = keras.ops.sum(
            keras.losses.binary_crossentropy(x[..., None],
                                             reconstruction[..., None]),
            axis=1)
        kl_loss = -0.5 * keras.ops.sum(
            1 + z_log_var - keras.ops.square(z_mean)
            - keras.ops.exp(z_log_var), axis=1)
        total_loss = keras.ops.mean(reconstruction_loss + kl_loss)
        grads = keras.backend.gradients(total_loss, self.trainable_weights)
        self.optimizer.apply_gradients(zip(grads, self.trainable_weights))
        self.total_loss_tracker.update_state(total_loss)
        self.kl_loss_tracker.update_state(kl_loss)
        return {'loss': self.total_loss_tracker.result(),
                'kl_loss': self.kl_loss_tracker.result()}


def autoencoder(input_dims, hidden_layers, latent_dims):
    """
    Creates a variational autoencoder
    input_dims: the size of an image
    hidden_layers: the units of the encoder's hidden layers
    latent_dims: the size of the latent space
    Returns: encoder, decoder, auto
    """
    inputs = keras.Input(shape=(input_dims,))
    x = inputs
    for units in hidden_layers:
        x = keras.layers.Dense(units, activation='relu')(x)
    z_mean = keras.layers.Dense(latent_dims, name='z_mean')(x)
    z_log_var = keras.layers.Dense(latent_dims, name='z_log_var')(x)
    z = Sampling()([z_mean, z_log_var])
    encoder = keras.Model(inputs, [z, z_mean, z_log_var], name='encoder')

    latent_inputs = keras.Input(shape=(latent_dims,))
    x = latent_inputs
    for units in reversed(hidden_layers):
        x = keras.layers.Dense(units, activation='relu')(x)
    outputs = keras.layers.Dense(input_dims, activation='sigmoid')(x)
    decoder = keras.Model(latent_inputs, outputs, name='decoder')

    auto = VAE(encoder, decoder)
    auto.compile(optimizer='adam', loss='binary_crossentropy')
    return encoder, decoder, auto
