"""The judge: decides every engine check's verdict from what a runner
reported (checker.runner, in its sandbox), without ever running the
learner's code.

It draws the challenge (the images and codes the runner must run the models
on) once the runner has started, from a generator the runner never sees. It
then believes nothing it can check itself:

- `builds` passes only when the models' descriptions, with their weights,
  give the outputs the runner reported on the challenge: the judge
  recomputes them in numpy (Dense, Conv2D, MaxPooling2D, UpSampling2D and
  the layers around them). Only the VAE's z, a random draw, comes from a
  layer it does not recompute (the sampling layer), and only where the
  mean and the log variance beside it are recomputed exactly. A runner that
  lies must fake a working model, which is the task itself.
- `structure` is the judge's own reading of the verified descriptions (the
  specification's sentences, checker.spec), and for tasks 0 to 2 auto(x)
  against the judge's decoder(encoder(x)).
- `main_output` is the judge's reading of the lines the main printed, and
  `seeded_value` a note where they hold a NaN or an infinity.
- `compiled`, `vae_outputs` and `variants` are the runner's findings, but
  a pass must also meet the judge's own numbers: auto's loss on the
  challenge is the binary cross-entropy of the outputs the judge computed
  (with task 1's penalty on the code); the VAE's z, drawn 128 times for 4
  of the challenge's images, is the mean plus exp(log_var / 2) times a
  standard normal draw; each variant's description keeps the
  specification's sentences, and a variant of sizes the judge drew is
  among them.
- The other checks (quiet, regularizer, vae_loss, trains) are the
  runner's findings, taken only once the models are verified, and in the
  order and dependencies the judge applies.
A check the runner never reported fails with what happened to it (a time
limit, a crash, the sandbox), and the checks after it are skipped.

Nothing a report holds can crash the judge, flood it or make it hang:
every description is checked whole before it is used (malformed(): its
form, its sizes, references only to calls before them, so no cycle, a
bounded nesting), every number of a layer's configuration before it is used
(count(), pair(), real(): strides, pool sizes, kernel sizes, units, axes,
epsilon, activations, each failure naming the layer), every array against
the shape the challenge and the description give before it is converted
(weights(), weighed(), reported()); one forward pass computes at most
LARGEST_VALUE numbers in one value, FORWARD_LIMIT in all, WORK_LIMIT
multiply-adds and CALLS_LIMIT calls of layers, by plain slicing (no
as_strided); one verification runs at a time in the process (LOCK). What
goes beyond is an Unverified that says so, never an exception of another
kind.
"""
import functools
import math
import threading

import numpy as np

from aelib import datasets
from checker import protocol, spec, static, tasks

# how many images and codes the challenge holds for each task
CHALLENGE_SIZE = 8
# how far the runner's outputs may be from the judge's (float32 engines
# against float64 numpy)
RTOL, ATOL = 1e-3, 1e-4
VERDICTS = ('pass', 'fail', 'note', 'skip')
LONGEST = 2000
# the layers the judge recomputes
RECOMPUTED = ('Dense', 'Conv2D', 'MaxPooling2D', 'UpSampling2D',
              'Activation', 'ReLU', 'LeakyReLU', 'Flatten', 'Reshape',
              'Dropout', 'BatchNormalization', 'InputLayer')


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
    if type(value) is not bool:
        raise Unverified('{}: {} {}, where the grader reads true or '
                         'false'.format(where, what, shown(value)))
    return value


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


def latent_shape(task):
    """Returns the shape of one code of the main's models."""
    latent = tasks.MAIN_ARGS[task][2]
    return tuple(latent) if isinstance(latent, (tuple, list)) else (latent,)


def input_shape(task):
    """Returns the shape of one image of the main's models."""
    given = tasks.MAIN_ARGS[task][0]
    return tuple(given) if isinstance(given, (tuple, list)) else (given,)


def challenge(rng=None):
    """Returns {name: array}: for each task, images in [0, 1] ('x:TASK')
    and codes ('z:TASK', positive where the task's codes are relu
    outputs), drawn from rng (a fresh one from the system's entropy)."""
    rng = rng or np.random.default_rng()
    drawn = {}
    for task in tasks.TASKS:
        drawn['x:' + task] = rng.random(
            (CHALLENGE_SIZE,) + input_shape(task), dtype=np.float32)
        z = rng.standard_normal((CHALLENGE_SIZE,) + latent_shape(task),
                                dtype=np.float32)
        drawn['z:' + task] = z if task == '3-variational' else np.abs(z)
        drawn['seeds:' + task] = rng.integers(0, 2 ** 62, 2,
                                              dtype=np.int64)
        if task != '2-convolutional':
            # a variant of the runner's 'variants' check, of sizes drawn
            # now: input_dims, hidden layers narrowing, latent_dims
            hidden = sorted(rng.integers(8, 257, rng.integers(1, 4)),
                            reverse=True)
            latent = rng.integers(2, 9 if task == '3-variational' else 33)
            drawn['variant:' + task] = np.array(
                [rng.integers(16, 785)] + hidden + [latent], dtype=np.int64)
    return drawn


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


def conv2d(layer, x, arrays, where, budget):
    """Keras's Conv2D, channels last."""
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
    if not isinstance(target, list) or len(target) > MOST_DIMENSIONS or \
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
    if 'Conv2D' in kinds:
        return [conv2d(layer, x, arrays, where, budget)]
    if 'MaxPooling2D' in kinds:
        return [max_pool(layer, x, where, budget)]
    if 'UpSampling2D' in kinds:
        return [up_sample(layer, x, where)]
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


def beyond(task, model, name):
    """Raises Misbuilt naming the first layer of model the judge does not
    recompute, with what to use instead."""
    where, layer = first_beyond(model, name)
    raise Misbuilt(
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


def reported(frame, name, allows=None):
    """Returns the runner's outputs of a model called name, in order, as
    float32 (the engines' own precision), each checked before any
    conversion: an array of numbers of a shape allows(number, shape)
    allows (by default, of at most LARGEST_VALUE numbers), at most
    MOST_OUTPUTS of them, of at most FORWARD_LIMIT numbers in all."""
    found, number, total = [], 0, 0
    while '{}:{}'.format(name, number) in frame:
        array = frame['{}:{}'.format(name, number)]
        if not isinstance(array, np.ndarray) or array.dtype.kind not in \
                NUMBERS:
            raise Unverified('{}: its outputs are not numbers'.format(name))
        if number >= MOST_OUTPUTS or not (allows or fits())(number,
                                                            array.shape):
            raise Unverified('{}: its output {} on the grader\'s inputs has '
                             'shape {}, not one its layers give'.format(
                                 name, number, array.shape))
        total += array.size
        if total > FORWARD_LIMIT:
            raise Unverified('{}: outputs of more than {} numbers in all, '
                             'beyond what the grader reads'.format(
                                 name, FORWARD_LIMIT))
        found.append(array.astype(np.float32, copy=False))
        number += 1
    return found


def fits(found=(), largest=LARGEST_VALUE, rows=None, like=False):
    """Returns what reported() allows an output: where the judge computed
    the value itself (found[number]), its shape, or with like, its shape
    but for the number of rows; else at most largest numbers (in rows
    rows, where given)."""
    def allows(number, shape):
        """Whether an output number of shape is allowed."""
        if number < len(found) and found[number] is not None:
            if not like:
                return shape == found[number].shape
            return len(shape) == found[number].ndim and shape[1:] == \
                found[number].shape[1:] and 1 <= shape[0] <= MOST_DRAWS
        return len(shape) >= 1 and (rows is None or shape[0] == rows) and \
            math.prod(shape) <= largest
    return allows


def weighed(models, arrays):
    """Checks, before any is converted, that every weight the models'
    descriptions name is an array of numbers the report holds, and that
    all together they are within WEIGHTS_LIMIT."""
    total = 0
    for name, model in models:
        for weight, layer, index, number in weight_names(model):
            array = arrays.get(weight)
            if not isinstance(array, np.ndarray) or array.dtype.kind not in \
                    NUMBERS:
                raise Unverified('{}: its weight {} is not reported as an '
                                 'array of numbers'.format(spec.where(
                                     name, index, layer), number))
            total += array.size
    if total > WEIGHTS_LIMIT:
        raise Unverified('the models\' weights hold {} numbers, beyond what '
                         'the grader recomputes ({})'.format(total,
                                                             WEIGHTS_LIMIT))


def number_or_none(value):
    """Returns a number a report gives as a float (NaN and the infinities
    kept), or None for anything else."""
    if type(value) not in (int, float):
        return None
    try:
        return float(value)
    except OverflowError:
        return math.copysign(math.inf, value)


def verify(task, frame, drawn):
    """Checks the runner's evidence of the main's models against the
    judge's own computation (one verification at a time in this process);
    returns the facts the verdicts use: {'models': descriptions, 'roles',
    'outputs', 'chained'}; raises Unverified, saying what does not
    hold."""
    with LOCK:
        return verified(task, frame, drawn)


def verified(task, frame, drawn):
    """verify(), without the lock."""
    header = frame['header']
    if header.get('error'):
        raise Unverified('the models could not be described: {}'.format(
            text(header['error'])))
    models = [header.get(name) for name in ('encoder', 'decoder', 'auto')]
    if not all(isinstance(model, dict) and isinstance(
            model.get('layers'), list) for model in models):
        raise Unverified('no description of the models')
    names = ('encoder', 'decoder', 'auto')
    for name, model in zip(names, models):
        malformed(model, name)
    weighed(list(zip(names, models))[:2], frame)
    x = drawn['x:' + task].astype(np.float64)
    z = drawn['z:' + task].astype(np.float64)
    encoder, decoder, _ = models
    mine = forward(encoder, [x], frame, 'encoder')
    largest = max([x.size] + [value.size for value in mine
                              if value is not None])
    allowed = fits(mine, largest, CHALLENGE_SIZE)
    theirs, again = reported(frame, 'encoder', allowed), reported(
        frame, 'encoder_again', allowed)
    if len(mine) != len(theirs) or len(again) != len(theirs):
        raise Unverified('the encoder gives {} outputs, its description '
                         '{}'.format(len(theirs), len(mine)))
    unknown = [n for n, value in enumerate(mine) if value is None]
    if unknown and task == '3-variational' and len(mine) != 3:
        raise Misbuilt(
            'the encoder{} returns {} output{} where the specification\'s '
            'returns three: z, the mean and the log variance ({} is not one '
            'the grader recomputes, so it must come beside the mean and the '
            'log variance it is drawn from)'.format(
                spec.site(encoder), len(mine), 's' if len(mine) > 1 else '',
                not_recomputed(encoder, 'encoder')),
            'encoder = keras.Model(inputs, [z, mean, log_var]), and auto = '
            'keras.Model(inputs, decoder(encoder(inputs)[0]))')
    if unknown and (task != '3-variational' or len(unknown) > 1):
        beyond(task, encoder, 'encoder')
    for number, value in enumerate(mine):
        if value is not None and not (close(value, theirs[number]) and
                                      close(value, again[number])):
            raise Unverified('the encoder\'s output {} on the grader\'s '
                             'images is not what its layers and weights '
                             'give'.format(number))
        if value is None and theirs[number].shape != again[number].shape:
            raise Unverified('the encoder\'s output {} changes shape'
                             .format(number))
    decoded = forward(decoder, [z], frame, 'decoder')
    if len(decoded) != 1 or decoded[0] is None:
        beyond(task, decoder, 'decoder')
    largest = max([largest, z.size] + [value.size for value in decoded])
    given = reported(frame, 'decoder', fits(decoded, largest,
                                            CHALLENGE_SIZE))
    if len(given) != 1 or not close(decoded[0], given[0]):
        raise Unverified('the decoder\'s output on the grader\'s codes is '
                         'not what its layers and weights give')
    degenerate(encoder, frame, 'encoder')
    degenerate(decoder, frame, 'decoder')
    seeds = [int(seed) for seed in drawn['seeds:' + task]]
    check_gradients(encoder, [x], seeds[0], frame, 'encoder', mine)
    check_gradients(decoder, [z], seeds[1], frame, 'decoder', decoded)
    facts = {'models': models, 'roles': None, 'x': x, 'code': mine,
             'auto': reported(frame, 'auto', fits((), largest,
                                                  CHALLENGE_SIZE)),
             'loss': number_or_none(header.get('loss')),
             'draws': reported(frame, 'draws', fits(theirs, 0, like=True)),
             'frame': frame,
             'optimizer': header.get('optimizer'),
             'loss_function': header.get('loss_function'), 'moving': []}
    if task == '3-variational' and len(mine) == 3:
        moving = [n for n in range(3) if theirs[n].shape != again[n].shape
                  or not np.allclose(theirs[n], again[n])]
        facts['moving'] = moving
        if len(moving) == 1:
            rest = [n for n in range(3) if n != moving[0]]
            facts['roles'] = {'z': moving[0], 'mean': rest[0],
                              'log_var': rest[1]}
        else:
            facts['roles'] = dict(zip(spec.ROLES, range(3)))
        if any(mine[facts['roles'][role]] is None
               for role in ('mean', 'log_var')):
            raise Unverified('the encoder\'s mean and log variance must '
                             'come from layers the grader recomputes')
    elif len(mine) == 1 and mine[0] is not None:
        facts['chained'] = forward(decoder, [mine[0]], frame, 'decoder')[0]
    return facts


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


def degenerate(model, arrays, name):
    """Raises Unverified where a Dense or Conv2D kernel holds one value
    only (all zeros, say): a model the grader cannot tell from a made-up
    one, and one that cannot learn."""
    for weight, layer, index, number in weight_names(model):
        kernel = arrays.get(weight)
        if number == 0 and isinstance(kernel, np.ndarray) and \
                kernel.size > 1 and kernel.dtype.kind in NUMBERS and \
                any(k in layer['kinds'] for k in ('Dense', 'Conv2D')) and \
                float(np.max(kernel)) == float(np.min(kernel)):
            raise Unverified('{}: every weight of its kernel is {:g}; give '
                             'its layers Keras\'s default initializers'
                             .format(spec.where(name, index, layer),
                                     float(kernel.flat[0])))


def check_gradients(model, given, seed, frame, name, mine, epsilon=1e-6):
    """Checks the gradients the runner reported against finite differences
    of the judge's own forward pass, along a direction the judge draws
    now: for each output the judge recomputes, the derivative of its sum
    with the seed's projection; raises Unverified where one does not
    hold. The weights are weighed() first."""
    names = [weight for weight, _, _, _ in weight_names(model)]
    arrays = {weight: np.asarray(frame[weight], np.float64)
              for weight in names}
    rng = np.random.default_rng()
    direction = {weight: rng.standard_normal(arrays[weight].shape) * (
        float(np.std(arrays[weight])) + 1e-2) for weight in names}

    def moved(step):
        """The weights moved by step along the direction."""
        return dict(frame, **{weight: arrays[weight] + step *
                              direction[weight] for weight in names})
    plus = forward(model, given, moved(epsilon), name)
    minus = forward(model, given, moved(-epsilon), name)
    for number, value in enumerate(mine):
        if value is None:
            continue
        weights = protocol.projection(seed, number, value.shape).astype(
            np.float64)
        differences = float(np.sum((plus[number] - minus[number]) *
                                   weights)) / (2 * epsilon)
        terms = []
        for weight in names:
            key = 'grad:{}:{}:{}'.format(name, number, weight)
            gradient = frame.get(key)
            if not isinstance(gradient, np.ndarray) or \
                    gradient.dtype.kind not in NUMBERS or \
                    gradient.shape != arrays[weight].shape:
                raise Unverified('{}: no gradient of its output {} for '
                                 'each weight'.format(name, number))
            terms.append(float(np.sum(gradient.astype(np.float64) *
                                      direction[weight])))
        derivative = sum(terms)
        scale = sum(abs(term) for term in terms)
        # float32 engines (oneDNN on some hosts) give gradients within a
        # few tenths of a percent of float64 finite differences; a model
        # other than the reported one is off by its whole size
        if not abs(derivative - differences) <= 5e-2 * abs(differences) + \
                1e-2 * scale + 1e-9:
            raise Unverified('{}: the gradients reported are not its '
                             'layers\' ({:.6g} against {:.6g} along the '
                             'grader\'s direction)'.format(
                                 name, derivative, differences))


def structure(task, facts):
    """The judge's own structure verdict: the specification's sentences
    on the verified descriptions, and auto as decoder(encoder(x))."""
    problems = spec.merged(spec.STRUCTURE[task](
        facts['models'], *tasks.MAIN_ARGS[task][:3], roles=facts['roles']))
    if problems or task == '3-variational':
        return '; '.join(problems) or None
    chained, auto = facts.get('chained'), facts['auto']
    if chained is None or len(auto) != 1 or auto[0].shape != chained.shape:
        return 'auto(x) is not decoder(encoder(x)): auto must be the ' \
            'decoder applied to the encoder\'s output'
    if not np.allclose(auto[0], chained, atol=ATOL):
        return 'auto(x) differs from decoder(encoder(x)) by up to {:.3g}: ' \
            'auto must be the decoder applied to the encoder\'s ' \
            'output'.format(float(np.max(np.abs(auto[0] - chained))))
    return None


def seeded_value(task, lines):
    """The numbers the main printed: a note only where the learner can act
    on them, a number that is not finite. Other numbers than this
    project's are no fault (equivalent models print others when their
    weights are drawn in another order), and say nothing."""
    yours = [token for line in lines for token in line.replace(
        '[', ' ').replace(']', ' ').split()
        if token.lower().strip(',') in ('nan', '-nan', 'inf', '-inf')]
    if yours:
        return ('note', 'the main printed {} where this project\'s {}.py '
                'prints finite numbers with the same seed, data and one '
                'epoch'.format(', '.join(sorted(set(yours))), task),
                'a NaN or an infinity comes from a loss that overflows: a '
                'sigmoid output, a log variance, a scale exp(log_var / 2)')
    return None


# Keras's clipping of probabilities, in float32 as its engines do it
EPSILON = float(np.float32(1e-7))
HIGHEST = float(np.float32(1.) - np.float32(1e-7))


def bce(x, p, keras2=False):
    """The binary cross-entropy of p against x, averaged, as Keras
    computes it from probabilities: clipped to [1e-7, 1 - 1e-7], and with
    keras2, 1e-7 added inside each logarithm as Keras 2 adds it."""
    p = np.clip(p, EPSILON, HIGHEST)
    extra = EPSILON if keras2 else 0.
    return float(-np.mean(x * np.log(p + extra) + (1 - x) * np.log(
        1 - p + extra)))


def bce_forms(x, p):
    """The binary cross-entropies of p against x each Keras computes
    (Keras 2's, Keras 3's, and from a sigmoid's logits)."""
    return [value for value in (bce(x, p, keras2=True), bce(x, p),
                                bce_from_logits(x, p)) if value is not None]


def bce_from_logits(x, p):
    """The binary cross-entropy of p against x, averaged, as Keras
    computes it from the logits of a sigmoid's outputs (its graphs do);
    None where p holds a 0 or a 1, whose logits are lost."""
    if float(np.min(p)) <= 0. or float(np.max(p)) >= 1.:
        return None
    with np.errstate(all='ignore'):
        z = np.log(p) - np.log1p(-p)
    return float(np.mean(np.maximum(z, 0) - z * x + np.log1p(np.exp(
        -np.abs(z)))))


def every_layer(model):
    """Returns every layer of a description, its nested models' too."""
    found = []
    for layer in model.get('layers', []):
        found.append(layer)
        if isinstance(layer.get('model'), dict):
            found += every_layer(layer['model'])
    return found


def factors(regularizer):
    """Returns (l1, l2) of a described regularizer, 0 for a factor it does
    not have; raises Unverified for one the grader does not compute."""
    if not isinstance(regularizer, dict) or regularizer.get('class') not in (
            'L1', 'L2', 'L1L2', 'L1L2Regularizer'):
        raise Unverified('a regularizer of class {} (the grader computes '
                         'L1, L2 and L1L2)'.format(
                             text(regularizer.get('class')) if isinstance(
                                 regularizer, dict) else 'unknown'))
    found = []
    for name in ('l1', 'l2'):
        value = regularizer.get(name) or 0.
        if not isinstance(value, (int, float)) or not np.isfinite(value):
            raise Unverified('a regularizer whose factor is not a number')
        found.append(float(value))
    return found


def penalties(facts):
    """Returns (the activity regularizers' penalty on the code, summed
    over the batch; the weights' penalty) of the verified models; raises
    Unverified for an activity regularizer elsewhere than on the code."""
    encoder, decoder, _ = facts['models']
    latent = spec.producer(encoder, 0)
    activity, weighted = 0., 0.
    for layer in every_layer(encoder) + every_layer(decoder):
        found = layer.get('regularizers') or {}
        if not isinstance(found, dict):
            raise Unverified('malformed regularizers')
        for kind, regularizer in found.items():
            l1, l2 = factors(regularizer)
            if kind == 'activity':
                if layer is not latent:
                    raise Unverified(
                        'an activity regularizer on a layer whose output '
                        'is not the encoded one ({}): the grader computes '
                        'the loss with one on the encoded output '
                        'only'.format(text(layer.get('class'))))
                code = facts['code'][0]
                activity += l1 * float(np.abs(code).sum()) + \
                    l2 * float(np.square(code).sum())
            elif kind in ('kernel', 'bias'):
                names = layer.get('weights', [])
                number = 0 if kind == 'kernel' else 1
                if len(names) <= number or names[number] not in \
                        facts['frame']:
                    raise Unverified('a {} regularizer on a layer without '
                                     'that weight'.format(kind))
                weight = np.asarray(facts['frame'][names[number]],
                                    np.float64)
                weighted += l1 * float(np.abs(weight).sum()) + \
                    l2 * float(np.square(weight).sum())
            else:
                raise Unverified('a regularizer of kind {}'.format(
                    text(kind)))
    return activity, weighted


# how far the loss the runner reports may be from the judge's (float32
# engines against float64 numpy; a penalty of 1e-5 on the code moves the
# loss by about 1e-4)
LOSS_ATOL, LOSS_RTOL = 1e-5, 1e-5


def loss_problem(task, facts):
    """Returns why auto's loss on the challenge, as the runner reported
    it, is not the binary cross-entropy of the outputs the judge computed
    plus the penalties the models' regularizers give, or None."""
    chained, loss = facts.get('chained'), facts.get('loss')
    if chained is None:
        raise Unverified('auto\'s outputs could not be recomputed')
    if not isinstance(loss, (int, float)) or isinstance(loss, bool) or \
            not np.isfinite(loss):
        return 'no loss of auto on the grader\'s images was reported ' \
            '(auto.evaluate failed, or the report left it out): the ' \
            'grader checks the loss compiled against its own ' \
            'binary cross-entropy'
    x = facts['x']
    activity, weighted = penalties(facts)
    wanted = [form + weighted + activity / scale
              for form in bce_forms(x, chained) for scale in (len(x), 1)]
    if any(abs(loss - value) <= LOSS_ATOL + LOSS_RTOL * abs(value)
           for value in wanted):
        return None
    said = ' plus the penalties of its regularizers' if activity or \
        weighted else ''
    return 'auto\'s loss on the grader\'s images is {:.6f}, where the ' \
        'binary cross-entropy of its outputs{} is {:.6f}: the ' \
        'specification asks for binary cross-entropy{}'.format(
            loss, said, wanted[0], ' with the L1 penalty on the code'
            if task == '1-sparse' else '')


def close_to(value, wanted):
    """Whether a number the runner reported is one of the judge's within
    float32's reach."""
    return isinstance(value, (int, float)) and not isinstance(
        value, bool) and any(abs(value - one) <= LOSS_ATOL + LOSS_RTOL *
                             abs(one) for one in wanted)


def compiled_problem(task, facts, shaped=True):
    """The judge's compiled verdict: auto compiled (the runner's report
    names its optimizer's class) with adam, and, but for the VAE (whose
    loss vae_loss measures), a loss function that gives the judge's binary
    cross-entropy on its images and probabilities, and auto's loss on the
    challenge the judge's (where auto's shapes let it be evaluated:
    shaped, the structure check passed)."""
    optimizer = facts.get('optimizer')
    if not isinstance(optimizer, str):
        return 'auto is not compiled (no optimizer reported); the ' \
            'specification compiles it with adam and binary cross-entropy'
    if optimizer.lower() != 'adam':
        return 'auto is compiled with {}; the specification asks for ' \
            'adam'.format(text(optimizer)[:80])
    if task == '3-variational':
        return None
    x = facts['x']
    p = protocol.loss_inputs(x)
    given = facts.get('loss_function')
    if not close_to(given, bce_forms(x, p)):
        return 'auto\'s loss function gives {} on the grader\'s images ' \
            'and probabilities, where binary cross-entropy gives {:.6f}: ' \
            'the specification asks for binary cross-entropy'.format(
                '{:.6f}'.format(given) if isinstance(given, float) else
                'nothing', bce(x, p, keras2=True))
    if not shaped and facts.get('loss') is None:
        return None
    return loss_problem(task, facts)


def regularizer_outcome(task, facts):
    """The judge's regularizer verdict from the verified descriptions:
    task 1's latent layer has an L1 activity regularizer of lambtha (and
    no other layer one), whose penalty is in the loss (compiled measures
    it); any regularizer of task 0, or a weight regularizer, a note."""
    encoder, decoder, _ = facts['models']
    latent = spec.producer(encoder, 0)
    others = []
    for name, model in (('encoder', encoder), ('decoder', decoder)):
        for index, layer in enumerate(model.get('layers', []), 1):
            for kind in sorted(layer.get('regularizers') or {}):
                if task == '1-sparse' and kind == 'activity' and \
                        layer is latent:
                    continue
                others.append((kind, '{}: {} regularizer'.format(
                    spec.where(name, index, layer), text(kind))))
    if task == '1-sparse':
        lambtha = tasks.MAIN_ARGS[task][3]
        found = (latent.get('regularizers') or {}).get('activity')
        l1, l2 = factors(found) if found else (0., 0.)
        if not found or not np.isclose(l1, lambtha, rtol=1e-6) or l2:
            return 'the encoder\'s latent layer ({}{}): activity ' \
                'regularizer {}; the specification asks for L1 of ' \
                'lambtha = {:g}'.format(
                    text(latent.get('class')), spec.site(latent),
                    'none' if not found else 'l1={:g}, l2={:g}'.format(
                        l1, l2), lambtha)
        if any(kind == 'activity' for kind, _ in others):
            return '{}; only the latent layer has an activity ' \
                'regularizer'.format('; '.join(
                    said for kind, said in others if kind == 'activity'))
        problem = loss_problem(task, facts)
        if problem:
            return 'the penalty on the encoded output is not in the loss ' \
                'as the specification has it: ' + problem
    if not others:
        return None
    return ('note', '{}; the specification {} (not counted, but the loss '
            'and what the main prints change)'.format(
                '; '.join(said for _, said in others),
                'regularizes only the encoded output' if task == '1-sparse'
                else 'names no regularizer for the vanilla autoencoder'),
            'remove the regularizer')


def vae_outputs_problem(facts):
    """The judge's vae_outputs verdict: of the encoder's three outputs,
    exactly one changes between two calls on the same images (z), in the
    specification's order, and z drawn many times is the mean plus
    exp(log_var / 2) times a standard normal draw."""
    moving, roles = facts.get('moving'), facts.get('roles')
    if not roles:
        return 'the encoder does not return z, the mean and the log ' \
            'variance'
    if len(moving) != 1:
        return 'encoder outputs that change between two calls on the ' \
            'same images: {}; exactly one should, z, a new sample each ' \
            'call'.format(moving or 'none')
    if roles != dict(zip(spec.ROLES, range(3))):
        return 'the encoder returns [{}]; the specification\'s order is ' \
            '[z, mean, log_var]'.format(', '.join(sorted(roles,
                                                         key=roles.get)))
    draws = facts.get('draws')
    if len(draws or []) != 3:
        return 'no draws of z were reported: the grader measures the ' \
            'sampling itself'
    return sampling_veto(facts)


def vae_expected_loss(facts):
    """Returns the VAE's loss on the challenge as the judge computes it,
    with the runner's changes for the measure: the mean's and the log
    variance's biases moved by 3 and 2, and the decoder's first kernel
    zeroed (it then decodes every z alike): the cross-entropy summed over
    the pixels plus the KL divergence, averaged over the images."""
    encoder, decoder, _ = facts['models']
    roles, frame = facts['roles'], facts['frame']
    arrays = dict(frame)
    for role, by in (('mean', 3.), ('log_var', 2.)):
        layer = spec.producer(encoder, roles[role])
        names = layer.get('weights', [])
        if 'Dense' in layer.get('kinds', []) and len(names) == 2 and \
                names[1] in frame:
            # (one layer for both is moved by both, as the runner moves it)
            arrays[names[1]] = np.asarray(arrays[names[1]], np.float64) + by
    first = [layer for layer in decoder.get('layers', [])
             if len(layer.get('weights', [])) == 2]
    if not first or first[0]['weights'][0] not in frame:
        raise Unverified('the decoder has no layer of a kernel and a bias')
    name = first[0]['weights'][0]
    arrays[name] = np.zeros_like(np.asarray(frame[name], np.float64))
    x = facts['x']
    found = forward(encoder, [x], arrays, 'encoder')
    mean, log_var = found[roles['mean']], found[roles['log_var']]
    if mean is None or log_var is None:
        raise Unverified('the mean and the log variance are not recomputed')
    decoded = forward(decoder, [np.zeros_like(mean)], arrays, 'decoder')
    if len(decoded) != 1 or decoded[0] is None:
        raise Unverified('the decoder is not recomputed')
    p = np.clip(decoded[0].reshape(len(x), -1), 1e-7, 1 - 1e-7)
    flat = x.reshape(len(x), -1)
    reconstruction = -np.sum(flat * np.log(p) + (1 - flat) * np.log(1 - p),
                             axis=1)
    with np.errstate(all='ignore'):
        kl = -0.5 * np.sum(1 + log_var - mean ** 2 - np.exp(log_var),
                           axis=-1)
    return float(np.mean(reconstruction + kl))


def vae_loss_problem(facts, evidence):
    """The judge's vae_loss verdict: the loss the runner reports for the
    challenge (with the changes vae_expected_loss names) is the
    cross-entropy summed over the pixels plus the KL term, as the judge
    computes it, within 0.1%."""
    loss = evidence.get('loss') if evidence else None
    if not isinstance(loss, (int, float)) or isinstance(loss, bool) or \
            not np.isfinite(loss):
        return 'no loss of the VAE on the grader\'s images was reported: ' \
            'the grader measures the loss trained against its own'
    expected = vae_expected_loss(facts)
    if np.isclose(loss, expected, rtol=1e-3):
        return None
    return 'the loss trained is {:.3f} on the grader\'s images where the ' \
        'cross-entropy summed over the pixels plus the KL term gives ' \
        '{:.3f}'.format(loss, expected)


@functools.lru_cache(maxsize=1)
def held_out():
    """Returns MNIST test images the runner's fit never sees, in [0, 1]
    (the judge's own copy, from the verified cache)."""
    _, (x, _) = datasets.load('mnist')
    return x[:HELD_OUT].astype(np.float64) / 255.


HELD_OUT = 64


def same_layers(mine, theirs):
    """Whether two descriptions have the same layers (classes,
    configurations, weights' count) and connections."""
    if not isinstance(theirs, dict) or len(theirs.get('layers', [])) != \
            len(mine.get('layers', [])):
        return False
    for a, b in zip(mine['layers'], theirs['layers']):
        if not isinstance(b, dict) or a.get('class') != b.get('class') or \
                a.get('config') != b.get('config') or \
                len(a.get('weights', [])) != len(b.get('weights', [])) or \
                not same_layers(a.get('model') or {'layers': []},
                                b.get('model') or {'layers': []}):
            return False
    return mine.get('nodes') == theirs.get('nodes') and \
        mine.get('outputs_from') == theirs.get('outputs_from')


def held_out_loss(task, facts, models, arrays):
    """Returns the judge's loss of the models (descriptions and weights)
    on the held-out images: the binary cross-entropy of decoder(code),
    and for the VAE (decoding the mean) the cross-entropy summed over the
    pixels plus the KL term."""
    encoder, decoder = models
    x = held_out()
    x = x.reshape((-1, 28, 28, 1)) if task == '2-convolutional' else \
        x.reshape((-1, 784))
    found = forward(encoder, [x], arrays, 'encoder')
    if task == '3-variational' and facts['roles']:
        roles = facts['roles']
        mean, log_var = found[roles['mean']], found[roles['log_var']]
        decoded = forward(decoder, [mean], arrays, 'decoder')[0]
        p = np.clip(decoded.reshape(len(x), -1), 1e-7, 1 - 1e-7)
        flat = x.reshape(len(x), -1)
        with np.errstate(all='ignore'):
            return float(np.mean(-np.sum(flat * np.log(p) + (1 - flat) *
                                         np.log(1 - p), axis=1) - 0.5 *
                                 np.sum(1 + log_var - mean ** 2 -
                                        np.exp(log_var), axis=-1)))
    if found[0] is None:
        raise Unverified('the trained models are not recomputed')
    decoded = forward(decoder, [found[0]], arrays, 'decoder')[0]
    if decoded is None:
        raise Unverified('the trained models are not recomputed')
    return bce(x, decoded)


def trains_problem(task, facts, evidence):
    """The judge's trains verdict: the models fitted for 3 epochs on 512
    MNIST images are the verified ones (the same layers, the same weights
    before the fit), and the judge's own loss on test images the fit never
    saw falls."""
    if not evidence:
        return 'no weights after the fit were reported: the grader ' \
            'measures the loss of the trained models itself'
    header = evidence['header']
    names = ('encoder', 'decoder')
    before, after = header.get('before'), header.get('after')
    if not isinstance(before, dict) or not isinstance(after, dict) or \
            not all(same_layers(mine, given.get(name)) for mine, name in
                    zip(facts['models'][:2], names)
                    for given in (before, after)):
        return 'the models fitted are not the models checked: the ' \
            'grader could not set them beside each other'
    for mine, name in zip(facts['models'][:2], names):
        for checked_weight, fitted in zip(
                [w for w, _, _, _ in weight_names(mine)],
                [w for w, _, _, _ in weight_names(before[name])]):
            given, first = facts['frame'].get(checked_weight), \
                evidence.get(fitted)
            if given is None or first is None or \
                    given.shape != first.shape or not np.allclose(
                        given, first, atol=1e-6):
                return 'the models fitted did not start from the ' \
                    'weights checked (autoencoder() seeded with 0 ' \
                    'builds the same models twice)'
    losses = [held_out_loss(task, facts, [given[name] for name in names],
                            evidence) for given in (before, after)]
    if not all(np.isfinite(losses)):
        return 'after 3 epochs on 512 images the loss on {} test images ' \
            'is {}: not finite'.format(HELD_OUT, losses[1])
    if not losses[1] < losses[0]:
        return 'the loss on {} test images the fit never saw did not ' \
            'fall in 3 epochs on 512 images: {:.4f}, then {:.4f}'.format(
                HELD_OUT, *losses)
    return None


def main_lines(printed):
    """Returns the lines the main printed on stdout, Keras's progress
    lines left out."""
    return [line.rstrip() for line in printed.splitlines()
            if line.strip() and not spec.KERAS_LINE.search(line)][:200]


def first_printed(printed):
    """Returns the first line printed, as a message quotes it."""
    return repr(printed.strip().splitlines()[0][:80])


def sampling_veto(facts):
    """Returns why the VAE's z, drawn many times for a few of the
    challenge's images, is not the mean plus exp(log_var / 2) times a
    standard normal draw, or None."""
    roles, draws = facts.get('roles'), facts.get('draws')
    if not roles or len(draws or []) != 3:
        return None
    z, mean, log_var = (draws[roles[role]] for role in spec.ROLES)
    if not z.shape == mean.shape == log_var.shape:
        return 'z, the mean and the log variance differ in shape'
    with np.errstate(all='ignore'):
        scaled = (z - mean) / np.exp(log_var / 2)
    centre, spread = float(np.mean(scaled)), float(np.std(scaled))
    if np.isfinite(centre) and abs(centre) < 0.2 and 0.8 < spread < 1.2:
        return None
    return 'z drawn {} times for each of {} of the grader\'s images: (z - ' \
        'mean) / exp(log_var / 2) has mean {:.2f} and standard deviation ' \
        '{:.2f}; z = mean + exp(log_var / 2) * epsilon, epsilon from N(0, ' \
        '1)'.format(len(z) // 4, 4, centre, spread)


def variants_veto(task, frames, drawn):
    """Returns why the variants the runner reported do not keep the
    specification's sentences, as the judge reads their descriptions
    (the variant of sizes the judge drew among them), or None."""
    reported_arguments = []
    for frame in frames:
        header = frame['header']
        if header.get('kind') != 'variant':
            continue
        arguments, models = header.get('arguments'), header.get('models')
        if not isinstance(arguments, list) or len(arguments) != 3 or \
                not isinstance(models, list) or len(models) != 3:
            return 'a variant\'s report is malformed'
        reported_arguments.append(arguments)
        try:
            problems = checked(lambda: spec.merged(spec.STRUCTURE[task](
                models, *arguments, roles=header.get('roles'))))
        except Unverified as error:
            return str(error)
        if problems:
            return 'autoencoder({}): {}'.format(', '.join(
                str(a) for a in arguments), '; '.join(problems))
    sizes = drawn.get('variant:' + task) if drawn else None
    if sizes is not None:
        wanted = [int(sizes[0]), [int(s) for s in sizes[1:-1]],
                  int(sizes[-1])]
        if wanted not in reported_arguments:
            return 'no report of autoencoder({}, {}, {}), the sizes the ' \
                'grader drew'.format(*wanted)
    return None


def text(value):
    """Returns a text the runner sent as the grader may print it: at most
    LONGEST characters, nothing that draws on a terminal (protocol.safe:
    the reader made every text of a frame so already; a frame made another
    way is made so here); '' for anything but a string."""
    return protocol.safe(value, LONGEST) if isinstance(value, str) else ''


def claims(task, frames):
    """Returns {check: result} of the runner's well-formed claims (the
    first one of each check), the models' frame and the printed lines."""
    found, models, lines = {}, None, None
    for frame in frames:
        header = frame['header']
        kind = header.get('kind')
        if kind == 'check' and header.get('check') in \
                tasks.engine_checks(task) and header.get('verdict') in \
                VERDICTS and header['check'] not in found:
            found[header['check']] = static.result(
                header['check'], header['verdict'],
                text(header.get('message')), text(header.get('hint')))
        elif kind == 'models' and models is None:
            models = frame
        elif kind == 'lines' and lines is None and isinstance(
                header.get('lines'), list) and all(
                    isinstance(line, str) for line in header['lines']):
            lines = [text(line) for line in header['lines'][:200]]
    return found, models, lines


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


def outcome_result(check, outcome):
    """Returns a result from a check function's outcome (None: pass; a
    string: fail; (verdict, message, hint))."""
    if outcome is None:
        return static.result(check, 'pass')
    if isinstance(outcome, str):
        return static.result(check, 'fail', outcome)
    return static.result(check, *outcome)


def evidence_of(frames, kind):
    """Returns the first frame of kind the runner's checks process sent,
    or None."""
    for frame in frames:
        if frame['header'].get('kind') == kind:
            return frame
    return None


def observed(read):
    """Returns what the judge itself read of a job's processes: {phase:
    what it printed}, {phase: its exit status}, and the frames."""
    read = read if isinstance(read, dict) else {}
    printed = read.get('printed') or {}
    return ({phase: printed.get(phase, '') for phase in PHASES},
            read.get('ended') or {}, read.get('frames') or [])


PHASES = ('import', 'checks', 'main')


def import_outcome(found, printed, ended, frames, problem):
    """The judge's imports_cleanly verdict: the import process ended well
    having imported the file, and printed nothing."""
    claim = found.get('imports_cleanly')
    if claim and claim['verdict'] == 'fail':
        return claim
    status = ended.get('import')
    if status is None:
        return static.result('imports_cleanly', 'fail', problem or
                             'the import did not end')
    if status != 0 or evidence_of(frames, 'imported') is None:
        return static.result(
            'imports_cleanly', 'fail', 'importing the file ended the '
            'process (status {}) before the import finished: something in '
            'the file ends it (os._exit, sys.exit, a signal)'.format(status))
    if printed['import'].strip():
        return static.result(
            'imports_cleanly', 'fail', 'prints while importing: {}; '
            'importing a task file must print nothing'.format(
                first_printed(printed['import'])))
    return static.result('imports_cleanly', 'pass')


def quiet_outcome(task, printed):
    """The judge's quiet verdict: what the checks process printed on
    stdout, beyond what the import printed, is nothing, and the main
    printed no more lines than the specification's main prints (a file
    that prints only where the main does not run still prints)."""
    building = printed['checks']
    if building.startswith(printed['import']):
        building = building[len(printed['import']):]
    if building.strip():
        return 'prints while building: {}; autoencoder() must print ' \
            'nothing (the checker compares what the main prints)'.format(
                first_printed(building))
    lines = main_lines(printed['main'])
    if len(lines) > spec.MAIN_LINES[task]:
        return 'the main printed {} lines where the specification\'s ' \
            'main prints {}: what the file prints shows there; ' \
            'autoencoder() must print nothing'.format(
                len(lines), spec.MAIN_LINES[task])
    return None


def main_outcome(task, found, printed, ended, problem):
    """The judge's main_output verdict: the main ended well, and what it
    printed on stdout (read by the judge) is what the specification's
    main prints."""
    claim = found.get('main_output')
    if claim and claim['verdict'] == 'fail':
        return claim
    status = ended.get('main')
    if status is None:
        return static.result('main_output', 'fail', problem or
                             'the main did not end')
    if status != 0:
        return static.result('main_output', 'fail', 'the main ended with '
                             'status {}'.format(status))
    return outcome_result('main_output', spec.main_format(
        task, main_lines(printed['main'])))


# the checks the judge decides from its own measures once the models are
# verified (the runner's failure, where it reports one, names the cause)
MEASURED = {
    'compiled': lambda task, facts, frames, decided: compiled_problem(
        task, facts, decided['structure']['verdict'] == 'pass'),
    'regularizer': lambda task, facts, frames, decided: regularizer_outcome(
        task, facts),
    'vae_outputs': lambda task, facts, frames, decided: vae_outputs_problem(
        facts),
    'vae_loss': lambda task, facts, frames, decided: vae_loss_problem(
        facts, (evidence_of(frames, 'vae_loss') or {}).get('header')),
    'variants': lambda task, facts, frames, decided: None,
    'trains': lambda task, facts, frames, decided: trains_problem(
        task, facts, evidence_of(frames, 'trained')),
}


def measured(task, check, claim, facts, frames, drawn, decided):
    """Returns the result of a check the judge measures: a failure the
    runner reports stands (it names the cause); a pass or a note needs
    the judge's own measure to hold."""
    if claim['verdict'] in ('fail', 'skip'):
        return claim
    try:
        outcome = checked(MEASURED[check], task, facts, frames, decided)
        if outcome is None and check == 'variants':
            outcome = checked(variants_veto, task, frames, drawn)
    except Unverified as error:
        outcome = 'the grader could not check it: {}'.format(error)
    if outcome is None:
        return claim
    if isinstance(outcome, tuple) and outcome[0] == 'note':
        return static.result(check, *outcome)
    return outcome_result(check, outcome)


def same_errors(decided):
    """Says, of a failure whose error is one an earlier check failed
    with (the main's crash, which its own process reports), that it is
    the same error."""
    seen = {}
    for check, result in decided.items():
        message = result['message']
        if result['verdict'] != 'fail' or not message.startswith('raised'):
            continue
        error = message.split(' (at ')[0]
        if error in seen and 'same error as' not in message:
            decided[check] = dict(result, message=message + ' (the same '
                                  'error as {} above)'.format(seen[error]),
                                  hint='')
        seen.setdefault(error, check)


def verdicts(task, read, drawn, problem=None):
    """Returns task's engine checks in order, each decided by the judge:
    read is what the judge read of the job's processes (their frames,
    what each printed, how each ended: checker.cli.run_jobs), drawn the
    challenge, problem what happened to the runner if it stopped during
    the job."""
    printed, ended, frames = observed(read)
    found, models, _ = claims(task, frames)
    decided, missing = {}, None
    facts = None
    for check in tasks.engine_checks(task):
        needed = tasks.NEEDS.get(check, 'builds')
        if missing is not None:
            decided[check] = static.result(check, 'skip', 'skipped: waits '
                                           'on {}, which failed'.format(
                                               missing))
            continue
        if needed and decided[needed]['verdict'] not in ('pass', 'note'):
            decided[check] = static.result(
                check, 'skip', 'skipped: waits on {}, which {}'.format(
                    needed, 'failed' if decided[needed]['verdict'] == 'fail'
                    else 'was skipped'))
            continue
        if check == 'imports_cleanly':
            decided[check] = import_outcome(found, printed, ended, frames,
                                            problem)
        elif check == 'seeded_value':
            decided[check] = outcome_result(check, seeded_value(
                task, main_lines(printed['main'])))
        elif check == 'main_output':
            decided[check] = main_outcome(task, found, printed, ended,
                                          problem)
        elif check == 'quiet':
            decided[check] = outcome_result(
                check, quiet_outcome(task, printed))
        elif check not in found:
            missing = check
            decided[check] = static.result(check, 'fail', problem or
                                           'the check did not report')
        elif check == 'builds' and found[check]['verdict'] == 'pass':
            try:
                if models is None:
                    raise Unverified('the runner sent no evidence of its '
                                     'models')
                facts = checked(verify, task, models, drawn)
                decided[check] = found[check]
            except Misbuilt as error:
                decided[check] = static.result(check, 'fail', str(error),
                                               error.hint)
            except Unverified as error:
                decided[check] = static.result(
                    check, 'fail', 'the models could not be checked: {}'
                    .format(error), 'the grader recomputes the models\' '
                    'outputs from their layers and weights; build them '
                    'from the layers the specification names')
        elif check == 'builds':
            decided[check] = found[check]
        elif check == 'structure':
            try:
                outcome = checked(structure, task, facts)
            except Unverified as error:
                outcome = str(error)
            decided[check] = outcome_result(check, outcome)
        elif check in MEASURED:
            decided[check] = measured(task, check, found[check], facts,
                                      frames, drawn, decided)
        else:
            decided[check] = static.result(
                check, 'fail', 'the grader has no measure of its own for '
                'this check')
    same_errors(decided)
    # failures that follow from one above say so
    for cause, checks, why in (('structure', ('trains', 'main_output'), ''),
                               ('vae_outputs', ('trains',), ''),
                               ('quiet', ('main_output',), ': what '
                                'autoencoder() prints comes first')):
        if decided.get(cause, {}).get('verdict') == 'fail':
            for check in checks:
                if decided.get(check, {}).get('verdict') == 'fail':
                    decided[check] = dict(decided[check], message=decided[
                        check]['message'] + ' (this follows from the {} '
                        'failure above{})'.format(cause, why))
    return [decided[check] for check in tasks.engine_checks(task)]
