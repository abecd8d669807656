"""The compression application end to end on a slice: one epoch, 300
images per split, every coder and codec, a valid JSON file, the figures and
the README section."""
import pytest

from conftest import run_with_readme
from applications import compression

KEYS = {'method', 'code_size', 'quantized', 'bytes_per_image',
        'sse_per_image', 'epochs'}


# four of the code sizes: the smallest, the strip's 30, and two to compare
CODE_SIZES = (2, 8, 30, 64)


@pytest.fixture(scope='module')
def run(tmp_path_factory):
    """Runs the application on a slice; returns (record, folder, README)."""
    folder = tmp_path_factory.mktemp('compression')
    record, readme = run_with_readme(folder, 'compression', compression,
                                     '--epochs', '1', '--limit', '300',
                                     CODE_SIZES=CODE_SIZES)
    return record, folder, readme


def test_rows_are_flat_records_with_the_issues_keys(run):
    record, _, _ = run
    for row in record['rows']:
        assert KEYS <= set(row)
        assert set(row) - KEYS <= {'quality'}
        assert row['sse_per_image'] >= 0
        if not row['quantized']:
            assert row['bytes_per_image'] is None
        elif row['code_size'] is not None:
            # one byte per number
            assert row['bytes_per_image'] == row['code_size']


def test_every_coder_and_code_size_has_its_rows(run):
    record, _, _ = run
    found = {(r['method'], r['code_size'], r['quantized'])
             for r in record['rows']}
    for size in CODE_SIZES:
        for method in ('pca', 'vanilla'):
            assert {(method, size, False), (method, size, True)} <= found
    for method, size in (('sparse', 32), ('convolutional', 128),
                         ('variational', 2), ('pca', 32),
                         ('pca', 128), ('pca', 2)):
        assert (method, size, True) in found
    jpeg = [r for r in record['rows'] if r['method'] == 'jpeg']
    assert [r['quality'] for r in jpeg] == list(compression.JPEG_QUALITIES)
    assert all(r['epochs'] is None for r in jpeg)


def test_quantization_costs_distortion_and_png_none(run):
    record, _, _ = run
    rows = {(r['method'], r['code_size'], r['quantized']): r['sse_per_image']
            for r in record['rows']}
    assert rows['pca', 64, True] >= rows['pca', 64, False] - 1e-6
    # more components: less error, on the images PCA was not fitted on too
    assert rows['pca', 64, False] < rows['pca', 8, False]
    assert rows['png', None, True] == 0


def test_epochs_are_recorded_per_model(run):
    record, _, _ = run
    epochs = {r['method']: r['epochs'] for r in record['rows']}
    assert epochs['vanilla'] == 1 and 'deep' not in epochs
    assert epochs['pca'] is None and epochs['png'] is None
    assert record['environment']['tensorflow']


def test_figures_are_written(run):
    _, folder, _ = run
    for name in compression.FIGURES:
        with open(folder / (name + '.png'), 'rb') as f:
            assert f.read(8) == b'\x89PNG\r\n\x1a\n'


def test_readme_section_quotes_the_paper_beside_our_numbers(run):
    record, _, readme = run
    text = readme.read_text()
    assert 'stale' not in text and text.endswith('after\n')
    pca30 = [r for r in record['rows'] if r['method'] == 'pca'
             and r['code_size'] == 30 and not r['quantized']][0]
    assert '| PCA, 30 components | 13.87 | {:.2f} |'.format(
        pca30['sse_per_image']) in text
    assert 'Hinton & Salakhutdinov' in text
    # the deep model's row lives on the dimensionality page
    assert '| deep autoencoder' not in text
    assert '](dimensionality.md)' in text


def test_bad_flags_are_refused_by_name(capsys):
    with pytest.raises(SystemExit) as exited:
        compression.parse_args(['--epochs', 'x'])
    assert exited.value.code == 2
    assert "argument --epochs: expected a positive integer, got 'x'" \
        in capsys.readouterr().err
