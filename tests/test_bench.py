"""The benchmark on a one-epoch, small-slice run: a valid results file, the
figures, and a README section generated from the records."""
import json
import os
import subprocess
import sys

import pytest

from conftest import ROOT
from tools import bench


@pytest.fixture(scope='module')
def run(tmp_path_factory):
    """Runs the benchmark for tasks 0 and 3, one epoch on 256 images, and
    rewrites a README copy; returns (results, folder, README text)."""
    folder = tmp_path_factory.mktemp('bench')
    readme = folder / 'README.md'
    readme.write_text('# Title\n\n{}\nstale text\n{}\nafter\n'.format(
        bench.BEGIN, bench.END))
    env = dict(os.environ, MPLBACKEND='Agg', TF_CPP_MIN_LOG_LEVEL='2')
    subprocess.run(
        [sys.executable, os.path.join(ROOT, 'tools', 'bench.py'),
         '--epochs', '1', '--limit', '256', '--tasks', '0', '3',
         '--json', str(folder / 'results.json'), '--figures', str(folder),
         '--readme', str(readme)],
        check=True, env=env, capture_output=True, timeout=600)
    with open(folder / 'results.json') as f:
        return json.load(f), folder, readme.read_text()


def test_results_file_has_the_documented_fields(run):
    results, _, _ = run
    import tensorflow as tf
    assert results['tensorflow'] == tf.__version__
    assert results['epochs'] == 1 and results['limit'] == 256
    assert results['machine'] and results['matmul_gflops'] > 0
    assert list(results['tasks']) == ['0-vanilla', '3-variational']
    for record in results['tasks'].values():
        for key in ('loss', 'val_loss', 'epoch_seconds', 'gflops'):
            assert len(record[key]) == 1, key
        assert record['params'] > 0 and record['peak_memory_mb'] > 0
        assert record['epoch_seconds'][0] > 0 and record['gflops'][0] > 0
        assert record['wall_seconds'] > sum(record['epoch_seconds'])
    assert set(results['tasks']['0-vanilla']['printed']) == {'mean'}
    vae = results['tasks']['3-variational']['printed']
    assert len(vae['mu']) == 10 and len(vae['sigma'][0]) == 2


def test_vae_loss_is_on_the_summed_scale(run):
    results, _, _ = run
    assert 150 < results['tasks']['3-variational']['loss'][0] < 600
    assert results['tasks']['0-vanilla']['loss'][0] < 1


def test_figures_are_written(run):
    _, folder, _ = run
    for name in ('loss-curves', '0-vanilla-reconstructions',
                 '3-variational-reconstructions', '3-variational-manifold',
                 '3-variational-latent'):
        with open(folder / (name + '.png'), 'rb') as f:
            assert f.read(8) == b'\x89PNG\r\n\x1a\n', name


def test_readme_section_is_generated_from_the_records(run):
    results, _, text = run
    assert 'stale text' not in text
    assert text.startswith('# Title\n') and text.endswith('after\n')
    vanilla = results['tasks']['0-vanilla']
    row = [line for line in text.splitlines()
           if line.startswith('| 0-vanilla |')][0]
    assert '{:.4f} / {:.4f} (0.2462 / 0.1704)'.format(
        vanilla['loss'][0], vanilla['val_loss'][0]) in row
    assert 'TensorFlow {}'.format(results['tensorflow']) in text


def test_keras3_records_are_compared_side_by_side(run):
    results, _, _ = run
    other = dict(results, tensorflow='9.9', keras='3.99')
    text = bench.markdown(results, 'results', other)
    assert 'The same run on TensorFlow 9.9 (Keras 3.99)' in text
    assert len([line for line in text.splitlines()
                if line.startswith('| 3-variational |')]) == 2


@pytest.mark.application
def test_ablation_writes_both_loss_histories(tmp_path):
    from tools import vae_kl_ablation
    path = tmp_path / 'ablation.json'
    vae_kl_ablation.main(['--epochs', '2', '--limit', '256', '--json',
                          str(path)])
    results = json.loads(path.read_text())
    assert results['epochs'] == 2
    for variant in ('kl_sum', 'kl_mean'):
        assert len(results[variant]['loss']) == 2
        assert len(results[variant]['val_loss']) == 2
    text = bench.markdown(run_results_stub(), '.', ablation=results)
    assert '| KL averaged over latent dimensions | {:.4f}'.format(
        results['kl_mean']['loss'][0]) in text


def run_results_stub():
    """Returns the smallest results record markdown() accepts."""
    return {'machine': 'm', 'tensorflow': 't', 'keras': 'k', 'numpy': 'n',
            'python': 'p', 'epochs': 1, 'limit': None, 'matmul_gflops': 1.0,
            'figures': '.', 'tasks': {}}


def test_ablation_layer_halves_the_kl_term_of_a_2d_latent():
    import numpy as np
    from tools import vae_kl_ablation
    from conftest import batch, layers

    vae = vae_kl_ablation.vae
    task_sampling = vae.Sampling
    encoder, decoder, summed = vae.autoencoder(64, [16], 2)
    vae.Sampling = vae_kl_ablation.MeanKLSampling
    try:
        _, _, averaged = vae.autoencoder(64, [16], 2)
    finally:
        vae.Sampling = task_sampling
    averaged.set_weights(summed.get_weights())
    for model in (summed, averaged):
        # a decoder blind to z makes the cross-entropy term exact
        first = layers(layers(model)[1])[0]
        kernel, bias = first.get_weights()
        first.set_weights([np.zeros_like(kernel), bias])
    x = batch((64,), n=32)
    _, mean, log_var = encoder.predict(x, verbose=0)
    kl = np.mean(-0.5 * np.sum(1 + log_var - mean ** 2 - np.exp(log_var),
                               axis=-1))
    difference = (summed.evaluate(x, x, batch_size=32, verbose=0)
                  - averaged.evaluate(x, x, batch_size=32, verbose=0))
    assert difference == pytest.approx(kl / 2, rel=1e-3, abs=1e-4)
