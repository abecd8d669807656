"""The dimensionality application (Hinton & Salakhutdinov 2006): logistic
PCA's model, the deep stacks, the 5-NN measure on a toy case, and the
application end to end on a slice of 360 images (one epoch)."""
import numpy as np
import pytest

from conftest import keras, run_with_readme
from aelib import scores
from applications import dimensionality

KEYS = {'method', 'code_size', 'recipe', 'sse_train', 'sse_test',
        'knn_accuracy', 'epochs', 'seconds'}


def dense_layers(model):
    """Returns the model's Dense layers, nested models included."""
    found = []
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            found += dense_layers(layer)
        elif isinstance(layer, keras.layers.Dense):
            found.append(layer)
    return found


def test_logistic_pca_is_a_linear_code_and_one_logistic_layer():
    encoder, decoder, auto = dimensionality.logistic_pca(30)
    (code,), (out,) = dense_layers(encoder), dense_layers(decoder)
    assert (code.units, code.get_config()['activation']) == (30, 'linear')
    assert (out.units, out.get_config()['activation']) == (784, 'sigmoid')
    loss = auto.loss if isinstance(auto.loss, str) else auto.loss.__name__
    assert loss == 'binary_crossentropy'


@pytest.mark.parametrize('recipe, units, code', [
    (dimensionality.BASE, 'relu', 'relu'),
    (dimensionality.END_TO_END, dimensionality.END_TO_END['hidden'],
     'linear'),
])
def test_deep_stack_is_784_1000_500_250_code_and_back(recipe, units, code):
    encoder, decoder, _ = dimensionality.stack(30, **recipe)
    assert [d.units for d in dense_layers(encoder)] == [1000, 500, 250, 30]
    assert [d.units for d in dense_layers(decoder)] == [250, 500, 1000, 784]
    assert dense_layers(encoder)[-1].get_config()['activation'] == code
    assert dense_layers(decoder)[-1].get_config()['activation'] == 'sigmoid'
    norms = [layer for layer in encoder.layers
             if isinstance(layer, keras.layers.BatchNormalization)]
    assert len(norms) == (3 if recipe['batch_norm'] else 0)
    activations = [layer.get_config()['activation'] for layer in
                   encoder.layers if isinstance(layer,
                                                keras.layers.Activation)]
    assert activations == [units] * 3


def test_sse_metric_sums_squares_over_pixels():
    y = np.zeros((2, 4), np.float32)
    p = np.array([[0.5, 0.5, 0, 0], [1, 0, 0, 0]], np.float32)
    got = np.asarray(dimensionality.sse_metric(y, p))
    np.testing.assert_allclose(got, [0.5, 1.0])


def test_knn_accuracy_on_a_toy_case():
    train = np.array([[0.], [0.1], [0.2], [0.3], [0.4],
                      [10.], [10.1], [10.2], [10.3], [10.4]])
    labels = np.array([0] * 5 + [1] * 5)
    # the third test point sits among the ones but is labelled 0
    test = np.array([[0.05], [10.05], [10.2]])
    assert scores.knn_accuracy(train, labels, test, [0, 1, 0]) == \
        pytest.approx(2 / 3)
    # 5 neighbours vote: with 3 of class 1 and 2 of class 0 nearest, 1 wins
    train = np.array([[0.], [0.1], [1.], [1.1], [1.2], [9.]])
    assert scores.knn_accuracy(train, [0, 0, 1, 1, 1, 0], [[0.6]], [1]) \
        == 1.0


# --tune here tries two of the choices and two fine-tuning rates: the same
# code path as the full grid, at half its trainings
CHOICES = (('code', 'linear'), ('batch_norm', True))
RATES = (1e-3, 1e-4)


@pytest.fixture(scope='module')
def run(tmp_path_factory):
    """Runs the application on a slice; returns (record, folder, README)."""
    folder = tmp_path_factory.mktemp('dimensionality')
    record, readme = run_with_readme(
        folder, 'dimensionality', dimensionality, '--epochs', '1',
        '--rbm-epochs', '1', '--logistic-epochs', '1', '--limit', '360',
        '--tune', '--tune-epochs', '1', CHOICES=CHOICES, RATES=RATES)
    return record, folder, readme


def test_rows_are_flat_records_with_the_issues_keys(run):
    record, _, _ = run
    for row in record['rows']:
        assert set(row) == KEYS
        assert row['sse_test'] > 0 and row['sse_train'] > 0
        assert 0 <= row['knn_accuracy'] <= 1
        assert row['seconds'] >= 0
    found = sorted((r['method'], r['code_size'], r['recipe'] or '')
                   for r in record['rows'])
    assert found == sorted(
        [('pca', 30, ''), ('pca', 2, ''), ('logistic_pca', 30, '')]
        + [('deep', 30, recipe) for recipe in dimensionality.RECIPES]
        + [('deep', 2, record['best_recipe'])])


def test_the_2d_recipe_has_the_lowest_validation_error(run):
    record, _, _ = run
    validation = record['validation_sse']
    assert set(validation) == set(dimensionality.RECIPES)
    assert record['best_recipe'] == min(validation, key=validation.get)


def test_split_and_epochs_are_recorded(run):
    record, _, _ = run
    assert (record['train_images'], record['validation_images']) == (300, 60)
    epochs = {(r['method'], r['code_size']): r['epochs']
              for r in record['rows']}
    assert epochs['pca', 30] is None and epochs['deep', 2] == 1
    assert len(record['curves']['end_to_end']['val_sse']) == 1
    assert record['wall_seconds'] > 0


def test_tuning_keeps_a_choice_only_if_it_lowers_the_validation_error(run):
    record, _, _ = run
    trials = [t for t in record['tuning']
              if t['choice'] != 'fine_tuning_rate']
    best = trials[0]['val_sse']
    kept = dict(dimensionality.BASE)
    for trial in trials[1:]:
        assert trial['kept'] == (trial['val_sse'] < best)
        if trial['kept']:
            best = trial['val_sse']
            kept[trial['choice']] = trial['value']
    assert record['end_to_end'] == kept
    rates = [t for t in record['tuning']
             if t['choice'] == 'fine_tuning_rate']
    assert [t['choice'] for t in trials] == \
        ['base'] + [choice for choice, _ in CHOICES]
    assert [t['value'] for t in rates] == list(RATES)
    assert record['fine_tuning_rate'] == min(
        rates, key=lambda t: t['val_sse'])['value']


def test_figures_and_readme_section(run):
    record, folder, readme = run
    for name in dimensionality.FIGURES:
        with open(folder / (name + '.png'), 'rb') as f:
            assert f.read(8) == b'\x89PNG\r\n\x1a\n'
    text = readme.read_text()
    assert 'stale' not in text and text.endswith('after\n')
    pca30 = [r for r in record['rows'] if r['method'] == 'pca'
             and r['code_size'] == 30][0]
    assert '| pca | 30 | – | – | {:.2f} | {:.2f} | 13.87 |'.format(
        pca30['sse_train'], pca30['sse_test']) in text
    assert 'Fig. 2B' in text and 'Fig. 3' in text


def test_bad_flags_are_refused_by_name(capsys):
    with pytest.raises(SystemExit) as exited:
        dimensionality.parse_args(['--rbm-epochs', '0'])
    assert exited.value.code == 2
    assert 'argument --rbm-epochs: expected a positive integer, got 0' \
        in capsys.readouterr().err
