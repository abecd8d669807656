"""The judge's own measures of what the runner reports beyond the models'
outputs, each a check's verdict once the models are verified
(checker.judge): the loss compiled against the judge's binary
cross-entropy and the penalties of the verified layers' regularizers, the
regularizer itself, the VAE's outputs and sampling, its loss against the
judge's cross-entropy summed over the pixels plus the KL term, the
variants' descriptions, and the training, measured on MNIST test images
the fit never saw. Each returns None (it holds), a message, or
(verdict, message, hint); what it cannot compute raises Unverified.
"""
import functools

import numpy as np

from aelib import datasets
from checker import parsing, protocol, spec, tasks
from checker.recompute import (Unverified, checked, close, forward, malformed,
                               text, weight_names)

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
                        'is not the encoded one ({}{}), so the grader, '
                        'which computes the loss with one on the encoded '
                        'output only, cannot measure the compiled loss '
                        '(see regularizer below)'.format(
                            text(layer.get('class')), spec.site(layer)))
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
    for role in ('mean', 'log_var'):
        given, mine = draws[roles[role]], facts['code'][roles[role]]
        count = len(given) // protocol.DRAWN_IMAGES
        if mine is None or len(given) != count * protocol.DRAWN_IMAGES or \
                not count or not close(np.repeat(
                    mine[:protocol.DRAWN_IMAGES], count, axis=0), given):
            return 'the draws of z reported are not of the mean and the ' \
                'log variance the encoder\'s layers give for the ' \
                'grader\'s images'
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
    with parsing.LOCK:
        # (numpy reads each .npy header with Python's parser)
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
    """The judge's trains verdict: the models fitted for
    tasks.TRAINED_EPOCHS epochs on tasks.TRAINED_IMAGES MNIST images are
    the verified ones (the same layers, the same weights before the fit),
    and the judge's own loss on test images the fit never saw falls."""
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
        return 'after {} epochs on {} images the loss on {} test images ' \
            'is {}: not finite'.format(tasks.TRAINED_EPOCHS,
                                       tasks.TRAINED_IMAGES, HELD_OUT,
                                       losses[1])
    if not losses[1] < losses[0]:
        return 'the specification\'s loss (the grader\'s, not the one ' \
            'compiled) on {} test images the fit never saw did not fall ' \
            'in {} epochs on {} images: {:.4f}, then {:.4f}'.format(
                HELD_OUT, tasks.TRAINED_EPOCHS, tasks.TRAINED_IMAGES,
                *losses)
    return None


def main_lines(printed):
    """Returns the lines the main printed on stdout, Keras's progress
    lines (and the backspaces its progress bar rubs out with) left out."""
    lines = (line.replace('\b', '').rstrip()
             for line in printed.splitlines())
    return [line for line in lines
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
    if spec.one_epsilon(z, mean):
        return spec.ONE_EPSILON
    with np.errstate(all='ignore'):
        scaled = (z - mean) / np.exp(log_var / 2)
    centre, spread = float(np.mean(scaled)), float(np.std(scaled))
    if np.isfinite(centre) and abs(centre) < 0.2 and 0.8 < spread < 1.2:
        return None
    return 'z drawn {} times for each of {} of the grader\'s images: (z - ' \
        'mean) / exp(log_var / 2) has mean {:.2f} and standard deviation ' \
        '{:.2f}; z = mean + exp(log_var / 2) * epsilon, epsilon from N(0, ' \
        '1)'.format(len(z) // protocol.DRAWN_IMAGES,
                    protocol.DRAWN_IMAGES, centre, spread)


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
            for model, name in zip(models, ('encoder', 'decoder', 'auto')):
                malformed(model, 'a variant\'s ' + name)
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
