"""The four tasks as the checker knows them, and the ids of its checks, in
the order they run (the ids are part of the command's interface)."""
TASKS = ('0-vanilla', '1-sparse', '2-convolutional', '3-variational')
# what the spec's mains pass to autoencoder()
MAIN_ARGS = {
    '0-vanilla': (784, [128, 64], 32),
    '1-sparse': (784, [128, 64], 32, 10e-6),
    '2-convolutional': ((28, 28, 1), [16, 8, 8], (4, 4, 8)),
    '3-variational': (784, [512], 2),
}
# the checks of the folder, of each file, and of each file on each engine
FOLDER_CHECKS = ('readme',)
FILE_CHECKS = ('exists', 'shebang', 'newline', 'executable', 'pycodestyle',
               'documented', 'imports')
ENGINE_CHECKS = ('imports_cleanly', 'builds', 'quiet', 'structure',
                 'compiled', 'regularizer', 'vae_outputs', 'vae_loss',
                 'variants', 'trains', 'main_output', 'seeded_value')
# the checks that only some tasks have
ONLY = {'regularizer': ('1-sparse',),
        'vae_outputs': ('3-variational',), 'vae_loss': ('3-variational',)}
# checks that warn instead of failing: they do not count in the score
WARNINGS = ('seeded_value',)
# each engine check and the check it needs to have passed first
# (the others need builds; nothing runs if the file did not import)
NEEDS = {'imports_cleanly': None, 'builds': None,
         'seeded_value': 'main_output'}
ENGINES = ('keras2', 'keras3')


def engine_checks(task):
    """Returns the ids of the engine checks task has, in order."""
    return [check for check in ENGINE_CHECKS
            if task in ONLY.get(check, (task,))]
