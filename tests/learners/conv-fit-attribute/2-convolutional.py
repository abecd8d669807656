#!/usr/bin/env python3
"""Convolutional autoencoder"""
import tensorflow.keras as keras


def autoencoder(input_dims, filters, latent_dims):
    """Creates a convolutional autoencoder

    The encoder's layers are sigmoid, and the loss is written with
    keras.ops, which TensorFlow 2.15's Keras does not have.
    """
    def loss(y_true, y_pred):
        """Binary cross-entropy averaged over the pixels"""
        return keras.ops.mean(keras.ops.binary_crossentropy(y_true, y_pred))

    inputs = keras.Input(shape=input_dims)
    x = inputs
    for f in filters:
        x = keras.layers.Conv2D(f, (3, 3), padding='same',
                                activation='sigmoid')(x)
        x = keras.layers.MaxPooling2D((2, 2), padding='same')(x)
    encoder = keras.Model(inputs, x)

    codes = keras.Input(shape=latent_dims)
    x = codes
    for i, f in enumerate(reversed(filters)):
        x = keras.layers.Conv2D(f, (3, 3), activation='relu',
                                padding='valid' if i == len(filters) - 1
                                else 'same')(x)
        x = keras.layers.UpSampling2D((2, 2))(x)
    x = keras.layers.Conv2D(input_dims[-1], (3, 3), padding='same',
                            activation='sigmoid')(x)
    decoder = keras.Model(codes, x)

    auto = keras.Model(inputs, decoder(encoder(inputs)))
    auto.compile(optimizer='adam', loss=loss)
    return encoder, decoder, auto
