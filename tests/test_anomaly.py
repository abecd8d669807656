"""The anomaly-detection application end to end on a slice: one epoch, 300
images per split, both directions, every model and score, a valid JSON
file, the figures and the README section."""
import pytest

from conftest import run_with_readme
from applications import anomaly

KEYS = {'in_distribution', 'out_of_distribution', 'model', 'score', 'auroc',
        'auprc', 'fpr_at_95_tpr', 'epochs'}


@pytest.fixture(scope='module')
def run(tmp_path_factory):
    """Runs the application on a slice; returns (record, folder, README)."""
    folder = tmp_path_factory.mktemp('anomaly')
    record, readme = run_with_readme(folder, 'anomaly', anomaly, '--epochs',
                                     '1', '--limit', '300', '--k', '4')
    return record, folder, readme


def test_rows_are_flat_records_with_the_issues_keys(run):
    record, _, _ = run
    assert record['rows']
    for row in record['rows']:
        assert set(row) == KEYS
        assert row['epochs'] == 1
        for metric in ('auroc', 'auprc', 'fpr_at_95_tpr'):
            assert 0 <= row[metric] <= 1


def test_every_direction_model_and_score_has_one_row(run):
    record, _, _ = run
    found = [(r['in_distribution'], r['out_of_distribution'], r['model'],
              r['score']) for r in record['rows']]
    assert len(found) == len(set(found))
    for inlier, outlier in (('mnist', 'fashion_mnist'),
                            ('fashion_mnist', 'mnist')):
        for model in ('vanilla', 'sparse', 'convolutional'):
            assert sorted(s for i, o, m, s in found
                          if (i, o, m) == (inlier, outlier, model)) == \
                ['bce', 'complexity', 'dose', 'dose_png', 'mse']
        assert sorted(s for i, o, m, s in found
                      if (i, o, m) == (inlier, outlier, 'variational')) == \
            sorted(anomaly.SCORES)


def test_record_says_how_it_was_made(run):
    record, _, _ = run
    import tensorflow as tf
    assert record['environment']['tensorflow'] == tf.__version__
    assert record['k'] == 4 and record['limit'] == 300
    assert record['holdout'] == 50  # a sixth of the 300 training images
    assert record['wall_seconds'] > sum(record['train_seconds'].values())
    assert set(record['png_bits_mean']) == {'mnist', 'fashion_mnist'}


def test_figures_are_written(run):
    _, folder, _ = run
    for name in anomaly.FIGURES:
        with open(folder / (name + '.png'), 'rb') as f:
            assert f.read(8) == b'\x89PNG\r\n\x1a\n'


def test_readme_section_is_the_table_of_the_json(run):
    record, _, readme = run
    text = readme.read_text()
    assert 'stale' not in text and text.endswith('after\n')
    assert text.count(anomaly.README_BEGIN) == 1
    row = record['rows'][0]
    line = '| {} | {} | {:.3f} | {:.3f} | {:.3f} |'.format(
        row['model'], row['score'], row['auroc'], row['auprc'],
        row['fpr_at_95_tpr'])
    assert line in text
    assert 'Morningstar et al.' in text and 'Serrà et al.' in text


def test_render_rewrites_the_section_from_the_json_alone(run, tmp_path):
    _, folder, _ = run
    readme = tmp_path / 'README.md'
    readme.write_text('{}\n{}\n'.format(anomaly.README_BEGIN,
                                        anomaly.README_END))
    anomaly.main(['--render', '--json', str(folder / 'anomaly.json'),
                  '--readme', str(readme)])
    assert '| vanilla | mse |' in readme.read_text()


def test_bad_flags_are_refused_by_name(capsys):
    with pytest.raises(SystemExit) as exited:
        anomaly.parse_args(['--k', '0'])
    assert exited.value.code == 2
    assert 'argument --k: expected a positive integer, got 0' in \
        capsys.readouterr().err
    with pytest.raises(SystemExit) as exited:
        anomaly.main(['--render'])
    assert exited.value.code == 'error: --render needs --readme FILE'
