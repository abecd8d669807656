"""Figures: image grids, the VAE's latent plots, ROC curves and histograms.

Every function draws one figure, writes it as DIR/NAME.png (DIR: args.out)
and returns the path; titles and axes say what is shown. Where args has a
list args.pending (the applications), figures wait there until
write_pending(args), so that a run writes its record before its figures.
"""
import os
import sys

import matplotlib.pyplot as plt
import numpy as np

STRIP_COLUMNS = 10


def save(args, figure, name):
    """Writes figure to DIR/name.png and says so on stderr (or, where
    args.pending is a list, keeps it there to write later); returns the
    path."""
    path = os.path.join(args.out, name + '.png')
    if isinstance(getattr(args, 'pending', None), list):
        args.pending.append((figure, path))
        return path
    os.makedirs(args.out, exist_ok=True)
    figure.savefig(path, dpi=80)
    print('wrote {}'.format(path), file=sys.stderr)
    return path


def write_pending(args):
    """Writes the figures kept in args.pending, in order, and empties it."""
    pending, args.pending = args.pending, None
    for figure, path in pending:
        save(args, figure, os.path.splitext(os.path.basename(path))[0])
    args.pending = []


def image_rows(args, name, rows, title):
    """Saves rows of 28x28 images, one row per entry of the dict rows
    (label: images, aligned column by column), labelled on the left."""
    figure, axes = plt.subplots(len(rows), STRIP_COLUMNS,
                                figsize=(STRIP_COLUMNS, 1.1 * len(rows)),
                                squeeze=False)
    for line, (label, images) in zip(axes, rows.items()):
        for axis, image in zip(line, images[:STRIP_COLUMNS]):
            axis.imshow(np.reshape(image, (28, 28)), cmap='gray', vmin=0,
                        vmax=1)
        for axis in line:
            axis.set_xticks([])
            axis.set_yticks([])
            axis.set_frame_on(axis.has_data())
        line[0].set_ylabel(label, fontsize=8)
    figure.suptitle(title)
    return save(args, figure, name)


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
