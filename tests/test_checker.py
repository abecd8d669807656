"""The self-check (python -m checker): this project's four files pass every
check on both engines, and each deliberately broken variant of them fails
exactly the checks it breaks, with its message, and nothing else.

The variants are made here from the project's own files, each by one edit.
The checker drives both engines' environments itself, so each test runs in
one suite only."""
import json
import os
import shutil
import stat
import time

import pytest

from conftest import KERAS_3, ROOT, TASKS

# The checker runs both engines itself, from whichever suite: the own
# files' run in the Keras 2 suite, the broken variants in the Keras 3 one,
# so that the two suites take about as long
OWN_FILES = 'test_the_projects_own_files_pass_every_check_on_both_engines'


def installed(venv, wait=900):
    """Whether the environment venv ('.venv', '.venv-keras3') is installed,
    waiting for it while `make test` is still installing it beside this
    suite."""
    folder = os.path.join(ROOT, venv)
    deadline = time.monotonic() + wait
    while os.path.isdir(folder) and time.monotonic() < deadline and \
            not os.path.exists(os.path.join(folder, '.installed')):
        time.sleep(5)
    return os.path.exists(os.path.join(folder, '.installed'))


def engines():
    """Returns the engines whose environments are installed."""
    return [engine for engine, venv in (('keras2', '.venv'),
                                        ('keras3', '.venv-keras3'))
            if installed(venv)]


@pytest.fixture(autouse=True)
def one_suite_and_its_environments(request):
    """Runs each test in one suite only, and skips it where an engine's
    environment it needs is not installed (the project's own files are
    checked on the engines there are)."""
    if (request.function.__name__ == OWN_FILES) == KERAS_3:
        pytest.skip('runs in the Keras {} suite'.format(2 if KERAS_3 else 3))
    needed = 1 if request.function.__name__ == OWN_FILES else 2
    if len(engines()) < needed:
        pytest.skip('no environment for the engines: make venv venv-keras3')


def folder_with(tmp_path, edits=None, drop=()):
    """Returns a copy of the four task files and the README in tmp_path,
    with edits {task: function(text) -> text} applied and the tasks in drop
    left out."""
    for task in TASKS:
        if task in drop:
            continue
        target = tmp_path / (task + '.py')
        shutil.copy2(os.path.join(ROOT, task + '.py'), target)
        if task in (edits or {}):
            with open(target, newline='') as f:
                text = f.read()
            with open(target, 'w', newline='') as f:
                f.write(edits[task](text))
    shutil.copy2(os.path.join(ROOT, 'README.md'), tmp_path / 'README.md')
    return tmp_path


def replace(old, new):
    """Returns an edit replacing old by new (which must be there)."""
    def edit(text):
        """Applies the replacement."""
        assert old in text, old
        return text.replace(old, new)
    return edit


def check(folder, *flags):
    """Runs the checker on folder; returns {(task, engine, check): row}."""
    from checker import cli, engines
    args = cli.parse_args([str(folder)] + list(flags))
    return {(r['task'], r['engine'], r['check']): r
            for r in engines.check_folder(args)}


def failed(rows):
    """Returns {(task, engine, check): message} of the failed checks."""
    return {key: row['message'] for key, row in rows.items()
            if row['verdict'] == 'fail'}


def test_the_projects_own_files_pass_every_check_on_both_engines(tmp_path):
    """The specification's sentences, as the self-check holds them, on this
    project's four files: every one passes on both engines (with the
    main's arguments and the other variants the checker builds), not even
    a note."""
    from checker import cli
    there = engines()
    rows = check(ROOT, '--engines', *there)
    assert failed(rows) == {}
    assert {row['verdict'] for row in rows.values()} == {'pass'}
    # every check of every task on both engines ran
    from checker import tasks
    for task in TASKS:
        for engine in there:
            assert [c for t, e, c in rows if (t, e) == (task, engine)] == \
                tasks.engine_checks(task)
    report = cli.gradescope(list(rows.values()), 60.)
    # the folder's check, 8 per file, and the grader's engine's checks but
    # the informational seeded_value
    assert report['score'] == report['max_score'] == 1 + 4 * 8 + sum(
        len(tasks.engine_checks(task)) - 1 for task in TASKS)
    assert {t['status'] for t in report['tests']} == {'passed'}


def test_static_defects_each_fail_only_their_check(tmp_path):
    folder = folder_with(tmp_path, {
        '0-vanilla': lambda text: text.replace('\n', '\r\n'),
        '1-sparse': lambda text: text.rstrip('\n'),
        '2-convolutional': replace('import tensorflow.keras as keras\n',
                                   'import tensorflow.keras as keras\n'
                                   'import numpy as np\n'),
        '3-variational': replace('#!/usr/bin/env python3',
                                 '#!/usr/bin/python3'),
    })
    rows = check(folder, '--engines')
    assert set(failed(rows)) == {
        ('0-vanilla', '', 'shebang'), ('1-sparse', '', 'newline'),
        # pycodestyle too reports the missing newline (W292)
        ('1-sparse', '', 'pycodestyle'), ('2-convolutional', '', 'imports'),
        ('3-variational', '', 'shebang')}
    assert 'carriage return' in rows['0-vanilla', '', 'shebang']['message']
    assert 'dos2unix' in rows['0-vanilla', '', 'shebang']['hint']
    assert rows['2-convolutional', '', 'imports']['message'].startswith(
        'import numpy as np (line 4)')
    assert "'#!/usr/bin/python3'" in rows['3-variational', '', 'shebang'][
        'message']


def test_more_static_defects(tmp_path):
    def undocumented(text):
        """Removes the docstring of check_arguments."""
        start = text.index('def check_arguments')
        body = text.rfind('\n', 0, text.index('"""', start)) + 1
        end = text.index('\n', text.index('"""', body + 8)) + 1
        return text[:body] + text[end:]
    folder = folder_with(tmp_path, {
        '0-vanilla': replace('    return encoder, decoder, auto',
                             '    return encoder,decoder, auto'),
        '1-sparse': undocumented,
    }, drop=('3-variational',))
    os.chmod(folder / '2-convolutional.py', stat.S_IRUSR | stat.S_IWUSR)
    (folder / 'README.md').write_text('')
    rows = check(folder, '--engines')
    assert set(failed(rows)) == {
        ('folder', '', 'readme'), ('0-vanilla', '', 'pycodestyle'),
        ('1-sparse', '', 'documented'), ('2-convolutional', '', 'executable'),
        ('3-variational', '', 'exists')}
    assert 'E231' in rows['0-vanilla', '', 'pycodestyle']['message']
    assert 'function check_arguments' in rows[
        '1-sparse', '', 'documented']['message']
    assert rows['3-variational', '', 'shebang']['message'] == \
        'skipped: waits on exists, which failed'


def test_lists_name_every_mistake_and_odd_files_get_one_line(tmp_path):
    folder = folder_with(tmp_path, {
        # more violations than shown: the first three, and how to see all
        '0-vanilla': replace('    return encoder, decoder, auto',
                             '    return encoder,decoder,auto ;x=1;y=2'),
        # two forbidden imports, each with its line
        '1-sparse': replace('import tensorflow.keras as keras\n',
                            'import tensorflow.keras as keras\n'
                            'import numpy as np\nimport os\n'),
    })
    with open(folder / '3-variational.py', 'wb') as f:
        f.write(b'#!/usr/bin/env python3\n\x89PNG\r\n\x1a\n\xff\xfe')
    rows = check(folder, '--engines')
    style = rows['0-vanilla', '', 'pycodestyle']
    total = int(style['message'].split()[0])
    assert total > 3
    assert style['message'].startswith('{} violations, the first 3: line '
                                       .format(total))
    assert style['message'].count('; line ') == 2
    assert style['hint'] == 'pycodestyle 0-vanilla.py lists them all'
    imports = rows['1-sparse', '', 'imports']['message']
    assert imports.startswith('import numpy as np (line 4), import os '
                              '(line 5); the only import allowed is')
    odd = rows['3-variational', '', 'exists']
    assert odd['verdict'] == 'fail'
    assert odd['message'] == ('3-variational.py is not Python text: byte 23 '
                              'is not UTF-8 (a binary file, or text in '
                              'another encoding); save it as UTF-8 text')
    from checker import static
    tree = static.parse(
        '"""Module."""\n\n\ndef outer():\n    """  """\n    def inner():'
        '\n        return 1\n    return inner\n'.encode())
    blank = static.check_documented(tree)
    assert blank['verdict'] == 'fail'
    assert 'function outer (line 4)' in blank['message']
    assert 'inner' not in blank['message']
    tree = static.parse(
        '"""Module."""\n\n\ndef outer():\n    """Outer."""\n    def '
        'inner():\n        return 1\n    return inner\n'.encode())
    nested = static.check_documented(tree)
    assert nested['verdict'] == 'note'
    assert nested['message'].startswith('no docstring: function inner '
                                        '(line 6), defined inside another')


# the decoder's upsampled convolutions and their activation
CONV_DECODER = ("        x = keras.layers.Conv2D(n_filters, (3, 3), "
                "padding='same',\n                                "
                "activation='relu')(x)\n        x = keras.layers."
                "UpSampling2D")


# (the learner-style folders of tests/learners, test_learners.py, hold the
# other defects: printing, activations, padding, optimizer, regularizer, an
# older edition's name, the VAE's outputs and losses, Keras 3 only failures)
def test_model_defects_and_a_crash_fail_exactly_their_checks(tmp_path):
    """One folder, one defect per file, one run: a learning rate of 0, a
    module that raises on import (with the default time limit, which no
    import reaches) and a convolutional decoder with twice the filters."""
    folder = folder_with(tmp_path, {
        '1-sparse': replace('import tensorflow.keras as keras\n',
                            'import tensorflow.keras as keras\nraise '
                            'RuntimeError("broken on purpose")\n'),
        '2-convolutional': replace(CONV_DECODER, CONV_DECODER.replace(
            'Conv2D(n_filters', 'Conv2D(2 * n_filters')),
        '0-vanilla': replace("    auto.compile(optimizer='adam'",
                             "    still = keras.optimizers.Adam(0.0)\n"
                             "    auto.compile(optimizer=still"),
    }, drop=('3-variational',))
    rows = check(folder, '--tasks', '0-vanilla', '1-sparse',
                 '2-convolutional', '--engines', 'keras2')
    assert set(failed(rows)) == {
        ('0-vanilla', 'keras2', 'trains'),
        ('1-sparse', 'keras2', 'imports_cleanly'),
        ('2-convolutional', 'keras2', 'structure')}
    assert rows['1-sparse', 'keras2', 'imports_cleanly']['message'] == \
        'raised RuntimeError: broken on purpose (at 1-sparse.py:4: raise ' \
        'RuntimeError("broken on purpose"))'
    assert rows['1-sparse', 'keras2', 'builds']['message'] == \
        'skipped: waits on imports_cleanly, which failed'
    message = rows['2-convolutional', 'keras2', 'structure']['message']
    assert message == 'decoder: convolutions of [16, 16, 16] filters at ' \
        '2-convolutional.py:79 before the output one; the specification\'s ' \
        'are filters reversed, [8, 8, 16]', message
    assert rows['2-convolutional', 'keras2', 'variants']['message'] == \
        'skipped: waits on structure, which failed'
    assert rows['0-vanilla', 'keras2', 'trains']['message'].startswith(
        'the loss did not fall in 3 epochs on 512 images')


def test_a_module_that_hangs_fails_its_import(tmp_path):
    # the hang never returns, whatever the host's speed; the limit is short
    # (the loop holds a core for it): on a host too slow to import
    # TensorFlow within it, the same check fails with the same message
    folder = folder_with(tmp_path, {
        '0-vanilla': replace('import tensorflow.keras as keras\n',
                             'import tensorflow.keras as keras\nwhile True:\n'
                             '    pass\n')})
    rows = check(folder, '--tasks', '0-vanilla', '--engines', 'keras2',
                 '--timeout', '3')
    assert set(failed(rows)) == {('0-vanilla', 'keras2', 'imports_cleanly')}
    assert rows['0-vanilla', 'keras2', 'imports_cleanly']['message'] \
        .startswith('took longer than 3 s (the time limit, --timeout)')


def test_the_command_exits_1_and_writes_gradescopes_schema(tmp_path,
                                                           capsys):
    from checker import cli
    (tmp_path / 'files').mkdir()
    folder = folder_with(tmp_path / 'files', drop=('2-convolutional',))
    with pytest.raises(SystemExit) as stop:
        cli.main([str(folder), '--engines', '--json',
                  str(tmp_path / 'results.json')])
    assert stop.value.code == 1
    table = capsys.readouterr().out
    assert 'FAIL 2-convolutional          exists: no 2-convolutional.py ' \
        'in' in table
    # what the learner's code ran under first (here: no engine), then the
    # grader's table
    sandbox, table = table.split('\n', 1)
    assert sandbox == 'sandbox: no engine run (the file checks alone)'
    assert table.startswith('== TensorFlow 2.15 / Keras 2, the grader\'s '
                            'engine: these checks make the score')
    import json
    report = json.loads((tmp_path / 'results.json').read_text())
    assert set(report) == {'score', 'max_score', 'execution_time', 'tests',
                           'output'}
    assert report['output'] == sandbox
    test = [t for t in report['tests'] if t['name'] ==
            '2-convolutional: exists'][0]
    assert (test['status'], test['score'], test['max_score']) == \
        ('failed', 0, 1)
    assert test['extra_data'] == {'task': '2-convolutional', 'engine': '',
                                  'check': 'exists', 'verdict': 'fail',
                                  'counted': True}
    # 1 README + 4 files x 8 checks, 8 of them those of the missing file
    assert (report['score'], report['max_score']) == (25, 33)


def test_a_jobs_processes_at_once_or_apart_give_the_same_verdicts():
    from checker import engines as judging
    # a model that prints its summary while it is built: the import's,
    # the checks' and the main's processes each have something to say
    job = (os.path.join(ROOT, 'tests', 'learners', 'defects'), '0-vanilla')
    apart, at_once = ({r['check']: r for r in judging.run_engine(
        [job], 'keras2', 120, together=together)[job]}
        for together in (False, True))
    assert [(r['check'], r['verdict']) for r in at_once.values()] == \
        [(r['check'], r['verdict']) for r in apart.values()]
    assert [at_once[check]['verdict'] for check in (
        'imports_cleanly', 'quiet', 'structure', 'trains', 'main_output')] \
        == ['pass', 'fail', 'fail', 'pass', 'fail']
    for check in ('quiet', 'structure', 'main_output'):
        assert at_once[check]['message'] == apart[check]['message']


def test_each_job_is_judged_as_it_ends_and_its_reports_given_back(
        tmp_path, monkeypatch):
    """The judge holds the frames of the jobs under way alone: each job
    of a runner is judged once its processes and its pipes have ended (the
    sandbox's supervisor keeps none of them), and its frames are given
    back, so that a class's many jobs never fill the judge's budget of the
    reports it holds at once (protocol.LIVE)."""
    from checker import engines as judging, judge, protocol
    jobs = []
    for number in range(3):
        folder = tmp_path / str(number)
        folder.mkdir()
        shutil.copy2(os.path.join(ROOT, '0-vanilla.py'), folder)
        jobs.append((str(folder), '0-vanilla'))
    base, held, own = protocol.LIVE.held, [], []
    verdicts = judge.verdicts

    def counted(task, read, *arguments):
        held.append(protocol.LIVE.held - base)
        own.append(sum(array.nbytes for frame in read['frames']
                       for name, array in frame.items() if name != 'header'))
        return verdicts(task, read, *arguments)
    monkeypatch.setattr(judge, 'verdicts', counted)
    found = judging.run_engine(jobs, 'keras2', 120)
    assert all(all(r['verdict'] == 'pass' for r in found[job]
                   if r['check'] in ('builds', 'structure', 'trains'))
               for job in jobs), found
    # each judged with its own frames beside at most the next job's
    # (held to the runner's end, the first would be judged beside all
    # three jobs')
    assert len(held) == 3 and min(own) > 1 << 20, (held, own)
    assert all(now < 2.2 * size for now, size in zip(held, own)), (held,
                                                                   own)
    assert protocol.LIVE.held - base < min(own) / 2


def test_the_profile_times_each_process_from_its_start_to_its_end(tmp_path):
    from types import SimpleNamespace
    from checker import engines as judging
    sent = {'import': ([], []), 'main': ([], []), 'checks': (
        [{'header': {'kind': 'check', 'check': 'builds'}},
         {'header': {'kind': 'check', 'check': 'structure'}}], [13., 14.5])}
    zygote = [({'kind': 'begin', 'job': 0}, 12.),
              ({'kind': 'started', 'job': 0, 'phase': 'checks'}, 12.5),
              ({'kind': 'started', 'job': 0, 'phase': 'main'}, 12.6),
              ({'kind': 'ended', 'job': 0, 'phase': 'main', 'cpu': 1.5},
               14.),
              ({'kind': 'ended', 'job': 0, 'phase': 'checks', 'cpu': 2.},
               15.),
              ({'kind': 'end'}, 15.5)]
    path = tmp_path / 'profile.jsonl'
    judging.profiled(str(path), '/x/.venv-keras3/bin/python',
                     [('folder', '2-convolutional')], 10.,
                     [{'header': header} for header, _ in zygote],
                     [arrived for _, arrived in zygote],
                     [SimpleNamespace(sent=sent)])
    records = [json.loads(line) for line in path.read_text().splitlines()]
    assert {record['engine'] for record in records} == {'keras3'}
    found = [(record['part'], record.get('phase') or record.get('check'),
              record['seconds'], record.get('cpu')) for record in records]
    assert found == [('start', None, 2., None),
                     ('process', 'main', pytest.approx(1.4), 1.5),
                     ('process', 'checks', 2.5, 2.),
                     ('check', 'builds', 0.5, None),
                     ('check', 'structure', 1.5, None),
                     ('runner', None, 5.5, None)]
