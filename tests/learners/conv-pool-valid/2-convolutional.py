#!/usr/bin/env python3
"""Convolutional autoencoder"""
import tensorflow.keras as keras


def autoencoder(input_dims, filters, latent_dims):
    """
    Creates a convolutional autoencoder
    input_dims: tuple, dimensions of the model input
    filters: list of filters for each convolutional layer in the encoder
    latent_dims: tuple, dimensions of the latent space representation
    Returns: encoder, decoder, auto
    """
    inputs = keras.Input(shape=input_dims)
    x = inputs
    for f in filters:
        x = keras.layers.Conv2D(f, (3, 3), padding='same',
                                activation='relu')(x)
        x = keras.layers.MaxPooling2D((2, 2))(x)
    encoder = keras.Model(inputs, x, name='encoder')

    latent = keras.Input(shape=latent_dims)
    y = latent
    for f in reversed(filters[1:]):
        y = keras.layers.Conv2D(f, (3, 3), padding='same',
                                activation='relu')(y)
        y = keras.layers.UpSampling2D((2, 2))(y)
    y = keras.layers.Conv2D(filters[0], (3, 3), padding='valid',
                            activation='relu')(y)
    y = keras.layers.UpSampling2D((2, 2))(y)
    outputs = keras.layers.Conv2D(input_dims[-1], (3, 3), padding='same',
                                  activation='sigmoid')(y)
    decoder = keras.Model(latent, outputs, name='decoder')

    auto = keras.Model(inputs, decoder(encoder(inputs)))
    auto.compile(optimizer='adam', loss='binary_crossentropy')
    return encoder, decoder, auto
