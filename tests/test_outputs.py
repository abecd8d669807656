"""Every application checks every place it will write before it trains, and
writes its record first, atomically, then its figures: a run that cannot
finish never loses the previous record, and never trains for nothing."""
import importlib
import json
import os
import subprocess
import sys
from types import SimpleNamespace

import matplotlib.pyplot as plt
import pytest

from conftest import ROOT
from aelib import report

APPLICATIONS = ('anomaly', 'compression', 'denoising', 'dimensionality',
                'theory')


def refuse(name, monkeypatch, *flags):
    """Runs applications/NAME.py's main in this process with flags, its
    training replaced by a failure; returns the one-line message it exits
    with."""
    module = importlib.import_module('applications.' + name)

    def trained(args):
        """Fails the test: the run began."""
        raise AssertionError('{} began training'.format(name))
    monkeypatch.setattr(module, 'run', trained)
    with pytest.raises(SystemExit) as exited:
        module.main(list(flags))
    message = exited.value.code
    assert isinstance(message, str) and message.startswith('error: ')
    assert '\n' not in message
    return message


@pytest.mark.parametrize('name', APPLICATIONS)
def test_an_out_folder_that_cannot_be_made_stops_before_training(
        name, tmp_path, monkeypatch):
    blocker = tmp_path / 'a-file'
    blocker.write_text('not a folder')
    out = str(blocker / 'figures')
    message = refuse(name, monkeypatch, '--out', out, '--json',
                     str(tmp_path / 'r.json'))
    assert message.startswith('error: cannot write to --out ' + out + ': ')
    assert not (tmp_path / 'r.json').exists()


@pytest.mark.parametrize('name', APPLICATIONS)
def test_a_json_path_that_is_a_folder_stops_before_training(
        name, tmp_path, monkeypatch):
    message = refuse(name, monkeypatch, '--out', str(tmp_path), '--json',
                     str(tmp_path))
    assert message == 'error: cannot write --json {}: it is a folder'.format(
        tmp_path)


@pytest.mark.parametrize('name', APPLICATIONS)
def test_a_readme_without_the_markers_stops_before_training(
        name, tmp_path, monkeypatch):
    readme = tmp_path / 'README.md'
    readme.write_text('# nothing to replace\n')
    message = refuse(name, monkeypatch, '--out', str(tmp_path), '--json',
                     str(tmp_path / 'r.json'), '--readme', str(readme))
    assert message.startswith('error: --readme {} has no markers'.format(
        readme))
    assert readme.read_text() == '# nothing to replace\n'
    assert not (tmp_path / 'r.json').exists()


def test_a_missing_readme_stops_before_training(tmp_path, monkeypatch):
    missing = tmp_path / 'none' / 'README.md'
    message = refuse('theory', monkeypatch, '--out', str(tmp_path),
                     '--json', str(tmp_path / 'r.json'), '--readme',
                     str(missing))
    assert message.startswith('error: cannot read --readme {}: '.format(
        missing))


def test_render_without_a_record_says_which_file(tmp_path):
    from applications import compression
    readme = tmp_path / 'README.md'
    readme.write_text('{}\n{}\n'.format(compression.README_BEGIN,
                                        compression.README_END))
    missing = tmp_path / 'missing.json'
    with pytest.raises(SystemExit) as exited:
        compression.main(['--render', '--readme', str(readme), '--json',
                          str(missing)])
    assert exited.value.code.startswith(
        'error: cannot read --json {}: '.format(missing))


def test_json_is_replaced_whole_or_not_at_all(tmp_path):
    path = tmp_path / 'r.json'
    report.write_json(str(path), {'rows': [1]})
    os.chmod(path, 0o640)
    with pytest.raises(TypeError):
        report.write_json(str(path), {'rows': [object()]})
    assert json.loads(path.read_text()) == {'rows': [1]}
    report.write_json(str(path), {'rows': [2]})
    assert json.loads(path.read_text()) == {'rows': [2]}
    assert os.stat(path).st_mode & 0o777 == 0o640
    assert sorted(os.listdir(tmp_path)) == ['r.json']


def test_the_record_is_written_before_the_figures(tmp_path):
    from aelib import plots
    args = SimpleNamespace(out=str(tmp_path / 'figures'),
                           json=str(tmp_path / 'r.json'), readme=None,
                           render=False, command='probe', fresh=False)
    seen = {}

    def run(args):
        """Draws a figure and notes what exists while the run goes on."""
        figure = plt.figure()
        plots.save(args, figure, 'picture')
        seen['during'] = os.listdir(args.out)
        return {'rows': []}

    report.run_application(args, run, str, 'begin', 'end')
    assert seen['during'] == []  # checked writable, but nothing written yet
    figure = tmp_path / 'figures' / 'picture.png'
    assert figure.exists()
    assert os.stat(args.json).st_mtime_ns <= os.stat(figure).st_mtime_ns


def test_a_figure_that_fails_leaves_the_record_written(tmp_path):
    from aelib import plots
    args = SimpleNamespace(out=str(tmp_path / 'figures'),
                           json=str(tmp_path / 'r.json'), readme=None,
                           render=False, command='probe', fresh=False)

    def run(args):
        """Draws a figure that cannot be saved (its folder becomes a
        file before the figures are written)."""
        plots.save(args, plt.figure(), 'picture')
        os.rmdir(args.out)
        open(args.out, 'w').close()
        return {'rows': [3]}

    with pytest.raises(OSError):
        report.run_application(args, run, str, 'begin', 'end')
    assert json.loads(open(args.json).read())['rows'] == [3]


# runs each (script, argv) as `python script argv` would, in one process
AS_COMMANDS = '''
import os
import runpy
import sys
for script, argv in {}:
    sys.argv = [script] + argv
    sys.path[0] = os.path.dirname(script)
    runpy.run_path(script, run_name='__main__')
'''


def test_each_script_as_a_command(tmp_path):
    """Each application runs as a command: its --render turns the committed
    results/NAME.json into the README section that is committed; and a
    command that cannot write gets one line and no traceback. (The
    commands run as __main__ one after the other in one process, which
    imports TensorFlow once.)"""
    commands, sections = [], {}
    for name in APPLICATIONS:
        module = importlib.import_module('applications.' + name)
        # the page the section is committed in (README.md, docs/theory.md)
        page = module.parse_args(['--readme']).readme
        with open(os.path.join(ROOT, page)) as f:
            committed = f.read()
        begin = committed.index(module.README_BEGIN)
        end = committed.index(module.README_END) + len(module.README_END)
        sections[name] = committed[begin:end]
        copy = tmp_path / (name + '.md')
        copy.write_text('# Title\n\n{}\nstale\n{}\nafter\n'.format(
            module.README_BEGIN, module.README_END))
        commands.append((os.path.join(ROOT, 'applications', name + '.py'),
                         ['--render', '--readme', str(copy), '--json',
                          os.path.join(ROOT, 'results', name + '.json')]))
    # last, a command whose --out is under a file
    blocker = tmp_path / 'a-file'
    blocker.write_text('not a folder')
    commands.append((os.path.join(ROOT, 'applications', 'compression.py'),
                     ['--out', str(blocker / 'x'), '--json',
                      str(tmp_path / 'r.json')]))
    done = subprocess.run(
        [sys.executable, '-c', AS_COMMANDS.format(commands)],
        capture_output=True, text=True, timeout=300, cwd=str(tmp_path),
        env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL='3', MPLBACKEND='Agg'))
    assert done.returncode == 1, done.stderr[-3000:]
    assert 'Traceback' not in done.stderr, done.stderr[-3000:]
    assert done.stderr.strip().splitlines()[-1] == \
        'error: cannot write to --out {}: Not a directory'.format(
            blocker / 'x')
    for name, section in sections.items():
        assert (tmp_path / (name + '.md')).read_text() == \
            '# Title\n\n{}\nafter\n'.format(section), name
