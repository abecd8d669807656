"""The helpers the mains share: tiling, figure files and operation counts."""
import argparse

import numpy as np

from aelib import mains, plots
from conftest import MAIN_ARGS, task


def test_tile_puts_image_i_n_plus_j_at_block_row_i_column_j():
    images = np.arange(9 * 2 * 3).reshape(9, 2, 3)
    picture = plots.tile(images, 3)
    assert picture.shape == (6, 9)
    for i in range(3):
        for j in range(3):
            np.testing.assert_array_equal(
                picture[2 * i:2 * i + 2, 3 * j:3 * j + 3], images[3 * i + j])


def test_count_macs_counts_dense_layers():
    _, _, auto = task('0-vanilla').autoencoder(*MAIN_ARGS['0-vanilla'])
    assert mains.count_macs(auto) == 2 * (784 * 128 + 128 * 64 + 64 * 32)


def test_count_macs_counts_each_output_pixel_of_a_convolution():
    _, _, auto = task('2-convolutional').autoencoder(
        *MAIN_ARGS['2-convolutional'])
    # output height * width * 3 * 3 * input channels * filters, per layer
    expected = (28 * 28 * 9 * 1 * 16 + 14 * 14 * 9 * 16 * 8
                + 7 * 7 * 9 * 8 * 8 + 4 * 4 * 9 * 8 * 8 + 8 * 8 * 9 * 8 * 8
                + 14 * 14 * 9 * 8 * 16 + 28 * 28 * 9 * 16 * 1)
    assert mains.count_macs(auto) == expected


def test_figures_are_saved_as_png_in_the_out_folder(tmp_path):
    args = argparse.Namespace(out=str(tmp_path / 'figures'))
    images = np.random.default_rng(0).random((10, 784))
    path = plots.plot_reconstructions(args, 'x', images, images)
    assert path == str(tmp_path / 'figures' / 'x-reconstructions.png')
    with open(path, 'rb') as f:
        assert f.read(8) == b'\x89PNG\r\n\x1a\n'
    grid = np.linspace(-3, 3, 5)
    assert plots.plot_manifold(args, 'x', np.zeros((25, 784)), grid) \
        .endswith('x-manifold.png')
    labels = np.arange(100) % 10
    assert plots.plot_latent_scatter(
        args, 'x', np.random.default_rng(1).random((100, 2)), labels) \
        .endswith('x-latent.png')
