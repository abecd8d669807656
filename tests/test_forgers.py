"""Learners who build real models with ordinary mistakes and rewrite the
runner from inside (tests/forgers/: the attack lies between `# attack:
begin` and `# attack: end` in each task file). Each folder is graded on the
grader's engine twice, with its attack and without, in one checker run:
with it, it scores no more than without, and the mistakes the attack hides
are still failures. A check passes only on evidence the judge verified, so
a runner that records passes and leaves out the evidence gains nothing."""
import os
import shutil

import pytest

from conftest import KERAS_3, ROOT
from checker import cli, engines, sandbox

FORGERS = os.path.join(ROOT, 'tests', 'forgers')
# each folder's mistakes: (task, check) that fail without the attack and
# must still fail with it
MISTAKES = {
    'patched-runner': [('0-vanilla', 'quiet'), ('0-vanilla', 'compiled'),
                       ('1-sparse', 'compiled'), ('1-sparse', 'regularizer'),
                       ('2-convolutional', 'compiled'),
                       ('3-variational', 'vae_outputs'),
                       ('3-variational', 'vae_loss')],
}
# (graded on the grader's engine, which the checker drives itself: the
# test runs in the Keras 3 suite, the shorter one)
pytestmark = pytest.mark.skipif(not KERAS_3,
                                reason='runs in the Keras 3 suite')


def without_attack(folder, into):
    """Copies folder into into with the attack's lines left out of each
    task file (the same files, honest)."""
    os.makedirs(into)
    for name in os.listdir(folder):
        source = os.path.join(folder, name)
        with open(source) as f:
            lines = f.read().splitlines(keepends=True)
        kept, inside = [], False
        for line in lines:
            if line.strip() == '# attack: begin':
                inside = True
            elif line.strip() == '# attack: end':
                inside = False
            elif not inside:
                kept.append(line)
        with open(os.path.join(into, name), 'w') as f:
            f.write(''.join(kept))
        shutil.copymode(source, os.path.join(into, name))


@pytest.fixture(scope='module')
def graded(tmp_path_factory):
    """{(folder, 'attack'|'ungated'|'honest'): {(task, check): verdict}}
    of every forger's folder, with its attack, with it where the judge's
    gate on files that reach modules is off (as a file that slipped past
    it would be run), and without it, on Keras 2."""
    from test_checker import installed
    if not installed('.venv'):
        pytest.skip('no .venv environment: make venv')
    if not sandbox.sandboxed(engines.layers_for('keras2')):
        pytest.skip('this host gives no sandbox')
    root = tmp_path_factory.mktemp('forgers')
    requests, names = {}, {}
    for name in MISTAKES:
        honest = str(root / name)
        without_attack(os.path.join(FORGERS, name), honest)
        for kind, folder in (('attack', os.path.join(FORGERS, name)),
                             ('honest', honest)):
            requests[folder] = list(cli.tasks.TASKS)
            names[folder] = (name, kind)
    rows = engines.check_folders(requests, ['keras2'], 120, 2)
    found = {names[folder]: {(r['task'], r['check']): r['verdict']
                             for r in rows_of if r.get('engine') == 'keras2'}
             for folder, rows_of in rows.items()}
    from checker import static
    gate = static.reaching_in
    static.reaching_in = lambda folder, task: []
    try:
        attacks = {os.path.join(FORGERS, name): list(cli.tasks.TASKS)
                   for name in MISTAKES}
        for folder, rows_of in engines.check_folders(
                attacks, ['keras2'], 120, 2).items():
            found[os.path.basename(folder), 'ungated'] = {
                (r['task'], r['check']): r['verdict'] for r in rows_of
                if r.get('engine') == 'keras2'}
    finally:
        static.reaching_in = gate
    return found


@pytest.mark.parametrize('kind', ['attack', 'ungated'])
@pytest.mark.parametrize('name', sorted(MISTAKES))
def test_a_patched_runner_scores_no_more_than_the_honest_files(graded,
                                                               name, kind):
    attack, honest = graded[name, kind], graded[name, 'honest']
    passed = {which: sorted(check for check, verdict in found.items()
                            if verdict == 'pass')
              for which, found in (('attack', attack), ('honest', honest))}
    gained = sorted(set(passed['attack']) - set(passed['honest']))
    assert not gained, 'the attack earned {}'.format(gained)
    assert len(passed['attack']) <= len(passed['honest'])


@pytest.mark.parametrize('name', sorted(MISTAKES))
def test_the_mistakes_a_patched_runner_hides_still_fail(graded, name):
    for task, check in MISTAKES[name]:
        assert graded[name, 'honest'][task, check] == 'fail', (task, check)
        for kind in ('attack', 'ungated'):
            assert graded[name, kind][task, check] == 'fail', (kind, task,
                                                               check)


@pytest.mark.parametrize('name', sorted(MISTAKES))
def test_a_file_that_reaches_the_runner_is_not_run(graded, name):
    # every task file of the folder reaches modules without importing
    # them: none of its engine checks is taken
    from checker import tasks
    for task in tasks.TASKS:
        for check in tasks.engine_checks(task):
            assert graded[name, 'attack'][task, check] == 'fail', (task,
                                                                   check)
