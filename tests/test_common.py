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


def test_a_host_is_named_by_family_instructions_and_matmul_rate():
    from aelib import report
    assert report.host_name('AMD EPYC 9R14, 2 cores, 24 GiB, Linux x86_64',
                            {'avx2', 'avx512f'}, 418.2) == 'epyc-avx512-256'
    assert report.host_name('Intel(R) Xeon(R) Processor, 2 cores',
                            {'avx2', 'fma'}, 87.0) == 'xeon-avx2-64'
    # one host measured at 136 and at 227 GFLOP/s keeps its name
    assert report.host_name('Intel(R) Xeon(R) Processor', {'avx512f'},
                            136.0) == report.host_name(
        'Intel(R) Xeon(R) Processor', {'avx512f'}, 227.0)
    # a record older than hosts: the parts it did not keep are left out,
    # and the page says they were not recorded
    old = {'machine': 'AMD EPYC, 2 cores, 24 GiB, Linux x86_64',
           'tensorflow': '2.15.1', 'keras': '2.15.0', 'numpy': '1.25.2',
           'python': '3.11.7'}
    assert report.record_host(old)['name'] == 'epyc'
    text = report.environment_text(old)
    assert text.startswith('host `epyc` (AMD EPYC, 2 cores, 24 GiB, Linux '
                           'x86_64; vector instructions not recorded; '
                           'matmul rate not recorded); TensorFlow 2.15.1')
    new = dict(old, host={'name': 'epyc-avx512-128', 'cpu': 'AMD EPYC',
                          'cpu_flags': ['avx2', 'avx512_vnni', 'avx512f'],
                          'matmul_gflops': 211.1})
    assert report.environment_text(new).startswith(
        'host `epyc-avx512-128` (AMD EPYC; avx512_vnni, avx512f; 211 GFLOP/s '
        'float32 matmul); TensorFlow')
