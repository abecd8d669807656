"""The variational task's probes: which of the encoder's outputs is z, the
mean and the log variance, how z is drawn, what auto decodes, and which of
the usual mistakes the loss trained matches. Like checker.probes, they run
in the runner and only explain: the judge measures the sampling and the
loss itself.
"""
import inspect
import os

import numpy as np

from checker import spec
from checker.describe import forward, live_layers, producer, site
from checker.explain import captured, crash_text, in_learner_file
from checker.probes import (binary_cross_entropy, compiled_at, images,
                            keras, vae_roles)


def shifted(layer, by):
    """Adds by (a number, or one per unit) to a Dense layer's bias; returns
    a function that undoes it (a no-op where the layer has no bias)."""
    weights = layer.get_weights() if isinstance(
        layer, keras.layers.Dense) else []
    if len(weights) != 2:
        return lambda: None
    layer.set_weights([weights[0], weights[1] + by])
    return lambda: layer.set_weights(weights)


def heads(encoder, roles):
    """Returns the layers that output the mean and the log variance."""
    return (producer(encoder.outputs[roles['mean']]),
            producer(encoder.outputs[roles['log_var']]))


def vae_outputs(models, seen):
    """Task 3: the encoder returns z, the mean and the log variance, in
    that order, z = mean + exp(log_var / 2) * epsilon with epsilon from
    N(0, 1); auto decodes the sampled z."""
    encoder, decoder, auto = models
    where = site(encoder)
    if len(encoder.outputs) != 3:
        return 'the encoder{} returns {} output{} where the ' \
            'specification\'s returns three: z, the mean and the log ' \
            'variance, z = mean + exp(log_var / 2) * epsilon a new sample ' \
            'each call'.format(where, len(encoder.outputs),
                               '' if len(encoder.outputs) == 1 else 's')
    roles, moving = seen['roles'], seen['moving']
    if moving is None:
        roles, moving = vae_roles(encoder)
    if len(moving) != 1:
        return 'encoder outputs that change between two calls on the same ' \
            'images: {}; exactly one should, z, a new sample each call: z = ' \
            'mean + exp(log_var / 2) * epsilon, epsilon drawn anew from ' \
            'N(0, 1)'.format(moving or 'none')
    problems = []
    if roles != dict(zip(spec.ROLES, range(3))):
        order = sorted(roles, key=roles.get)
        problems.append('the encoder{} returns [{}]; the specification\'s '
                        'order is [z, mean, log_var]'.format(
                            where, ', '.join(order)))
    # the spread of z, measured where the log variance differs clearly
    # between the latent dimensions (0 to 2), so that the form of the
    # scale and the spread of epsilon can be told apart
    mean_layer, log_var_layer = heads(encoder, roles)
    if mean_layer is log_var_layer:
        return 'the mean and the log variance come from one layer ({}{}) ' \
            'called twice: they are equal; make a layer for each'.format(
                type(mean_layer).__name__, site(mean_layer))
    latent = int(encoder.outputs[roles['log_var']].shape[-1])
    undo = [shifted(mean_layer, 2.),
            shifted(log_var_layer, np.linspace(0., 2., latent))]
    try:
        x = np.repeat(images('3-variational', (int(
            encoder.inputs[0].shape[-1]),), 1), 2000, axis=0)
        found = forward(encoder, x)
    finally:
        for step in reversed(undo):
            step()
    z, mean, log_var = (found[roles[r]].astype(np.float64)
                        for r in spec.ROLES)
    problems += sampling_problems(z, mean, log_var)
    problems += decoded_problems(models, roles)
    return '; '.join(problems) or None


# the standard deviations learners give z, and how to say each
SCALES = (('exp(log_var / 2)', lambda v: np.exp(v / 2)),
          ('exp(log_var)', np.exp),
          ('exp(log_var / 4)', lambda v: np.exp(v / 4)),
          ('log_var', lambda v: v),
          ('1 (no scale)', np.ones_like))


def sampling_problems(z, mean, log_var):
    """Returns how z departs from mean + exp(log_var / 2) * epsilon,
    epsilon from N(0, 1), over many draws for one image: the form of the
    scale (the one under which every latent dimension has the same spread)
    and epsilon's spread under it."""
    def spreads(scale):
        """Returns the standard deviation of (z - mean) / scale for each
        latent dimension."""
        with np.errstate(divide='ignore', invalid='ignore'):
            return np.nan_to_num(((z - mean) / scale).std(axis=0))

    if spec.one_epsilon(z, mean):
        return [spec.ONE_EPSILON]
    right = spreads(np.exp(log_var / 2))
    if np.all((right > 0.9) & (right < 1.1)):
        return []
    centre = float(((z - mean) / np.exp(log_var / 2)).mean())
    if abs(centre) > 0.15 * max(float(right.mean()), 1e-3) + 0.05:
        return ['z is not centred on the mean: (z - mean) / exp(log_var / 2) '
                'has mean {:.2f} over {} draws; z = mean + exp(log_var / '
                '2) * epsilon'.format(centre, len(z))]

    def unevenness(item):
        """How much the spread differs between the dimensions."""
        found = spreads(item[1](log_var))
        return float(found.max() / max(found.min(), 1e-12))
    name, scale = min(SCALES, key=unevenness) if latent_varies(log_var) \
        else SCALES[0]
    spread = float(spreads(scale(log_var)).mean())
    problems = []
    if name != SCALES[0][0]:
        problems.append('z = mean + {} * epsilon: the standard deviation is '
                        'exp(log_var / 2)'.format(name.split(' (')[0]))
    if not 0.9 < spread < 1.1:
        problems.append('epsilon has standard deviation {:.2f} over {} '
                        'draws, not 1: draw it from N(0, 1) (keras.backend.'
                        'random_normal(shape), whose stddev is 1)'.format(
                            spread, len(z)))
    return problems


def latent_varies(log_var):
    """Whether the log variance differs between the latent dimensions
    enough to tell the forms of the scale apart."""
    row = log_var[0]
    return row.size > 1 and float(row.max() - row.min()) > 1.


def every_layer(model):
    """Returns the ids of model's layers and of its nested models'."""
    found = set()
    for layer in model.layers:
        found.add(id(layer))
        if isinstance(layer, keras.Model):
            found |= every_layer(layer)
    return found


def weighted(model):
    """Returns model's layers that hold weights, its nested models'
    included."""
    found = []
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            found += weighted(layer)
        elif layer.weights:
            found.append(layer)
    return found


def apart(models):
    """Returns which of the returned encoder and decoder auto shares no
    weights with (auto built from new layers: training it leaves them
    untrained)."""
    encoder, decoder, auto = models
    within = every_layer(auto)
    return [name for name, model in (('encoder', encoder),
                                     ('decoder', decoder))
            if id(model) not in within and
            not any(id(layer) in within for layer in weighted(model))]


def decoded_problems(models, roles):
    """Returns a problem when auto does not decode the sampled z."""
    encoder, decoder, auto = models
    others = apart(models)
    if others:
        return ['auto{} is not made of the returned {}: its layers are '
                'others, so training auto leaves the returned models '
                'untrained; auto = keras.Model(inputs, decoder(encoder('
                'inputs)[0]))'.format(site(auto), ' and '.join(others))]
    x = images('3-variational', (784,), 16, seed=3)
    first = forward(auto, x)
    if not np.allclose(first, forward(auto, x)):
        return []
    outputs = forward(encoder, x)
    for role in ('mean', 'log_var'):
        decoded = forward(decoder, outputs[roles[role]])
        if np.allclose(first, decoded, atol=1e-5):
            return ['auto decodes the {} (the same output twice for the '
                    'same images), not the sampled z: auto = decoder(z), '
                    'z the encoder\'s sample'.format(
                        'mean' if role == 'mean' else 'log variance')]
    return ['auto gives the same output twice for the same images: it does '
            'not decode a new sample z each call']


# the usual wrong reconstruction and KL terms of a VAE's loss, by how they
# scale the right ones (B: the batch, D: the latent dimensions)
RECONSTRUCTIONS = (
    ('sum', 'the cross-entropy summed over the pixels'),
    ('mean', 'the cross-entropy averaged over the pixels (multiply it by '
             'input_dims, or sum over the pixels)'),
    ('batch', 'the cross-entropy averaged over the pixels and summed over '
              'the batch (sum over the pixels, average over the batch)'),
    ('total', 'the cross-entropy summed over the pixels and the batch '
              '(average over the batch)'),
    ('twice', 'the cross-entropy summed over the pixels twice (given to '
              'compile and added with add_loss as well)'),
    ('none', 'no cross-entropy'),
)
KLS = (
    ('kl', 'the KL term'),
    ('none', 'no KL term'),
    ('latent', 'the KL term averaged over the latent dimensions (sum over '
               'them)'),
    ('batch', 'the KL term summed over the batch (average over the batch)'),
    ('half', 'the KL term with exp(log_var / 2) where it needs exp(log_var)'),
    ('double', 'the KL term with 2 * log_var and exp(2 * log_var), as if '
               'log_var were the log standard deviation'),
    ('unhalved', 'the KL term twice (without its factor 0.5, or added '
                 'twice: two add_loss calls, or add_loss and the loss '
                 'function both)'),
    ('negative', 'the KL term with its sign reversed (the KL divergence is '
                 '-0.5 * sum(1 + log_var - mean ** 2 - exp(log_var)))'),
)


def loss_terms(x, reconstruction, mean, log_var):
    """Returns {name: value} of the reconstruction and KL terms above on a
    batch, each as the batch's loss."""
    batch, pixels = x.shape
    per = pixels * binary_cross_entropy(x, reconstruction)
    r = {'sum': per.mean(), 'mean': per.mean() / pixels,
         'batch': per.sum() / pixels, 'total': per.sum(),
         'twice': 2 * per.mean(), 'none': 0.}

    def kl(log_term, variance):
        """Returns the KL divergence per sample."""
        return -0.5 * np.sum(1 + log_term - mean ** 2 - variance, axis=-1)

    right = kl(log_var, np.exp(log_var))
    k = {'kl': right.mean(), 'none': 0.,
         'latent': right.mean() / mean.shape[1], 'batch': right.sum(),
         'half': kl(log_var, np.exp(log_var / 2)).mean(),
         'double': kl(2 * log_var, np.exp(2 * log_var)).mean(),
         'unhalved': 2 * right.mean(), 'negative': -right.mean()}
    return r, k


def vae_loss(models, seen, probe=None, challenge=None):
    """Task 3: the loss trained is the binary cross-entropy summed over the
    pixels plus the KL divergence, checked against a hand computation with
    the decoder made blind to z (so that no sampling noise is left), from
    the outputs as vae_outputs found them; a wrong loss is named by the
    usual mistake its value matches."""
    encoder, decoder, auto = models
    if len(encoder.outputs) != 3:
        return ('skip', 'skipped: waits on vae_outputs: the encoder returns '
                'no mean and log variance to make the KL term of', '')
    if apart(models):
        return 'auto is not made of the returned encoder and decoder (see ' \
            'vae_outputs), so its loss cannot be set beside theirs'
    roles = seen['roles'] or dict(zip(spec.ROLES, range(3)))
    first = [layer for layer in live_layers(decoder)
             if len(layer.get_weights()) == 2][0]
    kernel, bias = first.get_weights()
    first.set_weights([np.zeros_like(kernel), bias])
    # means moved to 3 and log variances to 2 make every term below differ
    # from the others by far more than the comparison's tolerance
    mean_layer, log_var_layer = heads(encoder, roles)
    shifted(mean_layer, 3.)
    shifted(log_var_layer, 2.)
    x = images('3-variational', (784,), 64)
    if challenge and 'x:3-variational' in challenge:
        x = challenge['x:3-variational']
    found = forward(encoder, x)
    mean, log_var = (found[roles[r]].astype(np.float64)
                     for r in ('mean', 'log_var'))
    reconstruction = forward(decoder, np.zeros_like(mean, dtype=np.float32))
    r, k = loss_terms(x, reconstruction, mean, log_var)
    steps = own_steps(auto)
    try:
        with captured():
            loss = auto.evaluate(x, x, batch_size=len(x), verbose=0)
    except Exception as error:
        # Keras 3 refuses to evaluate a model compiled with no loss: the
        # error is Keras's, the mistake the learner's class
        said = crash_text(error)
        if not steps or ' (at ' in said:
            raise
        return ('fail', '{} (at {}: it overrides train_step but not '
                'test_step, so evaluate and fit\'s validation run Keras\'s '
                'own test_step, which computes only the loss given to '
                'compile{})'.format(said, steps[1], compiled_at(auto)),
                STEP_HINT)
    loss = float(loss[0] if isinstance(loss, list) else loss)
    if probe is not None:
        probe.write(kind='vae_loss', loss=loss)
    expected = r['sum'] + k['kl']
    if np.isclose(loss, expected, rtol=1e-3):
        return None
    # each reconstruction and KL term, alone or together, and with the
    # compiled per-pixel cross-entropy on top (add_loss of the whole loss,
    # then compile(loss='binary_crossentropy') as well)
    matches = [(rn, kn, extra) for extra in (0., r['mean'])
               for rn, _ in RECONSTRUCTIONS for kn, _ in KLS
               if (rn, kn) != ('none', 'none')
               and np.isclose(loss, r[rn] + k[kn] + extra, rtol=1e-4)]
    words = dict(RECONSTRUCTIONS), dict(KLS)
    if np.isclose(loss, 2 * expected, rtol=1e-4):
        found = 'it is twice that: the whole loss is counted twice (given ' \
            'to compile and added with add_loss as well, or added twice)'
    elif matches:
        rn, kn, extra = matches[0]
        found = 'it matches {} plus {}'.format(words[0][rn], words[1][kn]) \
            if kn != 'none' else 'it matches {}, with no KL term'.format(
                words[0][rn])
        if rn == 'none':
            found = 'it matches {} alone, with no cross-entropy'.format(
                words[1][kn])
        if extra:
            found += ', plus the cross-entropy averaged over the pixels ' \
                'that compile(loss=...) adds on top of add_loss: compile ' \
                'with no loss where add_loss holds the whole loss'
    else:
        found = 'it matches none of the usual mistakes (the cross-entropy ' \
            'summed over the pixels is {:.3f} of it, the KL term ' \
            '{:.3f})'.format(r['sum'], k['kl'])
    if steps and loss == 0 and not matches:
        found = 'the value of the trackers the metrics property returns, ' \
            'which test_step never updates' if type(auto).metrics is not \
            keras.Model.metrics else 'compile was given no loss' \
            if not getattr(auto, 'loss', None) else found
    if steps:
        return ('fail', 'evaluate (the loss the grader measures, and '
                'fit\'s validation loss) gives {:.3f} on a batch where the '
                'cross-entropy summed over the pixels plus the KL term '
                'gives {:.3f}: {} overrides train_step but not test_step, '
                'so evaluate runs Keras\'s own test_step, which computes '
                'only the loss given to compile{}, not train_step\'s; '
                '{}'.format(loss, expected, steps[0], compiled_at(auto),
                            found), STEP_HINT)
    return 'the loss trained is {:.3f} on a batch where the cross-entropy ' \
        'summed over the pixels plus the KL term gives {:.3f}: {}{}'.format(
            loss, expected, found, compiled_at(auto))


STEP_HINT = 'override test_step too, with the loss train_step computes ' \
    'and no gradient step, and return the same names'


def own_steps(auto):
    """Returns ('VAE (class at FILE:LINE)', 'FILE:LINE, class VAE') where
    auto is of a Model subclass that overrides train_step but not
    test_step (evaluate and the validation loss then run Keras's
    test_step, on the compiled loss alone), else None."""
    kind = type(auto)
    if kind.train_step is keras.Model.train_step or \
            kind.test_step is not keras.Model.test_step:
        return None
    try:
        path = inspect.getsourcefile(kind)
        line = inspect.getsourcelines(kind)[1]
    except (OSError, TypeError):
        path = line = None
    if not path or not in_learner_file(path):
        return kind.__name__, 'class ' + kind.__name__
    where = '{}:{}'.format(os.path.basename(path), line)
    return '{} (class at {})'.format(kind.__name__, where), \
        '{}, class {}'.format(where, kind.__name__)
