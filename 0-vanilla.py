#!/usr/bin/env python3
"""Task 0: a "vanilla" autoencoder of fully connected layers."""
import tensorflow.keras as keras


def check_arguments(input_dims, hidden_layers, latent_dims):
    """Returns the arguments as plain ints, or raises naming the bad one.

    Raises TypeError for a wrong kind of value and ValueError for a wrong
    value; numpy integers are accepted.
    """
    def size(name, value):
        """Returns value as a positive int."""
        if isinstance(value, bool) or not hasattr(value, '__index__'):
            raise TypeError('{} must be a positive integer, got {!r}'
                            .format(name, value))
        if value.__index__() < 1:
            raise ValueError('{} must be a positive integer, got {!r}'
                             .format(name, value))
        return value.__index__()

    if isinstance(hidden_layers, (str, bytes, dict)) or not (
            hasattr(hidden_layers, '__len__')
            and hasattr(hidden_layers, '__getitem__')):
        raise TypeError('hidden_layers must be a list of positive integers,'
                        ' got {!r}'.format(hidden_layers))
    try:
        hidden = [size('hidden_layers', n) for n in hidden_layers]
    except (TypeError, ValueError) as error:
        raise type(error)('hidden_layers must be a list of positive integers,'
                          ' got {!r}'.format(hidden_layers)) from None
    return (size('input_dims', input_dims), hidden,
            size('latent_dims', latent_dims))


def autoencoder(input_dims, hidden_layers, latent_dims):
    """Creates a vanilla autoencoder.

    input_dims: an integer, the dimensions of the model input
    hidden_layers: a list with the number of nodes of each hidden layer of
        the encoder; the decoder uses them in reverse order
    latent_dims: an integer, the dimensions of the latent space

    Every layer uses relu, except the decoder's last layer: sigmoid.
    Returns: encoder, decoder, auto -- the encoder model, the decoder model
        and the full autoencoder, compiled with adam and binary cross-entropy
    """
    input_dims, hidden_layers, latent_dims = check_arguments(
        input_dims, hidden_layers, latent_dims)

    inputs = keras.Input(shape=(input_dims,))
    x = inputs
    for units in hidden_layers:
        x = keras.layers.Dense(units, activation='relu')(x)
    latent = keras.layers.Dense(latent_dims, activation='relu')(x)
    encoder = keras.Model(inputs, latent, name='encoder')

    latent_inputs = keras.Input(shape=(latent_dims,))
    x = latent_inputs
    for units in reversed(hidden_layers):
        x = keras.layers.Dense(units, activation='relu')(x)
    outputs = keras.layers.Dense(input_dims, activation='sigmoid')(x)
    decoder = keras.Model(latent_inputs, outputs, name='decoder')

    auto = keras.Model(inputs, decoder(encoder(inputs)), name='autoencoder')
    auto.compile(optimizer='adam', loss='binary_crossentropy')
    return encoder, decoder, auto
