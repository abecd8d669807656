#!/usr/bin/env python3
"""A variational autoencoder whose loss is computed by a layer"""
import tensorflow.keras as keras


class Sampler(keras.layers.Layer):
    """Draws z = mean + exp(log_var / 2) * epsilon"""

    def call(self, inputs):
        """inputs: [mean, log_var]"""
        mean, log_var = inputs
        epsilon = keras.backend.random_normal(keras.backend.shape(mean))
        return mean + keras.backend.exp(log_var / 2) * epsilon


class VAELoss(keras.layers.Layer):
    """Adds the VAE's loss: summed cross-entropy plus KL divergence"""

    def call(self, inputs):
        """inputs: [x, reconstruction, mean, log_var]; returns
        reconstruction"""
        x, x_hat, mean, log_var = inputs
        bce = keras.backend.sum(keras.backend.binary_crossentropy(x, x_hat),
                                axis=-1)
        kl = -0.5 * keras.backend.sum(1 + log_var - keras.backend.square(mean)
                                      - keras.backend.exp(log_var), axis=-1)
        self.add_loss(keras.backend.mean(bce + kl))
        return x_hat


def autoencoder(input_dims, hidden_layers, latent_dims):
    """Returns encoder, decoder, auto"""
    inputs = keras.Input(shape=(input_dims,))
    x = inputs
    for units in hidden_layers:
        x = keras.layers.Dense(units, activation='relu')(x)
    mean = keras.layers.Dense(latent_dims)(x)
    log_var = keras.layers.Dense(latent_dims)(x)
    z = Sampler()([mean, log_var])
    encoder = keras.Model(inputs, [z, mean, log_var])

    code = keras.Input(shape=(latent_dims,))
    x = code
    for units in reversed(hidden_layers):
        x = keras.layers.Dense(units, activation='relu')(x)
    decoded = keras.layers.Dense(input_dims, activation='sigmoid')(x)
    decoder = keras.Model(code, decoded)

    z, mean, log_var = encoder(inputs)
    outputs = VAELoss()([inputs, decoder(z), mean, log_var])
    auto = keras.Model(inputs, outputs)
    auto.compile(optimizer='adam')
    return encoder, decoder, auto
