#!/usr/bin/env python3
"""Task 2: convolutional autoencoder"""
import tensorflow.keras as keras


def autoencoder(input_dims, filters, latent_dims):
    """Creates a convolutional autoencoder

    The decoder upsamples to 32x32 and crops back to the input's size.
    """
    enc_in = keras.layers.Input(shape=input_dims)
    h = enc_in
    for n in filters:
        h = keras.layers.Conv2D(n, 3, padding='same', activation='relu')(h)
        h = keras.layers.MaxPooling2D(2, padding='same')(h)
    encoder = keras.models.Model(enc_in, h, name='encoder')

    dec_in = keras.layers.Input(shape=latent_dims)
    h = dec_in
    for n in filters[::-1]:
        h = keras.layers.Conv2D(n, 3, padding='same', activation='relu')(h)
        h = keras.layers.UpSampling2D(2)(h)
    h = keras.layers.Cropping2D(cropping=((2, 2), (2, 2)))(h)
    h = keras.layers.Conv2D(input_dims[2], 3, padding='same',
                            activation='sigmoid')(h)
    decoder = keras.models.Model(dec_in, h, name='decoder')

    auto = keras.models.Model(enc_in, decoder(encoder(enc_in)))
    auto.compile(optimizer='adam', loss='binary_crossentropy')
    return encoder, decoder, auto
