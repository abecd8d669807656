"""The probe of other arguments: autoencoder() built with sizes the
specification allows beside the main's (and the judge's drawn ones), whose
descriptions go to the judge, and other sizes its mains do not pass (no
hidden layer, one convolution), which only earn a note.
"""
import re

import numpy as np

from checker import spec
from checker.describe import described, live_layers
from checker.explain import crash_text, hint_for
from checker.probes import built, make, sparse_penalty, vae_roles


# other arguments a straightforward implementation of the specification
# builds correctly, and (ROBUST) other sizes it allows but its mains do not
# pass (no hidden layer, one convolution, lambtha 0 or 1), whose failure
# is a note only: each shows a model built for the main's sizes alone.
# Other types (numpy integers, tuples) earn nothing: the grader passes
# the mains' plain ints and lists, and a learner has nothing to mend.
VARIANTS = {
    '0-vanilla': [(784, [256, 128, 64], 16), (100, [50], 5)],
    '2-convolutional': [((28, 28, 3), [8, 16, 32], (4, 4, 32)),
                        ((28, 28, 1), [4, 8, 8, 16], (2, 2, 16)),
                        # sizes that round up
                        ((30, 20, 2), [8, 4, 4], (4, 3, 4))],
    '3-variational': [(784, [256, 128], 4), (100, [50], 3)],
}
ROBUST = {
    '0-vanilla': [(784, [], 8)],
    # one convolution, the second-to-last, valid: its decoder gives 24x24
    # images (spec.decoded_shape)
    '2-convolutional': [((28, 28, 1), [4], (14, 14, 4))],
    '3-variational': [(784, [], 2)],
}
VARIANTS['1-sparse'] = [case + (1e-4,) for case in VARIANTS['0-vanilla']]
ROBUST['1-sparse'] = [case + (1e-4,) for case in ROBUST['0-vanilla']] + [
    (64, [32], 8, 0.), (64, [32], 8, 1.)]


def variant_problem(task, module, arguments, penalty=True, probe=None):
    """Returns what goes wrong when autoencoder(*arguments) is built (a
    crash or the structure's problems, and for task 1 with penalty, the
    regularizer's), or None; with probe, sends the judge the models'
    descriptions."""
    try:
        models = make(module, arguments)
        built(task, models, arguments)
    except Exception as error:
        return '{}{}'.format(crash_text(error), (
            '; hint: ' + hint_for(error)) if hint_for(error) else '')
    plain_arguments = [plain(a) for a in arguments[:3]]
    roles = vae_roles(models[0])[0] if task == '3-variational' else None
    descriptions = described(models)
    if probe is not None:
        probe.write(kind='variant', arguments=plain_arguments,
                    models=descriptions, roles=roles)
    problems = spec.merged(spec.STRUCTURE[task](
        descriptions, *plain_arguments, roles=roles))
    if task == '1-sparse' and penalty and not problems:
        problems = [sparse_penalty(arguments, live_layers(models[0])[-1])]
    return '; '.join(p for p in problems if p) or None


def drawn_variant(task, challenge):
    """Returns the arguments of the variant the judge drew for task (its
    sizes in the challenge: input_dims, the hidden layers, latent_dims),
    or None."""
    sizes = challenge.get('variant:' + task)
    if sizes is None:
        return None
    sizes = [int(size) for size in sizes]
    drawn = (sizes[0], sizes[1:-1], sizes[-1])
    return drawn + (1e-4,) if task == '1-sparse' else drawn


def variants(task, module, penalty, probe=None, challenge=None):
    """Other arguments the specification allows build models that keep
    its sentences (and, with penalty, once the regularizer check has
    passed, task 1's regularizer): the judge's drawn sizes first, then the
    fixed cases; arguments beyond the specification's (numpy integers and
    arrays, tuples, an empty hidden_layers) only earn a note."""
    drawn = drawn_variant(task, challenge or {})
    for arguments in ([drawn] if drawn else []) + VARIANTS[task]:
        problem = variant_problem(task, module, arguments, penalty, probe)
        if problem:
            return 'autoencoder{}: {}'.format(shown(arguments), problem)
    notes = []
    for arguments in ROBUST[task]:
        problem = variant_problem(task, module, arguments, penalty)
        if problem:
            notes.append('autoencoder{}: {}'.format(shown(arguments),
                                                    shortened(problem)))
    if notes:
        return ('note', 'other sizes than the main\'s, which the '
                'specification allows (not counted): ' + '; '.join(notes),
                'the grader does not pass {}, and the models above break on '
                '{}: build each layer from the arguments, whatever their '
                'number'.format(*(('these', 'them') if len(notes) > 1 else
                                  ('this', 'it'))))
    return None


def shortened(problem, most=300):
    """Returns a variant's problem for a note: without its hint, its
    first problems whole (never cut inside one: each begins with the
    model it names), at most `most` characters but for the first."""
    parts = re.split(r'; (?=(?:encoder|decoder|auto|the specification)\b)',
                     problem.split('; hint: ')[0])
    kept = parts[:1]
    for part in parts[1:]:
        if len('; '.join(kept + [part])) > most:
            return '; '.join(kept) + ' (and {} more)'.format(
                len(parts) - len(kept))
        kept.append(part)
    return '; '.join(kept)


def plain(value):
    """Returns value with numpy integers, arrays and tuples as ints and
    lists."""
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, (tuple, list)):
        return [plain(v) for v in value]
    return int(value) if isinstance(value, np.integer) else value


def shown(arguments):
    """Returns the arguments as a call shows them."""
    return '(' + ', '.join(repr(a) for a in arguments) + ')'
