#!/usr/bin/env python3
"""1-sparse: a sparse autoencoder"""
import tensorflow.keras as keras


class Sparse:
    """Holds the three models of a sparse autoencoder"""

    def __init__(self, input_dims, hidden_layers, latent_dims, lambtha):
        """Builds the encoder, the decoder and the autoencoder"""
        self.inputs = keras.Input(shape=input_dims)
        self.encoder = self.build_encoder(hidden_layers, latent_dims,
                                          lambtha)
        self.decoder = self.build_decoder(input_dims, hidden_layers,
                                          latent_dims)
        self.auto = keras.Model(self.inputs,
                                self.decoder(self.encoder(self.inputs)))
        self.auto.compile(optimizer='adam', loss='binary_crossentropy')

    def build_encoder(self, hidden_layers, latent_dims, lambtha):
        """The encoder, with L1 on its output"""
        x = self.inputs
        for n in hidden_layers:
            x = keras.layers.Dense(n, activation='relu')(x)
        reg = keras.regularizers.l1(lambtha)
        x = keras.layers.Dense(latent_dims, activation='relu',
                               activity_regularizer=reg)(x)
        return keras.Model(self.inputs, x)

    def build_decoder(self, input_dims, hidden_layers, latent_dims):
        """The decoder"""
        inputs = keras.Input(shape=latent_dims)
        x = inputs
        for n in hidden_layers[::-1]:
            x = keras.layers.Dense(n, activation='relu')(x)
        x = keras.layers.Dense(input_dims, activation='sigmoid')(x)
        return keras.Model(inputs, x)


def autoencoder(input_dims, hidden_layers, latent_dims, lambtha):
    """creates a sparse autoencoder and returns encoder, decoder, auto"""
    model = Sparse(input_dims, hidden_layers, latent_dims, lambtha)
    return model.encoder, model.decoder, model.auto
