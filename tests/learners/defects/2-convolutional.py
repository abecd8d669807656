#!/usr/bin/env python3
"""Convolutional autoencoder"""
import tensorflow.keras as keras


def autoencoder(input_dims, filters, latent_dims):
    """Returns encoder, decoder, auto"""
    inputs = keras.Input(shape=input_dims)
    x = inputs
    for f in filters:
        x = keras.layers.Conv2D(f, (3, 3), padding='same',
                                activation='relu')(x)
        x = keras.layers.MaxPooling2D((2, 2), padding='same')(x)
    encoder = keras.Model(inputs, x)

    code = keras.Input(shape=latent_dims)
    x = keras.layers.Conv2D(filters[2], (3, 3), padding='same',
                            activation='relu')(code)
    x = keras.layers.UpSampling2D((2, 2))(x)
    x = keras.layers.Conv2D(filters[1], (3, 3), padding='same',
                            activation='relu')(x)
    x = keras.layers.UpSampling2D((2, 2))(x)
    x = keras.layers.Conv2D(filters[0], (3, 3), padding='valid',
                            activation='relu')(x)
    x = keras.layers.UpSampling2D((2, 2))(x)
    outputs = keras.layers.Conv2D(input_dims[-1], (3, 3), padding='same',
                                  activation='sigmoid')(x)
    decoder = keras.Model(code, outputs)

    auto = keras.Model(inputs, decoder(encoder(inputs)))
    auto.compile(optimizer='adam', loss='binary_crossentropy')
    return encoder, decoder, auto
