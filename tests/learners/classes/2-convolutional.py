#!/usr/bin/env python3
"""2-convolutional: a convolutional autoencoder"""
import tensorflow.keras as keras


def autoencoder(input_dims, filters, latent_dims):
    """creates a convolutional autoencoder: encoder, decoder, auto"""
    Conv = keras.layers.Conv2D
    inp = keras.Input(shape=input_dims)
    x = inp
    for f in filters:
        x = Conv(f, kernel_size=(3, 3), padding='same', activation='relu')(x)
        x = keras.layers.MaxPool2D(pool_size=(2, 2), padding='same')(x)
    encoder = keras.Model(inputs=inp, outputs=x)

    lat = keras.Input(shape=latent_dims)
    x = lat
    for i in range(len(filters) - 1, -1, -1):
        pad = 'valid' if i == 0 else 'same'
        x = Conv(filters[i], kernel_size=(3, 3), padding=pad,
                 activation='relu')(x)
        x = keras.layers.UpSampling2D(size=(2, 2))(x)
    x = Conv(input_dims[2], kernel_size=(3, 3), padding='same',
             activation='sigmoid')(x)
    decoder = keras.Model(inputs=lat, outputs=x)

    auto = keras.Model(inputs=inp, outputs=decoder(encoder(inp)))
    auto.compile(optimizer=keras.optimizers.Adam(), loss='binary_crossentropy')
    return encoder, decoder, auto
