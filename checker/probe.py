"""Runs the engine checks of one task file, in a process of its own (the
checker never imports a learner's code itself):

    python checker/probe.py --task 0-vanilla --folder COPY --results FILE

COPY is a copy of the learner's folder, the working directory and first on
sys.path, so that `__import__('0-vanilla')` finds the file as the grader's
mains do. Each check appends one JSON line to FILE as soon as it is done, so
that a check that hangs or crashes the process leaves the earlier results.
"""
import argparse
import contextlib
import importlib.util
import io
import json
import os
import re
import runpy
import sys
import tempfile
import traceback

import aelib  # noqa: F401  (first: sets TensorFlow's options, sys.path)
import numpy as np
import tensorflow as tf

from aelib import ROOT, datasets
from checker import spec, tasks

keras = tf.keras
EPSILON = 1e-7  # Keras clips probabilities to [EPSILON, 1 - EPSILON]
KERAS3_HINT = ('on Keras 3, compute the KL term inside a custom layer\'s '
               'call() and add it there with self.add_loss(...); '
               'Model.add_loss and keras.backend ops on symbolic Keras '
               'tensors work on Keras 2 only')


class Probe:
    """Records the results of one task's checks to a JSON-lines file."""

    def __init__(self, path, task):
        """path: the results file; task: '0-vanilla', ..."""
        self.file = open(path, 'a')
        self.task = task
        self.done = {}

    def record(self, check, verdict, message='', hint=''):
        """Writes one check's result."""
        self.done[check] = verdict
        self.file.write(json.dumps({'check': check, 'verdict': verdict,
                                    'message': message, 'hint': hint}) + '\n')
        self.file.flush()

    def run(self, check, function, *arguments):
        """Runs function(*arguments), which returns None (pass), a message
        (fail) or (verdict, message, hint); an exception fails the check
        with the last lines of its traceback."""
        if check not in tasks.engine_checks(self.task):
            return
        needed = tasks.NEEDS.get(check, 'builds')
        if needed and self.done.get(needed) not in ('pass', 'warn'):
            self.record(check, 'skip', 'skipped: {} {}'.format(
                needed, 'failed' if self.done.get(needed) == 'fail'
                else 'did not pass'))
            return
        try:
            outcome = function(*arguments)
        except Exception as error:
            outcome = ('fail', crash_text(error), hint_for(error))
        if outcome is None:
            self.record(check, 'pass')
        elif isinstance(outcome, str):
            self.record(check, 'fail', outcome)
        else:
            self.record(check, *outcome)


def crash_text(error, lines=3):
    """Returns the last lines of an exception's traceback, joined."""
    text = traceback.format_exception(type(error), error,
                                      error.__traceback__)
    flat = ''.join(text).strip().splitlines()
    return 'raised: ' + ' | '.join(line.strip() for line in flat[-lines:])


def hint_for(error):
    """Returns the known fix of an error, or ''."""
    text = str(error)
    if 'KerasTensor' in text or 'symbolic' in text.lower() or \
            "backend' has no attribute" in text:
        return KERAS3_HINT
    return ''


@contextlib.contextmanager
def captured():
    """Collects what is printed to stdout and stderr in .text."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        yield out


def import_task(task, folder):
    """Imports the task file from folder as the grader does; returns
    (module or None, check outcome)."""
    sys.path.insert(0, folder)
    with captured() as out:
        try:
            module = __import__(task)
        except BaseException as error:
            return None, ('fail', crash_text(error), hint_for(error))
    if out.getvalue().strip():
        return module, 'prints while importing: {!r}; importing a task ' \
            'file must print nothing'.format(out.getvalue().strip()[:80])
    return module, None


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
                   else ''))
    keras.backend.clear_session()
    keras.utils.set_random_seed(0)
    with captured() as out:
        try:
            models = factory(*arguments)
        finally:
            seen['printed'] = out.getvalue()
    if not isinstance(models, (tuple, list)) or len(models) != 3 or \
            not all(isinstance(m, keras.Model) for m in models):
        return 'autoencoder{} returned {}; expected encoder, decoder, auto: ' \
            'three Keras models'.format(tuple(arguments), type_list(models))
    seen['models'] = models
    return None


def type_list(value):
    """Returns a short description of what a factory returned."""
    if isinstance(value, (tuple, list)):
        return '{} of {}'.format(type(value).__name__, ', '.join(
            type(v).__name__ for v in value))
    return type(value).__name__


def quiet(seen):
    """Building the models prints nothing."""
    printed = seen['printed'].strip()
    if printed:
        return 'prints while building: {!r}; autoencoder() must print ' \
            'nothing (the checker compares what the main prints)'.format(
                printed.splitlines()[0][:80])
    return None


def structure(task, models, arguments):
    """The specification's sentences on layers and shapes; for tasks 0 to
    2 also that auto is decoder(encoder(x))."""
    problem = spec.STRUCTURE[task](models, *arguments[:3])
    if problem or task == '3-variational':
        return problem
    encoder, decoder, auto = models
    x = images(task, arguments, 8)
    direct = auto.predict(x, verbose=0)
    chained = decoder.predict(encoder.predict(x, verbose=0), verbose=0)
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


def compiled(task, models, arguments):
    """auto is compiled with adam and, but for the VAE, whose loss
    vae_loss checks, binary cross-entropy."""
    auto = models[2]
    optimizer = getattr(auto, 'optimizer', None)
    if optimizer is None:
        return 'auto is not compiled; the specification compiles it with ' \
            'adam and binary cross-entropy'
    if type(optimizer).__name__.lower() != 'adam':
        return 'auto is compiled with {}; the specification asks for ' \
            'adam'.format(type(optimizer).__name__)
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
            'cross-entropy gives {:.4f}; the specification asks for ' \
            'binary cross-entropy'.format(value, wanted)
    return None


def regularizer(models, arguments):
    """Task 1: an L1 activity regularizer of lambtha on the latent layer
    only."""
    encoder, decoder, _ = models
    lambtha = float(arguments[3])
    latent = spec.layers(encoder)[-1]
    found = getattr(latent, 'activity_regularizer', None)
    l1 = float(getattr(found, 'l1', 0) or 0)
    l2 = float(getattr(found, 'l2', 0) or 0)
    if found is None or not np.isclose(l1, lambtha, rtol=1e-6) or l2:
        return 'encoder\'s latent layer: activity regularizer {}; the ' \
            'specification asks for L1 of lambtha = {:g}'.format(
                describe_regularizer(found), lambtha)
    for name, model in (('encoder', encoder), ('decoder', decoder)):
        for index, layer in enumerate(spec.layers(model), 1):
            if model is encoder and layer is latent:
                continue
            if getattr(layer, 'activity_regularizer', None) is not None:
                return '{}: has an activity regularizer too; only the ' \
                    'latent layer has one'.format(
                        spec.where(name, index, layer))
    return None


def describe_regularizer(found):
    """Returns 'L1(1e-05)' or 'none'."""
    if found is None:
        return 'none'
    return '{}(l1={}, l2={})'.format(type(found).__name__,
                                     getattr(found, 'l1', None),
                                     getattr(found, 'l2', None))


def vae_outputs(models):
    """Task 3: the encoder returns z, the mean and the log variance, in
    that order: z random, the mean and log variance not; over many draws
    z has that mean and standard deviation exp(log_var / 2)."""
    encoder = models[0]
    x = np.repeat(images('3-variational', (784,), 1), 2000, axis=0)
    first = encoder.predict(x, verbose=0, batch_size=500)
    second = encoder.predict(x, verbose=0, batch_size=500)
    moving = [not np.allclose(a, b) for a, b in zip(first, second)]
    if moving != [True, False, False]:
        return 'encoder outputs that change between two calls on the same ' \
            'image: {}; the outputs are z (a new sample each call), the ' \
            'mean, the log variance, in that order'.format(
                [i for i, m in enumerate(moving) if m] or 'none')
    z, mean, log_var = first
    epsilon = (z - mean) / np.exp(log_var / 2)
    if abs(epsilon.mean()) > 0.1 or not 0.9 < epsilon.std() < 1.1:
        return '(z - mean) / exp(log_var / 2) has mean {:.2f} and standard ' \
            'deviation {:.2f} over 2000 draws; z = mean + exp(log_var / 2) ' \
            '* epsilon, epsilon from N(0, 1), gives 0 and 1'.format(
                float(epsilon.mean()), float(epsilon.std()))
    return None


def vae_loss(models):
    """Task 3: the loss trained is the binary cross-entropy summed over the
    pixels plus the KL divergence, checked against a hand computation with
    the decoder made blind to z (so that no sampling noise is left)."""
    encoder, decoder, auto = models
    first = [layer for layer in spec.layers(decoder)
             if isinstance(layer, keras.layers.Dense)][0]
    kernel, bias = first.get_weights()
    first.set_weights([np.zeros_like(kernel), bias])
    # means moved to 3 make the KL term about 1.5% of the loss, well
    # beyond the comparison's tolerance, whatever the initial weights
    head = spec.producer(encoder.outputs[1])
    if isinstance(head, keras.layers.Dense):
        kernel, bias = head.get_weights()
        head.set_weights([kernel, bias + 3])
    x = images('3-variational', (784,), 64)
    _, mean, log_var = encoder.predict(x, verbose=0)
    mean, log_var = mean.astype(np.float64), log_var.astype(np.float64)
    reconstruction = decoder.predict(np.zeros_like(mean), verbose=0)
    summed = 784 * binary_cross_entropy(x, reconstruction)
    kl = -0.5 * np.sum(1 + log_var - mean ** 2 - np.exp(log_var), axis=-1)
    expected = float(np.mean(summed + kl))
    loss = auto.evaluate(x, x, batch_size=64, verbose=0)
    loss = float(loss[0] if isinstance(loss, list) else loss)
    if np.isclose(loss, expected, rtol=1e-3):
        return None
    if np.isclose(loss, float(np.mean(summed)), rtol=1e-3):
        found = 'the summed cross-entropy alone: the KL term is missing'
    elif np.isclose(loss, float(np.mean(summed / 784 + kl)), rtol=1e-3):
        found = 'the cross-entropy averaged over the pixels plus the KL ' \
            'term: sum it over the pixels instead'
    elif np.isclose(loss, float(np.mean(summed / 784 + kl / mean.shape[1])),
                    rtol=1e-3):
        found = 'the cross-entropy and the KL term both averaged'
    else:
        found = 'neither'
    return 'the loss trained is {:.3f} on a batch; summed cross-entropy ' \
        'plus KL is {:.3f} ({})'.format(loss, expected, found)


def variants(task, module):
    """Other valid arguments build and keep the same sentences."""
    i64 = np.int64
    cases = {
        '0-vanilla': [(784, [256, 128, 64], 16), (784, [], 8),
                      (100, [50], 5), (i64(784), [i64(64)], i64(16)),
                      (784, (128, 64), 32)],
        '2-convolutional': [((28, 28, 3), [8, 16, 32], (4, 4, 32)),
                            ((i64(28), i64(28), i64(1)), [i64(4), i64(8),
                                                          i64(8)],
                             (i64(4), i64(4), i64(8))),
                            ([28, 28, 1], (16, 8, 8), [4, 4, 8])],
        '3-variational': [(784, [256, 128], 4), (784, [], 2),
                          (100, [50], 3), (i64(784), [i64(64)], i64(2)),
                          (784, (128,), 2)],
    }
    cases['1-sparse'] = [case + (1e-4,) for case in cases['0-vanilla']]
    for arguments in cases[task]:
        keras.backend.clear_session()
        with captured():
            try:
                models = module.autoencoder(*arguments)
            except Exception as error:
                return 'autoencoder{} raised: {}'.format(
                    shown(arguments), str(error).splitlines()[0][:120])
        problem = spec.STRUCTURE[task](
            models, *[plain(a) for a in arguments[:3]])
        if problem:
            return 'autoencoder{}: {}'.format(shown(arguments), problem)
    return None


def plain(value):
    """Returns value with numpy integers and tuples as ints and lists."""
    if isinstance(value, (tuple, list)):
        return [plain(v) for v in value]
    return int(value) if isinstance(value, np.integer) else value


def shown(arguments):
    """Returns the arguments as a call shows them, numpy types named."""
    def one(value):
        """Returns one argument's text."""
        if isinstance(value, np.integer):
            return 'np.int64({})'.format(int(value))
        if isinstance(value, (tuple, list)):
            inner = ', '.join(one(v) for v in value)
            return '({}{})'.format(inner, ',' if len(value) == 1 else '') \
                if isinstance(value, tuple) else '[{}]'.format(inner)
        return repr(value)
    return '(' + ', '.join(one(a) for a in arguments) + ')'


def trains(task, module, arguments):
    """Two epochs on 512 MNIST images lower the loss, with no NaN."""
    (x, _), _ = datasets.load('mnist')
    x = x[:512].astype('float32') / 255.
    x = x.reshape((-1, 28, 28, 1)) if task == '2-convolutional' \
        else x.reshape((-1, 784))
    keras.backend.clear_session()
    keras.utils.set_random_seed(0)
    with captured():
        auto = module.autoencoder(*arguments)[2]
        losses = auto.fit(x, x, epochs=3, batch_size=64, verbose=0,
                          shuffle=True).history['loss']
    if not np.all(np.isfinite(losses)):
        return 'training losses {}: not finite'.format(losses)
    if not losses[-1] < losses[0]:
        return 'the loss did not fall in 3 epochs on 512 images: {}'.format(
            ', '.join('{:.4f}'.format(v) for v in losses))
    return None


KERAS_LINE = re.compile(r'^Epoch \d+/\d+$|step|━|\[=*>?\.*\]')
FLOAT = r'-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?'


def run_main(task, module, limit=256):
    """Runs test_files/N-main.py for one epoch on limit images with module
    as the task file; returns the lines it printed to stdout, Keras's
    progress lines left out."""
    sys.modules[task] = module
    main = os.path.join(ROOT, 'test_files', task.split('-')[0] + '-main.py')
    keras.backend.clear_session()
    with tempfile.TemporaryDirectory() as folder:
        argv, sys.argv = sys.argv, [main, '--epochs', '1', '--limit',
                                    str(limit), '--no-show', '--out', folder]
        # the main's progress (aelib.progress) stays in the copy's folder
        os.environ['AUTOENCODERS_PROGRESS'] = os.path.join(folder,
                                                           'progress')
        out = io.StringIO()
        try:
            with contextlib.redirect_stdout(out), \
                    contextlib.redirect_stderr(io.StringIO()):
                runpy.run_path(main, run_name='__main__')
        finally:
            sys.argv = argv
    return [line.rstrip() for line in out.getvalue().splitlines()
            if line.strip() and not KERAS_LINE.search(line)]


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


def main_output(task, module, seen):
    """The task's main, on a slice and one epoch, prints what the
    specification's main prints, in its format."""
    seen['main_lines'] = lines = run_main(task, module)
    return main_format(task, lines)


def seeded_value(task, seen):
    """A warning, not a failure: the printed values, seeded, against this
    project's own file's on the same engine."""
    path = os.path.join(ROOT, task + '.py')
    ours = importlib.util.module_from_spec(
        importlib.util.spec_from_file_location(task, path))
    ours.__spec__.loader.exec_module(ours)
    reference = run_main(task, ours)
    if reference == seen['main_lines']:
        return None
    return ('warn', 'printed {!r} where this project\'s {}.py prints {!r} '
            'with the same seed and data: the models draw their initial '
            'weights in another order, so printed numbers will not match '
            'the specification\'s exactly'.format(
                seen['main_lines'][-1][:40], task, reference[-1][:40]), '')


def main(argv=None):
    """Runs the checks of one task on this process's engine."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--task', choices=tasks.TASKS, required=True)
    parser.add_argument('--folder', required=True)
    parser.add_argument('--results', required=True)
    args = parser.parse_args(argv)
    task, probe, seen = args.task, Probe(args.results, args.task), {}
    arguments = tasks.MAIN_ARGS[task]
    module, outcome = import_task(task, os.path.abspath(args.folder))
    probe.run('imports_cleanly', lambda: outcome)
    if module is None:
        for check in tasks.engine_checks(task)[1:]:
            probe.record(check, 'skip', 'skipped: imports_cleanly failed')
        return
    probe.run('builds', build, module, arguments, seen)
    models = seen.get('models')
    probe.run('quiet', quiet, seen)
    probe.run('structure', structure, task, models, arguments)
    probe.run('compiled', compiled, task, models, arguments)
    probe.run('regularizer', regularizer, models, arguments)
    probe.run('vae_outputs', vae_outputs, models)
    probe.run('vae_loss', vae_loss, models)
    probe.run('variants', variants, task, module)
    probe.run('trains', trains, task, module, arguments)
    probe.run('main_output', main_output, task, module, seen)
    probe.run('seeded_value', seeded_value, task, seen)


if __name__ == '__main__':
    main()
