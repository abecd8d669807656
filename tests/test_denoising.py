"""The denoising application end to end on a slice: one epoch, 300 images
per split, both noises, every denoiser and filter, a valid JSON file, the
figures and the README section."""
import pytest

from conftest import run_with_readme
from applications import denoising

KEYS = {'method', 'noise', 'noise_level', 'psnr_db', 'sse_per_image',
        'epochs'}


# two values of each filter's parameter, tuned on 50 images
FILTERS = {method: (denoise, values[:2]) for method, (denoise, values)
           in denoising.FILTERS.items()}


@pytest.fixture(scope='module')
def run(tmp_path_factory):
    """Runs the application on a slice; returns (record, folder, README)."""
    folder = tmp_path_factory.mktemp('denoising')
    record, readme = run_with_readme(folder, 'denoising', denoising,
                                     '--epochs', '1', '--limit', '300',
                                     FILTERS=FILTERS, TUNING_IMAGES=50)
    return record, folder, readme


def test_rows_are_flat_records_with_the_issues_keys(run):
    record, _, _ = run
    for row in record['rows']:
        assert KEYS <= set(row) and set(row) - KEYS <= {'parameter'}
        assert row['noise_level'] == 0.5
        assert row['psnr_db'] > 0 and row['sse_per_image'] > 0


def test_every_method_has_a_row_per_noise(run):
    record, _, _ = run
    found = {(r['noise'], r['method']) for r in record['rows']}
    for noise in ('gaussian', 'dropout'):
        for method in ('noisy', 'convolutional', 'vanilla', 'tv', 'wavelet',
                       'nl_means', 'median'):
            assert (noise, method) in found
    assert ('gaussian', 'convolutional_wide') in found
    assert ('gaussian', 'vanilla_wide') in found


def test_filters_record_the_parameter_tuned_on_training_images(run):
    record, _, _ = run
    for row in record['rows']:
        if row['method'] in FILTERS:
            assert row['parameter'] in FILTERS[row['method']][1]
            assert row['epochs'] is None
    assert len(record['parameters']) == 2 * len(FILTERS)


def test_a_tuned_filter_beats_the_noisy_input(run):
    record, _, _ = run
    psnr = {(r['noise'], r['method']): r['psnr_db'] for r in record['rows']}
    assert psnr['gaussian', 'tv'] > psnr['gaussian', 'noisy']


def test_tune_picks_the_value_with_the_best_psnr():
    import numpy as np
    clean = np.zeros((3, 28, 28))
    noisy = clean + 0.3

    def shrink(image, factor):
        """Scales the image: the noise shrinks with factor."""
        return image * factor
    assert denoising.tune(shrink, (1.0, 0.1, 0.5), noisy, clean) == 0.1
    assert denoising.tune(shrink, (1.0, 0.5), noisy, clean) == 0.5


def test_figures_are_written(run):
    _, folder, _ = run
    for name in denoising.FIGURES:
        with open(folder / (name + '.png'), 'rb') as f:
            assert f.read(8) == b'\x89PNG\r\n\x1a\n'


def test_readme_section_has_both_tables_and_the_goals(run):
    _, _, readme = run
    text = readme.read_text()
    assert 'stale' not in text and text.endswith('after\n')
    assert '**Gaussian noise, σ = 0.5:**' in text
    assert '**Dropout noise, rate 0.5:**' in text
    assert 'goal: 20 dB' in text


@pytest.mark.parametrize('flags, message', [
    (['--noise-level', '0'], 'argument --noise-level: must be positive'),
    (['--dropout-rate', '1'], 'argument --dropout-rate: must be between 0 '
                              'and 1'),
])
def test_bad_noise_is_refused_by_name(flags, message, capsys):
    with pytest.raises(SystemExit) as exited:
        denoising.parse_args(flags)
    assert exited.value.code == 2 and message in capsys.readouterr().err


def test_background_bias_is_the_mean_of_clipped_noise():
    import numpy as np
    noise = np.clip(np.random.default_rng(0).normal(0, 0.5, 400000), 0, 1)
    assert denoising.background_bias(0.5) == pytest.approx(noise.mean(),
                                                           abs=2e-3)
