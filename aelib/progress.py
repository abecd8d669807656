"""Progress kept as a run goes, so that an interrupted run resumes.

A command that trains opens one Progress, named by the command and the
flags that change what it computes (never by where it writes), by the
Keras version and engine, oneDNN's setting and the four task files'
contents: a different command, engine or edited task file never picks up
another's progress. It lives in .cache/progress/ of the repository (or
$AUTOENCODERS_PROGRESS) and holds

- after each epoch of the model being trained, its variables and its
  optimizer's (weights, Adam's moments and step count, and on Keras 3 the
  random generators' state), with the epochs' logs and seconds
  (Progress.fit);
- after each finished model or experiment, its results (Progress.step).

Everything is written atomically under a new name, then listed with its
SHA-256 in manifest.json, itself replaced atomically: a run killed at any
instant leaves the previous state whole. On opening, the manifest and every
file it lists are verified; progress that is corrupt, partial or foreign
gets one line, is set aside (renamed *.set-aside) and the run starts
afresh.

Deterministic resumption: every epoch starts from generators seeded by the
model's name and the epoch's number alone, the data's order is drawn from
them, and on Keras 2 the training function is traced again so that its
random operations restart from that seed. Epoch k therefore trains on the
same batches with the same noise whether the run was interrupted or not.

SIGINT (Ctrl-C) and SIGTERM print one line saying where the run stopped
and how to resume, and exit with status 130 / 143 without a traceback; a
signal arriving while a file is written takes effect once it is written.
"""
import contextlib
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import zlib

import numpy as np
import tensorflow as tf

from aelib import ROOT
from aelib.datasets import sha256_file as sha256
from aelib.files import write_atomically

FORMAT = 1
ENVIRONMENT_VARIABLE = 'AUTOENCODERS_PROGRESS'
MANIFEST = 'manifest.json'
TASK_FILES = ('0-vanilla.py', '1-sparse.py', '2-convolutional.py',
              '3-variational.py')
EXIT_STATUS = {signal.SIGINT: 130, signal.SIGTERM: 143}


class Unusable(Exception):
    """Progress on disk that cannot be trusted (the message says why)."""


def default_root():
    """Returns the folder every command's progress lives in."""
    return os.environ.get(ENVIRONMENT_VARIABLE) or os.path.join(
        ROOT, '.cache', 'progress')


def engine():
    """Returns what decides the numbers besides the flags: the Keras
    version and engine, oneDNN's setting, and the SHA-256 of the task files
    the command imports (the one already imported, or the one import would
    find)."""
    import importlib.metadata
    import importlib.util
    files = {}
    for name in TASK_FILES:
        module = sys.modules.get(name[:-3])
        path = getattr(module, '__file__', None)
        if path is None:
            spec = importlib.util.find_spec(name[:-3])
            path = spec.origin if spec else None
        files[name] = sha256(path) if path and os.path.isfile(path) else None
    return {'keras': importlib.metadata.version('keras'),
            'backend': tf.keras.backend.backend(),
            'onednn': os.environ.get('TF_ENABLE_ONEDNN_OPTS'),
            'task_files': files}


def epoch_seed(name, epoch, seed=0):
    """Returns the seed of epoch (counted from 0) of the model name."""
    entropy = [seed, epoch, zlib.crc32(name.encode())]
    return int(np.random.SeedSequence(entropy).generate_state(1)[0] >> 1)


def to_json(value, arrays):
    """Returns value (nested dicts, lists, tuples, numbers, strings, None
    and numpy arrays) as JSON, its arrays moved into the dict arrays."""
    if isinstance(value, np.ndarray):
        key = 'a{}'.format(len(arrays))
        arrays[key] = value
        return {'__array__': key}
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise TypeError('a step\'s result may only have string keys')
        return {k: to_json(v, arrays) for k, v in value.items()}
    if isinstance(value, tuple):
        return {'__tuple__': [to_json(v, arrays) for v in value]}
    if isinstance(value, list):
        return [to_json(v, arrays) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError('a step\'s result cannot hold {}'.format(
        type(value).__name__))


def from_json(value, arrays):
    """Returns what to_json turned into value, its arrays from arrays."""
    if isinstance(value, dict):
        if set(value) == {'__array__'}:
            return arrays[value['__array__']]
        if set(value) == {'__tuple__'}:
            return tuple(from_json(v, arrays) for v in value['__tuple__'])
        return {k: from_json(v, arrays) for k, v in value.items()}
    if isinstance(value, list):
        return [from_json(v, arrays) for v in value]
    return value


class History:
    """What Keras's fit returns, for epochs trained over several runs:
    history (each log's values, one per epoch), epoch and seconds (each
    epoch's wall time, validation included)."""

    def __init__(self, history, seconds):
        """history: {log: [value per epoch]}; seconds: per epoch."""
        self.history, self.seconds = history, seconds
        self.epoch = list(range(len(seconds)))


class Progress:
    """One command's progress (see the module's docstring).

    command: a short name ('2-main', 'denoising'); flags: a dict of what
    changes the results (JSON-serializable); fresh: discard any progress
    first; root: the folder progress lives in (default_root()).
    """

    def __init__(self, command, flags, fresh=False, root=None, say=None):
        """Opens (verifying) or creates the command's progress."""
        self.command = command
        self.say = say or (lambda text: print(text, file=sys.stderr,
                                              flush=True))
        identity = {'format': FORMAT, 'command': command, 'flags': flags,
                    'engine': engine()}
        self.key = hashlib.sha256(json.dumps(
            identity, sort_keys=True).encode()).hexdigest()
        self.folder = os.path.join(root or default_root(), '{}-{}'.format(
            command, self.key[:12]))
        self.began = time.perf_counter()
        self.where = 'before training'
        self.pending_signal = None
        self.writing = 0
        self.children = []
        if fresh and os.path.exists(self.folder):
            shutil.rmtree(self.folder)
            self.say('--fresh: progress in {} removed'.format(self.folder))
        self.manifest = self.open(identity)
        self.resumed = bool(self.manifest['steps'] or self.manifest['fits'])
        if self.resumed:
            self.manifest['sessions'] += 1
            self.say('resuming from {} ({} s of work kept)'.format(
                self.folder, round(self.manifest['seconds'])))
        self.handlers = install(self)

    # -- the files

    def path(self, name):
        """Returns the path of the file name in the progress folder."""
        return os.path.join(self.folder, name)

    def open(self, identity):
        """Returns the verified manifest, or a new one (setting aside what
        cannot be trusted)."""
        empty = {'format': FORMAT, 'key': self.key, 'identity': identity,
                 'steps': {}, 'fits': {}, 'seconds': 0.0, 'sessions': 1}
        if not os.path.exists(self.folder):
            return empty
        try:
            manifest = self.verify()
        except Unusable as error:
            aside = self.folder + '.set-aside'
            shutil.rmtree(aside, ignore_errors=True)
            os.replace(self.folder, aside)
            self.say('progress in {} cannot be used ({}); set aside as {}; '
                     'starting afresh'.format(self.folder, error, aside))
            return empty
        listed = {entry['file'] for entry in self.entries(manifest)}
        for name in os.listdir(self.folder):
            if name != MANIFEST and name not in listed:
                os.unlink(self.path(name))
        return manifest

    @staticmethod
    def entries(manifest):
        """Yields every file entry ({'file', 'sha256'}) of manifest."""
        for step in manifest['steps'].values():
            yield from step['files']
        for fit in manifest['fits'].values():
            yield fit

    def verify(self):
        """Returns the manifest on disk if it and every file it lists are
        whole and this command's; raises Unusable otherwise."""
        try:
            with open(self.path(MANIFEST)) as f:
                manifest = json.load(f)
        except FileNotFoundError:
            raise Unusable('no manifest') from None
        except (OSError, ValueError) as error:
            raise Unusable('unreadable manifest: {}'.format(error)) from None
        if not isinstance(manifest, dict) or manifest.get('format') != FORMAT:
            raise Unusable('not a progress manifest of format {}'.format(
                FORMAT))
        if manifest.get('key') != self.key:
            raise Unusable('it belongs to another command, flags, engine or '
                           'task files')
        try:
            for entry in self.entries(manifest):
                path = self.path(entry['file'])
                if not os.path.isfile(path):
                    raise Unusable('{} is missing'.format(entry['file']))
                if sha256(path) != entry['sha256']:
                    raise Unusable('{} is corrupt or partial: its SHA-256 '
                                   'differs'.format(entry['file']))
        except (KeyError, TypeError, AttributeError):
            raise Unusable('a malformed manifest') from None
        return manifest

    def write(self, stem, save):
        """Calls save(path) to write a new file named after stem; returns
        its manifest entry."""
        os.makedirs(self.folder, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self.folder,
                                             prefix='.tmp-' + stem)
        os.close(handle)
        try:
            save(temporary)
            name = '{}-{}'.format(stem, sha256(temporary)[:16])
            os.replace(temporary, self.path(name))
        except BaseException:
            if os.path.exists(temporary):
                os.unlink(temporary)
            raise
        return {'file': name, 'sha256': sha256(self.path(name))}

    def commit(self, old=()):
        """Writes the manifest atomically, then removes the files old that
        it no longer lists."""
        self.manifest['seconds'] = self.seconds_before() + (
            time.perf_counter() - self.began)
        self.began = time.perf_counter()
        write_atomically(self.path(MANIFEST),
                         json.dumps(self.manifest, indent=1) + '\n')
        listed = {entry['file'] for entry in self.entries(self.manifest)}
        for entry in old:
            if entry['file'] not in listed:
                os.unlink(self.path(entry['file']))

    def seconds_before(self):
        """The wall seconds of work kept so far (this run's up to the last
        write included)."""
        return self.manifest['seconds']

    def elapsed(self):
        """Returns the wall seconds of the whole run: the earlier runs'
        kept work plus this run's."""
        return self.manifest['seconds'] + time.perf_counter() - self.began

    def finish(self):
        """Removes the progress: the run is complete."""
        with self.critical():
            shutil.rmtree(self.folder, ignore_errors=True)
        self.where = 'after the run had finished'
        for signum, handler in self.handlers.items():
            signal.signal(signum, handler)
        self.handlers = {}

    # -- interruptions

    @contextlib.contextmanager
    def critical(self):
        """Defers SIGINT and SIGTERM until the block has run."""
        self.writing += 1
        try:
            yield
        finally:
            self.writing -= 1
        if not self.writing and self.pending_signal is not None:
            self.stop(self.pending_signal)

    def stop(self, signum):
        """Says where the run stopped and how to resume, and exits."""
        kept = (self.folder if os.path.exists(self.path(MANIFEST))
                else 'nothing kept yet')
        for child in self.children:
            # a child keeps its own progress: it stops as this run does
            child.send_signal(signum)
            try:
                child.wait(timeout=60)
            except subprocess.TimeoutExpired:
                child.kill()
        sys.stdout.flush()
        print('\ninterrupted by {} {}; progress: {}. Run the same command '
              'again to resume (--fresh starts afresh).'.format(
                  signal.Signals(signum).name, self.where, kept),
              file=sys.stderr, flush=True)
        os._exit(EXIT_STATUS[signum])

    def handle(self, signum, frame):
        """The SIGINT and SIGTERM handler."""
        if self.writing:
            self.pending_signal = signum
        else:
            self.stop(signum)

    def run(self, command, **options):
        """Runs command (subprocess.run's check=True), stopping it with
        the same signal if this run is interrupted."""
        child = subprocess.Popen(command, **options)
        self.children.append(child)
        try:
            status = child.wait()
        finally:
            self.children.remove(child)
        if status:
            raise subprocess.CalledProcessError(status, command)

    # -- results

    def kept(self, name):
        """Returns the value kept under name, or None."""
        entry = self.manifest['steps'].get(name)
        if entry is None:
            return None
        with open(self.path(entry['files'][0]['file'])) as f:
            value = json.load(f)
        arrays = {}
        if len(entry['files']) > 1:
            with np.load(self.path(entry['files'][1]['file'])) as data:
                arrays = {key: data[key] for key in data.files}
        return from_json(value, arrays)

    def keep(self, name, value):
        """Keeps value (nested dicts, lists, tuples, numbers, strings and
        numpy arrays) under name, replacing what was kept there."""
        arrays = {}
        text = json.dumps(to_json(value, arrays))
        with self.critical():
            old = self.manifest['steps'].get(name, {'files': []})['files']
            files = [self.write(name + '.json',
                                lambda path: write_text(path, text))]
            if arrays:
                files.append(self.write(
                    name + '.npz', lambda path: write_arrays(path, arrays)))
            self.manifest['steps'][name] = {'files': files}
            self.commit(old)

    def step(self, name, compute):
        """Returns the result of the step name: kept from an earlier run,
        or compute() (kept for the next). Results are nested dicts, lists,
        tuples, numbers, strings and numpy arrays."""
        if name in self.manifest['steps']:
            self.say('{}: kept from an earlier run'.format(name))
            return self.kept(name)
        self.where = 'in {}'.format(name)
        value = compute()
        self.keep(name, value)
        return value

    # -- training

    def fit(self, name, model, x, y, epochs, batch_size=None,
            validation_data=None, callbacks=(), verbose=1, shuffle=True,
            seed=0):
        """Trains model on (x, y) for epochs as model.fit would (the same
        arguments, Keras's progress bar or lines), one epoch at a time,
        keeping the model and its optimizer after each; resumes from the
        kept epoch. Returns a History of all the epochs.

        x may instead be a function of the epoch (counted from 0) returning
        that epoch's (inputs, targets), y then None: data drawn anew for
        every epoch, from the epoch's number alone. With shuffle, each
        epoch's order is drawn from a generator seeded by name and epoch.
        """
        entry = self.manifest['fits'].get(name)
        history, seconds, start = {}, [], 0
        if entry is not None:
            try:
                restore(model, self.path(entry['file']))
            except ValueError as error:
                self.say('{}: the kept epochs cannot be used ({}); training '
                         'afresh'.format(name, error))
            else:
                history, seconds = entry['history'], entry['seconds']
                start = entry['epoch']
                self.say('resuming {} at epoch {} of {}'.format(
                    name, start + 1, epochs) if start < epochs else
                    '{}: trained in an earlier run ({} epochs)'.format(
                        name, start))
        build_optimizer(model)
        stopper = StopAfterEpoch()
        keras_2 = not hasattr(tf.keras, 'ops')
        on_tensorflow = tf.keras.backend.backend() == 'tensorflow'
        retrace = keras_2 and draws_randomly(model)
        if on_tensorflow:
            # numpy arrays would be converted again by every fit() call
            validation_data = tensors(validation_data)
            if not callable(x):
                x, y = tensors((x, y))
        for epoch in range(start, epochs):
            self.where = 'in {} at epoch {} of {} ({} kept)'.format(
                name, epoch + 1, epochs, 'no epoch' if not epoch else
                'epoch 1' if epoch == 1 else 'epochs 1-{}'.format(epoch))
            tf.keras.utils.set_random_seed(epoch_seed(name, epoch, seed))
            inputs, targets = x(epoch) if callable(x) else (x, y)
            if on_tensorflow and callable(x):
                inputs, targets = tensors((inputs, targets))
            if shuffle:
                order = np.random.permutation(len(inputs))
                same = targets is inputs
                inputs = (tf.gather(inputs, order) if on_tensorflow
                          else inputs[order])
                targets = inputs if same else (
                    tf.gather(targets, order) if on_tensorflow
                    else targets[order])
            if retrace:
                model.train_function = model.test_function = None
            began = time.perf_counter()
            done = model.fit(inputs, targets, batch_size=batch_size,
                             epochs=epochs, initial_epoch=epoch,
                             shuffle=False, validation_data=validation_data,
                             callbacks=list(callbacks) + [stopper],
                             verbose=verbose)
            seconds.append(time.perf_counter() - began)
            for key, values in done.history.items():
                history.setdefault(key, []).extend(
                    float(value) for value in values)
            with self.critical():
                old = [entry] if entry else []
                entry = self.write(name + '.npz',
                                   lambda path: save_variables(model, path))
                entry.update(epoch=epoch + 1, epochs=epochs,
                             history=history, seconds=seconds)
                self.manifest['fits'][name] = entry
                self.commit(old)
                # what a signal deferred until now says
                self.where = 'in {} after epoch {} of {} ({} kept)'.format(
                    name, epoch + 1, epochs, 'epoch 1' if not epoch else
                    'epochs 1-{}'.format(epoch + 1))
        tf.keras.utils.set_random_seed(epoch_seed(name, epochs, seed))
        self.where = 'after training {}'.format(name)
        return History(history, seconds)


class StopAfterEpoch(tf.keras.callbacks.Callback):
    """Ends fit() after one epoch, so that fit(epochs=N, initial_epoch=k)
    trains epoch k + 1 of N and numbers it so."""

    def on_epoch_end(self, epoch, logs=None):
        """Asks fit to stop."""
        self.model.stop_training = True


RANDOM_LAYERS = ('Dropout', 'Noise', 'Random')


def draws_randomly(model):
    """Returns whether a layer of model may draw random numbers while it
    trains: a Dropout, noise or random layer, or one defined outside Keras.
    On Keras 2 their random operations keep their state inside the traced
    training function, which must then be traced again every epoch."""
    for layer in model.submodules:
        kind = type(layer)
        if (any(word in kind.__name__ for word in RANDOM_LAYERS)
                or not kind.__module__.startswith(('keras.', 'tf_keras.'))):
            if isinstance(layer, tf.keras.layers.Layer):
                return True
    return False


def tensors(arrays):
    """Returns the tuple of arrays (or None) as TensorFlow tensors, each
    array converted once (an array given twice stays one tensor)."""
    if arrays is None:
        return None
    converted = {}
    for value in arrays:
        if value is not None and id(value) not in converted:
            converted[id(value)] = tf.convert_to_tensor(value)
    return tuple(None if value is None else converted[id(value)]
                 for value in arrays)


def build_optimizer(model):
    """Makes the variables of model's optimizer (Adam's moments) before
    its first fit, as that fit's first step would make them: a training
    step that makes variables is traced twice, so fit then traces it once
    (0.2 to 0.7 s less a fit, docs/self-check.md). Left to fit where the
    model is not built yet (a Sequential without an Input makes its
    weights in its first call), where it trains with a train_step of its
    own (which may apply its gradients to other variables), and on Keras 2
    where it draws random numbers (the second trace's operation seeds are
    the ones a fit uses)."""
    optimizer = getattr(model, 'optimizer', None)
    if not getattr(model, 'built', False) or not hasattr(
            optimizer, 'build') or type(model).train_step is not \
            tf.keras.Model.train_step or (
                not hasattr(tf.keras, 'ops') and draws_randomly(model)):
        return
    optimizer.build(model.trainable_variables)


def optimizer_variables(model):
    """Returns the model's optimizer's variables, building it first (its
    moments exist only once it is built; building twice does nothing)."""
    optimizer = model.optimizer
    optimizer.build(model.trainable_variables)
    variables = optimizer.variables
    return list(variables() if callable(variables) else variables)


def write_text(path, text):
    """Writes text to the file path."""
    with open(path, 'w') as f:
        f.write(text)


def write_arrays(path, arrays):
    """Writes the dict of arrays to path (.npz)."""
    with open(path, 'wb') as f:
        np.savez(f, **arrays)


def save_variables(model, path):
    """Writes the model's variables and its optimizer's to path (.npz)."""
    values = [np.asarray(v.numpy()) for v in
              list(model.variables) + optimizer_variables(model)]
    with open(path, 'wb') as f:
        np.savez(f, *values)


def restore(model, path):
    """Sets the model's variables and its optimizer's from path; raises
    ValueError if they do not fit this model."""
    variables = list(model.variables) + optimizer_variables(model)
    with np.load(path) as data:
        values = [data['arr_{}'.format(i)] for i in range(len(data.files))]
    if len(values) != len(variables):
        raise ValueError('{} variables kept, the model has {}'.format(
            len(values), len(variables)))
    for variable, value in zip(variables, values):
        if tuple(variable.shape) != value.shape:
            raise ValueError('{} has shape {}, the kept value {}'.format(
                variable.name, tuple(variable.shape), value.shape))
    for variable, value in zip(variables, values):
        variable.assign(value)


def install(progress):
    """Makes SIGINT and SIGTERM stop the run through progress (from the
    main thread only, where Python delivers signals); returns the handlers
    they had."""
    if threading.current_thread() is not threading.main_thread():
        return {}
    return {signum: signal.signal(signum, progress.handle)
            for signum in EXIT_STATUS}
