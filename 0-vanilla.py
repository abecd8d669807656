#!/usr/bin/env python3
"""Task 0: a "vanilla" autoencoder of fully connected layers."""
import tensorflow.keras as keras


def check_arguments(input_dims, hidden_layers, latent_dims):
    """Returns the sizes as plain ints, or raises naming the bad argument.

    Raises TypeError for a wrong kind of value and ValueError for a wrong
    value. numpy numbers and whole floats such as 128.0 are accepted.
    """
    def size(value, message):
        """Returns value, a positive whole number, as an int."""
        if (isinstance(value, bool) or not hasattr(value, '__float__')
                or not float(value).is_integer()):
            raise TypeError(message)
        if value < 1:
            raise ValueError(message)
        return int(value)

    number = '{} must be a positive integer, got {!r}'
    listed = ('hidden_layers must be a list of positive integers, got {!r}'
              .format(hidden_layers))
    if (isinstance(hidden_layers, (str, bytes, dict))
            or not hasattr(hidden_layers, '__len__')
            or not hasattr(hidden_layers, '__getitem__')):
        raise TypeError(listed)
    return (size(input_dims, number.format('input_dims', input_dims)),
            [size(units, listed) for units in hidden_layers],
            size(latent_dims, number.format('latent_dims', latent_dims)))


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
