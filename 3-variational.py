#!/usr/bin/env python3
"""Task 3: a variational autoencoder."""
import tensorflow.keras as keras

# Keras 3 (TensorFlow 2.16 and later) has its tensor functions in keras.ops
# and keras.random; Keras 2 (TensorFlow 2.15) has them in keras.backend.
KERAS_3 = hasattr(keras, 'ops')
ops = keras.ops if KERAS_3 else keras.backend


@keras.utils.register_keras_serializable(package='autoencoders')
class Sampling(keras.layers.Layer):
    """Uses (z_mean, z_log_var) to sample z, and adds to the model's loss
    the KL divergence of N(z_mean, exp(z_log_var)) from N(0, I)."""

    def __init__(self, **kwargs):
        """Creates the layer, with its own random state on Keras 3."""
        super().__init__(**kwargs)
        if KERAS_3:
            self.seed_generator = keras.random.SeedGenerator()

    def call(self, inputs):
        """Returns z = z_mean + exp(z_log_var / 2) * epsilon.

        inputs: the list [z_mean, z_log_var]; epsilon is drawn from N(0, I)
        """
        z_mean, z_log_var = inputs
        kl = -0.5 * ops.sum(1 + z_log_var - ops.square(z_mean)
                            - ops.exp(z_log_var), axis=-1)
        self.add_loss(ops.mean(kl))
        if KERAS_3:
            epsilon = keras.random.normal(ops.shape(z_mean),
                                          seed=self.seed_generator)
        else:
            epsilon = keras.backend.random_normal(ops.shape(z_mean))
        return z_mean + ops.exp(z_log_var / 2) * epsilon


@keras.utils.register_keras_serializable(package='autoencoders')
def reconstruction_loss(y_true, y_pred):
    """Binary cross-entropy summed (not averaged) over each sample's pixels."""
    return keras.losses.binary_crossentropy(y_true, y_pred) * y_pred.shape[-1]


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
    """Creates a variational autoencoder.

    input_dims: an integer, the dimensions of the model input
    hidden_layers: a list with the number of nodes of each hidden layer of
        the encoder; the decoder uses them in reverse order
    latent_dims: an integer, the dimensions of the latent space

    The mean and log variance layers have no activation, the decoder's last
    layer uses sigmoid, every other layer relu.
    Returns: encoder, decoder, auto -- the encoder model, whose outputs are
        the latent representation z, the mean and the log variance; the
        decoder model; and the full autoencoder, compiled with adam and
        binary cross-entropy: the loss trained is the cross-entropy summed
        over the input_dims pixels plus the KL divergence
    """
    input_dims, hidden_layers, latent_dims = check_arguments(
        input_dims, hidden_layers, latent_dims)

    inputs = keras.Input(shape=(input_dims,))
    x = inputs
    for units in hidden_layers:
        x = keras.layers.Dense(units, activation='relu')(x)
    z_mean = keras.layers.Dense(latent_dims, activation=None,
                                name='z_mean')(x)
    z_log_var = keras.layers.Dense(latent_dims, activation=None,
                                   name='z_log_var')(x)
    z = Sampling(name='z')([z_mean, z_log_var])
    encoder = keras.Model(inputs, [z, z_mean, z_log_var], name='encoder')

    latent_inputs = keras.Input(shape=(latent_dims,))
    x = latent_inputs
    for units in reversed(hidden_layers):
        x = keras.layers.Dense(units, activation='relu')(x)
    outputs = keras.layers.Dense(input_dims, activation='sigmoid')(x)
    decoder = keras.Model(latent_inputs, outputs, name='decoder')

    auto = keras.Model(inputs, decoder(encoder(inputs)[0]),
                       name='autoencoder')
    auto.compile(optimizer='adam', loss=reconstruction_loss)
    return encoder, decoder, auto
