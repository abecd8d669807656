"""Layers for the theory notes' experiments (seed 004): tied weights and a
KL-divergence sparsity penalty, on Keras 2 and Keras 3 alike.

- DenseTranspose: a dense layer that uses another Dense layer's kernel,
  transposed, and has only biases of its own
- TiedAutoencoder: the vanilla architecture with a decoder of
  DenseTranspose layers tied to the encoder; saved and loaded like any
  Keras model (its config is the layer sizes)
- KLSparsity: adds to the loss the KL divergence between a target mean
  activation p and each unit's mean activation over the batch
"""
import tensorflow as tf

keras = tf.keras


class DenseTranspose(keras.layers.Layer):
    """Computes activation(x @ dense.kernel^T + bias): the transpose of a
    Dense layer, sharing its kernel (only the bias is this layer's own).

    dense: the Dense layer whose kernel is used; it must be built before
        this layer is called
    """

    def __init__(self, dense, activation=None, **kwargs):
        """Creates the layer on dense's kernel."""
        super().__init__(**kwargs)
        self.dense = dense
        self.activation = keras.activations.get(activation)

    def build(self, input_shape):
        """Creates the bias: one per input unit of dense."""
        self.bias = self.add_weight(name='bias',
                                    shape=(self.dense.kernel.shape[0],),
                                    initializer='zeros')
        super().build(input_shape)

    def call(self, inputs):
        """Returns activation(inputs @ kernel^T + bias)."""
        outputs = tf.matmul(inputs, self.dense.kernel, transpose_b=True)
        return self.activation(outputs + self.bias)

    def compute_output_shape(self, input_shape):
        """Returns the shape of the outputs: dense's input units."""
        return tuple(input_shape[:-1]) + (self.dense.kernel.shape[0],)


@keras.utils.register_keras_serializable(package='aelib')
class TiedAutoencoder(keras.Model):
    """The vanilla autoencoder (relu everywhere, sigmoid output) with tied
    weights: the decoder's layers are DenseTranspose layers of the
    encoder's Dense layers, in reverse order, so the kernels are stored
    once.

    input_dims, hidden_layers, latent_dims: as the vanilla factory's
    """

    def __init__(self, input_dims, hidden_layers, latent_dims, **kwargs):
        """Creates the layers."""
        super().__init__(**kwargs)
        self.input_dims = int(input_dims)
        self.hidden_layers = [int(units) for units in hidden_layers]
        self.latent_dims = int(latent_dims)
        sizes = self.hidden_layers + [self.latent_dims]
        self.encoder_layers = [keras.layers.Dense(units, activation='relu')
                               for units in sizes]
        activations = ['relu'] * len(self.hidden_layers) + ['sigmoid']
        self.decoder_layers = [
            DenseTranspose(dense, activation=activation)
            for dense, activation in zip(reversed(self.encoder_layers),
                                         activations)]

    def encode(self, inputs):
        """Returns the codes of the inputs."""
        for layer in self.encoder_layers:
            inputs = layer(inputs)
        return inputs

    def decode(self, codes):
        """Returns the reconstructions decoded from the codes."""
        for layer in self.decoder_layers:
            codes = layer(codes)
        return codes

    def call(self, inputs):
        """Returns the reconstructions of the inputs."""
        return self.decode(self.encode(inputs))

    def get_config(self):
        """Returns the sizes the model is built from."""
        return {'input_dims': self.input_dims,
                'hidden_layers': self.hidden_layers,
                'latent_dims': self.latent_dims, 'name': self.name}

    @classmethod
    def from_config(cls, config):
        """Creates the model from get_config()'s sizes."""
        return cls(**config)


def tied_autoencoder(input_dims, hidden_layers, latent_dims):
    """Returns a TiedAutoencoder, built, compiled as the vanilla factory
    compiles (adam, binary cross-entropy)."""
    auto = TiedAutoencoder(input_dims, hidden_layers, latent_dims)
    auto(tf.zeros((1, input_dims)))
    auto.compile(optimizer='adam', loss='binary_crossentropy')
    return auto


def kl_sparsity(activations, target):
    """Returns sum_j KL(target || mean_j): the KL divergence between
    Bernoulli(target) and Bernoulli of each unit's mean activation over the
    batch, summed over the units."""
    mean = tf.clip_by_value(tf.reduce_mean(activations, axis=0), 1e-7,
                            1 - 1e-7)
    return tf.reduce_sum(target * tf.math.log(target / mean)
                         + (1 - target) * tf.math.log((1 - target)
                                                      / (1 - mean)))


@keras.utils.register_keras_serializable(package='aelib')
class KLSparsity(keras.layers.Layer):
    """Passes its inputs (activations in (0, 1), e.g. of a sigmoid layer)
    through and adds weight * kl_sparsity(inputs, target) to the loss."""

    def __init__(self, target=0.1, weight=1.0, **kwargs):
        """Creates the penalty: target mean activation, and its weight."""
        super().__init__(**kwargs)
        if not 0 < target < 1:
            raise ValueError('target must be between 0 and 1, got {!r}'
                             .format(target))
        self.target = float(target)
        self.weight = float(weight)

    def call(self, inputs):
        """Adds the penalty and returns inputs unchanged."""
        self.add_loss(self.weight * kl_sparsity(inputs, self.target))
        return inputs

    def compute_output_shape(self, input_shape):
        """Returns input_shape: the layer changes nothing."""
        return input_shape

    def get_config(self):
        """Returns the target and weight besides the layer's own config."""
        config = super().get_config()
        config.update(target=self.target, weight=self.weight)
        return config
