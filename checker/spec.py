"""The specification's sentences about the models, as functions that return
every sentence a model breaks (an empty list when it keeps them all), each
naming the layer and, where the probe saw it, the line of the learner's
file that made it. They run inside checker.probe, on the engine being
checked."""
import tensorflow as tf

keras = tf.keras

# where each layer and model was made: {id(layer): 'file.py:LINE'}, filled
# by checker.probe while the learner's autoencoder() runs
SITES = {}

RELU_RULE = 'every layer but the decoder\'s last is relu'
SIGMOID_RULE = 'the decoder\'s last layer is sigmoid'
HEAD_RULE = 'the mean and log variance layers have no activation'


def layers(model):
    """Returns the model's layers without its input layers."""
    return [layer for layer in model.layers
            if not isinstance(layer, keras.layers.InputLayer)]


def activation(layer):
    """Returns the name of the layer's activation ('linear' for None)."""
    found = layer.get_config().get('activation') or 'linear'
    return found if isinstance(found, str) else getattr(
        found, '__name__', str(found))


def shape_of(tensors):
    """Returns the shapes of a model's inputs or outputs, as tuples."""
    return [tuple(t.shape) for t in tensors or []]


def site(thing):
    """Returns ' at FILE:LINE' where the learner's file made thing, or ''."""
    found = SITES.get(id(thing))
    return ' at ' + found if found else ''


def where(model, index, layer):
    """Returns 'encoder layer 3 (Dense at 0-vanilla.py:25)': how a message
    names a layer."""
    return '{} layer {} ({}{})'.format(model, index, type(layer).__name__,
                                       site(layer))


def check_shapes(models, expected):
    """Returns a problem for each model whose input or output shapes differ
    from expected: {name: (inputs, outputs)}."""
    problems = []
    for name, model in models.items():
        inputs, outputs = expected[name]
        found = (shape_of(model.inputs), shape_of(model.outputs))
        if found != (inputs, outputs):
            problems.append('{}: inputs {} and outputs {}; the '
                            'specification gives {} and {}'.format(
                                name, *found, inputs, outputs))
    return problems


def check_dense_stack(name, model, units, activations):
    """Returns each way model's layers are not Dense layers of these units
    and activations (each but a sigmoid last one relu)."""
    found = layers(model)
    problems = ['{}: expected only Dense layers'.format(
        where(name, index, layer)) for index, layer in enumerate(found, 1)
        if not isinstance(layer, keras.layers.Dense)]
    dense = [layer for layer in found if isinstance(layer, keras.layers.Dense)]
    if [layer.units for layer in dense] != units:
        problems.append('{}: Dense units {}; expected {}'.format(
            name, [layer.units for layer in dense], units))
    if len(dense) == len(units):
        for layer, wanted in zip(dense, activations):
            if activation(layer) != wanted:
                problems.append('{}: activation {!r}; {}'.format(
                    where(name, found.index(layer) + 1, layer),
                    activation(layer),
                    SIGMOID_RULE if wanted == 'sigmoid' else RELU_RULE))
    return problems


def dense(models, input_dims, hidden_layers, latent_dims, roles=None):
    """Tasks 0 and 1: Dense encoder of hidden_layers then latent_dims, all
    relu; decoder of reversed hidden_layers then input_dims, relu but the
    sigmoid output."""
    encoder, decoder, auto = models
    hidden = list(hidden_layers)
    problems = check_dense_stack('encoder', encoder, hidden + [latent_dims],
                                 ['relu'] * (len(hidden) + 1))
    problems += check_dense_stack('decoder', decoder,
                                  hidden[::-1] + [input_dims],
                                  ['relu'] * len(hidden) + ['sigmoid'])
    named = {problem.split()[0].rstrip(':') for problem in problems}
    return problems + [problem for problem in check_shapes(
        {'encoder': encoder, 'decoder': decoder, 'auto': auto},
        {'encoder': ([(None, input_dims)], [(None, latent_dims)]),
         'decoder': ([(None, latent_dims)], [(None, input_dims)]),
         'auto': ([(None, input_dims)], [(None, input_dims)])})
        if problem.split()[0].rstrip(':') not in named]


def conv_layer(name, index, layer, filters, padding, act, rule):
    """Returns how a Conv2D layer differs from filters, a 3x3 kernel,
    padding and activation act."""
    if not isinstance(layer, keras.layers.Conv2D):
        return ['{}: expected Conv2D'.format(where(name, index, layer))]
    problems = []
    if layer.filters != filters:
        problems.append('{}: {} filters; expected {}'.format(
            where(name, index, layer), layer.filters, filters))
    if tuple(layer.kernel_size) != (3, 3):
        problems.append('{}: kernel {}; every convolution is 3x3'.format(
            where(name, index, layer), tuple(layer.kernel_size)))
    if padding and layer.padding != padding:
        problems.append('{}: padding {!r}; {}'.format(
            where(name, index, layer), layer.padding,
            'the decoder\'s second-to-last convolution uses valid padding'
            if padding == 'valid' else 'the other convolutions use same '
            'padding'))
    if activation(layer) != act:
        problems.append('{}: activation {!r}; {}'.format(
            where(name, index, layer), activation(layer), rule))
    return problems


def resize_layer(name, index, layer, kind):
    """Returns how a layer differs from a 2x2 kind (MaxPooling2D or
    UpSampling2D)."""
    if not isinstance(layer, kind):
        return ['{}: expected {}'.format(where(name, index, layer),
                                         kind.__name__)]
    size = tuple(layer.pool_size if kind is keras.layers.MaxPooling2D
                 else layer.size)
    if size != (2, 2):
        return ['{}: size {}; expected (2, 2)'.format(
            where(name, index, layer), size)]
    return []


def convolutional(models, input_dims, filters, latent_dims, roles=None):
    """Task 2: the encoder's 3x3 same relu convolutions each followed by
    2x2 max pooling; the decoder's convolutions, all 3x3 relu, same padding
    then 2x2 upsampling, but the second-to-last valid (still upsampled) and
    the last with input_dims' channels, sigmoid, no upsampling."""
    encoder, decoder, auto = models
    input_dims, latent_dims = tuple(input_dims), tuple(latent_dims)
    problems = []
    found = layers(encoder)
    if len(found) != 2 * len(filters):
        problems.append(
            'encoder: {} layers; expected a Conv2D and a MaxPooling2D for '
            'each of the {} filters {}'.format(len(found), len(filters),
                                               list(filters)))
    else:
        for i, count in enumerate(filters):
            problems += conv_layer('encoder', 2 * i + 1, found[2 * i], count,
                                   'same', 'relu', RELU_RULE)
            problems += resize_layer('encoder', 2 * i + 2, found[2 * i + 1],
                                     keras.layers.MaxPooling2D)
    found = layers(decoder)
    counts = list(filters)[::-1] + [input_dims[-1]]
    if len(found) != 2 * len(filters) + 1:
        problems.append(
            'decoder: {} layers; expected {}: a Conv2D and an UpSampling2D '
            'for each of the {} filters {} reversed, then the output Conv2D '
            '(the decoder follows filters, whatever its length)'.format(
                len(found), 2 * len(filters) + 1, len(filters),
                list(filters)))
    else:
        for i, count in enumerate(counts):
            last = i == len(counts) - 1
            padding = None if last else (
                'valid' if i == len(counts) - 2 else 'same')
            problems += conv_layer('decoder', 2 * i + 1, found[2 * i], count,
                                   padding, 'sigmoid' if last else 'relu',
                                   SIGMOID_RULE if last else RELU_RULE)
            if not last:
                problems += resize_layer('decoder', 2 * i + 2,
                                         found[2 * i + 1],
                                         keras.layers.UpSampling2D)
    if problems:
        return problems
    output = decoded_shape(latent_dims, len(filters), input_dims[-1])
    return check_shapes(
        {'encoder': encoder, 'decoder': decoder, 'auto': auto},
        {'encoder': ([(None,) + input_dims], [(None,) + latent_dims]),
         'decoder': ([(None,) + latent_dims], [(None,) + output]),
         'auto': ([(None,) + input_dims], [(None,) + output])})


def decoded_shape(latent_dims, convolutions, channels):
    """Returns the shape of the decoder's output that the specification's
    layers give: each upsampling doubles the size, the valid convolution
    takes 2 off; input_dims for the main's call (4 -> 8 -> 16 -> 14 -> 28),
    smaller for some others (one filter on 28x28 inputs: 14 -> 12 -> 24)."""
    height, width = (size * 2 ** (convolutions - 1) for size in
                     latent_dims[:2])
    return (2 * (height - 2), 2 * (width - 2), channels)


def producer(tensor):
    """Returns the layer that produced a symbolic tensor."""
    return tensor._keras_history[0]


# the VAE encoder's outputs in the specification's order
ROLES = ('z', 'mean', 'log_var')
NAMES = {'mean': 'mean', 'log_var': 'log variance'}


def variational(models, input_dims, hidden_layers, latent_dims, roles=None):
    """Task 3: the encoder's relu Dense layers of hidden_layers, the mean
    and log variance layers of latent_dims with no activation, a sampling
    layer; the decoder as the dense models'. roles: {'z': index, 'mean':
    index, 'log_var': index} of the encoder's outputs, as the probe found
    them (by default the specification's order); the order itself is
    vae_outputs' to check."""
    encoder, decoder, auto = models
    hidden = list(hidden_layers)
    if len(encoder.outputs) != 3:
        return ['encoder: {} outputs; expected 3 (z, the mean, the log '
                'variance)'.format(len(encoder.outputs))]
    roles = roles or {role: index for index, role in enumerate(ROLES)}
    problems = check_shapes(
        {'encoder': encoder, 'decoder': decoder, 'auto': auto},
        {'encoder': ([(None, input_dims)], [(None, latent_dims)] * 3),
         'decoder': ([(None, latent_dims)], [(None, input_dims)]),
         'auto': ([(None, input_dims)], [(None, input_dims)])})
    heads = {role: producer(encoder.outputs[roles[role]])
             for role in ('mean', 'log_var')}
    for role, layer in heads.items():
        found = activation(layer) if 'activation' in layer.get_config() \
            else 'linear'
        if found != 'linear':
            problems.append('encoder\'s {} ({}{}): activation {!r}; {}'.format(
                NAMES[role], type(layer).__name__, site(layer), found,
                HEAD_RULE))
    stack = [layer for layer in layers(encoder)
             if isinstance(layer, keras.layers.Dense)
             and layer not in heads.values()]
    if [layer.units for layer in stack] != hidden:
        problems.append('encoder: hidden Dense units {}; expected {}'.format(
            [layer.units for layer in stack], hidden))
    for index, layer in enumerate(stack, 1):
        if activation(layer) != 'relu':
            problems.append(
                'encoder hidden layer {} (Dense{}): activation {!r}; the '
                'hidden layers are relu'.format(index, site(layer),
                                                activation(layer)))
    return problems + check_dense_stack(
        'decoder', decoder, hidden[::-1] + [input_dims],
        ['relu'] * len(hidden) + ['sigmoid'])


STRUCTURE = {'0-vanilla': dense, '1-sparse': dense,
             '2-convolutional': convolutional, '3-variational': variational}
