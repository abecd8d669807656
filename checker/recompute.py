"""The judge's own computation of a learner's models, in numpy, from the
descriptions and weights a runner reports (checker.describe): every layer
the judge recomputes (Dense, Conv2D, Conv2DTranspose, MaxPooling2D,
UpSampling2D, Cropping2D, ZeroPadding2D, and Activation, ReLU, LeakyReLU,
Flatten, Reshape, Dropout, BatchNormalization around them), the forward
pass through a model's graph (forward), and the refusal of what it cannot
or will not compute (Unverified).

Nothing a report holds can crash it, flood it or make it hang: every
description is checked whole before it is used (malformed(): its form, its
sizes, references only to calls before them, so no cycle, a bounded
nesting), every number of a layer's configuration before it is used
(count(), pair(), real(), margins(): strides, pool sizes, kernel sizes,
units, axes, epsilon, activations, croppings and paddings, each failure
naming the layer), every array against the shape the description gives
before it is converted (weights()); one forward pass computes at most
LARGEST_VALUE numbers in one value, FORWARD_LIMIT in all, WORK_LIMIT
multiply-adds and CALLS_LIMIT calls of layers, by plain slicing (no
as_strided). What goes beyond is an Unverified that says so, never an
exception of another kind.
"""
import math
import threading

import numpy as np

from checker import protocol, spec

LONGEST = 2000
# how far the runner's outputs may be from the judge's (float32 engines
# against float64 numpy)
RTOL, ATOL = 1e-3, 1e-4
# the layers the judge recomputes
RECOMPUTED = ('Dense', 'Conv2D', 'Conv2DTranspose', 'MaxPooling2D',
              'UpSampling2D', 'Cropping2D', 'ZeroPadding2D', 'Activation',
              'ReLU', 'LeakyReLU', 'Flatten', 'Reshape', 'Dropout',
              'BatchNormalization', 'InputLayer')


# the most numbers one value of the judge's forward pass may hold, all the
# values of one forward pass together, and the multiply-adds and calls of
# layers one forward pass may take; the most numbers the weights of the
# models of one report may hold (a report describing far larger layers is
# refused, not computed: the judge's memory and time stay bounded)
LARGEST_VALUE = 1 << 21
FORWARD_LIMIT = 1 << 22
WORK_LIMIT = 1 << 30
CALLS_LIMIT = 1024
WEIGHTS_LIMIT = 1 << 21
# the most a description may hold: layers and calls of one model, inputs
# of one call and outputs of one model, weights and kinds of one layer,
# dimensions of one shape, models nested in one another; the largest
# window (its height times its width) of a convolution or a pooling, and
# the largest stride and upsampling factor
MOST_LAYERS, MOST_NODES, MOST_INPUTS, MOST_OUTPUTS = 256, 256, 16, 16
MOST_WEIGHTS, MOST_KINDS, MOST_DIMENSIONS, MOST_DEPTH = 32, 32, 8, 8
LARGEST_WINDOW, LARGEST_STEP = 4096, 1 << 16
# the most images of the VAE's draws of z a report may hold
MOST_DRAWS = 4096
# the dtypes an array of numbers has (booleans, integers, floats)
NUMBERS = 'biuf'
# one verification at a time in this process (the judges of several
# runners run in threads): the judge's memory is one verification's at most
LOCK = threading.RLock()


class Unverified(Exception):
    """The runner's report does not hold, or cannot be checked."""


class Misbuilt(Unverified):
    """The models the runner reports are not what the specification
    asks for, in a way that keeps the judge from checking them: the
    message says what is wrong, the hint what to do."""

    def __init__(self, message, hint):
        """Keeps the message and the hint."""
        super().__init__(message)
        self.hint = hint


def guard(shape, where):
    """Raises Unverified where a value of shape would be larger than the
    judge computes."""
    if math.prod(max(int(size), 0) for size in shape) > LARGEST_VALUE:
        raise Unverified('{}: an output of shape {}, beyond what the grader '
                         'recomputes'.format(where, tuple(shape)))


class Budget:
    """What one forward pass of the judge may still spend: the numbers
    its values hold, its multiply-adds, its calls of layers."""

    LIMITS = {'numbers': ('numbers', FORWARD_LIMIT),
              'work': ('multiply-adds', WORK_LIMIT),
              'calls': ('calls of layers', CALLS_LIMIT)}

    def __init__(self):
        """The whole of each limit left."""
        self.left = {key: limit for key, (_, limit) in self.LIMITS.items()}

    def spend(self, where, **spent):
        """Counts what a layer spends (numbers, work, calls); raises
        Unverified beyond a limit."""
        for key, value in spent.items():
            self.left[key] -= value
            if self.left[key] < 0:
                name, limit = self.LIMITS[key]
                raise Unverified('{}: more than {} {} in one pass of the '
                                 'models, beyond what the grader '
                                 'recomputes'.format(where, limit, name))


def shown(value):
    """Returns a value of a description as a message may quote it."""
    return protocol.safe(repr(value), 60)


def count(value, where, what, low=1, high=LARGEST_VALUE):
    """Returns value, an integer (not a boolean) from low to high that a
    description gives as what; raises Unverified naming the layer
    otherwise."""
    if type(value) is not int or not low <= value <= high:
        raise Unverified('{}: {} {}, where the grader reads an integer from '
                         '{} to {}'.format(where, what, shown(value), low,
                                           high))
    return value


def pair(value, where, what, high):
    """Returns (a, b), two integers from 1 to high a description gives as
    what (two of them, or one for both)."""
    if type(value) is int:
        value = [value, value]
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise Unverified('{}: {} {}, where the grader reads two integers'
                         .format(where, what, shown(value)))
    return tuple(count(size, where, what, 1, high) for size in value)


def real(value, where, what, low=-math.inf):
    """Returns value as a float: a finite number (not a boolean) of at
    least low that a description gives as what."""
    try:
        number = float(value) if type(value) in (int, float) else math.nan
    except OverflowError:
        number = math.nan
    if not math.isfinite(number) or number < low:
        raise Unverified('{}: {} {}, where the grader reads a finite '
                         'number{}'.format(where, what, shown(value), '' if
                                           low == -math.inf else ' of at '
                                           'least {:g}'.format(low)))
    return number


def flag(value, where, what):
    """Returns value, a boolean a description gives as what."""
    if what == 'use_bias' and isinstance(value, str) and \
            'regularizers' in value:
        # Dense(units, activation, keras.regularizers.l1(...)): the third
        # positional argument is use_bias
        kind = value.split('regularizers.')[-1].split(' ')[0][:20]
        raise Misbuilt(
            '{}: use_bias is a regularizer ({}): it was given as Dense\'s '
            'third positional argument, which is use_bias, so it '
            'regularizes nothing'.format(where, protocol.safe(kind, 20)),
            'give it by name: Dense(latent_dims, activation=\'relu\', '
            'activity_regularizer=keras.regularizers.l1(lambtha))')
    if type(value) is not bool:
        raise Unverified('{}: {} {}, where the grader reads true or '
                         'false'.format(where, what, shown(value)))
    return value


def margins(value, where, what):
    """Returns ((top, bottom), (left, right)), integers of at least 0 a
    description gives as what, nested as Keras's get_config() gives a
    Cropping2D's cropping or a ZeroPadding2D's padding (the one integer or
    the flat pair Keras's constructors take, which get_config() nests, are
    refused)."""
    if not isinstance(value, (list, tuple)) or len(value) != 2 or not all(
            isinstance(side, (list, tuple)) and len(side) == 2
            for side in value):
        raise Unverified('{}: {} {}, where the grader reads ((top, '
                         'bottom), (left, right))'.format(where, what,
                                                          shown(value)))
    return tuple(tuple(count(size, where, what, 0) for size in side)
                 for side in value)


def choice(value, where, what, allowed):
    """Returns value, one of the strings allowed, as a description gives
    what."""
    if not isinstance(value, str) or value not in allowed:
        raise Unverified('{}: {} {}; the grader recomputes {}'.format(
            where, what, shown(value), ' or '.join(map(repr, allowed))))
    return value


def malformed(model, name, depth=0):
    """Raises Unverified where a model's description is not one the judge
    reads (checker.spec says its form): each part of the type it has, its
    sizes within the limits (MOST_LAYERS, ...), every call of a layer of
    its own, every reference to an input or to a call before it (so that
    its graph has no cycle), models nested at most MOST_DEPTH deep."""
    def wrong(what):
        """Raises Unverified saying what is malformed."""
        raise Unverified('{}: a malformed description ({})'.format(name,
                                                                   what))

    def strings(value, most):
        """Whether value is a list of at most most strings."""
        return isinstance(value, list) and len(value) <= most and all(
            isinstance(item, str) for item in value)

    def shapes(value):
        """Whether value is a list of shapes (lists of sizes or None)."""
        return isinstance(value, list) and len(value) <= MOST_OUTPUTS and \
            all(isinstance(shape, list) and len(shape) <= MOST_DIMENSIONS
                and all(size is None or (type(size) is int and size >= 0)
                        for size in shape) for shape in value)

    def reference(found, before):
        """Checks one reference: ['input', i] or ['node', n, i], n a call
        before this one."""
        if not isinstance(found, list) or not found or not all(
                type(part) is int for part in found[1:]):
            wrong('a malformed reference')
        if found[0] == 'input' and len(found) == 2 and \
                0 <= found[1] < MOST_INPUTS:
            return
        if found[0] == 'node' and len(found) == 3 and \
                0 <= found[2] < MOST_OUTPUTS and found[1] >= 0:
            if found[1] < before:
                return
            raise Unverified('{}: a reference to nothing before it'.format(
                name))
        wrong('a malformed reference')
    if depth > MOST_DEPTH:
        raise Unverified('{}: models nested more than {} deep, beyond what '
                         'the grader reads'.format(name, MOST_DEPTH))
    if not isinstance(model, dict):
        wrong('a model that is not described')
    layers, nodes = model.get('layers'), model.get('nodes', [])
    outputs = model.get('outputs_from', [])
    if not isinstance(layers, list) or len(layers) > MOST_LAYERS:
        wrong('no list of at most {} layers'.format(MOST_LAYERS))
    if not isinstance(nodes, list) or len(nodes) > MOST_NODES or \
            not isinstance(outputs, list) or len(outputs) > MOST_OUTPUTS:
        wrong('no list of at most {} calls and {} outputs'.format(
            MOST_NODES, MOST_OUTPUTS))
    if not all(model.get(key) is None or isinstance(model[key], str)
               for key in ('class', 'site', 'untraced')) or \
            not strings(model.get('kinds', []), MOST_KINDS) or \
            not all(shapes(model.get(key, [])) for key in ('inputs',
                                                           'outputs')):
        wrong('its class, kinds, site or shapes')
    for index, layer in enumerate(layers, 1):
        if not isinstance(layer, dict) or not isinstance(
                layer.get('class'), str) or not strings(
                    layer.get('kinds'), MOST_KINDS) or not (
                        layer.get('site') is None or isinstance(
                            layer['site'], str)) or not isinstance(
                                layer.get('config'), dict) or not strings(
                                    layer.get('weights', []), MOST_WEIGHTS):
            wrong('layer {}: its class, kinds, site, configuration or '
                  'weights'.format(index))
        if layer.get('model') is not None:
            malformed(layer['model'], spec.where(name, index, layer),
                      depth + 1)
    for number, node in enumerate(nodes):
        if not isinstance(node, dict) or type(node.get('layer')) is not \
                int or not 0 <= node['layer'] < len(layers) or \
                not isinstance(node.get('inputs', []), list) or \
                len(node.get('inputs', [])) > MOST_INPUTS:
            wrong('call {}'.format(number + 1))
        for found in node.get('inputs', []):
            reference(found, number)
    for found in outputs:
        reference(found, len(nodes))


def sigmoid(v):
    """The logistic function, without overflow warnings."""
    with np.errstate(over='ignore'):
        return 1 / (1 + np.exp(-v))


ACTIVATIONS = {
    'linear': lambda v: v,
    'relu': lambda v: np.maximum(v, 0),
    'sigmoid': sigmoid,
    'tanh': np.tanh,
    'softplus': lambda v: np.logaddexp(0, v),
    'softsign': lambda v: v / (1 + np.abs(v)),
    'elu': lambda v: np.where(v > 0, v, np.expm1(np.minimum(v, 0))),
    'selu': lambda v: 1.0507009873554805 * np.where(
        v > 0, v, 1.6732632423543772 * np.expm1(np.minimum(v, 0))),
    'swish': lambda v: v * sigmoid(v),
    'silu': lambda v: v * sigmoid(v),
    'relu6': lambda v: np.clip(v, 0, 6),
    'softmax': lambda v: np.exp(v - v.max(-1, keepdims=True)) / np.exp(
        v - v.max(-1, keepdims=True)).sum(-1, keepdims=True),
}


def activate(layer, value, where):
    """Applies the layer's activation."""
    name = spec.activation(layer)
    if not isinstance(name, str) or name not in ACTIVATIONS:
        raise Unverified('{}: activation {} is not one the grader '
                         'recomputes'.format(where, shown(name)))
    return ACTIVATIONS[name](value)


def weights(layer, arrays, shapes, where):
    """Returns the layer's weights as float64, each checked before any
    conversion: an array of numbers of the shape its configuration and
    its input give (shapes, one for each weight)."""
    names = layer.get('weights', [])
    if len(names) != len(shapes) or not all(
            isinstance(name, str) and name in arrays for name in names):
        raise Unverified('{}: {} weights reported, {} expected'.format(
            where, len(names), len(shapes)))
    found = []
    for name, shape in zip(names, shapes):
        array = arrays[name]
        if not isinstance(array, np.ndarray) or array.dtype.kind not in \
                NUMBERS:
            raise Unverified('{}: a weight that is not an array of '
                             'numbers'.format(where))
        if array.shape != tuple(shape):
            raise Unverified('{}: a weight of shape {} where its '
                             'configuration and its input give {}'.format(
                                 where, array.shape, tuple(shape)))
        found.append(array.astype(np.float64))
    return found


def images(x, where):
    """Checks that x is a batch of images (n, height, width, channels)."""
    if x.ndim != 4:
        raise Unverified('{}: inputs of shape {}, where the grader '
                         'recomputes it on images (n, height, width, '
                         'channels)'.format(where, x.shape))


def pad_same(x, kernel, stride, where, fill=0.):
    """Returns images (n, h, w, c) padded as Keras's 'same' padding pads
    them (the extra row and column after), with fill, and the output's
    height and width."""
    pads, out = [], []
    for size, k, s in zip(x.shape[1:3], kernel, stride):
        out.append(-(-size // s))
        total = max((out[-1] - 1) * s + k - size, 0)
        pads.append((total // 2, total - total // 2))
    guard((x.shape[0], x.shape[1] + sum(pads[0]), x.shape[2] + sum(pads[1]),
           x.shape[3]), where)
    return np.pad(x, [(0, 0)] + pads + [(0, 0)], constant_values=fill), \
        tuple(out)


def windowed(layer, x, kernel, stride, where, fill=0.):
    """Returns images x as a layer of kernel-sized windows at stride reads
    them (padded where its padding is 'same'), and the output's height and
    width; refuses a window larger than its input."""
    padding = choice(layer['config'].get('padding', 'valid'), where,
                     'padding', ('valid', 'same'))
    if kernel[0] * kernel[1] > LARGEST_WINDOW:
        raise Unverified('{}: a window of {} by {}, beyond what the grader '
                         'recomputes'.format(where, *kernel))
    if padding == 'same':
        return pad_same(x, kernel, stride, where, fill)
    if x.shape[1] < kernel[0] or x.shape[2] < kernel[1]:
        raise Unverified('{}: a window of {} by {} larger than its input '
                         '{}'.format(where, kernel[0], kernel[1], x.shape))
    return x, tuple((size - k) // s + 1 for size, k, s in zip(
        x.shape[1:3], kernel, stride))


def window(x, row, column, stride, out):
    """Returns the view of images x that a window's cell (row, column)
    reads at each of the out (height, width) positions, at stride: plain
    slicing, within x (the judge computed out from x's shape)."""
    return x[:, row:row + stride[0] * (out[0] - 1) + 1:stride[0],
             column:column + stride[1] * (out[1] - 1) + 1:stride[1], :]


def convolution(layer, x, where):
    """Returns the filters, kernel size, strides and use_bias of a
    convolution's configuration (Conv2D's or Conv2DTranspose's) on images
    x; refuses all but channels-last, undilated, ungrouped ones."""
    config = layer['config']
    if config.get('data_format', 'channels_last') != 'channels_last' or \
            config.get('dilation_rate', [1, 1]) not in ([1, 1], 1) or \
            config.get('groups', 1) != 1:
        raise Unverified('{}: only channels-last, undilated, ungrouped '
                         'convolutions are recomputed'.format(where))
    images(x, where)
    filters = count(config.get('filters'), where, 'filters')
    kernel = pair(config.get('kernel_size'), where, 'kernel_size',
                  LARGEST_WINDOW)
    stride = pair(config.get('strides', [1, 1]), where, 'strides',
                  LARGEST_STEP)
    use_bias = flag(config.get('use_bias', True), where, 'use_bias')
    guard(kernel + (x.shape[3], filters), where)
    return filters, kernel, stride, use_bias


def conv2d(layer, x, arrays, where, budget):
    """Keras's Conv2D, channels last."""
    filters, kernel, stride, use_bias = convolution(layer, x, where)
    found = weights(layer, arrays, [kernel + (x.shape[3], filters)] + (
        [(filters,)] if use_bias else []), where)
    x, out = windowed(layer, x, kernel, stride, where)
    guard((x.shape[0],) + out + (filters,), where)
    budget.spend(where, work=x.shape[0] * out[0] * out[1] * kernel[0] *
                 kernel[1] * x.shape[3] * filters)
    total = np.zeros((x.shape[0],) + out + (filters,))
    for row in range(kernel[0]):
        for column in range(kernel[1]):
            total += np.tensordot(window(x, row, column, stride, out),
                                  found[0][row, column], axes=([3], [0]))
    if use_bias:
        total += found[1]
    return activate(layer, total, where)


def conv_transpose(layer, x, arrays, where, budget):
    """Keras's Conv2DTranspose, channels last, without output_padding, as
    tf.nn.conv2d_transpose computes it (the gradient of a Conv2D): each
    pixel of x adds its channels times the kernel (height, width, filters,
    channels) at stride apart, into a whole of (size - 1) * stride +
    kernel rows and columns; 'valid' keeps the first size * stride +
    max(kernel - stride, 0) of them, 'same' the size * stride after the
    first max(kernel - stride, 0) // 2, zeros past the whole where the
    kernel is smaller than the stride."""
    filters, kernel, stride, use_bias = convolution(layer, x, where)
    config = layer['config']
    if config.get('output_padding') is not None:
        raise Unverified('{}: output_padding {}, where the grader '
                         'recomputes transposed convolutions without it'
                         .format(where, shown(config['output_padding'])))
    padding = choice(config.get('padding', 'valid'), where, 'padding',
                     ('valid', 'same'))
    if kernel[0] * kernel[1] > LARGEST_WINDOW:
        raise Unverified('{}: a window of {} by {}, beyond what the grader '
                         'recomputes'.format(where, *kernel))
    if min(x.shape[1:]) < 1:
        raise Unverified('{}: inputs of shape {}, with nothing to '
                         'enlarge'.format(where, x.shape))
    size = x.shape[1:3]
    excess = [max(k - s, 0) for k, s in zip(kernel, stride)]
    if padding == 'valid':
        start = (0, 0)
        out = tuple(n * s + e for n, s, e in zip(size, stride, excess))
    else:
        start = tuple(e // 2 for e in excess)
        out = tuple(n * s for n, s in zip(size, stride))
    whole = tuple(max((n - 1) * s + k, b + o) for n, s, k, b, o in zip(
        size, stride, kernel, start, out))
    guard((x.shape[0],) + whole + (filters,), where)
    found = weights(layer, arrays, [kernel + (filters, x.shape[3])] + (
        [(filters,)] if use_bias else []), where)
    budget.spend(where, work=x.shape[0] * size[0] * size[1] * kernel[0] *
                 kernel[1] * x.shape[3] * filters)
    total = np.zeros((x.shape[0],) + whole + (filters,))
    for row in range(kernel[0]):
        for column in range(kernel[1]):
            part = window(total, row, column, stride, size)
            part += np.tensordot(x, found[0][row, column], axes=([3], [1]))
    total = total[:, start[0]:start[0] + out[0],
                  start[1]:start[1] + out[1], :]
    if use_bias:
        total = total + found[1]
    return activate(layer, total, where)


def max_pool(layer, x, where, budget):
    """Keras's MaxPooling2D, channels last."""
    config = layer['config']
    if config.get('data_format', 'channels_last') != 'channels_last':
        raise Unverified('{}: only channels-last pooling of images is '
                         'recomputed'.format(where))
    images(x, where)
    pool = pair(config.get('pool_size', [2, 2]), where, 'pool_size',
                LARGEST_WINDOW)
    stride = pool if config.get('strides') is None else pair(
        config['strides'], where, 'strides', LARGEST_STEP)
    x, out = windowed(layer, x, pool, stride, where, -np.inf)
    guard((x.shape[0],) + out + (x.shape[3],), where)
    budget.spend(where, work=x.shape[0] * out[0] * out[1] * x.shape[3] *
                 pool[0] * pool[1])
    found = None
    for row in range(pool[0]):
        for column in range(pool[1]):
            part = window(x, row, column, stride, out)
            found = part.copy() if found is None else np.maximum(
                found, part, out=found)
    return found


def up_sample(layer, x, where):
    """Keras's UpSampling2D (nearest), channels last."""
    config = layer['config']
    if config.get('interpolation', 'nearest') != 'nearest' or \
            config.get('data_format', 'channels_last') != 'channels_last':
        raise Unverified('{}: only nearest, channels-last upsampling is '
                         'recomputed'.format(where))
    images(x, where)
    size = pair(config.get('size', [2, 2]), where, 'size', LARGEST_STEP)
    guard((x.shape[0], x.shape[1] * size[0], x.shape[2] * size[1],
           x.shape[3]), where)
    return np.repeat(np.repeat(x, size[0], axis=1), size[1], axis=2)


def crop(layer, x, where):
    """Keras's Cropping2D, channels last: its cropping ((top, bottom),
    (left, right)) taken off the images, leaving at least one row and one
    column."""
    if layer['config'].get('data_format', 'channels_last') != \
            'channels_last':
        raise Unverified('{}: only channels-last cropping of images is '
                         'recomputed'.format(where))
    images(x, where)
    (top, bottom), (left, right) = margins(layer['config'].get('cropping'),
                                           where, 'cropping')
    height, width = x.shape[1] - top - bottom, x.shape[2] - left - right
    if height < 1 or width < 1:
        raise Unverified('{}: a cropping of {} leaving nothing of its '
                         'input {}'.format(where, (
                             (top, bottom), (left, right)), x.shape))
    return x[:, top:top + height, left:left + width, :]


def zero_pad(layer, x, where):
    """Keras's ZeroPadding2D, channels last: zeros around the images, as
    its padding ((top, bottom), (left, right)) gives them."""
    if layer['config'].get('data_format', 'channels_last') != \
            'channels_last':
        raise Unverified('{}: only channels-last padding of images is '
                         'recomputed'.format(where))
    images(x, where)
    (top, bottom), (left, right) = margins(layer['config'].get('padding'),
                                           where, 'padding')
    guard((x.shape[0], x.shape[1] + top + bottom, x.shape[2] + left + right,
           x.shape[3]), where)
    return np.pad(x, [(0, 0), (top, bottom), (left, right), (0, 0)])


def batch_norm(layer, x, arrays, where):
    """Keras's BatchNormalization at inference, on the last axis."""
    config = layer['config']
    axis = config.get('axis', -1)
    axis = axis[0] if isinstance(axis, list) and len(axis) == 1 else axis
    if type(axis) is not int or axis not in (-1, x.ndim - 1):
        raise Unverified('{}: only the last axis is recomputed'.format(
            where))
    center = flag(config.get('center', True), where, 'center')
    scale = flag(config.get('scale', True), where, 'scale')
    epsilon = real(config.get('epsilon', 1e-3), where, 'epsilon', 0.)
    found = weights(layer, arrays, [x.shape[-1:]] * (2 + center + scale),
                    where)
    gamma = found.pop(0) if scale else 1.
    beta = found.pop(0) if center else 0.
    mean, variance = found
    with np.errstate(all='ignore'):
        return (x - mean) / np.sqrt(variance + epsilon) * gamma + beta


def relu_layer(layer, x, where='the layer'):
    """Keras's ReLU and LeakyReLU layers."""
    config = layer['config']

    def number(key, default):
        """The configuration's number key (default where it is None)."""
        value = config.get(key)
        return default if value is None else real(value, where, key)
    if 'ReLU' in layer['kinds']:
        slope = number('negative_slope', 0.)
        threshold = number('threshold', 0.)
        out = np.where(x >= threshold, x, slope * (x - threshold))
        top = number('max_value', None)
        return out if top is None else np.minimum(out, top)
    slope = number('alpha', number('negative_slope', 0.3))
    return np.where(x >= 0, x, slope * x)


def reshape(layer, x, where):
    """Keras's Reshape: to the target shape (one size of -1 at most)."""
    target = layer['config'].get('target_shape')
    if not isinstance(target, (list, tuple)) or \
            len(target) > MOST_DIMENSIONS or \
            not all(type(size) is int and (size >= 1 or size == -1)
                    for size in target) or target.count(-1) > 1:
        raise Unverified('{}: a target shape {}, where the grader reads up '
                         'to {} sizes'.format(where, shown(target),
                                              MOST_DIMENSIONS))
    try:
        return x.reshape((len(x),) + tuple(target))
    except ValueError:
        raise Unverified('{}: cannot reshape {} to {}'.format(
            where, x.shape, target)) from None


def run_layer(layer, inputs, arrays, where, budget=None):
    """Returns the outputs of one call of a layer on inputs, or None where
    the judge does not recompute that layer; budget: what the forward pass
    has left (a new one where none is given)."""
    budget = budget or Budget()
    kinds = layer['kinds']
    if 'Model' in kinds and isinstance(layer.get('model'), dict):
        return forward(layer['model'], inputs, arrays, where, budget)
    if not any(name in kinds for name in RECOMPUTED):
        return None
    if len(inputs) != 1:
        raise Unverified('{}: called on {} inputs'.format(where,
                                                          len(inputs)))
    x = inputs[0]
    if 'Dense' in kinds:
        config = layer['config']
        units = count(config.get('units'), where, 'units')
        use_bias = flag(config.get('use_bias', True), where, 'use_bias')
        if x.ndim < 2:
            raise Unverified('{}: inputs of shape {}'.format(where, x.shape))
        guard((x.shape[-1], units), where)
        guard(x.shape[:-1] + (units,), where)
        budget.spend(where, work=x.size * units)
        found = weights(layer, arrays, [(x.shape[-1], units)] + (
            [(units,)] if use_bias else []), where)
        out = x @ found[0] + (found[1] if use_bias else 0.)
        return [activate(layer, out, where)]
    # before Conv2D: Keras 2's Conv2DTranspose derives from Conv2D
    if 'Conv2DTranspose' in kinds:
        return [conv_transpose(layer, x, arrays, where, budget)]
    if 'Conv2D' in kinds:
        return [conv2d(layer, x, arrays, where, budget)]
    if 'MaxPooling2D' in kinds:
        return [max_pool(layer, x, where, budget)]
    if 'UpSampling2D' in kinds:
        return [up_sample(layer, x, where)]
    if 'Cropping2D' in kinds:
        return [crop(layer, x, where)]
    if 'ZeroPadding2D' in kinds:
        return [zero_pad(layer, x, where)]
    if 'BatchNormalization' in kinds:
        return [batch_norm(layer, x, arrays, where)]
    if 'ReLU' in kinds or 'LeakyReLU' in kinds:
        return [relu_layer(layer, x, where)]
    if 'Activation' in kinds:
        return [activate(layer, x, where)]
    if 'Flatten' in kinds:
        return [x.reshape(len(x), -1)]
    if 'Reshape' in kinds:
        return [reshape(layer, x, where)]
    return [x]  # Dropout and input layers: the identity at inference


def forward(model, inputs, arrays, name='the model', budget=None):
    """Returns the model's outputs on inputs (a list of arrays) as the
    judge computes them from its description: a list, None for an output
    that comes from a layer the judge does not recompute. A description
    the judge does not read, or one beyond its limits (what one pass may
    compute: budget, a new one where none is given), raises Unverified."""
    if budget is None:
        malformed(model, name)
        with LOCK:
            return forward(model, inputs, arrays, name, Budget())
    nodes = model.get('nodes')
    if model.get('untraced') or not isinstance(nodes, list):
        raise Unverified('{}: its layers\' connections could not be read '
                         '({})'.format(name, text(model.get('untraced')) or
                                       'none reported'))
    values = []

    def resolve(reference, before):
        """Returns the value a reference names (None: not recomputed)."""
        if not isinstance(reference, list) or not reference:
            raise Unverified('{}: a malformed reference'.format(name))
        if reference[0] == 'input' and len(reference) == 2 and \
                type(reference[1]) is int and \
                0 <= reference[1] < len(inputs):
            return inputs[reference[1]]
        if reference[0] == 'node' and len(reference) == 3 and all(
                type(v) is int for v in reference[1:]) and \
                0 <= reference[1] < before:
            found = values[reference[1]]
            if found is None:
                return None
            if 0 <= reference[2] < len(found):
                return found[reference[2]]
        raise Unverified('{}: a reference to nothing before it'.format(
            name))
    for number, node in enumerate(nodes):
        layer = model['layers'][node['layer']]
        where = spec.where(name, node['layer'] + 1, layer)
        budget.spend(where, calls=1)
        given = [resolve(r, number) for r in node.get('inputs', [])]
        if not given or any(v is None for v in given):
            values.append(None)
            continue
        found = run_layer(layer, given, arrays, where, budget)
        if found is None and spec.passes_through(model, number,
                                                 len(given)):
            found = list(given)
        if found is not None:
            budget.spend(where, numbers=sum(int(np.size(value))
                                            for value in found))
        values.append(found)
    return [resolve(r, len(nodes)) for r in model.get('outputs_from', [])]


# the layers each task's specification names, and what to use in place of
# the others learners reach for
NAMED = {'0-vanilla': 'Dense', '1-sparse': 'Dense',
         '2-convolutional': 'Conv2D, MaxPooling2D and UpSampling2D',
         '3-variational': 'Dense, and a layer that samples z'}
INSTEAD = {'Conv2DTranspose': 'the specification\'s decoder enlarges with '
                              'UpSampling2D((2, 2)) after each Conv2D: use '
                              'those in place of Conv2DTranspose',
           'Lambda': 'a Lambda belongs to the variational task\'s sampling '
                     'alone; here the layers are the specification\'s '
                     'own'}


class Unnamed(Misbuilt):
    """A model holds a layer the judge does not recompute (and the
    specification does not name): the structure check names it, with
    every other difference, from the models' descriptions alone."""


def beyond(task, model, name):
    """Raises Unnamed naming the first layer of model the judge does not
    recompute, with what to use instead."""
    where, layer = first_beyond(model, name)
    raise Unnamed(
        '{}: a layer the specification does not name, which the grader '
        'does not recompute'.format(where or 'the {}'.format(name)),
        INSTEAD.get(layer.get('class'), 'build the models from the layers '
                    'the specification names: {}'.format(NAMED[task])))


def first_beyond(model, name):
    """Returns how the first layer the judge does not recompute is named
    ('encoder layer 3 (Lambda at 3-variational.py:20)') and its
    description, or ('', {})."""
    for index, layer in enumerate(model.get('layers', []), 1):
        if 'Model' in layer['kinds'] and isinstance(layer.get('model'),
                                                    dict):
            found = first_beyond(layer['model'], name)
        else:
            found = ('', {}) if any(k in layer['kinds'] for k in RECOMPUTED) \
                else (spec.where(name, index, layer), layer)
        if found[0]:
            return found
    return '', {}


def not_recomputed(model, name):
    """Returns how the first layer the judge does not recompute is named,
    or ''."""
    return first_beyond(model, name)[0]


def close(mine, theirs):
    """Whether the runner's output is the judge's, within float32's
    reach."""
    theirs = np.asarray(theirs)
    return mine.shape == theirs.shape and np.all(np.isfinite(theirs)) and \
        bool(np.all(np.abs(mine - theirs) <= ATOL + RTOL * np.abs(mine)))


def weight_names(model):
    """Returns the names of every weight of a description, nested models'
    included, with the layer each belongs to and how it is named."""
    found = []
    for index, layer in enumerate(model.get('layers', []), 1):
        if isinstance(layer.get('model'), dict):
            found += weight_names(layer['model'])
        for number, name in enumerate(layer.get('weights', [])):
            found.append((name, layer, index, number))
    return found


def text(value):
    """Returns a text the runner sent as the grader may print it: at most
    LONGEST characters, nothing that draws on a terminal (protocol.safe:
    the reader made every text of a frame so already; a frame made another
    way is made so here); '' for anything but a string."""
    return protocol.safe(value, LONGEST) if isinstance(value, str) else ''


def checked(function, *arguments):
    """Returns function(*arguments); a report so malformed that reading it
    raised anything but Unverified raises Unverified, saying so."""
    try:
        return function(*arguments)
    except Unverified:
        raise
    except Exception as error:
        raise Unverified('the runner\'s report is malformed ({}: {})'.format(
            type(error).__name__, str(error)[:200])) from None
