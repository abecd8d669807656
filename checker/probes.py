"""The probes: what the runner does with a learner's task file for each
engine check (import it, build the models, fit them, run the main, try
other arguments) and what it finds. Each probe returns None (nothing
found), a message or (verdict, message, hint); the judge (checker.judge)
decides the verdict from the evidence it checks itself, and takes a
probe's message only to explain a failure it has found.
"""
import argparse
import contextlib
import functools
import io
import os
import runpy
import sys
import tempfile

import numpy as np
import tensorflow as tf

from aelib import ROOT, mains, plots
from aelib.progress import build_optimizer
from checker import spec, tasks
from checker.describe import (describe, described, forward, live_layers,
                              site, where)
from checker.explain import (ADDED, COMPILED, MADE, SITES, captured,
                             crash_text, hint_for)

keras = tf.keras
EPSILON = 1e-7  # Keras clips probabilities to [EPSILON, 1 - EPSILON]
TRAINED_IMAGES, MAIN_IMAGES = tasks.TRAINED_IMAGES, tasks.MAIN_IMAGES


def import_task(task, folder):
    """Imports the task file from folder as the grader does; returns
    (module or None, the outcome of a crash). What it prints goes to the
    judge, who reads it."""
    if folder not in sys.path:
        sys.path.insert(0, folder)
    try:
        return __import__(task), None
    except BaseException as error:
        return None, ('fail', crash_text(error), hint_for(error))


def build(module, arguments, seen):
    """Calls module.autoencoder(*arguments); returns the outcome of the
    'builds' check and puts the models and what it printed in seen."""
    factory = getattr(module, 'autoencoder', None)
    if factory is None:
        others = [name for name, value in vars(module).items()
                  if callable(value) and not name.startswith('_')
                  and getattr(value, '__module__', '') == module.__name__]
        # an older edition named the function after its task ('sparse')
        named = [name for name in others if name in module.__name__]
        others = named or others
        return ('fail', 'no function autoencoder in the file',
                'the current specification names the function autoencoder'
                + (' (found: {})'.format(', '.join(others)) if others
                   else '') + ': def autoencoder({}):'.format(', '.join(
                       tasks.PROTOTYPES[module.__name__])))
    models = make(module, arguments)
    if not isinstance(models, (tuple, list)) or len(models) != 3 or \
            not all(isinstance(m, keras.Model) for m in models):
        return 'autoencoder{} returned {}; expected encoder, decoder, auto: ' \
            'three Keras models'.format(tuple(arguments), type_list(models))
    seen['models'] = models
    built(module.__name__, models, arguments)
    # a model that cannot run at all fails here, once, with its error
    try:
        forward(models[2], images(module.__name__, arguments, 2))
    except Exception as error:
        where = SITES.get(id(models[2]))
        return ('fail', 'running auto{}: {}'.format(
            ' (made at {})'.format(where) if where else '',
            crash_text(error)), hint_for(error))
    if module.__name__ == '3-variational':
        try:
            seen['roles'], seen['moving'] = vae_roles(models[0])
        except Exception:
            # vae_outputs runs it again and reports the crash
            seen['roles'], seen['moving'] = None, None
    return None


def built(task, models, arguments):
    """Builds the models that have no inputs yet (a Sequential model given
    no Input), on the shapes the specification gives them."""
    def shape(size):
        """Returns the batch shape of one input of size."""
        return (None,) + (tuple(size) if isinstance(size, (tuple, list))
                          else (size,))
    wanted = [shape(arguments[0]), shape(arguments[2]), shape(arguments[0])]
    for model, batch_shape in zip(models, wanted):
        if getattr(model, 'inputs', None) is None:
            try:
                model.build(batch_shape)
            except Exception:
                pass  # the structure check reports the missing inputs


def make(module, arguments, seed=0):
    """Returns what module.autoencoder(*arguments) returns, in a fresh
    session seeded with seed."""
    keras.backend.clear_session()
    SITES.clear()
    MADE.clear()
    ADDED.clear()
    keras.utils.set_random_seed(seed)
    return module.autoencoder(*arguments)


def type_list(value):
    """Returns a short description of what a factory returned."""
    if isinstance(value, (tuple, list)):
        return '{} of {}'.format(type(value).__name__, ', '.join(
            type(v).__name__ for v in value))
    return type(value).__name__


def vae_roles(encoder, n=64):
    """Finds which of the VAE encoder's outputs is z (the one that changes
    between two calls on the same images), the mean and the log variance
    (the other two, in their order); returns ({'z': i, 'mean': j,
    'log_var': k} in the specification's order when z cannot be told
    apart, which outputs moved)."""
    x = images('3-variational', (encoder.inputs[0].shape[-1],), n)
    outputs = list(range(len(encoder.outputs)))
    if len(outputs) != 3:
        return None, []
    first = forward(encoder, x)
    second = forward(encoder, x)
    moving = [i for i in outputs
              if not np.allclose(first[i], second[i])]
    if len(moving) != 1:
        return dict(zip(spec.ROLES, outputs)), moving
    rest = [i for i in outputs if i != moving[0]]
    return {'z': moving[0], 'mean': rest[0], 'log_var': rest[1]}, moving


def structure(task, models, arguments, roles=None):
    """The specification's sentences on layers and shapes, every problem
    at once; for tasks 0 to 2 also that auto is decoder(encoder(x))."""
    problems = spec.merged(spec.STRUCTURE[task](
        described(models), *arguments[:3], roles=roles))
    if problems or task == '3-variational':
        return '; '.join(problems) or None
    encoder, decoder, auto = models
    x = images(task, arguments, 8)
    direct = forward(auto, x)
    chained = forward(decoder, forward(encoder, x))
    if not np.allclose(direct, chained, atol=1e-5):
        return 'auto(x) differs from decoder(encoder(x)) by up to {:.3g}: ' \
            'auto must be the decoder applied to the encoder\'s ' \
            'output'.format(float(np.max(np.abs(direct - chained))))
    return None


def images(task, arguments, n, seed=0):
    """Returns n random images in [0, 1] of the task's input shape."""
    shape = tuple(arguments[0]) if task == '2-convolutional' \
        else (arguments[0],)
    return np.random.default_rng(seed).random((n,) + shape,
                                              dtype=np.float32)


def binary_cross_entropy(x, p, axis=-1):
    """Returns the mean binary cross-entropy of p against x over axis."""
    p = np.clip(p.astype(np.float64), EPSILON, 1 - EPSILON)
    return -np.mean(x * np.log(p) + (1 - x) * np.log(1 - p), axis=axis)


def compiled_at(auto):
    """Returns ' (auto.compile at FILE:LINE)' or ''."""
    found = COMPILED.get(id(auto))
    return ' (compile at {})'.format(found) if found else ''


def compiled(task, models, arguments):
    """auto is compiled with adam and, but for the VAE, whose loss
    vae_loss checks, binary cross-entropy."""
    auto = models[2]
    optimizer = getattr(auto, 'optimizer', None)
    if optimizer is None:
        return 'auto is not compiled; the specification compiles it with ' \
            'adam and binary cross-entropy'
    if type(optimizer).__name__.lower() != 'adam':
        return 'auto is compiled with {}{}; the specification asks for ' \
            'adam'.format(type(optimizer).__name__, compiled_at(auto))
    if task == '3-variational':
        return None
    loss = keras.losses.get(auto.loss) if isinstance(auto.loss, str) \
        else auto.loss
    x = images(task, arguments, 16)
    p = np.clip(np.random.default_rng(1).random(x.shape, dtype=np.float32),
                0.05, 0.95)
    value = float(np.mean(np.asarray(loss(x, p))))
    wanted = float(np.mean(binary_cross_entropy(x.reshape(16, -1),
                                                p.reshape(16, -1))))
    if not np.isclose(value, wanted, rtol=1e-3):
        return 'auto\'s loss gives {:.4f} on a batch where binary ' \
            'cross-entropy gives {:.4f}{}; the specification asks for ' \
            'binary cross-entropy'.format(value, wanted, compiled_at(auto))
    return None


def regularizer(task, module, models, arguments):
    """Task 1: an L1 activity regularizer of lambtha on the latent layer
    only, whose penalty is in the loss; a weight regularizer, or any
    regularizer on task 0's layers, only earns a note: the specification
    does not name them, but they change the loss the main prints."""
    encoder, decoder, _ = models
    everything = [(name, index, layer) for name, model in
                  (('encoder', encoder), ('decoder', decoder))
                  for index, layer in enumerate(live_layers(model), 1)]
    latent = live_layers(encoder)[-1]
    found = [(name, index, layer, kind, regularizer)
             for name, index, layer in everything
             for kind in ('activity', 'kernel', 'bias')
             for regularizer in [getattr(layer, kind + '_regularizer', None)]
             if regularizer is not None
             and (task, layer, kind) != ('1-sparse', latent, 'activity')]

    def said(kinds):
        """Returns the found regularizers of kinds, as a message says."""
        return '; '.join(spec.merged(['{}: {} regularizer {}'.format(
            where(name, index, layer), kind, describe_regularizer(r))
            for name, index, layer, kind, r in found if kind in kinds]))
    if task == '1-sparse':
        problem = sparse_penalty(arguments, latent)
        if problem is None and said(('activity',)):
            problem = '{}; only the latent layer has an activity ' \
                'regularizer'.format(said(('activity',)))
        if problem is None:
            problem = sparse_loss(task, module, arguments)
        if problem:
            return problem
    if not found:
        return None
    return ('note', '{}; the specification {} (not counted, but the loss '
            'and what the main prints change)'.format(
                said(('activity', 'kernel', 'bias')),
                'regularizes only the encoded output' if task == '1-sparse'
                else 'names no regularizer for the vanilla autoencoder'),
            'remove the regularizer')


def sparse_penalty(arguments, latent):
    """Returns how the sparse model's latent layer differs from one with an
    L1 activity regularizer of lambtha (None if it does not)."""
    lambtha = float(arguments[3])
    found = getattr(latent, 'activity_regularizer', None)
    l1 = float(getattr(found, 'l1', 0) or 0)
    l2 = float(getattr(found, 'l2', 0) or 0)
    if found is None or not np.isclose(l1, lambtha, rtol=1e-6) or l2:
        weights = getattr(latent, 'kernel_regularizer', None)
        return 'encoder\'s latent layer ({}{}): activity regularizer {}; ' \
            'the specification asks for L1 of lambtha = {:g}{}'.format(
                type(latent).__name__, site(latent),
                describe_regularizer(found), lambtha,
                '; its kernel regularizer {} penalizes the weights, not the '
                'encoded output'.format(describe_regularizer(weights))
                if weights is not None else '')
    return None


def sparse_loss(task, module, arguments, lambtha=0.1):
    """Returns how the loss on a batch of the sparse model built with a
    lambtha large enough to be seen differs from the cross-entropy plus
    lambtha times the codes' L1 norm, divided by the batch size (Keras 2
    and 3.14+) or not (Keras 3.0 to 3.13); None if it does not. A latent
    layer whose regularizer's factor stays what it was with the main's
    lambtha is named as that."""
    encoder, decoder, auto = make(module, tuple(arguments[:3]) +
                                  (lambtha,))
    latent = live_layers(encoder)[-1]
    found = getattr(latent, 'activity_regularizer', None)
    if found is not None and not np.isclose(
            float(getattr(found, 'l1', 0) or 0), lambtha, rtol=1e-6):
        # the main's lambtha written in place of the argument
        return ('fail', 'built with lambtha = {:g}, the encoder\'s latent '
                'layer ({}{}) has the activity regularizer {}: its factor '
                'does not follow lambtha'.format(
                    lambtha, type(latent).__name__, site(latent),
                    describe_regularizer(found)),
                'give the regularizer the argument: '
                'keras.regularizers.l1(lambtha)')
    x = images(task, arguments, 16)
    code = forward(encoder, x)
    cross_entropy = float(np.mean(binary_cross_entropy(
        x, forward(decoder, code))))
    with captured():
        loss = float(np.ravel(auto.evaluate(x, x, batch_size=16,
                                            verbose=0))[0])
    penalty = lambtha * float(np.abs(code).sum())
    if not any(np.isclose(loss, cross_entropy + penalty / n, rtol=1e-3)
               for n in (16, 1)):
        return 'with lambtha = {:g}, the loss is {:.4f} on a batch where ' \
            'the cross-entropy plus lambtha times the L1 norm of the ' \
            'codes gives {:.4f}: the penalty on the encoded output is ' \
            'not in the loss as the specification has it'.format(
                lambtha, loss, cross_entropy + penalty / 16)
    return None


def describe_regularizer(found):
    """Returns 'L1(l1=1e-05, l2=None)' or 'none'."""
    def factor(value):
        """Returns a factor as written (float32's noise left out)."""
        return None if value is None else '{:.6g}'.format(float(value))
    if found is None:
        return 'none'
    return '{}(l1={}, l2={})'.format(type(found).__name__,
                                     factor(getattr(found, 'l1', None)),
                                     factor(getattr(found, 'l2', None)))


@functools.lru_cache(maxsize=1)
def training_images():
    """Returns the first TRAINED_IMAGES MNIST training images in [0, 1],
    loaded once for every task of the process."""
    (x, _), _ = mains.load_data(argparse.Namespace(limit=TRAINED_IMAGES))
    return x.astype('float32') / 255.


def trains(task, module, arguments, probe=None):
    """Three epochs on TRAINED_IMAGES MNIST images lower the loss, with
    no NaN; with probe, sends the judge the models' weights before and
    after (the judge measures the loss itself, on images the fit did not
    see)."""
    x = training_images()
    x = x.reshape((-1, 28, 28, 1)) if task == '2-convolutional' \
        else x.reshape((-1, 784))
    encoder, decoder, auto = make(module, arguments)
    arrays = {}
    before = {name: describe(model, arrays, 'before.' + name)
              for name, model in (('encoder', encoder), ('decoder', decoder))}
    with captured():
        # (within captured(): an optimizer of the file's may print)
        build_optimizer(auto)
        losses = auto.fit(x, x, epochs=tasks.TRAINED_EPOCHS,
                          batch_size=64, verbose=0,
                          shuffle=True).history['loss']
    after = {name: describe(model, arrays, 'after.' + name)
             for name, model in (('encoder', encoder), ('decoder', decoder))}
    if probe is not None:
        probe.write(arrays, kind='trained', before=before, after=after,
                    losses=[float(v) for v in losses])
    if not np.all(np.isfinite(losses)):
        return 'training losses {}: not finite'.format(losses)
    if not losses[-1] < losses[0]:
        return 'the loss did not fall in {} epochs on {} images: {}'.format(
            tasks.TRAINED_EPOCHS, TRAINED_IMAGES, ', '.join(
                '{:.4f}'.format(v) for v in losses))
    return None


def run_main(task, module, limit=MAIN_IMAGES):
    """Runs test_files/N-main.py for one epoch on limit images with module
    as the task file; what it prints goes to stdout, the judge's pipe."""
    sys.modules[task] = module
    main = os.path.join(ROOT, 'test_files', task.split('-')[0] + '-main.py')
    keras.backend.clear_session()
    with tempfile.TemporaryDirectory() as folder:
        argv, sys.argv = sys.argv, [main, '--epochs', '1', '--limit',
                                    str(limit), '--no-show', '--out', folder]
        # the main's progress (aelib.progress) stays in the copy's folder
        os.environ['AUTOENCODERS_PROGRESS'] = os.path.join(folder,
                                                           'progress')
        # the figures are not checked: drawing them would only cost time
        drawn = {name: value for name, value in vars(plots).items()
                 if name.startswith('plot_')}
        for name in drawn:
            setattr(plots, name, lambda *arguments, **keywords: None)
        try:
            with contextlib.redirect_stderr(io.StringIO()):
                runpy.run_path(main, run_name='__main__')
        finally:
            sys.argv = argv
            for name, value in drawn.items():
                setattr(plots, name, value)
