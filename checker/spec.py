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

from checker import align


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


# how a message names a layer and the line that made it
site, where = align.site, align.where


def check_shapes(models, expected):
    """Returns a problem for each model whose input or output shapes differ
    from expected: {name: (inputs, outputs)}."""
    problems = []
    for name, model in models.items():
        inputs, outputs = expected[name]
        found = (shape_of(model.get('inputs')),
                 shape_of(model.get('outputs')))
        if subclassed(model):
            problems.append(
                '{} ({}{}) is a Model subclass: a subclass has no inputs and '
                'outputs of its own, called or not, where the '
                'specification\'s {} is a model of inputs {} and outputs {}'
                .format(name, model.get('class'), site(model), name, inputs,
                        outputs))
        elif found != (inputs, outputs):
            problems.append('{}: inputs {} and outputs {}; the '
                            'specification gives {} and {}'.format(
                                name, *found, inputs, outputs))
    return problems


def subclassed(model):
    """Whether a model's description is of a keras.Model subclass of the
    learner's, which has no inputs and outputs of its own."""
    return not model.get('inputs') and not model.get('outputs') and \
        'Model' in model.get('kinds', []) and model.get('class') not in (
            'Functional', 'Model', 'Sequential')


def dense_slots(units, activations):
    """Returns the specification's Dense layers of these units and
    activations (each but a sigmoid last one relu), as slots."""
    def differences(count, wanted):
        """How a Dense layer differs from count units and activation
        wanted."""
        def found(layer):
            """[(setting, what)] of the layer."""
            problems = []
            if layer['config'].get('units') != count:
                problems.append(('count', '{} units; expected {}'.format(
                    shown(layer['config'].get('units')), count)))
            if activation(layer) != wanted:
                problems.append(('activation', 'activation {!r}; {}'.format(
                    activation(layer), SIGMOID_RULE if wanted == 'sigmoid'
                    else RELU_RULE)))
            return problems
        return found
    return [align.slot('Dense', 'Dense({}, {})'.format(count, wanted),
                       differences(count, wanted), count,
                       lambda layer: layer['config'].get('units'))
            for count, wanted in zip(units, activations)]


def check_dense_stack(name, model, units, activations, whole):
    """Returns each way model's layers are not Dense layers of these units
    and activations (each but a sigmoid last one relu), the whole
    difference at once (checker.align); whole: how the specification's
    model is told."""
    return align.difference(
        name, layers(model), dense_slots(units, activations), whole,
        lambda counts, wanted, where: '{}: Dense units {}; expected {}{}'
        .format(name, counts, wanted, where and ' (Dense' + where + ')'))


def shown(value):
    """Returns a setting of a description as a message quotes it."""
    return repr(value)[:40]


def dense(models, input_dims, hidden_layers, latent_dims, roles=None):
    """Tasks 0 and 1: Dense encoder of hidden_layers then latent_dims, all
    relu; decoder of reversed hidden_layers then input_dims, relu but the
    sigmoid output."""
    encoder, decoder, auto = models
    hidden = list(hidden_layers)
    problems = check_dense_stack(
        'encoder', encoder, hidden + [latent_dims],
        ['relu'] * (len(hidden) + 1), 'Dense layers of hidden_layers {} '
        'then latent_dims {}'.format(hidden, latent_dims))
    problems += check_dense_stack(
        'decoder', decoder, hidden[::-1] + [input_dims],
        ['relu'] * len(hidden) + ['sigmoid'], 'Dense layers of '
        'hidden_layers reversed, {}, then input_dims {}'.format(
            hidden[::-1], input_dims))
    named = {problem.split()[0].rstrip(':') for problem in problems}
    return problems + [problem for problem in check_shapes(
        {'encoder': encoder, 'decoder': decoder, 'auto': auto},
        interface('0-vanilla', input_dims, hidden_layers, latent_dims))
        if problem.split()[0].rstrip(':') not in named]


def interface(task, input_dims, layers, latent_dims):
    """Returns the shapes of the specification's models' inputs and
    outputs for these arguments: {name: (inputs, outputs)}."""
    if task == '2-convolutional':
        input_dims, latent_dims = tuple(input_dims), tuple(latent_dims)
        output = decoded_shape(latent_dims, len(layers), input_dims[-1])
        return {'encoder': ([(None,) + input_dims], [(None,) + latent_dims]),
                'decoder': ([(None,) + latent_dims], [(None,) + output]),
                'auto': ([(None,) + input_dims], [(None,) + output])}
    return {'encoder': ([(None, input_dims)], [(None, latent_dims)] * (
        3 if task == '3-variational' else 1)),
            'decoder': ([(None, latent_dims)], [(None, input_dims)]),
            'auto': ([(None, input_dims)], [(None, input_dims)])}


def conv_slot(filters, padding, act, rule, counted=True):
    """Returns the specification's Conv2D of filters, a 3x3 kernel,
    padding and activation act (rule: the sentence an activation other
    than act breaks), as a slot; counted: whether its filters are one of
    the sequence the decoder's filters are told as."""
    def differences(layer):
        """[(setting, what)] of a Conv2D layer."""
        config = layer['config']
        problems = []
        if config.get('filters') != filters:
            problems.append(('count' if counted else 'filters',
                             '{} filters; expected {}{}'.format(
                                 shown(config.get('filters')), filters,
                                 '' if counted else ', the channels of '
                                 'input_dims')))
        if size(config.get('kernel_size')) != (3, 3):
            problems.append(('kernel', 'kernel {}; every convolution is '
                             '3x3'.format(size(config.get('kernel_size')))))
        if size(config.get('strides', (1, 1))) != (1, 1):
            problems.append(('strides', 'strides {}; the specification\'s '
                             'convolutions keep the size (strides 1), the '
                             'pooling and upsampling change it'.format(
                                 size(config.get('strides')))))
        if config.get('padding') != padding:
            problems.append(('padding', 'padding {!r}; {}'.format(
                config.get('padding'), PADDING_RULES[padding, counted])))
        if activation(layer) != act:
            problems.append(('activation', 'activation {!r}; {}'.format(
                activation(layer), rule)))
        return problems
    return align.slot('Conv2D', 'Conv2D({}, (3, 3), {}, {})'.format(
        filters, padding, act), differences, filters if counted else None,
        lambda layer: layer['config'].get('filters'))


PADDING_RULES = {
    ('same', True): 'the specification\'s convolutions use same padding, '
                    'all but the decoder\'s second-to-last',
    ('valid', True): 'the decoder\'s second-to-last convolution uses valid '
                     'padding',
    ('same', False): 'the output convolution keeps its input\'s size (same '
                     'padding; valid takes 2 off each side\'s size)'}


def size(value):
    """Returns a size a configuration gives (an int or a pair) as a
    tuple."""
    if isinstance(value, int):
        return (value, value)
    return tuple(value) if isinstance(value, (list, tuple)) else value


def resize_slot(kind):
    """Returns the specification's 2x2 MaxPooling2D (which rounds odd sizes
    up) or UpSampling2D, as a slot."""
    key = 'pool_size' if kind == 'MaxPooling2D' else 'size'

    def differences(layer):
        """[(setting, what)] of a pooling or upsampling layer."""
        config = layer['config']
        problems = []
        if size(config.get(key)) != (2, 2):
            problems.append(('size', 'size {}; expected (2, 2)'.format(
                size(config.get(key)))))
        if kind == 'MaxPooling2D' and config.get('padding') == 'valid':
            problems.append(('padding', 'padding \'valid\' rounds an odd '
                             'size down (7 to 3); the specification\'s '
                             'pooling rounds it up (7 to 4): '
                             'padding=\'same\''))
        return problems
    return align.slot(kind, '{}((2, 2))'.format(kind), differences)


def convolutional(models, input_dims, filters, latent_dims, roles=None):
    """Task 2: the encoder's 3x3 same relu convolutions each followed by
    2x2 max pooling; the decoder's convolutions, all 3x3 relu, same padding
    then 2x2 upsampling, but the second-to-last valid (still upsampled) and
    the last with input_dims' channels, sigmoid, same padding, no
    upsampling. Each model's whole difference at once (checker.align)."""
    encoder, decoder, auto = models
    input_dims, latent_dims = tuple(input_dims), tuple(latent_dims)
    filters = list(filters)
    wanted = []
    for count in filters:
        wanted += [conv_slot(count, 'same', 'relu', RELU_RULE),
                   resize_slot('MaxPooling2D')]
    problems = align.difference(
        'encoder', layers(encoder), wanted, 'a Conv2D and a MaxPooling2D '
        'for each of the {} filters {}'.format(len(filters), filters),
        lambda counts, wanted, where: 'encoder: convolutions of {} filters'
        '{}; the specification\'s are filters, {}'.format(
            counts, where, wanted))
    wanted = []
    for i, count in enumerate(filters[::-1]):
        wanted += [conv_slot(count, 'valid' if i == len(filters) - 1
                             else 'same', 'relu', RELU_RULE),
                   resize_slot('UpSampling2D')]
    wanted.append(conv_slot(input_dims[-1], 'same', 'sigmoid',
                            SIGMOID_RULE, counted=False))

    def sequence(counts, wanted, where):
        """The decoder's filters told as a sequence."""
        cause = ' (these are filters in the encoder\'s order)' if \
            counts == filters and counts != wanted else ''
        return 'decoder: convolutions of {} filters{} before the output ' \
            'one; the specification\'s are filters reversed, {}{}'.format(
                counts, where, wanted, cause)
    problems += align.difference(
        'decoder', layers(decoder), wanted, 'a Conv2D and an UpSampling2D '
        'for each of the filters reversed, {}, the last of them with valid '
        'padding, then the output Conv2D'.format(filters[::-1]), sequence)
    if problems:
        return problems
    return check_shapes(
        {'encoder': encoder, 'decoder': decoder, 'auto': auto},
        interface('2-convolutional', input_dims, filters, latent_dims))


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


def one_epsilon(z, mean):
    """Whether z, drawn many times in one call of the encoder for images
    that give these means, holds one draw of epsilon for the whole batch
    (a noise of shape (latent_dims,) or (1, latent_dims)): z moves from
    the mean, but by the same amount in every row."""
    if len(z) < 2 or z.shape != mean.shape:
        return False
    moved = z - mean
    # consecutive rows of one image (the same mean) moved alike
    alike = abs(mean[1:] - mean[:-1]).max(axis=-1) == 0
    return bool(alike.any() and abs(moved).max() > 1e-3 and abs(
        moved[1:] - moved[:-1])[alike].max() < 1e-5 * abs(moved).max())


ONE_EPSILON = 'every image\'s z in a batch has the same epsilon: it is ' \
    'drawn once for the whole batch (a shape without the batch\'s size, ' \
    'such as (latent_dims,)); draw one for each image: ' \
    'keras.backend.random_normal(keras.backend.shape(mean))'


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
        interface('3-variational', input_dims, hidden_layers, latent_dims))
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
        ['relu'] * len(hidden) + ['sigmoid'], 'Dense layers of '
        'hidden_layers reversed, {}, then input_dims {}'.format(
            hidden[::-1], input_dims))


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
