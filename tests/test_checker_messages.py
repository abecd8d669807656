"""The self-check's messages, in-process: what a learner reads of a crash
(the error, not Keras's framing or tensor dumps), of a process that died,
of a VAE's sampling (against draws made here by hand) and of a VAE's loss
(the terms against a hand computation)."""
import numpy as np

from checker import (engines, explain, measures, probes, spec, vae_probes,
                     variants)

# TensorFlow 2.15's message when a traced function fails, cut short
IN_USER_CODE = '\n'.join([
    'in user code:',
    '',
    '    File "/venv/keras/src/engine/training.py", line 2440, in '
    'predict_function  *',
    '        return step_function(self, iterator)',
    '    File "/venv/keras/src/engine/input_spec.py", line 219, in '
    'assert_input_compatibility',
    '        raise ValueError(',
    '',
    '    ValueError: Exception encountered when calling layer \'vae\' '
    '(type Functional).',
    '    ',
    '    Layer "decoder" expects 1 input(s), but it received 3 input '
    'tensors. Inputs received: [<tf.Tensor \'z\' shape=(None, 2) '
    'dtype=float32>]',
    '    ',
    '    Call arguments received by layer \'vae\' (type Functional):',
    '      \u2022 inputs=tf.Tensor(shape=(None, 784), dtype=float32)',
    '      \u2022 training=False'])


def test_a_crash_is_said_by_its_error_not_kerass_framing():
    assert explain.first_line(IN_USER_CODE) == \
        'Layer "decoder" expects 1 input(s), but it received 3 input tensors.'
    assert explain.first_line(
        'Exception encountered when calling Sampling.call().\n\n'
        'Could not automatically infer the output shape.\n\n'
        'Arguments received by Sampling.call():\n  \u2022 inputs=[...]') == \
        'Could not automatically infer the output shape.'


def test_kerass_tensor_dumps_are_left_out_of_a_message():
    line = ('You are passing KerasTensor(type_spec=TensorSpec(shape=(), '
            'dtype=tf.float32, name=None), name=\'Placeholder:0\', '
            'description="created by layer \'tf.cast_2\'"), an intermediate '
            'Keras symbolic input/output, to a TF API.')
    assert explain.tidy(line) == ('You are passing a symbolic KerasTensor, '
                                  'an intermediate Keras symbolic '
                                  'input/output, to a TF API.')


def test_a_process_that_died_is_said_by_its_last_error_and_the_line(
        tmp_path):
    folder = str(tmp_path)
    stderr = ('Traceback (most recent call last):\n'
              '  File "/venv/checker/probe.py", line 9, in <module>\n'
              '  File "{}/0-vanilla.py", line 12, in autoencoder\n'
              '    x = keras.layers.Dense(n)(x)\n'
              'ValueError: Exception encountered\n'
              '\u2022 inputs=tf.Tensor(shape=(64, 784))\n'
              'MemoryError: Unable to allocate 3.1 GiB\n'.format(folder))
    assert engines.died_of(stderr, folder) == \
        ': MemoryError: Unable to allocate 3.1 GiB (at 0-vanilla.py:12)'
    assert engines.died_of('Killed\n', folder) == ''


def draws(scale, spread, n=4000, seed=0):
    """Returns z, mean and log_var for one image drawn n times with z =
    mean + scale(log_var) * spread * epsilon, the log variance differing
    between the two latent dimensions."""
    rng = np.random.default_rng(seed)
    mean = np.tile([[0.5, -1.0]], (n, 1))
    log_var = np.tile([[0.0, 2.0]], (n, 1))
    z = mean + scale(log_var) * spread * rng.standard_normal((n, 2))
    return z, mean, log_var


def test_the_right_sampling_has_no_problem():
    assert vae_probes.sampling_problems(
        *draws(lambda v: np.exp(v / 2), 1.)) == []


def test_one_epsilon_for_the_whole_batch_is_named_by_runner_and_judge():
    # z drawn for a few images, each repeated, in one call: the runner's
    # measure (one image) and the judge's (four) say the same sentence
    rng = np.random.default_rng(0)
    mean = np.repeat(rng.normal(size=(4, 2)), 128, axis=0)
    log_var = np.repeat(rng.normal(size=(4, 2)), 128, axis=0)
    shared = mean + np.exp(log_var / 2) * rng.normal(size=2)
    assert vae_probes.sampling_problems(shared[:128], mean[:128],
                                        log_var[:128]) == [spec.ONE_EPSILON]
    facts = {'roles': {'z': 0, 'mean': 1, 'log_var': 2},
             'draws': [shared, mean, log_var]}
    assert measures.sampling_veto(facts) == spec.ONE_EPSILON
    drawn = mean + np.exp(log_var / 2) * rng.normal(size=mean.shape)
    assert not spec.one_epsilon(drawn, mean)
    assert not spec.one_epsilon(mean, mean)


def test_a_wrong_scale_and_a_narrow_epsilon_are_each_named():
    problems = vae_probes.sampling_problems(*draws(np.exp, 1.))
    assert problems == ['z = mean + exp(log_var) * epsilon: the standard '
                        'deviation is exp(log_var / 2)']
    problems = vae_probes.sampling_problems(
        *draws(lambda v: np.exp(v / 2), 0.1))
    assert len(problems) == 1
    assert problems[0].startswith('epsilon has standard deviation 0.10 '
                                  'over 4000 draws, not 1')
    problems = vae_probes.sampling_problems(*draws(np.exp, 0.1))
    assert [p.split(':')[0] for p in problems] == [
        'z = mean + exp(log_var) * epsilon',
        'epsilon has standard deviation 0.10 over 4000 draws, not 1']


def test_the_loss_terms_against_a_hand_computation():
    x = np.array([[1., 0.], [0., 1.]])
    p = np.array([[0.5, 0.5], [0.25, 0.75]])
    mean = np.array([[1., 0.], [0., 0.]])
    log_var = np.array([[0., 0.], [np.log(2.), 0.]])
    r, k = vae_probes.loss_terms(x, p, mean, log_var)
    per = np.array([2 * np.log(2), -2 * np.log(0.75)])
    assert np.isclose(r['sum'], per.mean())
    assert np.isclose(r['mean'], per.mean() / 2)
    assert np.isclose(r['total'], per.sum())
    # KL per sample: 0.5 * sum(mean^2 + var - log_var - 1)
    kl = np.array([0.5, 0.5 * (2 - np.log(2) - 1)])
    assert np.isclose(k['kl'], kl.mean())
    assert np.isclose(k['latent'], kl.mean() / 2)
    assert np.isclose(k['batch'], kl.sum())
    assert np.isclose(k['unhalved'], 2 * kl.mean())
    assert np.isclose(k['negative'], -kl.mean())
    half = 0.5 * np.array([1., np.sqrt(2) - np.log(2) - 1])
    assert np.isclose(k['half'], half.mean())


def test_python_3_10_features_fail_python39_with_their_line(tmp_path):
    from checker import static
    cases = {
        'match': ('def f(x):\n    """f"""\n    match x:\n        case 1:\n'
                  '            return 1\n', 'line 3: '),
        'zip': ('def f(a, b):\n    """f"""\n    return list(zip(a, b, '
                'strict=True))\n', 'line 3: zip(strict) needs Python 3.10'),
        'union': ('def f(a: int | None):\n    """f"""\n', 'line 1: the '
                  'annotation int | None needs Python 3.10'),
        'fine': ('def f(a: list):\n    """f"""\n    return a[1:]\n', None),
    }
    for name, (code, message) in cases.items():
        path = tmp_path / (name + '.py')
        path.write_text(code)
        found = static.check_python39(code, str(path))
        if message is None:
            assert found['verdict'] == 'pass', found
        else:
            assert found['verdict'] == 'fail', found
            assert found['message'].startswith(message), found
            assert found['message'].endswith('the grader runs Python 3.9')


def edited(task, old, new, path=None):
    """Returns the project's task file as a module, with old replaced by
    new in its text (one edit, which must apply); written to path where
    given (TensorFlow's autograph reads a traced function's source from
    its file: the project's own, where it is not written)."""
    import os
    import types
    from aelib import ROOT
    with open(os.path.join(ROOT, task + '.py')) as f:
        text = f.read()
    assert old in text, old
    text = text.replace(old, new)
    if path is not None:
        with open(path, 'w') as f:
            f.write(text)
    module = types.ModuleType(task)
    exec(compile(text, str(path or task + '.py'), 'exec'), module.__dict__)
    return module


def regularizer_verdict(task, module, arguments):
    """Returns what the checker's regularizer check says of module."""
    models = probes.make(module, arguments)
    return probes.regularizer(task, module, models, arguments)


def test_the_sparse_penalty_is_on_the_encoded_output_and_in_the_loss():
    arguments = (64, [32], 8, 1e-3)
    right = edited('1-sparse', 'lambtha))(x)', 'lambtha))(x)')
    assert regularizer_verdict('1-sparse', right, arguments) is None
    on_weights = edited('1-sparse', 'activity_regularizer=',
                        'kernel_regularizer=')
    message = regularizer_verdict('1-sparse', on_weights, arguments)
    assert message.startswith("encoder's latent layer (Dense): activity "
                              'regularizer none; the specification asks '
                              'for L1 of lambtha = 0.001'), message
    assert message.endswith('its kernel regularizer L1(l1=0.001, l2=None) '
                            'penalizes the weights, not the encoded output')
    # the loss, against the hand computation, tells the two apart too
    assert probes.sparse_loss('1-sparse', right, arguments) is None
    assert 'the penalty on the encoded output is not in the loss' in \
        probes.sparse_loss('1-sparse', on_weights, arguments)
    # a factor written in place of lambtha: right with the main's value,
    # named as soon as lambtha changes
    fixed = edited('1-sparse', 'l1(lambtha)', 'l1(1e-3)')
    assert regularizer_verdict('1-sparse', fixed, arguments) == (
        'fail', 'built with lambtha = 0.1, the encoder\'s latent layer '
        '(Dense) has the activity regularizer L1(l1=0.001, l2=None): its '
        'factor does not follow lambtha', 'give the regularizer the '
        'argument: keras.regularizers.l1(lambtha)')
    everywhere = edited(
        '1-sparse', "x = keras.layers.Dense(units, activation='relu')(x)",
        "x = keras.layers.Dense(units, activation='relu', activity_"
        "regularizer=keras.regularizers.l1(lambtha))(x)")
    message = regularizer_verdict('1-sparse', everywhere, arguments)
    assert message.startswith('encoder layer 1 (Dense): activity regularizer '
                              'L1('), message
    assert message.endswith('only the latent layer has an activity '
                            'regularizer')


def test_a_vae_loss_counted_twice_is_named_as_that(tmp_path):
    """A KL term added twice, or the whole loss counted twice, is named as
    that (their values are the usual mistakes', read on a batch)."""
    said = {}
    for name, old, new in (
            ('kl', 'self.add_loss(ops.mean(kl))', 'self.add_loss(2 * '
             'ops.mean(kl))'),
            ('whole', 'self.add_loss(ops.mean(kl))', 'self.add_loss(2 * '
             'ops.mean(kl))'),
            ('right', 'self.add_loss(ops.mean(kl))',
             'self.add_loss(ops.mean(kl))')):
        module = edited('3-variational', old, new,
                        tmp_path / '{}.py'.format(name))
        if name == 'whole':
            module.reconstruction_loss = lambda y, p: 2 * \
                module.keras.losses.binary_crossentropy(y, p) * p.shape[-1]
        models = probes.make(module, (784, [64], 2))
        said[name] = vae_probes.vae_loss(models, {'roles': None})
    assert said['right'] is None
    assert said['kl'].split(': ', 1)[1].startswith(
        'it matches the cross-entropy summed over the pixels plus the KL '
        'term twice (without its factor 0.5, or added twice: two add_loss '
        'calls, or add_loss and the loss function both)'), said['kl']
    assert said['whole'].split(': ', 1)[1].startswith(
        'it is twice that: the whole loss is counted twice'), said['whole']


def test_a_regularizer_the_specification_does_not_name_is_a_note():
    vanilla = edited('0-vanilla', "latent = keras.layers.Dense(latent_dims, "
                     "activation='relu')(x)", "latent = keras.layers.Dense("
                     "latent_dims, activation='relu', kernel_regularizer="
                     "keras.regularizers.l2(0.01))(x)")
    verdict, message, hint = regularizer_verdict(
        '0-vanilla', vanilla, (64, [32], 8))
    assert verdict == 'note'
    assert message.startswith('encoder layer 2 (Dense): kernel regularizer '
                              'L2('), message
    assert 'names no regularizer for the vanilla autoencoder' in message


def test_the_convolutional_decoder_gives_the_size_its_layers_give():
    from checker import spec
    assert spec.decoded_shape((4, 4, 8), 3, 1) == (28, 28, 1)
    assert spec.decoded_shape((14, 14, 4), 1, 1) == (24, 24, 1)
    assert spec.decoded_shape((4, 3, 4), 3, 2) == (28, 20, 2)


def test_a_notes_problems_are_kept_whole_without_their_hint():
    # a note never ends inside a problem: the first is whole, and the
    # others follow while they fit, the rest counted
    first = 'raised ValueError: ' + 'word ' * 70
    short = variants.shortened(first + '; hint: use ints')
    assert short == first and 'hint' not in short
    parts = ['encoder layer {} (Dense): 8 units; expected 9'.format(n)
             for n in range(1, 12)]
    short = variants.shortened('; '.join(parts))
    kept = [part for part in parts if part in short]
    assert short.startswith('; '.join(kept)) and len(kept) < len(parts)
    assert short.endswith('(and {} more)'.format(len(parts) - len(kept)))
    assert variants.shortened('raised X; hint: y') == 'raised X'


def test_seeded_value_speaks_only_of_what_the_learner_can_fix():
    from checker import judge
    assert judge.seeded_value('0-vanilla', ['0.12297803']) is None
    assert judge.seeded_value('0-vanilla', ['[0.5 0.25]', '0.5']) is None
    verdict, message, hint = judge.seeded_value('0-vanilla',
                                                ['[0.5 nan]', '-inf'])
    assert verdict == 'note'
    assert message.startswith('the main printed -inf, nan where this '
                              'project')
    assert 'overflows' in hint


def test_a_message_holds_no_colour_codes_and_no_memory_addresses():
    line = ('ValueError: \x1b[1mInputs to a layer should be tensors. Got '
            "'<keras.src.layers.core.dense.Dense object at 0x7f3a2c1d9e50>'"
            '\x1b[0m')
    assert explain.tidy(line) == ('ValueError: Inputs to a layer should be '
                                  "tensors. Got '<keras.src.layers.core."
                                  "dense.Dense>'")


def test_a_hint_comes_only_where_the_learners_file_shows_its_cause():
    closure = TypeError('You are passing a symbolic KerasTensor to a TF '
                        'API')
    explain.SOURCE['text'] = 'auto.compile(optimizer="adam", loss=vae_loss)'
    assert 'y_true and y_pred' in explain.hint_for(closure) or \
        hasattr(explain.keras, 'ops')
    explain.SOURCE['text'] = ('z = keras.layers.Lambda(sample, output_shape='
                              '(latent_dims))([mu, log_var])')
    assert explain.hint_for(closure).startswith(
        'output_shape=(latent_dims,): a tuple of one needs its comma')
    explain.SOURCE['text'] = 'auto.compile(optimizer="adam")'
    assert explain.hint_for(closure) == ''
    never_called = ValueError("Inputs to a layer should be tensors. Got "
                              "'<Dense>'")
    assert 'never called on its input' in explain.hint_for(never_called)
    explain.SOURCE['text'] = ''


REACHING = '''#!/usr/bin/env python3
"""Reaches the runner's modules without an import statement."""
import tensorflow.keras as keras
modules = __import__('sys').modules
runner = modules['__main__']
record = getattr(runner.Probe, 'rec' + 'ord')
outer = keras.Model.__init__.__globals__
frame = keras.Model.fit.__code__
exec('print(1)')
loader = vars(keras)
'''

# Keras loads an object by the module a configuration names: one the file
# builds at run time may name any module (importlib, sys)
DESERIALIZING = '''import tensorflow.keras as keras
config = dict(class_name='function', config='import_module')
config['mod' + 'ule'] = 'importlib'
load = keras.losses.get(config)
other = keras.saving.deserialize_keras_object({'module': 'sys'})
relu = keras.activations.get('relu')
'''


def test_the_imports_check_names_every_way_to_reach_a_module():
    from checker import static
    import ast
    found = static.check_imports(ast.parse(REACHING))
    assert found['verdict'] == 'fail'
    message = found['message']
    assert message.startswith('reaches modules or files another way: ')
    for said in ('__import__ (line 4)', '.modules (line 4)',
                 "getattr() of a name the file computes (line 6)",
                 '.__globals__ (line 7)', '.__code__ (line 8)',
                 'exec (line 9)'):
        assert said in message, said
    assert 'and 1 more' in message  # vars, the seventh
    # what a task file does in its own right is not reaching: a named
    # attribute, a type's test of a special method, super().__init__
    plain = static.check_imports(ast.parse(
        'import tensorflow.keras as keras\n'
        'ops = getattr(keras, "ops", None)\n'
        'numeric = hasattr(3, "__float__")\n'
        'class Sampling(keras.layers.Layer):\n'
        '    def __init__(self):\n'
        '        super().__init__()\n'))
    assert plain['verdict'] == 'pass', plain
    built = static.reaching(ast.parse(DESERIALIZING))
    assert [line for _, line in built] == [4, 5, 5], built
