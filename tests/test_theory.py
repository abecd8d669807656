"""The theory experiments: the balanced subset sampler, and the whole
application end to end on a slice (one epoch, 300 images, one subset)."""
import numpy as np
import pytest

from conftest import run_with_readme
from applications import theory

KEYS = {'experiment', 'variant', 'metric', 'value', 'std', 'n_labels',
        'epochs'}


def test_balanced_subset_takes_n_over_10_of_each_class():
    labels = np.repeat(np.arange(10), 50)[::-1]
    subset = theory.balanced_subset(labels, 100, seed=0)
    assert len(subset) == len(set(subset)) == 100
    assert np.bincount(labels[subset]).tolist() == [10] * 10
    assert np.all(np.diff(subset) > 0)


def test_balanced_subset_is_seeded():
    labels = np.tile(np.arange(10), 100)
    first = theory.balanced_subset(labels, 50, seed=1)
    assert np.array_equal(first, theory.balanced_subset(labels, 50, seed=1))
    assert not np.array_equal(first,
                              theory.balanced_subset(labels, 50, seed=2))


def test_balanced_subset_refuses_an_uneven_n():
    with pytest.raises(ValueError, match='n must be a multiple of 10'):
        theory.balanced_subset(np.arange(100) % 10, 15, seed=0)


def test_passes_give_the_same_steps_whatever_the_labels():
    assert theory.passes(100, 3000) == 960
    assert theory.passes(10000, 3000) == 10
    assert theory.passes(60000, 10) == 1


def test_classifier_starts_from_the_encoders_weights():
    from conftest import task
    encoder, _, _ = task('0-vanilla').autoencoder(784, [128, 64], 32)
    frozen = theory.classifier(encoder, trainable=False)
    dense = [layer for layer in frozen.layers if layer.weights]
    assert [layer.units for layer in dense] == [128, 64, 32, 10]
    np.testing.assert_array_equal(dense[0].get_weights()[0],
                                  encoder.layers[1].get_weights()[0])
    assert [layer.trainable for layer in dense] == [False] * 3 + [True]
    assert dense[-1].get_config()['activation'] == 'softmax'


@pytest.fixture(scope='module')
def run(tmp_path_factory):
    """Runs the application on a slice; returns (record, folder, page)."""
    folder = tmp_path_factory.mktemp('theory')
    record, page = run_with_readme(folder, 'theory', theory, '--epochs', '1',
                                   '--limit', '300', '--seeds', '1',
                                   '--steps', '20')
    return record, folder, page


def test_rows_are_flat_records_with_the_issues_keys(run):
    record, _, _ = run
    experiments = set()
    for row in record['rows']:
        assert set(row) == KEYS
        experiments.add(row['experiment'])
    assert experiments == {'pretraining', 'linear_probe', 'tied_weights',
                           'sparsity', 'layer_wise'}


def test_tied_weights_has_fewer_parameters(run):
    record, _, _ = run
    params = {r['variant']: r['value'] for r in record['rows']
              if r['metric'] == 'params'}
    assert params['tied'] < 0.55 * params['untied']


def test_pretraining_rows_cover_every_variant(run):
    record, _, _ = run
    found = {(r['variant'], r['n_labels']) for r in record['rows']
             if r['experiment'] == 'pretraining'}
    assert found == {(v, 100) for v in theory.VARIANTS
                     + ('logreg_pixels', 'logreg_pca32')}
    for row in record['rows']:
        if row['metric'].endswith('accuracy'):
            assert 0 <= row['value'] <= 1


def test_figures_and_the_page_are_written(run):
    record, folder, page = run
    for name in theory.FIGURES:
        with open(folder / (name + '.png'), 'rb') as f:
            assert f.read(8) == b'\x89PNG\r\n\x1a\n'
    text = page.read_text()
    assert 'stale' not in text and '## Tied weights' in text


def test_bad_target_is_refused_by_name(capsys):
    with pytest.raises(SystemExit) as exited:
        theory.parse_args(['--target', '1.5'])
    assert exited.value.code == 2
    assert 'argument --target: must be between 0 and 1' in \
        capsys.readouterr().err
