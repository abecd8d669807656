"""tools/environment.py, which makes the two environments with uv: where no
Python fits an environment and uv may not download one, one line says
which Python is missing, for which environment and how to get it, the exit
status says so (0 with --optional, as make check asks), and the self-check
shows that line in place of the engine's checks."""
import os
import subprocess
import sys

import pytest

from conftest import ROOT

UV = os.path.join(ROOT, '.cache', 'uv-0.13.9', 'bin', 'uv')


def test_no_python_for_an_environment_is_one_line_and_its_status(tmp_path):
    if not os.path.exists(UV):
        pytest.skip('uv is not in .cache/ (make venv puts it there)')
    folder = tmp_path / 'env'
    # a machine with no Python on its search path and no downloads
    empty = tmp_path / 'bin'
    empty.mkdir()
    env = dict(os.environ, PATH=str(empty), UV_PYTHON_DOWNLOADS='never',
               UV_PYTHON_INSTALL_DIR=str(tmp_path / 'managed'))
    for flags, status in (([], 3), (['--optional'], 0)):
        done = subprocess.run(
            [sys.executable, os.path.join(ROOT, 'tools', 'environment.py'),
             'keras3', 'core', '--uv', UV, '--folder', str(folder),
             # a version that neither this Python nor the machine has
             '--pythons', '3.99', '3.99'] + flags,
            capture_output=True, text=True, env=env, timeout=120)
        assert done.returncode == status, done.stderr
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1, done.stderr
        assert 'the environment of the newest TensorFlow / Keras 3, needs ' \
            'Python 3.99 to 3.99: none was found' in lines[0]
        assert 'uv could not fetch one' in lines[0]
    kept = (tmp_path / 'env.missing').read_text().strip()
    assert lines[0].startswith(kept)
    assert not (folder / 'bin' / 'python').exists()


def test_the_self_check_says_why_an_engine_was_not_checked(tmp_path,
                                                           monkeypatch):
    from checker import cli, engines, tasks
    folder = tmp_path / 'env'
    monkeypatch.setitem(engines.ENGINE_ENVS, 'keras3', (str(folder), {}))
    results = engines.run_engine([(ROOT, '0-vanilla')], 'keras3', 10)
    [(job, rows)] = results.items()
    assert [row['check'] for row in rows] == tasks.engine_checks('0-vanilla')
    assert {row['verdict'] for row in rows} == {'skip'}
    assert rows[0]['message'].startswith('skipped: no keras3 environment')
    (tmp_path / 'env.missing').write_text('env needs Python 3.11 to 3.13\n')
    rows = engines.run_engine([(ROOT, '0-vanilla')], 'keras3', 10)[job]
    assert rows[0]['message'] == \
        'skipped: not checked: env needs Python 3.11 to 3.13'
    # the table says it once, not once per check
    table = cli.table([dict(row, task='0-vanilla', engine='keras3')
                       for row in rows], 1.)
    assert table.count('env needs Python 3.11 to 3.13') == 1
    assert table.endswith('\nskip every check, not checked: env needs '
                          'Python 3.11 to 3.13')


def test_a_wheel_whose_hash_the_lock_does_not_list_is_refused(tmp_path):
    if not os.path.exists(UV):
        pytest.skip('uv is not in .cache/ (make venv puts it there)')
    # pyparsing's entry in the lock, every hash (its wheel's and its
    # sdist's) changed in its last digit: the file downloaded matches none
    with open(os.path.join(ROOT, 'locks', 'keras2-core-py3.11.txt')) as f:
        entry = f.read().split('\npyparsing==')[1].split('\n    # via')[0]
    digests = [part[:64] for part in entry.split('--hash=sha256:')[1:]]
    assert len(digests) >= 1
    for digest in digests:
        entry = entry.replace(digest, digest[:-1] + (
            '0' if digest[-1] != '0' else '1'))
    lock = tmp_path / 'lock.txt'
    lock.write_text('pyparsing==' + entry + '\n')
    venv = tmp_path / 'env'
    subprocess.run([UV, 'venv', '--quiet', '--python', sys.executable,
                    str(venv)], check=True, timeout=120)
    python = str(venv / 'bin' / 'python')
    done = subprocess.run([UV, 'pip', 'install', '--python', python,
                           '--require-hashes', '--no-deps', '-r', str(lock)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode != 0
    assert 'hash' in done.stderr.lower(), done.stderr
    found = subprocess.run([python, '-c', 'import pyparsing'],
                           capture_output=True)
    assert found.returncode != 0


def machine_pythons():
    """Returns one interpreter of each version from 3.9 to 3.13 that this
    machine has (this Python's among them), as make pythons finds them."""
    from tools import pythons
    found = pythons.machine_pythons()
    found[sys.version_info[:2]] = sys.executable
    return [found[version] for version in sorted(found)]


@pytest.mark.parametrize('python', machine_pythons())
def test_each_python_gets_environments_it_can_run(python):
    # what each Python a learner may have gets, without making anything:
    # itself where its TensorFlow has wheels for it, else another Python of
    # the machine whose version fits, and always a lock for that version
    # (or the one missing line, status 3)
    own = subprocess.run([python, '-c', 'import sys; '
                          'print(*sys.version_info[:2])'],
                         capture_output=True, text=True, check=True)
    version = tuple(int(n) for n in own.stdout.split())
    for name, (low, high) in (('keras2', ((3, 9), (3, 11))),
                              ('keras3', ((3, 11), (3, 13)))):
        for part in ('core', 'all'):
            done = subprocess.run(
                [python, os.path.join(ROOT, 'tools', 'environment.py'),
                 name, part, '--uv', UV, '--which'],
                capture_output=True, text=True, timeout=120)
            if done.returncode == 3:
                assert 'needs Python {}.{} to {}.{}'.format(
                    *(low + high)) in done.stderr
                continue
            assert done.returncode == 0, done.stdout + done.stderr
            chosen, said = done.stdout.split(': ', 1)[1].split(' (Python ')
            got = tuple(int(n) for n in said.split(')')[0].split('.'))
            assert low <= got <= high
            if low <= version <= high:
                assert chosen == python
            assert said.endswith('{}{}-py{}.{}.txt\n'.format(
                name, '-core' if part == 'core' else '', *got))


def test_the_self_check_takes_the_environments_make_was_given(
        tmp_path, monkeypatch, capsys):
    # make check VENV=... VENV3=... (environments of another Python) is
    # checked on those, not on .venv and .venv-keras3
    from checker import cli, engines
    monkeypatch.setattr(engines, 'ENGINE_ENVS', dict(engines.ENGINE_ENVS))
    cli.parse_args([ROOT, '--environment', 'keras3=' + str(tmp_path)])
    assert engines.ENGINE_ENVS['keras3'] == (
        str(tmp_path), {'KERAS_BACKEND': 'tensorflow'})
    assert engines.interpreter('keras3') is None
    (tmp_path / '.core').write_text('')
    assert engines.interpreter('keras3') == str(tmp_path / 'bin' / 'python')
    with pytest.raises(SystemExit):
        cli.parse_args([ROOT, '--environment', 'keras4=' + str(tmp_path)])
    assert "--environment 'keras4=" in capsys.readouterr().err
