#!/usr/bin/env python3
"""Convolutional autoencoder"""
import tensorflow.keras as keras


def autoencoder(input_dims, filters, latent_dims):
    """Creates a convolutional autoencoder

    input_dims: shape of an image
    filters: filters of each convolution of the encoder
    latent_dims: shape of the latent space
    Returns: encoder, decoder, auto
    """
    image = keras.Input(shape=input_dims)
    x = image
    for count in filters:
        x = keras.layers.Conv2D(count, (3, 3), padding='same',
                                activation='relu')(x)
        x = keras.layers.MaxPooling2D((2, 2), padding='same')(x)
    encoder = keras.Model(image, x)

    code = keras.Input(shape=latent_dims)
    x = code
    for i, count in enumerate(filters):
        padding = 'valid' if i == len(filters) - 1 else 'same'
        x = keras.layers.Conv2D(count, (3, 3), padding=padding,
                                activation='relu')(x)
        x = keras.layers.UpSampling2D((2, 2))(x)
    x = keras.layers.Conv2D(input_dims[-1], (3, 3), padding='same',
                            activation='sigmoid')(x)
    decoder = keras.Model(code, x)

    auto = keras.Model(image, decoder(encoder(image)))
    auto.compile(optimizer='adam', loss='binary_crossentropy')
    return encoder, decoder, auto
