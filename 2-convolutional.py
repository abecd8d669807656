#!/usr/bin/env python3
"""Task 2: a convolutional autoencoder."""
import tensorflow.keras as keras


def check_arguments(input_dims, filters, latent_dims):
    """Returns the arguments as lists of ints, or raises naming the bad one.

    Raises TypeError for a wrong kind of value and ValueError for a wrong
    value, such as a latent_dims other than the encoder's output shape.
    numpy numbers and whole floats such as 16.0 are accepted.
    """
    def sizes(name, value, length=None):
        """Returns value, a sequence of positive whole numbers, as a list."""
        message = '{} must be {}, got {!r}'.format(
            name, 'a tuple of {} positive integers'.format(length) if length
            else 'a non-empty list of positive integers', value)
        if (isinstance(value, (str, bytes, dict))
                or not hasattr(value, '__len__')
                or not hasattr(value, '__getitem__')
                or any(isinstance(n, bool) or not hasattr(n, '__float__')
                       or not float(n).is_integer() for n in value)):
            raise TypeError(message)
        if (length and len(value) != length) or not len(value) \
                or min(value) < 1:
            raise ValueError(message)
        return [int(n) for n in value]

    input_dims = sizes('input_dims', input_dims, 3)
    filters = sizes('filters', filters)
    latent_dims = sizes('latent_dims', latent_dims, 3)
    # each 'same' max pooling halves the height and width, rounding up
    scale = 2 ** len(filters)
    encoded = [-(-n // scale) for n in input_dims[:2]] + [filters[-1]]
    if latent_dims != encoded:
        raise ValueError(
            'latent_dims must be {} for input_dims {} and filters {}, got {}'
            .format(tuple(encoded), tuple(input_dims), filters,
                    tuple(latent_dims)))
    if min(encoded[:2]) * scale // 2 < 3:
        raise ValueError(
            'input_dims {} is too small for {} convolutions: the decoder\'s'
            ' valid 3x3 convolution needs at least 3x3 pixels'
            .format(tuple(input_dims), len(filters)))
    return input_dims, filters, latent_dims


def autoencoder(input_dims, filters, latent_dims):
    """Creates a convolutional autoencoder.

    input_dims: a tuple of integers, the dimensions of the model input
    filters: a list with the number of filters of each convolution of the
        encoder; the decoder uses them in reverse order
    latent_dims: a tuple of integers, the dimensions of the latent space

    Encoder: each convolution 3x3, same padding, relu, then 2x2 max pooling.
    Decoder: each convolution 3x3, same padding, relu, then 2x2 upsampling,
        except that the second to last uses valid padding and the last has
        as many filters as input_dims has channels, sigmoid, no upsampling.
    Returns: encoder, decoder, auto -- the encoder model, the decoder model
        and the full autoencoder, compiled with adam and binary cross-entropy
    """
    input_dims, filters, latent_dims = check_arguments(
        input_dims, filters, latent_dims)

    inputs = keras.Input(shape=tuple(input_dims))
    x = inputs
    for n_filters in filters:
        x = keras.layers.Conv2D(n_filters, (3, 3), padding='same',
                                activation='relu')(x)
        # 'same' pooling rounds up: 7x7 pools to 4x4, as in the spec
        x = keras.layers.MaxPooling2D((2, 2), padding='same')(x)
    encoder = keras.Model(inputs, x, name='encoder')

    latent_inputs = keras.Input(shape=tuple(latent_dims))
    x = latent_inputs
    decoder_filters = filters[::-1]
    for n_filters in decoder_filters[:-1]:
        x = keras.layers.Conv2D(n_filters, (3, 3), padding='same',
                                activation='relu')(x)
        x = keras.layers.UpSampling2D((2, 2))(x)
    x = keras.layers.Conv2D(decoder_filters[-1], (3, 3), padding='valid',
                            activation='relu')(x)
    x = keras.layers.UpSampling2D((2, 2))(x)
    outputs = keras.layers.Conv2D(input_dims[-1], (3, 3), padding='same',
                                  activation='sigmoid')(x)
    decoder = keras.Model(latent_inputs, outputs, name='decoder')

    auto = keras.Model(inputs, decoder(encoder(inputs)), name='autoencoder')
    auto.compile(optimizer='adam', loss='binary_crossentropy')
    return encoder, decoder, auto
