#!/usr/bin/env python3
"""What the four mains share: flags, data, seeding, timing and figures.

The mains import this module and stay short, reading like the spec's mains.
Importing it also lets `__import__('0-vanilla')` find the task modules at
the repository root, wherever a main is started from.
"""
import argparse
import importlib.metadata
import json
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

import matplotlib  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import mnist_data  # noqa: E402

NON_INTERACTIVE = {'agg', 'cairo', 'pdf', 'pgf', 'ps', 'svg', 'template'}


def positive_int(text):
    """argparse type: an integer of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            'expected a positive integer, got {!r}'.format(text)) from None
    if value < 1:
        raise argparse.ArgumentTypeError(
            'expected a positive integer, got {}'.format(value))
    return value


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
    return parser.parse_args(argv)


def load_mnist(args):
    """Returns MNIST as keras.datasets.mnist.load_data() does, offline.

    Exits with a one-line message if the data is missing or corrupt.
    """
    try:
        (x_train, y_train), (x_test, y_test) = mnist_data.load_data()
    except mnist_data.MNISTDataError as error:
        sys.exit('error: {}'.format(error))
    n = args.limit
    return (x_train[:n], y_train[:n]), (x_test[:n], y_test[:n])


def seed(value=0):
    """Seeds Python's random, numpy and TensorFlow at once (and, on Keras 3,
    Keras's own generator), as np.random.seed and tf.random.set_seed would."""
    tf.keras.utils.set_random_seed(value)


class EpochTimer(tf.keras.callbacks.Callback):
    """Records the wall-clock seconds of every epoch in self.seconds."""

    def on_train_begin(self, logs=None):
        """Starts with no epochs timed."""
        self.seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        """Notes when the epoch starts."""
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        """Records how long the epoch took, validation included."""
        self.seconds.append(time.perf_counter() - self.start)


def callbacks(args):
    """Returns the callbacks the mains pass to fit (an epoch timer)."""
    args.timer = EpochTimer()
    return [args.timer]


def save(args, figure, name):
    """Writes figure to DIR/name.png and says so on stderr."""
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, name + '.png')
    figure.savefig(path, dpi=80)
    print('wrote {}'.format(path), file=sys.stderr)
    return path


def plot_reconstructions(args, name, originals, reconstructions):
    """Saves a 2x10 grid: originals on top, reconstructions below."""
    originals = np.asarray(originals)[:10]
    reconstructions = np.asarray(reconstructions)[:10]
    figure, axes = plt.subplots(2, len(originals), figsize=(10, 2.4))
    figure.suptitle('{}: test images (top) and their reconstructions'
                    .format(name))
    for column, (original, rebuilt) in enumerate(zip(originals,
                                                     reconstructions)):
        for row, image in enumerate((original, rebuilt)):
            axes[row, column].imshow(image.reshape(28, 28), cmap='gray',
                                     vmin=0, vmax=1)
            axes[row, column].set_xticks([])
            axes[row, column].set_yticks([])
    axes[0, 0].set_ylabel('original')
    axes[1, 0].set_ylabel('decoded')
    return save(args, figure, name + '-reconstructions')


def tile(images, n):
    """Returns n * n images of h x w as one (n * h) x (n * w) picture:
    image i * n + j at block row i, block column j."""
    h, w = images.shape[1:3]
    blocks = images.reshape(n, n, h, w).transpose(0, 2, 1, 3)
    return blocks.reshape(n * h, n * w)


def plot_manifold(args, name, images, grid):
    """Saves the images decoded from the latent grid (grid x grid, z[0]
    varying down the rows, z[1] across) as one picture with axes in z."""
    n = len(grid)
    picture = tile(np.asarray(images).reshape(n * n, 28, 28), n)
    figure, axis = plt.subplots(figsize=(10, 10))
    half = (grid[-1] - grid[0]) / (2 * (n - 1))
    axis.imshow(picture, cmap='gray', vmin=0, vmax=1,
                extent=(grid[0] - half, grid[-1] + half,
                        grid[-1] + half, grid[0] - half))
    axis.set_title('{}: decoder outputs over the latent grid'.format(name))
    axis.set_xlabel('z[1]')
    axis.set_ylabel('z[0]')
    return save(args, figure, name + '-manifold')


def plot_latent_scatter(args, name, means, labels):
    """Saves a scatter of latent means coloured by digit label."""
    figure, axis = plt.subplots(figsize=(7, 6))
    points = axis.scatter(means[:, 0], means[:, 1], c=labels, cmap='tab10',
                          s=2, vmin=-0.5, vmax=9.5)
    figure.colorbar(points, ax=axis, ticks=range(10), label='digit')
    axis.set_title('{}: latent means of the test images'.format(name))
    axis.set_xlabel('mean z[0]')
    axis.set_ylabel('mean z[1]')
    return save(args, figure, name + '-latent')


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
    """Writes the metrics file if asked, then shows the figures if a display
    is available (otherwise they are only saved)."""
    if args.metrics:
        record = {
            'task': name,
            'tensorflow': tf.__version__,
            'keras': importlib.metadata.version('keras'),
            'epochs': len(history.history['loss']),
            'limit': args.limit,
            'params': auto.count_params(),
            'macs_per_sample': count_macs(auto),
            'loss': history.history['loss'],
            'val_loss': history.history['val_loss'],
            'epoch_seconds': args.timer.seconds,
            'peak_memory_mb': peak_memory_mb(),
            'printed': printed,
        }
        with open(args.metrics, 'w') as f:
            json.dump(record, f, indent=1)
        print('wrote {}'.format(args.metrics), file=sys.stderr)
    backend = matplotlib.get_backend().lower()
    if not args.no_show and backend not in NON_INTERACTIVE:
        plt.show()
    plt.close('all')
