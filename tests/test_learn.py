"""The front page's table and the learning objectives' page: tools/learn.py
end to end on a slice (its record, figure and answers), tools/glance.py and
tools/interruption.py turning records into their sections, and the
committed sections equal to what the committed records render."""
import json
import os

import pytest

from conftest import ROOT, run_with_readme
from tools import glance, interruption, learn

RESULTS = os.path.join(ROOT, 'results')
QUESTIONS = ('What is an autoencoder?', 'What is a bottleneck?',
             'What is latent space?', 'What is a sparse autoencoder?',
             'What is a convolutional autoencoder?',
             'What is a generative model?',
             'What is a variational autoencoder?',
             'What is the Kullback-Leibler divergence?', 'The quiz')


def section(path, begin, end):
    """Returns the section of the page at path between begin and end."""
    with open(path, encoding='utf-8') as f:
        text = f.read()
    return text[text.index(begin):text.index(end) + len(end)]


@pytest.fixture(scope='module')
def run(tmp_path_factory):
    """Runs tools/learn.py on a slice; returns (record, folder, page)."""
    folder = tmp_path_factory.mktemp('learn')
    record, readme = run_with_readme(folder, 'learn', learn, '--epochs', '1',
                                     '--limit', '500')
    return record, folder, readme


def test_every_objective_and_the_quiz_are_answered(run):
    _, _, readme = run
    text = readme.read_text()
    for question in QUESTIONS:
        assert '## ' + question in text
    assert '![decoded from random codes](../results/learn-generative.png)' \
        in text


def test_the_record_holds_what_the_answers_quote(run):
    record, folder, _ = run
    assert record['epochs'] == 1 and record['limit'] == 500
    assert (folder / 'learn-generative.png').exists()
    found = {(r['experiment'], r['variant'], r['metric']): r['value']
             for r in record['rows']}
    for variant in ('test digits', 'VAE, prior N(0, I)', 'vanilla, N(0, I)',
                    'vanilla, fitted Gaussian'):
        assert 0 <= found['generative', variant,
                          'classifier_confidence'] <= 1
        assert found['generative', variant, 'nearest_train_sse'] >= 0
    # the real test digits are the nearest to training digits
    assert found['generative', 'test digits', 'nearest_train_sse'] < \
        found['generative', 'vanilla, N(0, I)', 'nearest_train_sse']
    kl = found['vae_loss', 'test', 'kl']
    assert kl >= 0
    assert kl == pytest.approx(found['vae_loss', 'test', 'kl_dimension_0']
                               + found['vae_loss', 'test', 'kl_dimension_1'],
                               abs=1e-3)
    for loss in ('binary_crossentropy', 'mse'):
        assert found['vanilla_loss', loss, 'test_sse'] > 0


def test_nearest_distance_against_a_hand_computation():
    import numpy as np
    train = np.array([[0., 0.], [1., 1.], [3., 0.]], np.float32)
    images = np.array([[1., 0.], [3., 1.]], np.float32)
    np.testing.assert_allclose(learn.nearest_sse(images, train), [1., 1.])


def test_the_committed_pages_are_what_the_records_render():
    with open(os.path.join(RESULTS, 'learn.json')) as f:
        record = json.load(f)
    assert section(os.path.join(ROOT, 'docs', 'learn.md'), learn.BEGIN,
                   learn.END) == learn.render(record)
    assert section(os.path.join(ROOT, 'README.md'), glance.BEGIN,
                   glance.END) == glance.render()
    path = os.path.join(RESULTS, 'interruption.json')
    if os.path.exists(path):
        with open(path) as f:
            record = json.load(f)
        assert section(os.path.join(ROOT, 'docs', 'resuming.md'),
                       interruption.BEGIN, interruption.END) == \
            interruption.render(record)


def test_the_other_committed_sections_are_what_their_records_render():
    from tools import backends, bench
    results = os.path.join(ROOT, 'docs', 'results.md')
    assert section(results, bench.BEGIN, bench.END) == bench.section(
        os.path.join(RESULTS, 'results.json'), results)
    with open(os.path.join(RESULTS, 'backends.json')) as f:
        record = json.load(f)
    assert section(os.path.join(ROOT, 'docs', 'engines.md'), backends.BEGIN,
                   backends.END) == backends.render(record)
    try:
        from explorer import bench as explorer_bench
    except ImportError:  # no Gradio in the Keras 2 environment
        return
    with open(os.path.join(RESULTS, 'explorer.json')) as f:
        record = json.load(f)
    assert section(os.path.join(ROOT, 'docs', 'explorer.md'),
                   explorer_bench.BEGIN, explorer_bench.END) == \
        explorer_bench.render(record)


def test_the_glance_table_has_one_linked_row_per_record(tmp_path):
    text = glance.render()
    rows = [line for line in text.splitlines() if line.startswith('| [')]
    present = [name for name, _ in glance.AREAS
               if os.path.exists(os.path.join(RESULTS, name + '.json'))]
    assert len(rows) == len(present) >= 8
    for line in rows:
        # (an anchor in the page: test_docs.py checks that it is there)
        page = line.split('](', 1)[1].split(')', 1)[0].split('#')[0]
        assert os.path.exists(os.path.join(ROOT, page)), page
    # a folder without records: an empty table, no error
    assert glance.render(str(tmp_path)).count('\n| [') == 0


def test_interruption_renders_its_measured_row():
    record = {'command': 'tools/interruption.py', 'environment': {
        'machine': 'M', 'tensorflow': '2.15.1', 'keras': '2.15.0',
        'numpy': '1.25.2', 'python': '3.11'}, 'rows': [{
            'main': '2-main.py', 'task': '2-convolutional', 'epochs': 10,
            'limit': None, 'signal': 'SIGINT', 'interrupted_in_epoch': 5,
            'epoch_seconds': 7.0, 'uninterrupted_seconds': 80.0,
            'interrupted_seconds': 37.5, 'resumed_seconds': 50.0,
            'extra_seconds': 7.5, 'extra_epochs': 1.07,
            'lost_work_seconds': 3.5, 'lost_work_epochs': 0.5,
            'restart_seconds': 4.0, 'same_loss': True,
            'same_val_loss': True, 'same_printed': True,
            'final_val_loss': 0.1, 'keras': '2.15.0',
            'backend': 'tensorflow'}]}
    text = interruption.render(record)
    assert '**The interruption cost 7.5 s, 1.07 epochs\' worth**: 3.5 s ' \
        'of work lost (0.5 of an epoch' in text
    assert 'and 4.0 s to start again' in text
    assert glance.interruption(record)[1].startswith(
        '0.50 epoch of work lost (3.5 s), 4.0 s to start again')
    assert 'identical to the uninterrupted run' in text
    record['rows'][0]['same_val_loss'] = False
    assert 'not identical to' in interruption.render(record)


def test_each_answer_names_its_run_and_the_quiz_has_every_option():
    text = section(os.path.join(ROOT, 'docs', 'learn.md'), learn.BEGIN,
                   learn.END)
    answers = text.split('\n## ')[1:]
    assert len(answers) == len(QUESTIONS)
    for answer in answers[:-1]:
        # its numbers' run: the command, epochs and host
        assert ' epochs' in answer and 'host `' in answer, answer[:80]
    figures = [line for line in text.splitlines() if line.startswith('![')]
    assert len(figures) >= 4
    assert any('learn-sparsity.png' in line for line in figures)
    for line in figures:
        path = line.split('](')[1].rstrip(')')
        assert os.path.exists(os.path.join(ROOT, 'docs', path)), path
    # the specification's five questions, every option with its verdict
    quiz = answers[-1]
    options = [line for line in quiz.splitlines()
               if line.startswith('| ') and not line.startswith('| option')]
    assert len(options) == 20
    expected = [right for _, choices in learn.QUIZ for _, right in choices]
    assert [' ✔ ' in line for line in options] == expected
    assert all(line.count(' | ') == 2 and line.split(' | ')[2].strip(' |')
               for line in options)
