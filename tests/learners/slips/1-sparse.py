#!/usr/bin/env python3
"""
Task 1: Sparse Autoencoder
"""
import tensorflow.keras as keras


def autoencoder(input_dims, hidden_layers, latent_dims, lambtha):
    """
    Creates a sparse autoencoder.
    Returns: encoder, decoder, auto
    """
    encoder_input = keras.layers.Input(shape=(input_dims,))
    hidden = encoder_input
    for nodes in hidden_layers:
        hidden = keras.layers.Dense(units=nodes, activation='relu')(hidden)
    bottleneck = keras.layers.Dense(
        units=latent_dims, activation='relu',
        activity_regularizer=keras.regularizers.l2(lambtha))(hidden)
    encoder = keras.models.Model(inputs=encoder_input, outputs=bottleneck)

    decoder_input = keras.layers.Input(shape=(latent_dims,))
    hidden = decoder_input
    for nodes in reversed(hidden_layers):
        hidden = keras.layers.Dense(units=nodes, activation='relu')(hidden)
    output = keras.layers.Dense(units=input_dims,
                                activation='sigmoid')(hidden)
    decoder = keras.models.Model(inputs=decoder_input, outputs=output)

    auto = keras.models.Model(inputs=encoder_input,
                              outputs=decoder(encoder(encoder_input)))
    auto.compile(optimizer='adam', loss='binary_crossentropy')
    return encoder, decoder, auto
