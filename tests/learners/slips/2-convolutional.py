#!/usr/bin/env python3
"""
Task 2: Convolutional Autoencoder
"""
import tensorflow.keras as keras


def autoencoder(input_dims, filters, latent_dims):
    """
    Creates a convolutional autoencoder.
    Returns: encoder, decoder, auto
    """
    encoder_input = keras.layers.Input(shape=input_dims)
    x = encoder_input
    for f in filters:
        x = keras.layers.Conv2D(filters=f, kernel_size=(3, 3),
                                padding='same', activation='relu')(x)
        x = keras.layers.MaxPooling2D(pool_size=(2, 2), padding='same')(x)
    encoder = keras.models.Model(inputs=encoder_input, outputs=x)

    decoder_input = keras.layers.Input(shape=latent_dims)
    x = decoder_input
    for f in reversed(filters):
        x = keras.layers.Conv2D(filters=f, kernel_size=(3, 3),
                                padding='same', activation='relu')(x)
        x = keras.layers.UpSampling2D(size=(2, 2))(x)
    x = keras.layers.Conv2D(filters=input_dims[-1], kernel_size=(3, 3),
                            padding='same', activation='sigmoid')(x)
    decoder = keras.models.Model(inputs=decoder_input, outputs=x)

    auto = keras.models.Model(inputs=encoder_input,
                              outputs=decoder(encoder(encoder_input)))
    auto.compile(optimizer='adam', loss='binary_crossentropy')
    return encoder, decoder, auto
