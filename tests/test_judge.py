"""The judge's own arithmetic (checker.judge), without an engine: its numpy
layers against hand computations, and its refusal of reports that do not
hold (outputs or gradients that are not the layers', one-valued kernels,
malformed or oversized descriptions)."""
import numpy as np
import pytest

from checker import judge, measures, protocol, recompute


def dense(units, activation, weights):
    """A Dense layer's description."""
    return {'class': 'Dense', 'kinds': ['Dense'], 'site': None,
            'config': {'units': units, 'activation': activation,
                       'use_bias': True}, 'weights': weights}


def stack(names, sizes, activations, rng):
    """A model of Dense layers, its description and random weights."""
    layers, nodes, arrays = [], [], {}
    for index, (fan_in, units) in enumerate(zip(sizes, sizes[1:])):
        kernel, bias = '{}.{}.0'.format(names, index), \
            '{}.{}.1'.format(names, index)
        arrays[kernel] = rng.standard_normal((fan_in, units))
        arrays[bias] = rng.standard_normal(units)
        layers.append(dense(units, activations[index], [kernel, bias]))
        nodes.append({'layer': index, 'inputs': [
            ['input', 0] if index == 0 else ['node', index - 1, 0]]})
    return {'class': 'Functional', 'kinds': ['Model'], 'site': None,
            'inputs': [[None, sizes[0]]], 'outputs': [[None, sizes[-1]]],
            'layers': layers, 'nodes': nodes,
            'outputs_from': [['node', len(nodes) - 1, 0]]}, arrays


def test_dense_layers_against_a_hand_computation():
    rng = np.random.default_rng(0)
    model, arrays = stack('m', [4, 3, 2], ['relu', 'sigmoid'], rng)
    x = rng.random((5, 4))
    hidden = np.maximum(x @ arrays['m.0.0'] + arrays['m.0.1'], 0)
    by_hand = 1 / (1 + np.exp(-(hidden @ arrays['m.1.0'] + arrays['m.1.1'])))
    [found] = recompute.forward(model, [x], arrays)
    np.testing.assert_allclose(found, by_hand, rtol=1e-12)


def test_a_convolution_pooling_and_upsampling_against_loops():
    rng = np.random.default_rng(1)
    x = rng.random((2, 5, 4, 3))
    kernel, bias = rng.standard_normal((3, 3, 3, 2)), rng.standard_normal(2)
    layer = {'class': 'Conv2D', 'kinds': ['Conv2D'], 'site': None,
             'config': {'filters': 2, 'kernel_size': [3, 3], 'strides': [1, 1],
                        'padding': 'same', 'activation': 'linear',
                        'use_bias': True}, 'weights': ['k', 'b']}
    [found] = recompute.run_layer(layer, [x], {'k': kernel, 'b': bias}, 'c')
    padded = np.pad(x, [(0, 0), (1, 1), (1, 1), (0, 0)])
    by_hand = np.zeros((2, 5, 4, 2))
    for n in range(2):
        for i in range(5):
            for j in range(4):
                by_hand[n, i, j] = np.tensordot(
                    padded[n, i:i + 3, j:j + 3], kernel, axes=3) + bias
    np.testing.assert_allclose(found, by_hand, rtol=1e-12)
    valid = dict(layer, config=dict(layer['config'], padding='valid'))
    [found] = recompute.run_layer(valid, [x], {'k': kernel, 'b': bias}, 'c')
    np.testing.assert_allclose(found, by_hand[:, 1:4, 1:3], rtol=1e-12)
    pool = {'class': 'MaxPooling2D', 'kinds': ['MaxPooling2D'], 'site': None,
            'config': {'pool_size': [2, 2], 'padding': 'same'}}
    [pooled] = recompute.run_layer(pool, [x], {}, 'p')
    # 5 rows pool into 3 with same padding: the last row alone
    assert pooled.shape == (2, 3, 2, 3)
    assert pooled[1, 2, 1, 2] == x[1, 4, 2:4, 2].max()
    assert pooled[0, 0, 0, 0] == x[0, :2, :2, 0].max()
    up = {'class': 'UpSampling2D', 'kinds': ['UpSampling2D'], 'site': None,
          'config': {'size': [2, 2]}}
    [bigger] = recompute.run_layer(up, [x], {}, 'u')
    assert bigger.shape == (2, 10, 8, 3)
    assert (bigger[:, 1::2, 1::2] == x).all()


def evidence(rng, drawn, task='0-vanilla'):
    """A made-up model of random weights and the report an honest runner
    would send of it: its outputs and its gradients, computed here."""
    encoder, arrays = stack('encoder', [784, 16, 32], ['relu', 'relu'], rng)
    decoder, more = stack('decoder', [32, 16, 784], ['relu', 'sigmoid'], rng)
    arrays.update(more)
    frame = dict(arrays, header={
        'kind': 'models', 'encoder': encoder, 'decoder': decoder,
        'auto': {'class': 'Functional', 'kinds': ['Model'], 'site': None,
                 'inputs': [[None, 784]], 'outputs': [[None, 784]],
                 'layers': []}})
    x, z = drawn['x:' + task], drawn['z:' + task]
    seeds = [int(seed) for seed in drawn['seeds:' + task]]
    for name, model, given, seed in (('encoder', encoder, x, seeds[0]),
                                     ('decoder', decoder, z, seeds[1])):
        [out] = recompute.forward(model, [given.astype(np.float64)], arrays)
        frame[name + ':0'] = out
        weights = protocol.projection(seed, 0, out.shape).astype(np.float64)
        for weight, _, _, _ in recompute.weight_names(model):
            gradient = np.zeros_like(arrays[weight])
            flat = gradient.reshape(-1)
            for k in range(0, flat.size, max(1, flat.size // 7)):
                moved = dict(arrays)
                step = np.zeros_like(flat)
                step[k] = 1e-6
                moved[weight] = arrays[weight] + step.reshape(
                    gradient.shape)
                [up] = recompute.forward(
                    model, [given.astype(np.float64)], moved)
                flat[k] = np.sum((up - out) * weights) / 1e-6
            frame['grad:{}:0:{}'.format(name, weight)] = gradient
    frame['encoder_again:0'] = frame['encoder:0']
    frame['auto:0'] = recompute.forward(
        decoder, [frame['encoder:0']], arrays)[0]
    return frame


def test_made_up_gradients_are_refused():
    rng = np.random.default_rng(2)
    drawn = judge.challenge(rng)
    frame = evidence(rng, drawn)
    # the outputs hold, but gradients of a few weights each do not
    with pytest.raises(recompute.Unverified, match='gradients reported are '
                       'not its layers'):
        judge.verify('0-vanilla', frame, drawn)
    frame['encoder:0'] = frame['encoder:0'] + 0.01
    with pytest.raises(judge.Unverified, match='is not what its layers and '
                       'weights give'):
        judge.verify('0-vanilla', frame, drawn)


def test_one_valued_kernels_and_malformed_reports_are_refused():
    rng = np.random.default_rng(3)
    drawn = judge.challenge(rng)
    frame = evidence(rng, drawn)
    frame['encoder.0.0'] = np.zeros_like(frame['encoder.0.0'])
    frame['encoder:0'] = recompute.forward(
        frame['header']['encoder'], [drawn['x:0-vanilla'].astype(float)],
        frame)[0]
    frame['encoder_again:0'] = frame['encoder:0']
    with pytest.raises(judge.Unverified, match='every weight of its kernel '
                       'is 0'):
        judge.verify('0-vanilla', frame, drawn)
    broken = dict(frame, header=dict(frame['header'], encoder={
        'layers': [{'kinds': 'Dense'}], 'nodes': [{'layer': 0}]}))
    with pytest.raises(recompute.Unverified, match='malformed'):
        recompute.checked(judge.verify, '0-vanilla', broken, drawn)
    looping = dict(frame['header']['encoder'],
                   nodes=[{'layer': 0, 'inputs': [['node', 0, 0]]}])
    with pytest.raises(recompute.Unverified, match='reference to nothing '
                       'before it'):
        recompute.forward(looping, [drawn['x:0-vanilla']], frame)


def test_a_description_of_huge_layers_is_refused_not_computed():
    up = {'class': 'UpSampling2D', 'kinds': ['UpSampling2D'], 'site': None,
          'config': {'size': [1000, 1000]}}
    with pytest.raises(recompute.Unverified, match='beyond what the grader '
                       'recomputes'):
        recompute.run_layer(up, [np.zeros((8, 28, 28, 1))], {}, 'u')


def test_the_runners_loss_sampling_and_variants_meet_the_judges_numbers():
    rng = np.random.default_rng(4)
    x = rng.random((8, 784))
    chained = rng.random((8, 784)) * 0.9 + 0.05
    encoder, arrays = stack('e', [784, 32], ['relu'], rng)
    decoder, more = stack('d', [32, 784], ['sigmoid'], rng)
    facts = {'x': x, 'chained': chained, 'code': [rng.random((8, 32))],
             'loss': measures.bce(x, chained), 'frame': dict(arrays, **more),
             'models': [encoder, decoder, {'layers': []}]}
    assert measures.loss_problem('0-vanilla', facts) is None
    hand = -np.mean(x * np.log(chained) + (1 - x) * np.log(1 - chained))
    assert np.isclose(measures.bce(x, chained), hand)
    facts['loss'] = 2 * hand
    assert measures.loss_problem('0-vanilla', facts).startswith(
        "auto's loss on the grader's images is")
    # task 1: the cross-entropy plus lambtha times the code's L1 norm, from
    # the latent layer's activity regularizer
    encoder['layers'][0]['regularizers'] = {'activity': {'class': 'L1',
                                                         'l1': 1e-5}}
    penalty = 1e-5 * np.abs(facts['code'][0]).sum()
    facts['loss'] = hand + penalty / 8
    assert measures.loss_problem('1-sparse', facts) is None
    mean, log_var = rng.standard_normal((512, 2)), rng.standard_normal(
        (512, 2))
    roles = {'z': 0, 'mean': 1, 'log_var': 2}
    right = mean + np.exp(log_var / 2) * rng.standard_normal((512, 2))
    assert measures.sampling_veto({'roles': roles, 'draws': [
        right, mean, log_var]}) is None
    narrow = mean + 0.1 * np.exp(log_var / 2) * rng.standard_normal(
        (512, 2))
    assert 'standard deviation 0.10' in measures.sampling_veto(
        {'roles': roles, 'draws': [narrow, mean, log_var]})
    # a variant whose described encoder is not hidden_layers' units
    model, _ = stack('m', [20, 8, 4], ['relu', 'relu'], rng)
    decoder, _ = stack('d', [4, 8, 20], ['relu', 'sigmoid'], rng)
    auto = dict(model, outputs=[[None, 20]])
    frames = [{'header': {'kind': 'variant', 'arguments': [20, [8], 4],
                          'models': [model, decoder, auto]}}]
    assert measures.variants_veto('0-vanilla', frames, {}) is None
    frames[0]['header']['arguments'] = [20, [9], 4]
    assert measures.variants_veto('0-vanilla', frames, {}).startswith(
        'autoencoder(20, [9], 4): encoder layer 1 (Dense): 8 units; '
        'expected 9')
    drawn = {'variant:0-vanilla': np.array([30, 12, 6])}
    frames[0]['header']['arguments'] = [20, [8], 4]
    assert measures.variants_veto('0-vanilla', frames, drawn) == (
        'no report of autoencoder(30, [12], 6), the sizes the grader drew')


def test_a_weightless_layer_of_the_learners_own_is_looked_through_only_whole():
    # mean and log variance heads, then a layer of the learner's own (the
    # KL term's) that gives both back; every output of it used
    rng = np.random.default_rng(7)
    base, arrays = stack('e', [4, 3], ['relu'], rng)
    for name in ('mean', 'log_var'):
        arrays[name + '.0'] = rng.standard_normal((3, 2))
        arrays[name + '.1'] = rng.standard_normal(2)
        base['layers'].append(dense(2, 'linear', [name + '.0', name + '.1']))
        base['nodes'].append({'layer': len(base['layers']) - 1,
                              'inputs': [['node', 0, 0]]})
    base['layers'].append({'class': 'KLDivergence', 'kinds': [],
                           'site': None, 'config': {}, 'weights': []})
    base['nodes'].append({'layer': 3, 'inputs': [['node', 1, 0],
                                                 ['node', 2, 0]]})
    base['outputs_from'] = [['node', 3, 0], ['node', 3, 1]]
    x = rng.random((5, 4))
    hidden = np.maximum(x @ arrays['e.0.0'] + arrays['e.0.1'], 0)
    mean, log_var = recompute.forward(base, [x], arrays)
    np.testing.assert_allclose(mean, hidden @ arrays['mean.0'] +
                               arrays['mean.1'], rtol=1e-12)
    np.testing.assert_allclose(log_var, hidden @ arrays['log_var.0'] +
                               arrays['log_var.1'], rtol=1e-12)
    from checker import spec
    assert spec.producer(base, 1)['weights'] == ['log_var.0', 'log_var.1']
    # one of its outputs unused (a sampling layer of two inputs and one
    # output): not looked through, its output left to the runner
    one = dict(base, outputs_from=[['node', 3, 0]])
    assert recompute.forward(one, [x], arrays) == [None]
    assert spec.producer(one, 0)['class'] == 'KLDivergence'
    # a layer with weights is never looked through
    heavy = dict(base, layers=base['layers'][:3] + [dict(
        base['layers'][3], weights=['mean.0'])])
    assert recompute.forward(heavy, [x], arrays) == [None, None]


def test_a_layer_the_judge_does_not_compute_is_named_with_what_to_use():
    def model(kind):
        """A description of one layer of a kind the judge does not
        compute."""
        return {'layers': [{'class': kind, 'kinds': [], 'config': {},
                            'site': '2-convolutional.py:30'}]}
    with pytest.raises(recompute.Misbuilt) as raised:
        recompute.beyond('2-convolutional', model('Conv2DTranspose'),
                         'decoder')
    assert str(raised.value).startswith(
        'decoder layer 1 (Conv2DTranspose at 2-convolutional.py:30): a '
        'layer the specification does not name, which the grader does not '
        'recompute')
    assert 'UpSampling2D((2, 2)) after each Conv2D' in raised.value.hint
    with pytest.raises(recompute.Misbuilt) as raised:
        recompute.beyond('0-vanilla', model('Lambda'), 'encoder')
    assert 'sampling alone' in raised.value.hint
    with pytest.raises(recompute.Misbuilt) as raised:
        recompute.beyond('2-convolutional', model('SeparableConv2D'),
                         'encoder')
    assert raised.value.hint.endswith(
        'Conv2D, MaxPooling2D and UpSampling2D')
