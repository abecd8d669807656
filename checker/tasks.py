"""The four tasks as the checker knows them, the ids of its checks in the
order they run (the ids are part of the command's interface), and the
sentence of the specification, or the grader's requirement, each enforces."""
TASKS = ('0-vanilla', '1-sparse', '2-convolutional', '3-variational')
# what the spec's mains pass to autoencoder()
MAIN_ARGS = {
    '0-vanilla': (784, [128, 64], 32),
    '1-sparse': (784, [128, 64], 32, 10e-6),
    '2-convolutional': ((28, 28, 1), [16, 8, 8], (4, 4, 8)),
    '3-variational': (784, [512], 2),
}
# the MNIST training images the trains check fits on, for TRAINED_EPOCHS,
# and the images of each split a main runs on (one epoch)
TRAINED_IMAGES, TRAINED_EPOCHS, MAIN_IMAGES = 512, 3, 256
# the parameters of each task's autoencoder(), as the specification's
# prototypes name them (the mains pass them by position)
PROTOTYPES = {
    '0-vanilla': ['input_dims', 'hidden_layers', 'latent_dims'],
    '1-sparse': ['input_dims', 'hidden_layers', 'latent_dims', 'lambtha'],
    '2-convolutional': ['input_dims', 'filters', 'latent_dims'],
    '3-variational': ['input_dims', 'hidden_layers', 'latent_dims'],
}
# the checks of the folder, of each file, and of each file on each engine
FOLDER_CHECKS = ('readme',)
FILE_CHECKS = ('exists', 'shebang', 'newline', 'executable', 'pycodestyle',
               'python39', 'documented', 'imports')
ENGINE_CHECKS = ('imports_cleanly', 'builds', 'quiet', 'structure',
                 'compiled', 'regularizer', 'vae_outputs', 'vae_loss',
                 'variants', 'trains', 'main_output', 'seeded_value')
# the checks that only some tasks have
ONLY = {'regularizer': ('0-vanilla', '1-sparse'),
        'vae_outputs': ('3-variational',), 'vae_loss': ('3-variational',)}
# checks that inform instead of failing: they do not count in the score
WARNINGS = ('seeded_value',)
# checks the judge (checker.judge) decides from what the learner's
# processes printed, which it reads itself: the runner does not run them
JUDGED = ('quiet', 'main_output', 'seeded_value')
# each engine check and the check it needs to have passed first
# (the others need builds; nothing runs if the file did not import)
NEEDS = {'imports_cleanly': None, 'builds': None, 'variants': 'structure',
         'seeded_value': 'main_output'}
ENGINES = ('keras2', 'keras3')
# each engine's environment, as tools/environment.py makes it (a folder of
# the repository), and the variables that select the engine
ENVIRONMENT_FOLDERS = {'keras2': '.venv', 'keras3': '.venv-keras3'}
ENGINE_VARIABLES = {'keras2': {}, 'keras3': {'KERAS_BACKEND': 'tensorflow'}}
# the engine whose verdicts make the score and the exit status: the
# grader's, TensorFlow 2.15 (Keras 2); the others are shown, not counted
GRADER_ENGINE = 'keras2'
ENGINE_NAMES = {'keras2': 'TensorFlow 2.15 / Keras 2, the grader\'s engine',
                'keras3': 'the newest TensorFlow / Keras 3'}

# the sentence of the specification (or the grader's requirement) each
# check enforces, as a failure cites it
SENTENCES = {
    'readme': 'A README.md file, at the root of the folder of the project, '
              'is mandatory',
    'exists': 'the task file is named as the task says (0-vanilla.py, '
              '1-sparse.py, 2-convolutional.py, 3-variational.py)',
    'shebang': 'The first line of all your files should be exactly '
               '#!/usr/bin/env python3',
    'newline': 'All your files should end with a new line',
    'executable': 'All your files must be executable',
    'pycodestyle': 'Your code should use the pycodestyle style (version '
                   '2.11.1)',
    'python39': 'All your files will be interpreted/compiled on Ubuntu '
                '20.04 LTS using python3 (version 3.9)',
    'documented': 'All your modules, classes and functions should have '
                  'documentation',
    'imports': 'you are not allowed to import any module except import '
               'tensorflow.keras as keras',
    'imports_cleanly': 'the grader imports your file with '
                       '__import__(\'N-name\') and runs its main',
    'builds': 'autoencoder(...) returns encoder, decoder, auto',
    'quiet': 'the checker compares what the main prints: building the '
             'models prints nothing',
    'structure': {
        '0-vanilla': 'hidden_layers for the encoder, reversed for the '
                     'decoder; all layers relu but the decoder\'s last, '
                     'sigmoid',
        '1-sparse': 'hidden_layers for the encoder, reversed for the '
                    'decoder; all layers relu but the decoder\'s last, '
                    'sigmoid',
        '2-convolutional': 'encoder: 3x3 same relu convolutions, each '
                           'followed by 2x2 max pooling; decoder: 3x3 same '
                           'relu convolutions then 2x2 upsampling, the '
                           'second-to-last valid, the last with the input\'s '
                           'channels and sigmoid, no upsampling',
        '3-variational': 'the mean and log variance layers have no '
                         'activation, the other layers relu, the decoder\'s '
                         'last sigmoid',
    },
    'compiled': 'auto is compiled with adam optimization and binary '
                'cross-entropy loss',
    'regularizer': {
        '0-vanilla': '(informational) task 0 names no regularizer: one '
                     'changes the loss the main prints',
        '1-sparse': 'lambtha is the regularization parameter used for L1 '
                    'regularization on the encoded output',
    },
    'vae_outputs': 'encoder outputs the latent representation, the mean and '
                   'the log variance, in that order; auto is the decoder '
                   'applied to the sampled z',
    'vae_loss': 'the loss trained is the binary cross-entropy summed over '
                'the input_dims pixels plus the KL divergence',
    'variants': 'autoencoder() takes any input_dims, hidden_layers (or '
                'filters) and latent_dims, not only the main\'s',
    'trains': 'the main fits auto on MNIST: its loss falls',
    'main_output': 'the main prints what the specification\'s main prints',
    'seeded_value': '(informational) the printed numbers beside this '
                    'project\'s with the same seed and data',
}


def engine_checks(task):
    """Returns the ids of the engine checks task has, in order."""
    return [check for check in ENGINE_CHECKS
            if task in ONLY.get(check, (task,))]


def sentence(check, task):
    """Returns the sentence check enforces for task."""
    found = SENTENCES.get(check, '')
    return found.get(task, '') if isinstance(found, dict) else found
