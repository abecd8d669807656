"""The models as plain data for the judge: each model's layers, their
configurations, weights and graph (describe), and the evidence the judge
recomputes (evidence): the models' outputs on the judge's challenge and the
gradients of their projections. Runs in the runner, beside the learner's
code, so nothing here is trusted by the judge: it only carries what the
judge checks.
"""
import sys

import numpy as np
import tensorflow as tf

from checker import protocol
from checker.explain import (SITES, captured, crash_text, first_line,
                             in_learner_file)

keras = tf.keras


def live_layers(model):
    """Returns the model's layers without its input layers."""
    return [layer for layer in model.layers
            if not isinstance(layer, keras.layers.InputLayer)]


def site(thing):
    """Returns ' at FILE:LINE' where the learner's file made thing, or ''."""
    found = SITES.get(id(thing))
    return ' at ' + found if found else ''


def where(model, index, layer):
    """Returns 'encoder layer 3 (Dense at 0-vanilla.py:25)': how a message
    names a layer."""
    return '{} layer {} ({}{})'.format(model, index, type(layer).__name__,
                                       site(layer))


def producer(tensor):
    """Returns the layer that produced a symbolic tensor, looking through a
    layer of the learner's own with no weights that gives back the
    tensors it was given (one that adds the KL term and returns the mean
    and the log variance)."""
    while True:
        layer, node, index = tensor._keras_history[:3]
        try:
            given = layer._inbound_nodes[node].input_tensors
        except (AttributeError, IndexError):
            return layer
        given = list(given) if isinstance(given, (list, tuple)) else [given]
        outputs = layer._inbound_nodes[node].output_tensors
        outputs = list(outputs) if isinstance(outputs, (list, tuple)) \
            else [outputs]
        if layer.weights or layer_kinds(layer) or len(given) < 2 or \
                len(outputs) != len(given) or index >= len(given):
            return layer
        tensor = given[index]


# the Keras layer classes a description names (the judge recomputes
# most of them), and the parts of a layer's configuration it keeps
KINDS = ('InputLayer', 'Dense', 'Conv2D', 'Conv2DTranspose', 'MaxPooling2D',
         'UpSampling2D', 'Cropping2D', 'ZeroPadding2D', 'Activation',
         'ReLU', 'LeakyReLU', 'Flatten', 'Reshape', 'Dropout',
         'BatchNormalization')
CONFIG = ('units', 'activation', 'filters', 'kernel_size', 'strides',
          'padding', 'dilation_rate', 'pool_size', 'size', 'interpolation',
          'data_format', 'use_bias', 'target_shape', 'rate', 'alpha',
          'negative_slope', 'max_value', 'threshold', 'axis', 'epsilon',
          'center', 'scale', 'groups', 'cropping', 'output_padding')


def plain_value(value):
    """Returns a configuration value as JSON holds it."""
    if isinstance(value, (bool, str)) or value is None:
        return value
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    if isinstance(value, (tuple, list)):
        return [plain_value(v) for v in value]
    return str(value)


def layer_config(layer):
    """Returns the parts of layer's configuration a description keeps,
    the activation by its name."""
    try:
        config = layer.get_config()
    except Exception:
        config = {}
    found = {key: plain_value(config[key]) for key in CONFIG
             if key in config}
    if 'activation' in config:
        name = config['activation'] or 'linear'
        found['activation'] = name if isinstance(name, str) else getattr(
            name, '__name__', str(name))
    return found


def layer_kinds(layer):
    """Returns the Keras classes (of KINDS, and Model) layer is an
    instance of: a learner's subclass of one is that one, but a Keras
    layer of other arithmetic derived from one (Keras 2's Conv2DTranspose
    from Conv2D) is none of them."""
    found = [name for name in KINDS
             if isinstance(layer, getattr(keras.layers, name))]
    kind = type(layer)
    source = getattr(sys.modules.get(kind.__module__), '__file__', None)
    if kind.__name__ not in KINDS and not in_learner_file(source or '<'):
        found = []
    return found + (['Model'] if isinstance(layer, keras.Model) else [])


def shapes(model, which):
    """Returns the shapes of the model's inputs or outputs as lists."""
    try:
        tensors = getattr(model, which) or []
    except Exception:
        tensors = []
    return [[None if size is None else int(size) for size in tensor.shape]
            for tensor in tensors]


def graph(model, found):
    """Returns (nodes, outputs_from): the model's calls of its layers in
    the order they run, each {'layer': index in found, 'inputs':
    [reference]}, and a reference for each of its outputs; a reference is
    ['input', i] or ['node', n, i]."""
    index = {id(layer): n for n, layer in enumerate(found)}
    inputs = list(model.inputs or [])
    nodes, position = [], {}

    def ref(tensor):
        """Returns the reference of a symbolic tensor, adding the calls
        it comes from."""
        for n, given in enumerate(inputs):
            if given is tensor:
                return ['input', n]
        layer, node_index, which = tensor._keras_history[:3]
        key = (id(layer), node_index)
        if key not in position:
            if id(layer) not in index:
                raise ValueError('a tensor of {} ({}), which is not one of '
                                 'the model\'s layers'.format(
                                     layer.name, type(layer).__name__))
            node = layer._inbound_nodes[node_index]
            given = getattr(node, 'keras_inputs', None)
            if given is None:
                given = node.input_tensors
            refs = [ref(t) for t in tf.nest.flatten(given)
                    if hasattr(t, '_keras_history')]
            position[key] = len(nodes)
            nodes.append({'layer': index[id(layer)], 'inputs': refs})
        return ['node', position[key], int(which)]
    return nodes, [ref(tensor) for tensor in model.outputs]


def regularizers(layer):
    """Returns {'activity'|'kernel'|'bias': {'class', 'l1', 'l2'}} of the
    layer's regularizers (the judge adds their penalties to the loss it
    computes)."""
    found = {}
    for kind in ('activity', 'kernel', 'bias'):
        regularizer = getattr(layer, kind + '_regularizer', None)
        if regularizer is None:
            continue
        factors = {}
        for name in ('l1', 'l2'):
            value = getattr(regularizer, name, None)
            try:
                factors[name] = None if value is None else float(value)
            except (TypeError, ValueError):
                factors[name] = None
        found[kind] = dict(factors, **{'class': type(regularizer).__name__})
    return found


def describe(model, arrays=None, prefix='m', variables=None):
    """Returns the description of a model the judge reads (checker.spec
    says its form); with arrays, a dict, the layers' weights go in it
    under names the description gives (and with variables, a dict, the
    variables that hold them)."""
    found = live_layers(model)
    described = {'class': type(model).__name__, 'kinds': layer_kinds(model),
                 'site': SITES.get(id(model)),
                 'inputs': shapes(model, 'inputs'),
                 'outputs': shapes(model, 'outputs'), 'layers': []}
    for number, layer in enumerate(found):
        entry = {'class': type(layer).__name__, 'kinds': layer_kinds(layer),
                 'site': SITES.get(id(layer)), 'config': layer_config(layer),
                 'regularizers': regularizers(layer)}
        if isinstance(layer, keras.Model):
            entry['model'] = describe(layer, arrays, '{}.{}'.format(
                prefix, number), variables)
        elif arrays is not None:
            entry['weights'] = []
            for k, (weight, variable) in enumerate(zip(
                    layer.get_weights(), layer.weights)):
                name = '{}.{}.{}'.format(prefix, number, k)
                arrays[name] = np.asarray(weight)
                entry['weights'].append(name)
                if variables is not None:
                    variables[name] = variable
        described['layers'].append(entry)
    try:
        described['nodes'], described['outputs_from'] = graph(model, found)
    except Exception as error:
        described['nodes'], described['outputs_from'] = [], []
        described['untraced'] = first_line(error) or type(error).__name__
    return described


def described(models):
    """Returns the descriptions of encoder, decoder, auto (no weights)."""
    return [describe(model) for model in models]


def forward(model, x):
    """Returns model(x) in inference mode as numpy arrays (a list of them
    for several outputs): a direct call, which costs a fraction of
    predict()'s set-up on models run a few times."""
    outputs = model(x, training=False)
    if isinstance(outputs, (list, tuple)):
        return [np.asarray(output) for output in outputs]
    return np.asarray(outputs)


def watched(variable):
    """Returns what a gradient tape follows for a Keras variable (Keras 3
    wraps a TensorFlow variable in its own)."""
    inner = getattr(variable, 'value', None)
    return variable if inner is None or callable(inner) else inner


def gradients(model, given, seed, variables, arrays, name):
    """Puts in arrays the model's outputs on given and, for each output,
    the gradient with respect to every weight of the sum of the output
    times its projection (checker.judge checks them against its own
    finite differences)."""
    names = list(variables)
    with tf.GradientTape(persistent=True) as tape:
        for variable in variables.values():
            tape.watch(watched(variable))
        outputs = model(given, training=False)
        outputs = list(outputs) if isinstance(outputs, (list, tuple)) \
            else [outputs]
        sums = [tf.reduce_sum(tf.cast(output, tf.float32) *
                              protocol.projection(seed, number,
                                                  tuple(output.shape)))
                for number, output in enumerate(outputs)]
    for number, (output, total) in enumerate(zip(outputs, sums)):
        arrays['{}:{}'.format(name, number)] = np.asarray(output)
        found = tape.gradient(total, [watched(variables[n]) for n in names],
                              unconnected_gradients='zero')
        for weight, gradient in zip(names, found):
            arrays['grad:{}:{}:{}'.format(name, number, weight)] = \
                np.asarray(gradient)
    del tape


def evidence(task, models, challenge):
    """Returns the frame's fields and arrays that let the judge check the
    models: their descriptions with their weights, their outputs on the
    challenge's images (the encoder's twice: the VAE's z is drawn anew) and
    codes, and the gradients of those outputs' projections."""
    arrays = {}
    encoder, decoder, auto = models
    held = {'encoder': {}, 'decoder': {}}
    fields = {'encoder': describe(encoder, arrays, 'encoder',
                                  held['encoder']),
              'decoder': describe(decoder, arrays, 'decoder',
                                  held['decoder']),
              'auto': describe(auto)}
    x, z = challenge['x:' + task], challenge['z:' + task]
    seeds = [int(seed) for seed in challenge['seeds:' + task]]
    gradients(encoder, x, seeds[0], held['encoder'], arrays, 'encoder')
    gradients(decoder, z, seeds[1], held['decoder'], arrays, 'decoder')
    draws = np.repeat(x[:protocol.DRAWN_IMAGES], protocol.DRAWS,
                      axis=0)
    for name, model, given in (('encoder_again', encoder, x),
                               ('auto', auto, x),
                               ('draws', encoder, draws)):
        if name == 'draws' and task != '3-variational':
            continue
        outputs = forward(model, given)
        outputs = outputs if isinstance(outputs, list) else [outputs]
        for number, output in enumerate(outputs):
            arrays['{}:{}'.format(name, number)] = output
    try:
        loss = auto.loss
        loss = keras.losses.get(loss) if isinstance(loss, str) else loss
        fields['loss_function'] = float(np.mean(np.asarray(loss(
            x, protocol.loss_inputs(x)))))
    except Exception:
        fields['loss_function'] = None
    optimizer = getattr(auto, 'optimizer', None)
    fields['optimizer'] = None if optimizer is None else \
        type(optimizer).__name__
    try:
        with captured():
            fields['loss'] = float(np.ravel(auto.evaluate(
                x, x, batch_size=len(x), verbose=0))[0])
    except Exception:
        fields['loss'] = None
    return fields, arrays


def send_evidence(probe, task, seen, challenge):
    """Sends the evidence of the main's models, or why there is none."""
    try:
        fields, arrays = evidence(task, seen['models'], challenge)
    except Exception as error:
        probe.write(kind='models', error=crash_text(error))
        return
    probe.write(arrays, kind='models', **fields)
