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
"""
import numpy as np

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


# the most numbers one value of the judge's forward pass may hold (a
# report describing far larger layers is refused, not computed)
LARGEST_VALUE = 1 << 24


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
    if int(np.prod([max(int(size), 0) for size in shape])) > LARGEST_VALUE:
        raise Unverified('{}: an output of shape {}, beyond what the grader '
                         'recomputes'.format(where, tuple(shape)))


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
    if name not in ACTIVATIONS:
        raise Unverified('{}: activation {!r} is not one the grader '
                         'recomputes'.format(where, name))
    return ACTIVATIONS[name](value)


def weights(layer, arrays, count, where):
    """Returns the layer's weights, count of them, as float64."""
    names = layer.get('weights', [])
    if len(names) != count or not all(
            isinstance(name, str) and name in arrays for name in names):
        raise Unverified('{}: {} weights reported, {} expected'.format(
            where, len(names), count))
    return [np.asarray(arrays[name], dtype=np.float64) for name in names]


def pad_same(x, kernel, stride):
    """Pads images (n, h, w, c) as Keras's 'same' padding does."""
    pads = []
    for size, k, s in zip(x.shape[1:3], kernel, stride):
        out = -(-size // s)
        total = max((out - 1) * s + k - size, 0)
        pads.append((total // 2, total - total // 2))
    return np.pad(x, [(0, 0)] + pads + [(0, 0)]), pads


def windows(x, kernel, stride):
    """Returns the kernel-sized windows of images (n, h, w, c) at stride:
    (n, out_h, out_w, kh, kw, c)."""
    n, h, w, c = x.shape
    out_h, out_w = (h - kernel[0]) // stride[0] + 1, \
        (w - kernel[1]) // stride[1] + 1
    if out_h < 1 or out_w < 1:
        raise Unverified('a window larger than its input')
    s = x.strides
    return np.lib.stride_tricks.as_strided(
        x, (n, out_h, out_w, kernel[0], kernel[1], c),
        (s[0], s[1] * stride[0], s[2] * stride[1], s[1], s[2], s[3]),
        writeable=False)


def conv2d(layer, x, arrays, where):
    """Keras's Conv2D, channels last."""
    config = layer['config']
    if config.get('data_format', 'channels_last') != 'channels_last' or \
            tuple(config.get('dilation_rate', (1, 1))) != (1, 1) or \
            config.get('groups', 1) != 1:
        raise Unverified('{}: only channels-last, undilated, ungrouped '
                         'convolutions are recomputed'.format(where))
    use_bias = config.get('use_bias', True)
    found = weights(layer, arrays, 2 if use_bias else 1, where)
    kernel = found[0]
    stride = tuple(config.get('strides', (1, 1)))
    if x.ndim != 4 or kernel.ndim != 4 or kernel.shape[2] != x.shape[3]:
        raise Unverified('{}: a kernel of shape {} on inputs of shape '
                         '{}'.format(where, kernel.shape, x.shape))
    if config.get('padding') == 'same':
        x = pad_same(x, kernel.shape[:2], stride)[0]
    guard((x.shape[0], x.shape[1] // max(stride[0], 1) + 1,
           x.shape[2] // max(stride[1], 1) + 1, kernel.shape[3]), where)
    out = np.tensordot(windows(np.ascontiguousarray(x), kernel.shape[:2],
                               stride), kernel, axes=([3, 4, 5], [0, 1, 2]))
    if use_bias:
        out = out + found[1]
    return activate(layer, out, where)


def max_pool(layer, x, where):
    """Keras's MaxPooling2D, channels last."""
    config = layer['config']
    pool = tuple(config.get('pool_size', (2, 2)))
    stride = tuple(config.get('strides') or pool)
    if config.get('data_format', 'channels_last') != 'channels_last' or \
            x.ndim != 4:
        raise Unverified('{}: only channels-last pooling of images is '
                         'recomputed'.format(where))
    if config.get('padding') == 'same':
        padded, pads = pad_same(x, pool, stride)
        mask = np.zeros(x.shape[1:3], bool)
        mask = np.pad(~mask, [pads[0], pads[1]])
        padded = np.where(mask[None, :, :, None], padded, -np.inf)
        x = padded
    return windows(np.ascontiguousarray(x), pool, stride).max(axis=(3, 4))


def up_sample(layer, x, where):
    """Keras's UpSampling2D (nearest), channels last."""
    config = layer['config']
    size = tuple(config.get('size', (2, 2)))
    if config.get('interpolation', 'nearest') != 'nearest' or \
            config.get('data_format', 'channels_last') != 'channels_last' \
            or x.ndim != 4:
        raise Unverified('{}: only nearest, channels-last upsampling is '
                         'recomputed'.format(where))
    guard((x.shape[0], x.shape[1] * size[0], x.shape[2] * size[1],
           x.shape[3]), where)
    return np.repeat(np.repeat(x, size[0], axis=1), size[1], axis=2)


def batch_norm(layer, x, arrays, where):
    """Keras's BatchNormalization at inference, on the last axis."""
    config = layer['config']
    axis = config.get('axis', -1)
    axis = axis[0] if isinstance(axis, list) and len(axis) == 1 else axis
    if axis not in (-1, x.ndim - 1):
        raise Unverified('{}: only the last axis is recomputed'.format(
            where))
    center, scale = config.get('center', True), config.get('scale', True)
    found = weights(layer, arrays, 2 + center + scale, where)
    gamma = found.pop(0) if scale else 1.
    beta = found.pop(0) if center else 0.
    mean, variance = found
    return (x - mean) / np.sqrt(variance + config.get('epsilon', 1e-3)) * \
        gamma + beta


def relu_layer(layer, x):
    """Keras's ReLU and LeakyReLU layers."""
    config = layer['config']
    if 'ReLU' in layer['kinds']:
        slope = config.get('negative_slope') or 0.
        threshold = config.get('threshold') or 0.
        out = np.where(x >= threshold, x, slope * (x - threshold))
        top = config.get('max_value')
        return out if top is None else np.minimum(out, top)
    slope = config.get('alpha', config.get('negative_slope', 0.3))
    return np.where(x >= 0, x, slope * x)


def run_layer(layer, inputs, arrays, where):
    """Returns the outputs of one call of a layer on inputs, or None where
    the judge does not recompute that layer."""
    kinds = layer['kinds']
    if 'Model' in kinds and isinstance(layer.get('model'), dict):
        return forward(layer['model'], inputs, arrays, where)
    if not any(name in kinds for name in RECOMPUTED):
        return None
    if len(inputs) != 1:
        raise Unverified('{}: called on {} inputs'.format(where,
                                                          len(inputs)))
    x = inputs[0]
    if 'Dense' in kinds:
        use_bias = layer['config'].get('use_bias', True)
        found = weights(layer, arrays, 2 if use_bias else 1, where)
        if found[0].ndim != 2 or x.shape[-1] != found[0].shape[0]:
            raise Unverified('{}: a kernel of shape {} on inputs of shape '
                             '{}'.format(where, found[0].shape, x.shape))
        guard(x.shape[:-1] + found[0].shape[1:], where)
        out = x @ found[0] + (found[1] if use_bias else 0.)
        return [activate(layer, out, where)]
    if 'Conv2D' in kinds:
        return [conv2d(layer, x, arrays, where)]
    if 'MaxPooling2D' in kinds:
        return [max_pool(layer, x, where)]
    if 'UpSampling2D' in kinds:
        return [up_sample(layer, x, where)]
    if 'BatchNormalization' in kinds:
        return [batch_norm(layer, x, arrays, where)]
    if 'ReLU' in kinds or 'LeakyReLU' in kinds:
        return [relu_layer(layer, x)]
    if 'Activation' in kinds:
        return [activate(layer, x, where)]
    if 'Flatten' in kinds:
        return [x.reshape(len(x), -1)]
    if 'Reshape' in kinds:
        target = layer['config'].get('target_shape')
        try:
            return [x.reshape((len(x),) + tuple(target))]
        except (TypeError, ValueError):
            raise Unverified('{}: cannot reshape {} to {}'.format(
                where, x.shape, target)) from None
    return [x]  # Dropout and input layers: the identity at inference


def forward(model, inputs, arrays, name='the model'):
    """Returns the model's outputs on inputs (a list of arrays) as the
    judge computes them from its description: a list, None for an output
    that comes from a layer the judge does not recompute."""
    nodes = model.get('nodes')
    if model.get('untraced') or not isinstance(nodes, list):
        raise Unverified('{}: its layers\' connections could not be read '
                         '({})'.format(name, model.get('untraced', 'none '
                                                       'reported')))
    values = []

    def resolve(reference, before):
        """Returns the value a reference names (None: not recomputed)."""
        if not isinstance(reference, list) or not reference:
            raise Unverified('{}: a malformed reference'.format(name))
        if reference[0] == 'input' and len(reference) == 2 and \
                isinstance(reference[1], int) and \
                0 <= reference[1] < len(inputs):
            return inputs[reference[1]]
        if reference[0] == 'node' and len(reference) == 3 and all(
                isinstance(v, int) for v in reference[1:]) and \
                0 <= reference[1] < before:
            found = values[reference[1]]
            if found is None:
                return None
            if 0 <= reference[2] < len(found):
                return found[reference[2]]
        raise Unverified('{}: a reference to nothing before it'.format(
            name))
    for number, node in enumerate(nodes):
        if not isinstance(node, dict) or not isinstance(
                node.get('layer'), int) or not 0 <= node['layer'] < len(
                    model['layers']):
            raise Unverified('{}: a malformed call'.format(name))
        layer = model['layers'][node['layer']]
        where = spec.where(name, node['layer'] + 1, layer)
        given = [resolve(r, number) for r in node.get('inputs', [])]
        if not given or any(v is None for v in given):
            values.append(None)
            continue
        found = run_layer(layer, given, arrays, where)
        if found is None and spec.passes_through(model, number,
                                                 len(given)):
            found = list(given)
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


def reported(frame, name):
    """Returns the runner's outputs of a model called name, in order."""
    found, number = [], 0
    while '{}:{}'.format(name, number) in frame:
        array = frame['{}:{}'.format(name, number)]
        if array.dtype.kind not in 'fiu':
            raise Unverified('{}: its outputs are not numbers'.format(name))
        found.append(array.astype(np.float64))
        number += 1
    return found


def verify(task, frame, drawn):
    """Checks the runner's evidence of the main's models against the
    judge's own computation; returns the facts the verdicts use:
    {'models': descriptions, 'roles', 'outputs', 'chained'}; raises
    Unverified, saying what does not hold."""
    header = frame['header']
    if header.get('error'):
        raise Unverified('the models could not be described: {}'.format(
            header['error']))
    models = [header.get(name) for name in ('encoder', 'decoder', 'auto')]
    if not all(isinstance(model, dict) and isinstance(
            model.get('layers'), list) for model in models):
        raise Unverified('no description of the models')
    x = drawn['x:' + task].astype(np.float64)
    z = drawn['z:' + task].astype(np.float64)
    encoder, decoder, _ = models
    mine = forward(encoder, [x], frame, 'encoder')
    theirs, again = reported(frame, 'encoder'), reported(frame,
                                                         'encoder_again')
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
    given = reported(frame, 'decoder')
    if len(given) != 1 or not close(decoded[0], given[0]):
        raise Unverified('the decoder\'s output on the grader\'s codes is '
                         'not what its layers and weights give')
    degenerate(encoder, frame, 'encoder')
    degenerate(decoder, frame, 'decoder')
    seeds = [int(seed) for seed in drawn['seeds:' + task]]
    check_gradients(encoder, [x], seeds[0], frame, 'encoder', mine)
    check_gradients(decoder, [z], seeds[1], frame, 'decoder', decoded)
    facts = {'models': models, 'roles': None, 'x': x, 'code': mine,
             'auto': reported(frame, 'auto'), 'loss': header.get('loss'),
             'draws': reported(frame, 'draws')}
    if task == '3-variational' and len(mine) == 3:
        moving = [n for n in range(3) if theirs[n].shape != again[n].shape
                  or not np.allclose(theirs[n], again[n])]
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
        if number == 0 and kernel is not None and kernel.size > 1 and \
                any(k in layer['kinds'] for k in ('Dense', 'Conv2D')) and \
                float(np.ptp(kernel)) == 0.:
            raise Unverified('{}: every weight of its kernel is {:g}; give '
                             'its layers Keras\'s default initializers'
                             .format(spec.where(name, index, layer),
                                     float(kernel.flat[0])))


def check_gradients(model, given, seed, frame, name, mine, epsilon=1e-6):
    """Checks the gradients the runner reported against finite differences
    of the judge's own forward pass, along a direction the judge draws
    now: for each output the judge recomputes, the derivative of its sum
    with the seed's projection; raises Unverified where one does not
    hold."""
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
            if gradient is None or gradient.shape != arrays[weight].shape:
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


def bce(x, p):
    """The binary cross-entropy of p against x, averaged (Keras clips p to
    [EPSILON, 1 - EPSILON])."""
    p = np.clip(p, 1e-7, 1 - 1e-7)
    return float(-np.mean(x * np.log(p) + (1 - x) * np.log(1 - p)))


def loss_veto(task, facts):
    """Returns why auto's loss on the challenge, as the runner reported
    it, is not the binary cross-entropy of the models' outputs (with task
    1's penalty on the code) as the judge computes it, or None."""
    chained, loss = facts.get('chained'), facts.get('loss')
    if chained is None or not isinstance(loss, (int, float)):
        return None
    if float(np.min(chained)) < 1e-3 or float(np.max(chained)) > 1 - 1e-3:
        # outputs at or beyond the edges (not a sigmoid's): the engines
        # clip and shift them each its own way; the runner's own check of
        # the loss function stands
        return None
    x = facts['x']
    wanted = [bce(x, chained)]
    if task == '1-sparse':
        penalty = tasks.MAIN_ARGS[task][3] * float(np.abs(
            facts['code'][0]).sum())
        wanted = [wanted[0] + penalty / len(x), wanted[0] + penalty]
    if any(np.isclose(loss, value, rtol=1e-3, atol=1e-6) for value in
           wanted):
        return None
    return 'auto\'s loss on the grader\'s images is {:.5f}, where the ' \
        'binary cross-entropy of its outputs{} is {:.5f}: the ' \
        'specification asks for binary cross-entropy'.format(
            loss, ' with the penalty on the code' if task == '1-sparse'
            else '', wanted[0])


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
    """Returns a message the runner sent as a string of bounded length."""
    return value[:LONGEST] if isinstance(value, str) else ''


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
            lines = [line[:LONGEST] for line in header['lines'][:200]]
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


def verdicts(task, frames, drawn, problem=None):
    """Returns task's engine checks in order, each decided by the judge:
    frames are what the runner sent for the job, drawn the challenge,
    problem what happened to the runner if it stopped during the job."""
    found, models, lines = claims(task, frames)
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
        if check == 'seeded_value':
            decided[check] = outcome_result(check, seeded_value(
                task, lines or []))
            continue
        if check == 'main_output' and lines is not None:
            decided[check] = outcome_result(check, spec.main_format(
                task, lines))
        elif check not in found:
            missing = check
            decided[check] = static.result(check, 'fail', problem or
                                           'the check did not report')
            continue
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
        elif check == 'structure':
            try:
                outcome = checked(structure, task, facts)
            except Unverified as error:
                outcome = str(error)
            decided[check] = outcome_result(check, outcome)
        else:
            decided[check] = found[check]
    # the runner's passes the judge can check against its own numbers
    vetoes = {'compiled': lambda: loss_veto(task, facts) if
              found.get('regularizer', {}).get('verdict', 'pass') == 'pass'
              else None,
              'vae_outputs': lambda: sampling_veto(facts),
              'variants': lambda: variants_veto(task, frames, drawn)}
    for check, veto in vetoes.items():
        if facts and decided.get(check, {}).get('verdict') in ('pass',
                                                               'note'):
            try:
                problem = checked(veto)
            except Unverified as error:
                problem = str(error)
            if problem:
                decided[check] = static.result(check, 'fail', problem)
    # failures that follow from one above say so
    for cause, checks, why in (('structure', ('trains', 'main_output'), ''),
                               ('quiet', ('main_output',), ': what '
                                'autoencoder() prints comes first')):
        if decided.get(cause, {}).get('verdict') == 'fail':
            for check in checks:
                if decided.get(check, {}).get('verdict') == 'fail':
                    decided[check] = dict(decided[check], message=decided[
                        check]['message'] + ' (this follows from the {} '
                        'failure above{})'.format(cause, why))
    return [decided[check] for check in tasks.engine_checks(task)]
