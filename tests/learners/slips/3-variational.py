#!/usr/bin/env python3
"""
Task 3: Variational Autoencoder
"""
import tensorflow.keras as keras


class KLSampler(keras.layers.Layer):
    """
    Samples z and adds the KL divergence to the model's losses
    """

    def call(self, inputs):
        """
        inputs: [mu, log_var]
        Returns: z
        """
        mu, log_var = inputs
        kl = -0.5 * keras.backend.sum(
            1 + log_var - keras.backend.square(mu)
            - keras.backend.exp(log_var), axis=-1)
        self.add_loss(keras.backend.mean(kl))
        eps = keras.backend.random_normal(shape=keras.backend.shape(mu))
        return mu + keras.backend.exp(log_var / 2) * eps


def autoencoder(input_dims, hidden_layers, latent_dims):
    """
    Creates a variational autoencoder.
    Returns: encoder, decoder, auto
    """
    encoder_input = keras.layers.Input(shape=(input_dims,))
    x = encoder_input
    for nodes in hidden_layers:
        x = keras.layers.Dense(units=nodes, activation='relu')(x)
    mu = keras.layers.Dense(units=latent_dims)(x)
    log_var = keras.layers.Dense(units=latent_dims)(x)
    z = KLSampler()([mu, log_var])
    encoder = keras.models.Model(inputs=encoder_input,
                                 outputs=[z, mu, log_var])

    decoder_input = keras.layers.Input(shape=(latent_dims,))
    x = decoder_input
    for nodes in reversed(hidden_layers):
        x = keras.layers.Dense(units=nodes, activation='relu')(x)
    output = keras.layers.Dense(units=input_dims, activation='sigmoid')(x)
    decoder = keras.models.Model(inputs=decoder_input, outputs=output)

    _, code, _ = encoder(encoder_input)
    auto = keras.models.Model(inputs=encoder_input, outputs=decoder(code))

    def reconstruction(x, x_hat):
        """
        Binary cross-entropy summed over the pixels
        """
        return keras.losses.binary_crossentropy(x, x_hat) * input_dims

    auto.compile(optimizer='adam', loss=reconstruction)
    return encoder, decoder, auto
