"""What the four mains share: flags, data, seeding and timing.

The mains import this module and stay short, reading like the spec's mains;
the applications use its flags and seeding too.
"""
import argparse
import importlib.metadata
import json
import os
import sys
import time

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf

from aelib import datasets, progress, task
from aelib.report import positive_int

# the four mains' models: the task file, the arguments the main passes to
# its factory, and the shape of one input image
TASK_MODELS = {
    'vanilla': ('0-vanilla', (784, [128, 64], 32), (784,)),
    'sparse': ('1-sparse', (784, [128, 64], 32, 10e-6), (784,)),
    'convolutional': ('2-convolutional', ((28, 28, 1), [16, 8, 8],
                                          (4, 4, 8)), (28, 28, 1)),
    'variational': ('3-variational', (784, [512], 2), (784,)),
}
NON_INTERACTIVE = {'agg', 'cairo', 'pdf', 'pgf', 'ps', 'svg', 'template'}


def parse_args(description, argv=None):
    """Returns the flags every main accepts; -h explains them."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument('--epochs', type=positive_int, default=50,
                        metavar='N',
                        help='training epochs (default: 50, as in the spec)')
    parser.add_argument('--out', default='outputs', metavar='DIR',
                        help='folder for the PNG figures (default: outputs)')
    parser.add_argument('--limit', type=positive_int, metavar='N',
                        help='use only the first N training and N test '
                             'images (quick runs; default: all)')
    parser.add_argument('--no-show', action='store_true',
                        help='only save the figures, even if a display is '
                             'available')
    parser.add_argument('--metrics', metavar='FILE',
                        help='also write the run\'s losses, epoch times and '
                             'printed values to this JSON file')
    parser.add_argument('--fresh', action='store_true',
                        help='discard the progress an interrupted run of the '
                             'same command kept, and start afresh')
    args = parser.parse_args(argv)
    args.command = os.path.splitext(os.path.basename(sys.argv[0]))[0]
    args.progress = progress.Progress(
        args.command, {'epochs': args.epochs, 'limit': args.limit},
        fresh=args.fresh)
    return args


# the first images of data sets, as load_data() returned them, kept by
# keep_data(): {(name, limit): ((x_train, y_train), (x_test, y_test))}
KEPT = {}


def keep_data(name, *limits):
    """Loads the data set name once (verified, as load_data() loads it)
    and keeps the first images of each split, as many as each of limits:
    this process's later load_data() calls for as many images, and those
    of the processes it forks, return copies of them instead of reading
    and verifying the file again (0.2 s each; the checker's runner keeps
    them once before it runs the mains)."""
    data = load_data(argparse.Namespace(limit=None), name)
    for limit in limits:
        KEPT[name, limit] = tuple(tuple(array[:limit].copy()
                                        for array in split)
                                  for split in data)


def load_data(args, name='mnist'):
    """Returns the data set name ('mnist' or 'fashion_mnist') as Keras's
    load_data() does, offline: the first args.limit images of each split
    (all of them if args.limit is None).

    Exits with a one-line message if the data is missing or corrupt.
    """
    if (name, args.limit) in KEPT:
        return tuple(tuple(array.copy() for array in split)
                     for split in KEPT[name, args.limit])
    try:
        (x_train, y_train), (x_test, y_test) = datasets.load(name)
    except datasets.DataError as error:
        sys.exit('error: {}'.format(error))
    n = args.limit
    return (x_train[:n], y_train[:n]), (x_test[:n], y_test[:n])


def build(name, *arguments):
    """Returns encoder, decoder, auto of the task model name ('vanilla',
    'sparse', 'convolutional', 'variational') in a fresh Keras session,
    seeded as the mains seed it; with the mains' arguments unless others
    are given."""
    module = TASK_MODELS[name][0]
    tf.keras.backend.clear_session()
    seed(0)
    return task(module).autoencoder(*(arguments or TASK_MODELS[name][1]))


def seed(value=0):
    """Seeds Python's random, numpy and TensorFlow at once (and, on Keras 3,
    Keras's own generator), as np.random.seed and tf.random.set_seed would."""
    tf.keras.utils.set_random_seed(value)


class EpochLine(tf.keras.callbacks.Callback):
    """Prints one line per epoch: name, epoch k/N, the loss and the logged
    values named in keys, and the epoch's seconds."""

    def __init__(self, name, keys=('val_loss',), total=None):
        """name: what is trained; keys: the logs to print beside loss;
        total: the epochs in all, where one fit() runs only some."""
        super().__init__()
        self.name, self.keys, self.total = name, tuple(keys), total

    def on_epoch_begin(self, epoch, logs=None):
        """Notes when the epoch starts."""
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        """Prints the epoch's line."""
        logs = logs or {}
        values = ', '.join('{} {:.4f}'.format(key, logs[key])
                           for key in ('loss',) + self.keys if key in logs)
        print('{} epoch {}/{}: {} ({:.1f} s)'.format(
            self.name, epoch + 1, self.total or self.params.get('epochs'),
            values,
            time.perf_counter() - self.start), file=sys.stderr)


def fit(args, model, x, y, **arguments):
    """Trains model as model.fit(x, y, **arguments) would, one epoch at a
    time, keeping its progress (aelib.progress) so that the same command
    run again after an interruption resumes from the last finished epoch.
    Returns the History of every epoch (their seconds in .seconds)."""
    number = args.command.split('-')[0]
    name = (list(TASK_MODELS)[int(number)] if number in ('0', '1', '2', '3')
            else args.command)
    return args.progress.fit(name, model, x, y, **arguments)


def count_macs(model):
    """Returns the multiply-adds of one sample's forward pass through the
    Dense and Conv2D layers of model (nested models included)."""
    total = 0
    for layer in model.layers:
        if isinstance(layer, tf.keras.Model):
            total += count_macs(layer)
        elif isinstance(layer, tf.keras.layers.Conv2D):
            height, width = layer.output.shape[1:3]
            total += int(np.prod(layer.kernel.shape)) * height * width
        elif isinstance(layer, tf.keras.layers.Dense):
            total += int(np.prod(layer.kernel.shape))
    return total


def peak_memory_mb():
    """Returns this process's peak resident memory in MiB, or None."""
    try:
        import resource
    except ImportError:
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1 << 20 if sys.platform == 'darwin' else 1 << 10)


def finish(args, name, auto, history, printed):
    """Writes the metrics file if asked, removes the run's progress (it is
    complete), then shows the figures if a display is available (otherwise
    they are only saved)."""
    if args.metrics:
        record = {
            'task': name,
            'tensorflow': tf.__version__,
            'keras': importlib.metadata.version('keras'),
            'backend': tf.keras.backend.backend(),
            'backend_version': tf.__version__
            if tf.keras.backend.backend() == 'tensorflow'
            else importlib.metadata.version(tf.keras.backend.backend()),
            'epochs': len(history.history['loss']),
            'limit': args.limit,
            'params': auto.count_params(),
            'macs_per_sample': count_macs(auto),
            'loss': history.history['loss'],
            'val_loss': history.history['val_loss'],
            'epoch_seconds': history.seconds,
            'peak_memory_mb': peak_memory_mb(),
            'printed': printed,
        }
        with args.progress.critical():
            with open(args.metrics, 'w') as f:
                json.dump(record, f, indent=1)
        print('wrote {}'.format(args.metrics), file=sys.stderr)
    args.progress.finish()
    backend = matplotlib.get_backend().lower()
    if not args.no_show and backend not in NON_INTERACTIVE:
        plt.show()
    plt.close('all')
