"""The self-check where learners work: the pre-commit hooks
(.pre-commit-hooks.yaml) run by pre-commit itself on a throw-away git
repository holding a learner-style folder, the GitHub Action's steps
(action.yml) run with the variables and files GitHub gives them, and the
command `uv tool install` makes, run from a throw-away directory.

The whole self-check needs its environments: the hooks' and the
command's home (AUTOENCODERS_CHECK_HOME) is given this checkout's grader's
environment, so that no test downloads TensorFlow; the newest one is left
out (its .missing file), as where no Python fits it."""
import json
import os
import shutil
import subprocess
import sys

import pytest
import yaml

from conftest import ROOT
from checker import annotate, files, locate, tool

LEARNERS = os.path.join(ROOT, 'tests', 'learners')
# where learners keep the task files in their own repository
FOLDER = os.path.join('unsupervised_learning', 'autoencoders')
UV = os.path.join(ROOT, '.cache', 'uv-0.13.9', 'bin', 'uv')


def git(folder, *arguments):
    """Runs git in folder, as a user of its own; returns its output."""
    return subprocess.run(
        ['git', '-c', 'user.name=learner', '-c', 'user.email=l@example.org',
         '-c', 'init.defaultBranch=main', '-c', 'commit.gpgsign=false'] +
        list(arguments), cwd=folder, check=True, capture_output=True,
        text=True).stdout


def learner_repository(path, learner):
    """Makes a git repository at path holding the learner-style folder
    learner in FOLDER, committed; returns the folder's path."""
    folder = os.path.join(path, FOLDER)
    shutil.copytree(os.path.join(LEARNERS, learner), folder)
    git(path, 'init', '-q')
    git(path, 'add', '-A')
    git(path, 'commit', '-qm', 'autoencoders')
    return folder


def project_repository(path):
    """Makes a git repository at path of this checkout's files a hook or
    an install takes (committed as they are now, not as HEAD has them);
    returns its commit."""
    names = ['.pre-commit-hooks.yaml', 'pyproject.toml',
             'requirements-data.txt', 'aelib', 'checker', 'test_files',
             'locks', os.path.join('tools', 'environment.py')]
    for name in names:
        source, target = os.path.join(ROOT, name), os.path.join(path, name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        if os.path.isdir(source):
            shutil.copytree(source, target, ignore=shutil.ignore_patterns(
                '__pycache__'))
        else:
            shutil.copy(source, target)
    git(path, 'init', '-q')
    git(path, 'add', '-A')
    git(path, 'commit', '-qm', 'the self-check')
    return git(path, 'rev-parse', 'HEAD').strip()


def grading_home(path):
    """Makes a home for autoencoders-check at path with this checkout's
    grader's environment (and no newest one); returns its path."""
    os.makedirs(path)
    os.symlink(os.path.join(ROOT, '.venv'), os.path.join(path, '.venv'))
    open(os.path.join(path, '.venv-keras3.missing'), 'w').close()
    return path


def environment(tmp_path, **more):
    """The variables a hook or the command runs with: their own caches."""
    return dict(os.environ, PRE_COMMIT_HOME=str(tmp_path / 'pre-commit'),
                XDG_CACHE_HOME=str(tmp_path / 'cache'), **more)


def needs_grader_environment():
    """Skips where this checkout has no grader's environment."""
    if not os.path.exists(os.path.join(ROOT, '.venv', '.core')):
        pytest.skip('no grader\'s environment: make venv-core')


def test_the_folder_is_found_from_the_files_or_below_the_root(tmp_path):
    folder = tmp_path / 'ml' / 'unsupervised_learning' / 'autoencoders'
    other = tmp_path / 'ml' / 'old'
    folder.mkdir(parents=True)
    other.mkdir()
    for name in locate.TASK_FILES:
        (folder / name).write_text('')
    (other / '0-vanilla.py').write_text('')
    assert locate.folder_of(str(tmp_path / 'ml')) == os.path.join(
        'unsupervised_learning', 'autoencoders')
    assert locate.folder_of('.', ['README.md', 'a/b/1-sparse.py']) == 'a/b'
    assert locate.folder_of(str(tmp_path / 'ml' / 'old' / 'x')) is None


def test_the_file_checks_take_only_task_files_and_fail_with_the_line(
        capsys):
    blank = os.path.join(LEARNERS, 'blank-docstring', '0-vanilla.py')
    assert files.task_files(['README.md', blank, blank, 'x/4-other.py']) == \
        [(os.path.dirname(blank), '0-vanilla')]
    assert files.main([blank, 'README.md']) == 1
    printed = capsys.readouterr().out
    assert 'FAIL {} documented: no docstring (or a blank one): function ' \
        'autoencoder (line 6)'.format(blank) in printed
    assert files.main([os.path.join(LEARNERS, 'functional',
                                    '0-vanilla.py')]) == 0
    # nothing of TensorFlow is imported to check the files
    code = 'import sys; from checker import files; ' \
        'files.main(sys.argv[1:]); print("tensorflow" in sys.modules)'
    found = subprocess.run([sys.executable, '-c', code, blank], cwd=ROOT,
                           capture_output=True, text=True).stdout
    assert found.strip().endswith('False')


def test_the_hooks_run_by_pre_commit_on_a_learners_repository(tmp_path):
    needs_grader_environment()
    commit = project_repository(str(tmp_path / 'project'))
    learner = tmp_path / 'learner'
    folder = learner_repository(str(learner), 'blank-docstring')
    shutil.copy(os.path.join(LEARNERS, 'functional', '1-sparse.py'), folder)
    (learner / '.pre-commit-config.yaml').write_text(yaml.safe_dump({
        'repos': [{'repo': str(tmp_path / 'project'), 'rev': commit,
                   'hooks': [{'id': 'autoencoders-files'},
                             {'id': 'autoencoders-check',
                              'args': ['--tasks', '0-vanilla', '1-sparse']}]}]
    }))
    git(str(learner), 'add', '-A')
    env = environment(tmp_path, AUTOENCODERS_CHECK_HOME=grading_home(
        str(tmp_path / 'home')))
    pre_commit = os.path.join(os.path.dirname(sys.executable), 'pre-commit')
    # installed as docs/self-check.md says
    subprocess.run([pre_commit, 'install', '--hook-type', 'pre-commit',
                    '--hook-type', 'pre-push'], cwd=learner, env=env,
                   check=True, capture_output=True)
    assert (learner / '.git' / 'hooks' / 'pre-push').is_file()
    run = subprocess.run([pre_commit, 'run', 'autoencoders-files',
                          '--all-files'], cwd=learner, env=env,
                         capture_output=True, text=True)
    assert run.returncode == 1, run.stdout + run.stderr
    assert 'documented: no docstring (or a blank one): function ' \
        'autoencoder (line 6)' in run.stdout
    assert 'ok   {} pycodestyle'.format(os.path.join(
        FOLDER, '1-sparse.py')) in run.stdout
    # the whole self-check waits for the push (or a run by hand)
    run = subprocess.run([pre_commit, 'run', 'autoencoders-check',
                          '--all-files'], cwd=learner, env=env,
                         capture_output=True, text=True)
    assert 'No hook with id `autoencoders-check` in stage `pre-commit`' in \
        run.stdout
    run = subprocess.run([pre_commit, 'run', 'autoencoders-check',
                          '--hook-stage', 'manual', '--files',
                          os.path.join(FOLDER, '1-sparse.py')],
                         cwd=learner, env=env, capture_output=True,
                         text=True)
    assert run.returncode == 1, run.stdout + run.stderr
    assert 'FAIL 0-vanilla                documented' in run.stdout
    assert 'ok   1-sparse [keras2]        trains' in run.stdout
    # mended, the file checks pass
    path = os.path.join(folder, '0-vanilla.py')
    with open(path) as f:
        text = f.read().replace('    """\n    """', '    """Builds it."""')
    with open(path, 'w') as f:
        f.write(text)
    run = subprocess.run([pre_commit, 'run', 'autoencoders-files',
                          '--files', path], cwd=learner, env=env,
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stdout


def action_steps():
    """Returns the Action's steps as action.yml gives them."""
    with open(os.path.join(ROOT, 'action.yml')) as f:
        action = yaml.safe_load(f)
    assert action['runs']['using'] == 'composite'
    return action['runs']['steps'], action['inputs']


def expression(text, values):
    """Returns text with its ${{ ... }} expressions replaced from values,
    as GitHub replaces them before a step runs."""
    while '${{' in text:
        start = text.index('${{')
        end = text.index('}}', start)
        text = text[:start] + values[text[start + 3:end].strip()] + \
            text[end + 2:]
    return text


def test_the_actions_steps_grade_a_learners_repository(tmp_path):
    needs_grader_environment()
    workspace = tmp_path / 'workspace'
    learner_repository(str(workspace), 'blank-docstring')
    steps, inputs = action_steps()
    values = {'inputs.' + name: given['default']
              for name, given in inputs.items()}
    values['inputs.keras3'] = 'false'
    values['github.action_path'] = ROOT
    temp = tmp_path / 'runner'
    temp.mkdir()
    summary = temp / 'summary.md'
    # the environments' step runs make in the action's folder: here a make
    # that only notes its arguments, so that this checkout's environments
    # stay as they are (making them is test_environment.py's)
    stub = tmp_path / 'stub'
    stub.mkdir()
    (stub / 'make').write_text('#!/bin/sh\necho "$@" >> "{}"\n'.format(
        tmp_path / 'made'))
    (stub / 'make').chmod(0o755)
    for step in steps:
        if 'uses' in step:
            assert step['uses'].startswith('actions/cache@')
            continue
        output = temp / 'output'
        output.write_text('')
        env = dict(os.environ, PATH='{}:{}'.format(stub, os.environ[
                       'PATH']), GITHUB_ACTION_PATH=ROOT,
                   GITHUB_WORKSPACE=str(workspace), GITHUB_OUTPUT=str(output),
                   GITHUB_STEP_SUMMARY=str(summary), RUNNER_TEMP=str(temp))
        env.update({name: expression(value, values)
                    for name, value in step.get('env', {}).items()})
        script = expression(step['run'], values)
        run = subprocess.run(['bash', '-e', '-c', script],
                             cwd=str(workspace), env=env,
                             capture_output=True, text=True)
        for line in output.read_text().splitlines():
            name, value = line.split('=', 1)
            values['steps.{}.outputs.{}'.format(step['id'], name)] = value
        if step.get('id') != 'grade':
            assert run.returncode == 0, run.stderr
    assert values['steps.locate.outputs.folder'] == FOLDER
    assert (tmp_path / 'made').read_text().split('\n')[0].split() == [
        '-C', ROOT, '--no-print-directory', 'venv-core']
    # the failures fail the job, each marked on its line
    assert run.returncode == 1, run.stderr
    assert '::error file={},line=6,title=documented::no docstring'.format(
        os.path.join(FOLDER, '0-vanilla.py')) in run.stdout
    assert '::error title=exists::no 1-sparse.py' in run.stdout
    text = summary.read_text()
    assert '| 0-vanilla | documented | no docstring (or a blank one): ' \
        'function autoencoder (line 6)' in text
    with open(temp / 'autoencoders-check.json') as f:
        result = json.load(f)
    assert values['steps.grade.outputs.score'] == str(result['score'])
    assert values['steps.grade.outputs.max-score'] == str(
        result['max_score'])


def test_annotations_carry_githubs_escapes_and_stop_at_ten():
    result = {'score': 0, 'max_score': 20, 'tests': [
        {'output': 'line 3:80: E501 50%, a: b\nspec: ...', 'extra_data': {
            'task': '0-vanilla', 'engine': '', 'check': 'pycodestyle',
            'verdict': 'fail', 'counted': True}}] * 12}
    found = annotate.annotations(result, os.path.join(LEARNERS,
                                                      'functional'))
    assert len(found) == annotate.MOST
    assert found[0].endswith(',line=3,title=pycodestyle::line 3:80: E501 '
                             '50%25, a: b')


def test_the_installed_command_works_from_any_directory(tmp_path):
    needs_grader_environment()
    if not os.path.exists(UV):
        pytest.skip('no uv: make venv-core puts it in .cache/')
    project_repository(str(tmp_path / 'project'))
    bin_dir = tmp_path / 'bin'
    env = environment(tmp_path, UV_TOOL_DIR=str(tmp_path / 'tools'),
                      UV_TOOL_BIN_DIR=str(bin_dir),
                      AUTOENCODERS_CHECK_HOME=grading_home(
                          str(tmp_path / 'home')))
    install = subprocess.run([UV, 'tool', 'install', '--quiet',
                              str(tmp_path / 'project')], env=env,
                             capture_output=True, text=True)
    assert install.returncode == 0, install.stderr
    elsewhere = tmp_path / 'elsewhere'
    learner_repository(str(elsewhere), 'vae-one-epsilon')
    run = subprocess.run([str(bin_dir / 'autoencoders-files'), os.path.join(
        FOLDER, '3-variational.py')], cwd=elsewhere, env=env,
        capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    run = subprocess.run([str(bin_dir / 'autoencoders-check'), FOLDER,
                          '--tasks', '3-variational'], cwd=elsewhere,
                         env=env, capture_output=True, text=True)
    assert run.returncode == 1, run.stdout + run.stderr
    assert 'FAIL 3-variational [keras2]   vae_outputs: every image\'s z ' \
        'in a batch has the same epsilon' in run.stdout
    # the home holds the installed copy of the project's files
    assert os.path.isfile(str(tmp_path / 'home' / 'locks' /
                              'keras2-core-py3.11.txt'))
    assert tool.version(str(tmp_path / 'home')) == tool.version(ROOT)
