"""The self-check on code written the ways learners write it: each folder of
tests/learners/ is a learner-style solution (tests/learners/README.md says
which style and which mistakes), and the checker must give exactly the
verdicts below on the grader's engine, with messages that name the mistake
(the fragments below) and, for a crash or a construct of the learner's
file, its line; never a traceback tail or Keras's argument dump.

The checker drives both engines' environments itself, so this runs in the
Keras 3 suite only (the Keras 2 suite runs the project's own files)."""
import concurrent.futures
import os

import pytest

from conftest import KERAS_3, ROOT

LEARNERS = os.path.join(ROOT, 'tests', 'learners')
VANILLA, SPARSE, CONV, VAE = ('0-vanilla', '1-sparse', '2-convolutional',
                              '3-variational')

# folder: {(task, engine, check): fragment of the message} of every counted
# check that fails ('' engine: the file checks); every other counted check
# passes
FAILURES = {
    'functional': {},
    'sequential': {},
    'classes': {
        (VANILLA, '', 'imports'): 'import tensorflow.keras as K (line 3)',
    },
    # (its 1-sparse.py has no autoencoder: checked in the same process as
    # other folders' 1-sparse.py, it proves that no module is carried over)
    'defects': {
        (VANILLA, 'keras2', 'quiet'): "prints while building: 'Model: ",
        (VANILLA, 'keras2', 'structure'):
            "encoder layers 1, 2 (Dense at 0-vanilla.py:11): activation "
            "'sigmoid'; every layer but the decoder's last is relu; decoder "
            "layer 3 (Dense at 0-vanilla.py:20): activation 'relu'; the "
            "decoder's last layer is sigmoid",
        (VANILLA, 'keras2', 'main_output'): 'Model: ',
        (SPARSE, 'keras2', 'builds'): 'no function autoencoder in the file',
        (CONV, 'keras2', 'variants'):
            'autoencoder((28, 28, 1), [4, 8, 8, 16], (2, 2, 16)): decoder: '
            'no Conv2D(16, (3, 3), same, relu), UpSampling2D((2, 2)) before '
            'its first layer',
        (VAE, '', 'python39'): 'line 20: the annotation list[int] | '
                               'tuple[int] needs Python 3.10',
        (VAE, 'keras2', 'vae_outputs'): 'epsilon has standard deviation '
                                        '0.10 over 2000 draws, not 1: draw '
                                        'it from N(0, 1)',
    },
    'slips': {
        (VANILLA, 'keras2', 'compiled'): 'auto is compiled with SGD (compile '
                                         'at 0-vanilla.py:31)',
        (SPARSE, 'keras2', 'regularizer'): "encoder's latent layer (Dense at "
                                           "1-sparse.py:17): activity "
                                           "regularizer L2",
        (CONV, 'keras2', 'structure'): "decoder layer 5 (Conv2D at "
                                       "2-convolutional.py:24): padding "
                                       "'same'",
        (CONV, 'keras2', 'trains'): 'follows from the structure failure',
        (CONV, 'keras2', 'main_output'): 'follows from the structure failure',
        (VAE, 'keras2', 'vae_outputs'): 'auto decodes the mean',
    },
    'vae-order': {
        (VAE, 'keras2', 'vae_outputs'): 'the encoder at 3-variational.py:28 '
                                        'returns [mean, log_var, z]; the '
                                        'specification\'s order is [z, mean, '
                                        'log_var]',
    },
    'vae-all-three': {
        (VAE, 'keras2', 'builds'): 'running auto (made at '
                                   '3-variational.py:41): raised ValueError: '
                                   'Layer "decoder" expects 1 input(s), but '
                                   'it received 3 input tensors.',
    },
    'vae-no-kl': {
        (VAE, 'keras2', 'vae_loss'): 'it matches the cross-entropy summed '
                                     'over the pixels, with no KL term',
    },
    'vae-mean-bce': {
        (VAE, 'keras2', 'vae_loss'): 'it matches the cross-entropy averaged '
                                     'over the pixels (multiply it by '
                                     'input_dims, or sum over the pixels) '
                                     'plus the KL term',
    },
    'vae-bce-only': {
        (VAE, 'keras2', 'vae_loss'): 'the loss trained is 0.693 on a batch',
    },
    'vae-kl-latent': {
        (VAE, 'keras2', 'vae_loss'): 'plus the KL term averaged over the '
                                     'latent dimensions',
    },
    'vae-batch-sum': {
        (VAE, 'keras2', 'vae_loss'): 'the cross-entropy summed over the '
                                     'pixels and the batch',
    },
    'vae-exp-logvar': {
        (VAE, 'keras2', 'vae_outputs'): 'z = mean + exp(log_var) * epsilon: '
                                        'the standard deviation is '
                                        'exp(log_var / 2)',
    },
    'conv-extra-layer': {
        (CONV, 'keras2', 'builds'): 'expected axis -1 of input shape to '
                                    'have value 8, but received input with '
                                    'shape (None, 4, 4, 4) (at '
                                    '2-convolutional.py:36: auto = '
                                    'keras.Model(inputs, decoder(encoder('
                                    'inputs)))) (conv2d_4: the Conv2D made '
                                    'at 2-convolutional.py:26)',
    },
    'vae-loss-layer': {},
    'vae-one-head': {
        (VAE, 'keras2', 'vae_outputs'): 'the mean and the log variance come '
                                        'from one layer (Dense at '
                                        '3-variational.py:18) called twice',
    },
    'vae-new-auto': {
        (VAE, 'keras2', 'vae_outputs'): 'auto at 3-variational.py:40 is not '
                                        'made of the returned decoder',
        (VAE, 'keras2', 'vae_loss'): 'auto is not made of the returned '
                                     'encoder and decoder (see vae_outputs)',
        # the returned models do not learn when auto is fitted: the
        # judge's own loss of them on test images does not fall
        (VAE, 'keras2', 'trains'): 'follows from the vae_outputs failure',
    },
    'vae-outer-mean': {
        (VAE, 'keras2', 'builds'): 'raised TypeError: Could not build a '
                                   'TypeSpec for a symbolic KerasTensor',
    },
    'vae-z-only': {
        (VAE, 'keras2', 'builds'): 'the encoder at 3-variational.py:22 '
                                   'returns 1 output where the '
                                   'specification\'s returns three',
    },
    'vae-order-inner': {
        (VAE, 'keras2', 'vae_outputs'): 'returns [mean, log_var, z]; the '
                                        'specification\'s order is [z, '
                                        'mean, log_var]; auto decodes the '
                                        'mean',
    },
    'vae-lambda-loss': {
        (VAE, 'keras2', 'vae_loss'): 'raised TypeError: You are passing a '
                                     'symbolic KerasTensor',
        (VAE, 'keras2', 'trains'): 'the same error as vae_loss above',
        (VAE, 'keras2', 'main_output'): 'the same error as vae_loss above',
    },
    'vae-plain': {
        (VAE, 'keras2', 'structure'): 'encoder: 1 output; expected 3',
        (VAE, 'keras2', 'vae_outputs'): 'the encoder at 3-variational.py:13 '
                                        'returns 1 output where the '
                                        'specification\'s returns three',
        (VAE, 'keras2', 'main_output'): 'follows from the structure failure',
    },
    'vae-kl-layer': {},
    'vae-kl-per-image': {
        (VAE, 'keras2', 'vae_loss'): 'raised ValueError: Shapes must be '
                                     'equal rank, but are 0 and 1',
        (VAE, 'keras2', 'trains'): 'the same error as vae_loss above',
        (VAE, 'keras2', 'main_output'): 'the same error as vae_loss above',
    },
    # the grader recomputes Conv2DTranspose: it builds, and the structure
    # names each one in place of a convolution and an upsampling
    'conv-transpose': {
        (CONV, 'keras2', 'structure'): "(Conv2DTranspose at "
                                       "2-convolutional.py:17): "
                                       "Conv2DTranspose where the "
                                       "specification's decoder has Conv2D(8, "
                                       "(3, 3), same, relu) then "
                                       "UpSampling2D((2, 2))",
        (CONV, 'keras2', 'trains'): 'follows from the structure failure',
        (CONV, 'keras2', 'main_output'): 'follows from the structure failure',
    },
    'conv-filters-order': {
        (CONV, 'keras2', 'structure'): 'decoder: convolutions of [16, 8, 8] '
                                       'filters at 2-convolutional.py:26 '
                                       'before the output one; the '
                                       'specification\'s are filters '
                                       'reversed, [8, 8, 16] (these are '
                                       'filters in the encoder\'s order)',
    },
    'vae-loss-twice': {
        (VAE, 'keras2', 'vae_loss'): 'it matches the cross-entropy summed '
                                     'over the pixels plus the KL term, plus '
                                     'the cross-entropy averaged over the '
                                     'pixels that compile(loss=...) adds on '
                                     'top of add_loss',
    },
    'vae-closure': {
        (VAE, 'keras2', 'vae_loss'): 'raised TypeError: You are passing a '
                                     'symbolic KerasTensor',
        (VAE, 'keras2', 'trains'): 'the same error as vae_loss above',
        (VAE, 'keras2', 'main_output'): 'the same error as vae_loss above',
    },
    'conv-decoder-loop': {
        (CONV, 'keras2', 'structure'):
            "decoder layer 5 (Conv2D at 2-convolutional.py:33): padding "
            "'same'; the decoder's second-to-last convolution uses valid "
            "padding; decoder layer 7 (Conv2D at 2-convolutional.py:37): a "
            "layer the specification's decoder does not have; decoder layer "
            "8 (Conv2D at 2-convolutional.py:39): padding 'valid'; the "
            "output convolution keeps its input's size",
    },
    'conv-cropping': {
        (CONV, 'keras2', 'structure'):
            "decoder layer 5 (Conv2D at 2-convolutional.py:21): padding "
            "'same'; the decoder's second-to-last convolution uses valid "
            "padding; decoder layer 7 (Cropping2D at 2-convolutional.py:23): "
            "a layer the specification's decoder does not have",
    },
    'conv-fit-attribute': {
        (CONV, 'keras2', 'structure'): "encoder layers 1, 3, 5 (Conv2D at "
                                       "2-convolutional.py:19): activation "
                                       "'sigmoid'",
        (CONV, 'keras2', 'compiled'): "raised AttributeError: module "
                                      "'tensorflow.keras' has no attribute "
                                      "'ops' (at 2-convolutional.py:14",
        (CONV, 'keras2', 'trains'): 'the same error as compiled above',
        (CONV, 'keras2', 'main_output'): 'the same error as compiled above',
    },
    'vae-one-epsilon': {
        (VAE, 'keras2', 'vae_outputs'): "every image's z in a batch has the "
                                        "same epsilon",
    },
    'vae-print-loss': {
        (VAE, 'keras2', 'quiet'): 'from the print at 3-variational.py:45 in '
                                  'reconstruction_loss',
        (VAE, 'keras2', 'main_output'): "the main's other lines come from "
                                        "the print at 3-variational.py:45",
    },
    'vae-closure-factory': {
        (VAE, 'keras2', 'vae_loss'): 'raised TypeError: You are passing a '
                                     'symbolic KerasTensor',
        (VAE, 'keras2', 'trains'): 'the same error as vae_loss above',
        (VAE, 'keras2', 'main_output'): 'the same error as vae_loss above',
    },
    'conv-pool-valid': {
        (CONV, 'keras2', 'builds'): "its layer 6 (MaxPooling2D at "
                                    "2-convolutional.py:19) takes the height "
                                    "and width 7 to 3 (padding 'valid' "
                                    "rounds down",
    },
    # the keras.io style: a Model subclass with its own train_step
    'vae-subclass': {
        (VAE, 'keras2', 'structure'): 'auto (VAE at 3-variational.py:76) is '
                                      'a Model subclass',
        (VAE, 'keras2', 'vae_loss'): 'VAE (class at 3-variational.py:16) '
                                     'overrides train_step but not '
                                     'test_step',
        (VAE, 'keras2', 'trains'): "no attribute 'ops' (at "
                                   "3-variational.py:36",
        (VAE, 'keras2', 'main_output'): 'the same error as trains above',
    },
    'blank-docstring': {
        (VANILLA, '', 'documented'): 'function autoencoder (line 6)',
    },
}
# fragments that must not be in a failure's message: a remark that one
# failure follows from another where it does not
ABSENT = {
    ('conv-fit-attribute', CONV, 'trains'): 'follows from',
    ('conv-fit-attribute', CONV, 'main_output'): 'follows from',
    ('vae-print-loss', VAE, 'main_output'): 'what autoencoder() prints',
    ('vae-subclass', VAE, 'trains'): 'follows from',
    ('vae-subclass', VAE, 'main_output'): 'follows from',
}
# hints that must come with some of those failures
HINTS = {
    ('defects', SPARSE, 'builds'): '(found: sparse): def autoencoder('
                                   'input_dims, hidden_layers, latent_dims, '
                                   'lambtha):',
    ('vae-all-three', VAE, 'builds'): 'decoder(encoder(inputs)[0])',
    ('vae-closure', VAE, 'vae_loss'): 'the loss function given to compile '
                                      'at 3-variational.py:42 may use only '
                                      'y_true and y_pred',
    ('vae-lambda-loss', VAE, 'vae_loss'): 'the loss function given to '
                                          'compile at 3-variational.py:40 '
                                          'may use only y_true and y_pred',
    ('vae-outer-mean', VAE, 'builds'): 'the function reparameterize that '
                                       'Lambda calls reads mean, a tensor '
                                       'from outside it',
    ('vae-kl-per-image', VAE, 'vae_loss'): 'the add_loss at '
                                           '3-variational.py:36 is given one '
                                           'loss per image',
    ('vae-closure-factory', VAE, 'vae_loss'): 'the function loss that '
                                              'make_loss (3-variational.py:'
                                              '13) returns reads mean and '
                                              'log_var',
    ('vae-subclass', VAE, 'vae_loss'): 'override test_step too',
    ('vae-subclass', VAE, 'trains'): 'keras.backend.sum, mean, square and '
                                     'exp are in both',
    ('conv-fit-attribute', CONV, 'compiled'): 'keras.ops is Keras 3\'s',
    ('vae-z-only', VAE, 'builds'): 'encoder = keras.Model(inputs, [z, mean, '
                                   'log_var])',
}
# the folders also checked on Keras 3, and what it says there (shown, not
# counted): {(task, check): (verdict, fragment)}
KERAS3 = {
    'sequential': {(VAE, 'builds'): ('fail', 'A KerasTensor cannot be used '
                                     'as input to a TensorFlow function'),
                   # Sequential's input_shape warning is on stderr
                   (VANILLA, 'quiet'): ('pass', ''),
                   # numpy-typed arguments, which the grader never
                   # passes, earn no note
                   (VANILLA, 'variants'): ('pass', '')},
    'vae-all-three': {(VAE, 'builds'): ('fail', '3-variational.py:41')},
    # Keras 3 has keras.ops: it trains, and what evaluate measures is
    # still the compiled loss alone
    'vae-subclass': {(VAE, 'trains'): ('pass', ''),
                     (VAE, 'vae_loss'): ('fail', 'overrides train_step but '
                                         'not test_step')},
}
INTERNALS = ('Arguments received', '\u2022', '```', 'Traceback',
             'File "')


@pytest.fixture(scope='module')
def verdicts():
    """Runs the checker on every folder of the corpus, on the grader's
    engine (and Keras 3 for those of KERAS3), the folders sharing each
    engine's processes as `python -m checker` shares them between one
    folder's tasks; returns {folder: {(task, engine, check): row}}."""
    if not KERAS_3:
        pytest.skip('runs in the Keras 3 suite')
    from test_checker import installed
    for venv in ('.venv', '.venv-keras3'):
        if not installed(venv):
            pytest.skip('no {} environment: make venv venv-keras3'.format(
                venv))
    from checker import engines
    paths = {folder: os.path.join(LEARNERS, folder) for folder in FAILURES}
    # every file of every folder on the grader's engine, in two processes;
    # on Keras 3 the tasks KERAS3 names, in one process beside them
    keras2 = {path: sorted(name[:-3] for name in os.listdir(path)
                           if name.endswith('.py'))
              for path in paths.values()}
    keras3 = {paths[folder]: sorted({task for task, _ in KERAS3[folder]})
              for folder in KERAS3}
    runs = [(keras2, 'keras2', 2), (keras3, 'keras3', 1)]
    with concurrent.futures.ThreadPoolExecutor(len(runs)) as pool:
        results = list(pool.map(
            lambda run: engines.check_folders(run[0], [run[1]],
                                              engines.TIMEOUT, run[2]),
            runs))
    found = {}
    for result in results:
        for folder, rows in result.items():
            found.setdefault(os.path.basename(folder), {}).update(
                {(r['task'], r['engine'], r['check']): r for r in rows})
    return found


def test_every_folder_of_the_corpus_has_its_verdicts():
    assert sorted(FAILURES) == sorted(
        name for name in os.listdir(LEARNERS)
        if os.path.isdir(os.path.join(LEARNERS, name)))


@pytest.mark.parametrize('folder', sorted(FAILURES))
def test_the_checker_fails_exactly_the_learners_mistakes(verdicts, folder):
    from checker import cli
    rows = verdicts[folder]
    failed = {key: row['message'] for key, row in rows.items()
              if cli.counts(row) and not cli.passed(row)
              and row['verdict'] != 'skip'}
    assert set(failed) == set(FAILURES[folder]), failed
    for key, fragment in FAILURES[folder].items():
        assert fragment in failed[key], (key, failed[key])
    for (name, task, check), hint in HINTS.items():
        if name == folder:
            assert hint in rows[task, 'keras2', check]['hint']
    for (name, task, check), fragment in ABSENT.items():
        if name == folder:
            assert fragment not in rows[task, 'keras2', check]['message']


@pytest.mark.parametrize('folder', sorted(FAILURES))
def test_each_message_names_the_mistake_not_kerass_internals(
        verdicts, folder):
    for key, row in verdicts[folder].items():
        if row['verdict'] in ('fail', 'note'):
            assert not any(text in row['message'] for text in INTERNALS), \
                (key, row['message'])
            assert len(row['message']) < 700, key
        if row['verdict'] == 'fail' and row['message'].startswith(
                ('raised', 'running auto')) and 'same error as' not in \
                row['message'] and 'follows from' not in row['message'] \
                and row['check'] != 'vae_loss':
            # a crash says where in the learner's file it happened
            assert '.py:' in row['message'], (key, row['message'])
        if row['verdict'] == 'skip':
            assert row['message'].startswith('skipped: waits on '), key


@pytest.mark.parametrize('folder', sorted(KERAS3))
def test_keras_3_results_are_shown_apart_and_do_not_count(verdicts, folder):
    from checker import cli
    rows = verdicts[folder]
    for (task, check), (verdict, fragment) in KERAS3[folder].items():
        row = rows[task, 'keras3', check]
        assert row['verdict'] == verdict, row
        assert fragment in row['message'], row
        assert not cli.counts(row)
    table = cli.table(list(rows.values()), 1.)
    grader, newest = table.split('\n\n== ')
    assert 'keras3' not in grader
    assert newest.startswith('the newest TensorFlow / Keras 3: not counted')
    per, (passed, total) = cli.scores(list(rows.values()))
    assert total == sum(cli.counts(row) for row in rows.values())
