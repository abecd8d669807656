"""The specification's sentences about the models, as functions that return
every sentence a model breaks (an empty list when it keeps them all), each
naming the layer and, where the runner saw it, the line of the learner's
file that made it.

They read models as plain descriptions (checker.runner.describe makes them
from Keras models; the judge checks them against the weights they carry):
a model is {'class', 'site', 'inputs': [shape], 'outputs': [shape],
'layers': [layer], 'nodes': [...], 'outputs_from': [reference]}, a layer
{'class', 'kinds': the Keras classes it is an instance of, 'site',
'config': {...}}. Nothing here imports Keras: the judge runs them without
an engine."""
import re


RELU_RULE = 'every layer but the decoder\'s last is relu'
SIGMOID_RULE = 'the decoder\'s last layer is sigmoid'
HEAD_RULE = 'the mean and log variance layers have no activation'


def layers(model):
    """Returns the model's layers without its input layers."""
    return model['layers']


def kind(layer, name):
    """Whether layer is an instance of the Keras layer class name."""
    return name in layer['kinds']


def activation(layer):
    """Returns the name of the layer's activation ('linear' for None)."""
    return layer['config'].get('activation') or 'linear'


def shape_of(shapes):
    """Returns the shapes of a model's inputs or outputs, as tuples."""
    return [tuple(shape) for shape in shapes or []]


def site(thing):
    """Returns ' at FILE:LINE' where the learner's file made thing, or ''."""
    return ' at ' + thing['site'] if thing.get('site') else ''


def where(model, index, layer):
    """Returns 'encoder layer 3 (Dense at 0-vanilla.py:25)': how a message
    names a layer."""
    return '{} layer {} ({}{})'.format(model, index, layer['class'],
                                       site(layer))


def check_shapes(models, expected):
    """Returns a problem for each model whose input or output shapes differ
    from expected: {name: (inputs, outputs)}."""
    problems = []
    for name, model in models.items():
        inputs, outputs = expected[name]
        found = (shape_of(model['inputs']), shape_of(model['outputs']))
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
        if not kind(layer, 'Dense')]
    dense = [layer for layer in found if kind(layer, 'Dense')]
    if [layer['config']['units'] for layer in dense] != units:
        problems.append('{}: Dense units {}; expected {}'.format(
            name, [layer['config']['units'] for layer in dense], units))
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
    if not kind(layer, 'Conv2D'):
        return ['{}: expected Conv2D'.format(where(name, index, layer))]
    config = layer['config']
    problems = []
    if config['filters'] != filters:
        problems.append('{}: {} filters; expected {}'.format(
            where(name, index, layer), config['filters'], filters))
    if tuple(config['kernel_size']) != (3, 3):
        problems.append('{}: kernel {}; every convolution is 3x3'.format(
            where(name, index, layer), tuple(config['kernel_size'])))
    if padding and config['padding'] != padding:
        problems.append('{}: padding {!r}; {}'.format(
            where(name, index, layer), config['padding'],
            'the decoder\'s second-to-last convolution uses valid padding'
            if padding == 'valid' else 'the other convolutions use same '
            'padding'))
    if activation(layer) != act:
        problems.append('{}: activation {!r}; {}'.format(
            where(name, index, layer), activation(layer), rule))
    return problems


def resize_layer(name, index, layer, wanted):
    """Returns how a layer differs from a 2x2 kind (MaxPooling2D or
    UpSampling2D)."""
    if not kind(layer, wanted):
        return ['{}: expected {}'.format(where(name, index, layer), wanted)]
    size = tuple(layer['config']['pool_size' if wanted == 'MaxPooling2D'
                                 else 'size'])
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
                                     'MaxPooling2D')
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
        got = [found[2 * i]['config'].get('filters')
               for i in range(len(filters)) if kind(found[2 * i], 'Conv2D')]
        if len(got) == len(filters) and got != counts[:-1]:
            # one problem for the whole sequence, which names its cause
            causes = {
                tuple(filters): ' (these are filters in the encoder\'s '
                'order)',
                tuple(list(filters)[-2::-1] + list(filters)[:1]):
                ' (reversed(filters[:-1]) and then filters[0]; the ones '
                'before filters[0] are reversed(filters[1:]))'}
            problems.append(
                'decoder: convolutions of {} filters before the output one; '
                'the specification\'s are filters reversed, {}{}'.format(
                    got, counts[:-1], causes.get(tuple(got), '')))
            counts = got + counts[-1:]
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
                                         'UpSampling2D')
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


def passes_through(model, number, count):
    """Whether call number of a model's description, a layer of no
    weights and of no kind the judge computes called on count inputs, may
    be taken as giving them back (a layer that adds the KL term and
    returns the mean and the log variance as they came): at least two,
    and every output of the call used. The judge checks the outputs it
    then computes against the runner's like any other."""
    layer = model['layers'][model['nodes'][number]['layer']]
    if count < 2 or layer.get('weights'):
        return False
    used = set()
    for reference in [r for node in model['nodes'][number + 1:]
                      if isinstance(node, dict)
                      for r in node.get('inputs', [])] + list(
                          model.get('outputs_from', [])):
        if isinstance(reference, list) and len(reference) == 3 and \
                reference[:2] == ['node', number]:
            used.add(reference[2])
    return used == set(range(count))


def producer(model, output):
    """Returns the layer that produced the model's output number output
    (a stand-in with no kinds where it is not one of its layers)."""
    found = model['outputs_from'][output]
    while found and found[0] == 'node':
        node = model['nodes'][found[1]]
        layer = model['layers'][node['layer']]
        inputs = node.get('inputs', [])
        if layer['kinds'] or not passes_through(model, found[1],
                                                len(inputs)):
            return layer
        # a layer of its own that gives back what it was given (one that
        # adds the KL term): the output is its input's
        found = inputs[found[2]]
    return {'class': 'Input', 'kinds': [], 'site': None, 'config': {}}


# the VAE encoder's outputs in the specification's order
ROLES = ('z', 'mean', 'log_var')
NAMES = {'mean': 'mean', 'log_var': 'log variance'}


def variational(models, input_dims, hidden_layers, latent_dims, roles=None):
    """Task 3: the encoder's relu Dense layers of hidden_layers, the mean
    and log variance layers of latent_dims with no activation, a sampling
    layer; the decoder as the dense models'. roles: {'z': index, 'mean':
    index, 'log_var': index} of the encoder's outputs, as the judge found
    them (by default the specification's order); the order itself is
    vae_outputs' to check."""
    encoder, decoder, auto = models
    hidden = list(hidden_layers)
    if len(encoder['outputs']) != 3:
        return ['encoder: {} output{}; expected 3 (z, the mean, the log '
                'variance)'.format(len(encoder['outputs']), '' if len(
                    encoder['outputs']) == 1 else 's')]
    roles = roles or {role: index for index, role in enumerate(ROLES)}
    problems = check_shapes(
        {'encoder': encoder, 'decoder': decoder, 'auto': auto},
        {'encoder': ([(None, input_dims)], [(None, latent_dims)] * 3),
         'decoder': ([(None, latent_dims)], [(None, input_dims)]),
         'auto': ([(None, input_dims)], [(None, input_dims)])})
    heads = {role: producer(encoder, roles[role])
             for role in ('mean', 'log_var')}
    for role, layer in heads.items():
        found = activation(layer)
        if found != 'linear':
            problems.append('encoder\'s {} ({}{}): activation {!r}; {}'.format(
                NAMES[role], layer['class'], site(layer), found,
                HEAD_RULE))
    stack = [layer for layer in layers(encoder) if kind(layer, 'Dense')
             and not any(layer is head for head in heads.values())]
    if [layer['config']['units'] for layer in stack] != hidden:
        problems.append('encoder: hidden Dense units {}; expected {}'.format(
            [layer['config']['units'] for layer in stack], hidden))
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


LAYER_PROBLEM = re.compile(r'^(\w+) layer (\d+) \((.+?)\): (.*)$')


def merged(problems):
    """Returns problems with those of layers made by one line of the
    learner's file, saying the same thing, merged into one ('encoder layers
    1, 2 (Dense at 0-vanilla.py:11): ...')."""
    groups, order = {}, []
    for problem in problems:
        match = LAYER_PROBLEM.match(problem)
        key = (match.group(1), match.group(3), match.group(4)) if match \
            and ' at ' in match.group(3) else problem
        if key not in groups:
            groups[key] = []
            order.append(key)
        if match:
            groups[key].append(match.group(2))
    return ['{} layer{} {} ({}): {}'.format(
        key[0], 's' if len(groups[key]) > 1 else '', ', '.join(groups[key]),
        key[1], key[2]) if isinstance(key, tuple) else key for key in order]


FLOAT = r'-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?'


# the lines of Keras's progress bars, which a main prints beside its own
KERAS_LINE = re.compile(r'^Epoch \d+/\d+$|step|\u2501|\[=*>?\.*\]')


# how many lines (beside Keras's progress) each task's main prints
MAIN_LINES = {'0-vanilla': 1, '1-sparse': 1, '2-convolutional': 3,
              '3-variational': 20}


def main_format(task, lines, limit=256):
    """Returns how the main's printed lines differ from the spec's main's
    (None if they match)."""
    if task in ('0-vanilla', '1-sparse'):
        wanted = ['a number (np.mean(encoded))']
        ok = len(lines) == 1 and re.fullmatch(FLOAT, lines[0])
    elif task == '2-convolutional':
        shape = '({}, 28, 28, 1)'.format(limit)
        wanted = [shape, shape, 'a number (np.mean(encoded))']
        ok = len(lines) == 3 and lines[:2] == [shape, shape] and \
            re.fullmatch(FLOAT, lines[2])
    else:
        wanted = ['mu: a 10x2 array', 'sigma: a 10x2 array']
        arrays = [re.findall(FLOAT, part) for part in
                  ' '.join(lines).split(']]')[:-1]]
        ok = (len(lines) == 20 and [len(a) for a in arrays] == [20, 20]
              and all(float(v[0]) > 0 for v in
                      re.findall('(' + FLOAT + ')', ' '.join(
                          lines).split(']]')[1])))
    if ok:
        return None
    return 'the main printed {}; the specification\'s main prints {}'.format(
        lines[:4] if len(lines) <= 4 else lines[:3] + ['...'],
        ', then '.join(wanted))


def numbers(lines):
    """Returns the numbers in printed lines, as floats."""
    return [float(m.group(0)) for m in re.finditer(FLOAT, ' '.join(lines))]
