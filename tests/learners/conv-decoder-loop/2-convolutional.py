#!/usr/bin/env python3
"""
Convolutional Autoencoder
"""
import tensorflow.keras as keras


def autoencoder(input_dims, filters, latent_dims):
    """
    Builds a convolutional autoencoder

    Args:
        input_dims: tuple, dimensions of the model input
        filters: list, number of filters for each convolutional
            layer in the encoder
        latent_dims: tuple, dimensions of the latent space

    Returns:
        encoder, decoder, auto
    """
    inputs = keras.Input(shape=input_dims)
    x = inputs
    for f in filters:
        x = keras.layers.Conv2D(filters=f, kernel_size=(3, 3),
                                padding='same', activation='relu')(x)
        x = keras.layers.MaxPooling2D(pool_size=(2, 2), padding='same')(x)
    encoder = keras.models.Model(inputs=inputs, outputs=x)

    latent = keras.Input(shape=latent_dims)
    y = latent
    # every filter reversed, same padding, then upsampling
    for f in reversed(filters):
        y = keras.layers.Conv2D(filters=f, kernel_size=(3, 3),
                                padding='same', activation='relu')(y)
        y = keras.layers.UpSampling2D(size=(2, 2))(y)
    # the valid convolution
    y = keras.layers.Conv2D(filters=filters[0], kernel_size=(3, 3),
                            padding='valid', activation='relu')(y)
    y = keras.layers.Conv2D(filters=input_dims[-1], kernel_size=(3, 3),
                            padding='valid', activation='sigmoid')(y)
    decoder = keras.models.Model(inputs=latent, outputs=y)

    auto = keras.models.Model(inputs=inputs,
                              outputs=decoder(encoder(inputs)))
    auto.compile(optimizer='adam', loss='binary_crossentropy')
    return encoder, decoder, auto
