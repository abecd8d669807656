#!/usr/bin/env python3
"""
Module for the convolutional autoencoder
"""
import tensorflow.keras as keras


def autoencoder(input_dims, filters, latent_dims):
    """
    Builds a convolutional autoencoder with Sequential models

    Args:
        input_dims (tuple): shape of an input image
        filters (list): filters of the encoder's convolutions
        latent_dims (tuple): shape of the latent representation

    Returns:
        encoder, decoder, auto
    """
    encoder = keras.Sequential(name='encoder')
    encoder.add(keras.Input(shape=input_dims))
    for n in filters:
        encoder.add(keras.layers.Conv2D(n, 3, padding='same',
                                        activation='relu'))
        encoder.add(keras.layers.MaxPooling2D(2, padding='same'))

    decoder = keras.Sequential(name='decoder')
    decoder.add(keras.Input(shape=latent_dims))
    decoder.add(keras.layers.Conv2D(filters[-1], 3, padding='same',
                                    activation='relu'))
    decoder.add(keras.layers.UpSampling2D(2))
    rest = list(reversed(filters[:-1]))
    for i, n in enumerate(rest):
        padding = 'valid' if i == len(rest) - 1 else 'same'
        decoder.add(keras.layers.Conv2D(n, 3, padding=padding,
                                        activation='relu'))
        decoder.add(keras.layers.UpSampling2D(2))
    decoder.add(keras.layers.Conv2D(input_dims[-1], 3, padding='same',
                                    activation='sigmoid'))

    auto = keras.Sequential([encoder, decoder], name='autoencoder')
    auto.compile(optimizer='adam', loss='binary_crossentropy')
    return encoder, decoder, auto
