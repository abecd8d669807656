#!/usr/bin/env python3
"""Convolutional autoencoder"""
import tensorflow.keras as keras


def autoencoder(input_dims, filters, latent_dims):
    """Builds it with transposed convolutions"""
    inputs = keras.Input(shape=input_dims)
    x = inputs
    for f in filters:
        x = keras.layers.Conv2D(f, 3, padding='same', activation='relu')(x)
        x = keras.layers.MaxPooling2D(2, padding='same')(x)
    encoder = keras.Model(inputs, x)
    codes = keras.Input(shape=latent_dims)
    y = codes
    for f in reversed(filters[1:]):
        y = keras.layers.Conv2DTranspose(f, 3, strides=2, padding='same',
                                         activation='relu')(y)
    y = keras.layers.Conv2DTranspose(filters[0], 3, strides=2,
                                     activation='relu')(y)
    y = keras.layers.Conv2D(input_dims[-1], 3, padding='same',
                            activation='sigmoid')(y)
    decoder = keras.Model(codes, y)
    auto = keras.Model(inputs, decoder(encoder(inputs)))
    auto.compile(optimizer='adam', loss='binary_crossentropy')
    return encoder, decoder, auto
