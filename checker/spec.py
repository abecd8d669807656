"""The specification's sentences about the models, as functions that return
the first sentence a model breaks (None when it keeps them all). They run
inside checker.probe, on the engine being checked."""
import tensorflow as tf

keras = tf.keras


def layers(model):
    """Returns the model's layers without its input layers."""
    return [layer for layer in model.layers
            if not isinstance(layer, keras.layers.InputLayer)]


def activation(layer):
    """Returns the name of the layer's activation ('linear' for None)."""
    return layer.get_config().get('activation') or 'linear'


def shape_of(tensors):
    """Returns the shapes of a model's inputs or outputs, as tuples."""
    return [tuple(t.shape) for t in tensors]


def where(model, index, layer):
    """Returns 'encoder layer 3 (Dense)': how a message names a layer."""
    return '{} layer {} ({})'.format(model, index, type(layer).__name__)


def check_shapes(models, expected):
    """Returns the first model whose input or output shapes differ from
    expected: {name: (inputs, outputs)}."""
    for name, model in models.items():
        inputs, outputs = expected[name]
        found = (shape_of(model.inputs), shape_of(model.outputs))
        if found != (inputs, outputs):
            return '{}: inputs {} and outputs {}; the specification gives ' \
                '{} and {}'.format(name, *found, inputs, outputs)
    return None


def check_dense_stack(name, model, units, activations):
    """Returns the first way model's layers are not Dense layers of these
    units and activations (each but a sigmoid last one relu)."""
    found = layers(model)
    for index, layer in enumerate(found, 1):
        if not isinstance(layer, keras.layers.Dense):
            return '{}: expected only Dense layers'.format(
                where(name, index, layer))
    if [layer.units for layer in found] != units:
        return '{}: Dense units {}; expected {}'.format(
            name, [layer.units for layer in found], units)
    for index, (layer, wanted) in enumerate(zip(found, activations), 1):
        if activation(layer) != wanted:
            return '{}: activation {!r}; {}'.format(
                where(name, index, layer), activation(layer),
                SIGMOID_RULE if wanted == 'sigmoid' else RELU_RULE)
    return None


RELU_RULE = 'every layer but the decoder\'s last is relu'
SIGMOID_RULE = 'the decoder\'s last layer is sigmoid'


def dense(models, input_dims, hidden_layers, latent_dims):
    """Tasks 0 and 1: Dense encoder of hidden_layers then latent_dims, all
    relu; decoder of reversed hidden_layers then input_dims, relu but the
    sigmoid output."""
    encoder, decoder, auto = models
    hidden = list(hidden_layers)
    problem = check_shapes(
        {'encoder': encoder, 'decoder': decoder, 'auto': auto},
        {'encoder': ([(None, input_dims)], [(None, latent_dims)]),
         'decoder': ([(None, latent_dims)], [(None, input_dims)]),
         'auto': ([(None, input_dims)], [(None, input_dims)])})
    problem = problem or check_dense_stack(
        'encoder', encoder, hidden + [latent_dims],
        ['relu'] * (len(hidden) + 1))
    return problem or check_dense_stack(
        'decoder', decoder, hidden[::-1] + [input_dims],
        ['relu'] * len(hidden) + ['sigmoid'])


def conv_layer(name, index, layer, filters, padding, act, rule):
    """Returns how a Conv2D layer differs from filters, a 3x3 kernel,
    padding and activation act."""
    if not isinstance(layer, keras.layers.Conv2D):
        return '{}: expected Conv2D'.format(where(name, index, layer))
    if layer.filters != filters:
        return '{}: {} filters; expected {}'.format(
            where(name, index, layer), layer.filters, filters)
    if tuple(layer.kernel_size) != (3, 3):
        return '{}: kernel {}; every convolution is 3x3'.format(
            where(name, index, layer), tuple(layer.kernel_size))
    if padding and layer.padding != padding:
        return '{}: padding {!r}; {}'.format(
            where(name, index, layer), layer.padding,
            'the decoder\'s second-to-last convolution uses valid padding'
            if padding == 'valid' else 'the other convolutions use same '
            'padding')
    if activation(layer) != act:
        return '{}: activation {!r}; {}'.format(
            where(name, index, layer), activation(layer), rule)
    return None


def resize_layer(name, index, layer, kind):
    """Returns how a layer differs from a 2x2 kind (MaxPooling2D or
    UpSampling2D)."""
    if not isinstance(layer, kind):
        return '{}: expected {}'.format(where(name, index, layer),
                                        kind.__name__)
    size = tuple(layer.pool_size if kind is keras.layers.MaxPooling2D
                 else layer.size)
    if size != (2, 2):
        return '{}: size {}; expected (2, 2)'.format(
            where(name, index, layer), size)
    return None


def convolutional(models, input_dims, filters, latent_dims):
    """Task 2: the encoder's 3x3 same relu convolutions each followed by
    2x2 max pooling; the decoder's convolutions, all 3x3 relu, same padding
    then 2x2 upsampling, but the second-to-last valid (still upsampled) and
    the last with input_dims' channels, sigmoid, no upsampling."""
    encoder, decoder, auto = models
    input_dims, latent_dims = tuple(input_dims), tuple(latent_dims)
    found = layers(encoder)
    if len(found) != 2 * len(filters):
        return 'encoder: {} layers; expected a Conv2D and a MaxPooling2D ' \
            'for each of the {} filters'.format(len(found), len(filters))
    for i, count in enumerate(filters):
        problem = conv_layer('encoder', 2 * i + 1, found[2 * i], count,
                             'same', 'relu', RELU_RULE) or resize_layer(
            'encoder', 2 * i + 2, found[2 * i + 1],
            keras.layers.MaxPooling2D)
        if problem:
            return problem
    found = layers(decoder)
    counts = list(filters)[::-1] + [input_dims[-1]]
    if len(found) != 2 * len(filters) + 1:
        return 'decoder: {} layers; expected {} (a Conv2D and an ' \
            'UpSampling2D for each of the {} filters, then the output ' \
            'Conv2D)'.format(len(found), 2 * len(filters) + 1, len(filters))
    for i, count in enumerate(counts):
        last = i == len(counts) - 1
        padding = None if last else (
            'valid' if i == len(counts) - 2 else 'same')
        problem = conv_layer('decoder', 2 * i + 1, found[2 * i], count,
                             padding, 'sigmoid' if last else 'relu',
                             SIGMOID_RULE if last else RELU_RULE)
        if not problem and not last:
            problem = resize_layer('decoder', 2 * i + 2, found[2 * i + 1],
                                   keras.layers.UpSampling2D)
        if problem:
            return problem
    return check_shapes(
        {'encoder': encoder, 'decoder': decoder, 'auto': auto},
        {'encoder': ([(None,) + input_dims], [(None,) + latent_dims]),
         'decoder': ([(None,) + latent_dims], [(None,) + input_dims]),
         'auto': ([(None,) + input_dims], [(None,) + input_dims])})


def producer(tensor):
    """Returns the layer that produced a symbolic tensor."""
    return tensor._keras_history[0]


def variational(models, input_dims, hidden_layers, latent_dims):
    """Task 3: the encoder's relu Dense layers of hidden_layers, the mean
    and log variance Dense layers of latent_dims with no activation, a
    sampling layer; the decoder as the dense models'."""
    encoder, decoder, auto = models
    hidden = list(hidden_layers)
    if len(encoder.outputs) != 3:
        return 'encoder: {} outputs; expected 3 (z, mean, log variance)' \
            .format(len(encoder.outputs))
    problem = check_shapes(
        {'encoder': encoder, 'decoder': decoder, 'auto': auto},
        {'encoder': ([(None, input_dims)], [(None, latent_dims)] * 3),
         'decoder': ([(None, latent_dims)], [(None, input_dims)]),
         'auto': ([(None, input_dims)], [(None, input_dims)])})
    if problem:
        return problem
    heads = [producer(t) for t in encoder.outputs[1:]]
    for position, layer in zip(('mean', 'log variance'), heads):
        if not isinstance(layer, keras.layers.Dense):
            return 'encoder output {} ({}): expected a Dense layer'.format(
                position, type(layer).__name__)
        if activation(layer) != 'linear':
            return 'encoder output {} (Dense): activation {!r}; the mean ' \
                'and log variance layers have no activation'.format(
                    position, activation(layer))
    stack = [layer for layer in layers(encoder)
             if isinstance(layer, keras.layers.Dense)
             and layer not in heads]
    if [layer.units for layer in stack] != hidden:
        return 'encoder: hidden Dense units {}; expected {}'.format(
            [layer.units for layer in stack], hidden)
    for index, layer in enumerate(stack, 1):
        if activation(layer) != 'relu':
            return 'encoder hidden layer {} (Dense): activation {!r}; {}' \
                .format(index, activation(layer),
                        'the hidden layers are relu')
    return check_dense_stack(
        'decoder', decoder, hidden[::-1] + [input_dims],
        ['relu'] * len(hidden) + ['sigmoid'])


STRUCTURE = {'0-vanilla': dense, '1-sparse': dense,
             '2-convolutional': convolutional, '3-variational': variational}
