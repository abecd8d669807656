"""A judge nothing can crash or flood: what a hostile runner can send
(checker.protocol's frames), how the judge reads it (checker.judge), and
how the results are printed and written (checker.cli, checker.grade,
checker.batch).

- every text of a frame comes out printable (escapes, carriage returns,
  backspaces, bidirectional overrides shown as \\x1b; a lone surrogate
  replaced), bounded; the table printed holds no control character but its
  newlines, and the results are written before it is printed;
- arrays are numbers only, checked against the shapes the challenge and
  the descriptions give before any conversion; every number of a
  description is checked before it is used (strides of -10,000,000 reach
  nothing); cycles, nesting, enormous but legal layers end in a failed
  check that says what is wrong;
- the judge's peak memory, on the worst reports the protocol's limits
  allow, measured in a process of its own: under 1 GB;
- a fuzzer mutates a real report (a Dense autoencoder with its exact
  gradients) and asserts that the verdicts are always a full list;
- a grading that fails still gives the folder a result with a score, and
  a batch never loses a classmate's row;
- two hostile folders (tests/hostile/huge-report, tests/hostile/escapes)
  graded through `python -m checker FOLDER --json`: the JSON written, the
  table clean, the score what the files earn.
"""
import copy
import io
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from conftest import ROOT
from checker import (batch, cli, grade, judge, measures, protocol,
                     recompute, static, tasks)

# the TensorFlow-free parts run once, in the Keras 2 suite (the protocol's
# tests run in both: the Keras 3 runner reads its challenge with numpy 2)
one_engine = pytest.mark.one_engine
# the most the judge's process may hold, and the most seconds one
# verdict of a hostile report may take
MOST_MEMORY = 1000 << 20
MOST_SECONDS = 20
HOSTILE = '\x1bM\x1b[2J\r\x08\x08total 69/69\x1b]0;owned\x07\x9b1A \ud800' \
    '\u202e\u2028end'


def printable(text):
    """Whether text holds no control or format character but newlines."""
    return all(line.isprintable() for line in text.split('\n'))


def read_back(frames, reader=None):
    """Returns frames ([(header, arrays)]) as the judge reads them: each
    encoded, then read by checker.protocol's reader."""
    data = b''.join(protocol.encode(header, arrays)
                    for header, arrays in frames)
    reader = reader or protocol.Reader(io.BytesIO(data))
    if not isinstance(reader, protocol.Reader):
        reader = protocol.Reader(io.BytesIO(data), live=reader)
    found = []
    while True:
        frame = reader.read()
        if frame is None:
            return found
        found.append(frame)


def raw_frame(header, arrays=()):
    """Returns the bytes of a frame whose arrays are given as .npy bytes
    already ((name, bytes)), as a hostile runner may write them."""
    header = dict(header, arrays=[name for name, _ in arrays])
    text = json.dumps(header).encode()
    parts = [protocol.LENGTH.pack(len(text)), text]
    for _, data in arrays:
        parts += [protocol.LENGTH.pack(len(data)), data]
    return b''.join(parts)


def npy(descr, shape, data=b'', fortran=False, version=1):
    """Returns the bytes of a .npy file of that header and data."""
    text = repr({'descr': descr, 'fortran_order': fortran, 'shape': shape})
    text = text.encode() + b' ' * (15 - (len(text) + 10) % 16) + b'\n'
    size = protocol.NPY_LENGTHS[version].pack(len(text))
    return protocol.MAGIC + bytes([version, 0]) + size + text + data


def read_one(data):
    """Reads one frame from data."""
    return protocol.Reader(io.BytesIO(data)).read()


# ---------------------------------------------------------------- texts


def test_safe_text_shows_escapes_replaces_surrogates_and_is_bounded():
    said = protocol.safe(HOSTILE)
    assert printable(said) and '\n' not in said
    assert '\ufffd' in said and '\ud800' not in said
    for shown in ('\\x1b', '\\r', '\\x08', '\\x07', '\\x9b', '\\u202e',
                  '\\u2028'):
        assert shown in said
    said.encode('utf-8')
    # safe text is kept as it is, and safe() of it changes nothing
    honest = 'raised ValueError: é ━ 0.5 (at 0-vanilla.py:12)'
    assert protocol.safe(honest) == honest
    assert protocol.safe(said) == said
    assert len(protocol.safe('\x1b' * 10000, 100)) == 100
    assert protocol.safe(None) == 'None'
    # the spaces that draw a space stay; the ones that break lines do not
    assert protocol.safe('a\u00a0b\u3000c') == 'a\u00a0b\u3000c'
    assert protocol.safe('a\u2029b\x85c\U000e0001') == \
        'a\\u2029b\\x85c\\U000e0001'


def test_every_text_of_a_header_is_made_safe_where_it_is_read():
    frame = read_one(protocol.encode({
        'kind': 'check', 'check': 'builds', 'verdict': 'fail',
        'message': HOSTILE, 'hint': 'x' * 100000,
        HOSTILE: [HOSTILE, {HOSTILE: HOSTILE}]}))
    header = frame['header']
    texts = []

    def walk(value):
        """Collects every string of value, keys included."""
        if isinstance(value, str):
            texts.append(value)
        elif isinstance(value, list):
            for item in value:
                walk(item)
        elif isinstance(value, dict):
            for key, item in value.items():
                texts.append(key)
                walk(item)
    walk(header)
    assert all(printable(t) and '\n' not in t for t in texts)
    assert len(header['hint']) == protocol.TEXT_LIMIT
    assert header['message'] == protocol.safe(HOSTILE)
    # the judge's claims read them as they are
    claimed = judge.claims('0-vanilla', [frame])
    assert claimed[0]['builds']['message'] == protocol.safe(HOSTILE)
    # a frame made another way (a test's, a dict) is made safe by text()
    assert recompute.text(HOSTILE) == protocol.safe(HOSTILE, recompute.LONGEST)
    assert recompute.text(['not', 'text']) == ''


def test_the_table_holds_no_control_character_but_newlines():
    rows = [dict(static.result('builds', 'fail', HOSTILE, HOSTILE),
                 task='0-vanilla', engine='keras2'),
            dict(static.result('readme', 'pass'), task='folder', engine=''),
            dict(static.result('builds', 'skip', 'skipped: ' + HOSTILE),
                 task='0-vanilla', engine='keras3')]
    text = cli.table(rows, 1.)
    assert printable(text)
    assert 'total 69/69' in text and '\\r' in text and '\\x1b' in text
    report = cli.gradescope(rows, 1.)
    written = json.dumps(report)
    json.loads(written)
    assert all(printable(test['output']) for test in report['tests'])
    assert '\\ud800' not in written


@one_engine
def test_the_results_are_written_before_anything_is_printed(tmp_path,
                                                            monkeypatch):
    rows = [dict(static.result('builds', 'fail', HOSTILE), task='0-vanilla',
                 engine='keras2')]
    monkeypatch.setattr(cli, 'sandbox_line', lambda *a: ('sandbox: x', True))
    monkeypatch.setattr(cli, 'check_folders', lambda requests, *a, **k: {
        folder: rows for folder in requests})

    class Closed(io.StringIO):
        """A stdout whose writes fail (a closed terminal)."""

        def write(self, text):
            """Fails."""
            raise OSError('closed')
    monkeypatch.setattr(sys, 'stdout', Closed())
    out = tmp_path / 'out.json'
    with pytest.raises(OSError):
        cli.main(['.', '--engines', 'keras2', '--tasks', '0-vanilla',
                  '--json', str(out)])
    written = json.loads(out.read_text())
    assert written['tests'][0]['output'].startswith(protocol.safe(HOSTILE))


@one_engine
def test_a_grading_that_raises_still_gives_the_folder_a_result(
        tmp_path, monkeypatch, capsys):
    def deep(*arguments, **keywords):
        """What a scratch folder 1,100 levels deep did to the clean-up."""
        raise RecursionError('maximum recursion depth exceeded')
    monkeypatch.setattr(cli, 'check_folders', deep)
    out = tmp_path / 'out.json'
    with pytest.raises(SystemExit) as ended:
        cli.main(['.', '--engines', 'keras2', '--json', str(out)])
    assert ended.value.code == 1
    written = json.loads(out.read_text())
    assert written['score'] == 0
    assert written['max_score'] == grade.max_score()
    assert 'the grader failed: RecursionError' in \
        written['tests'][0]['output']
    assert 'the grader failed: RecursionError' in capsys.readouterr().out


@one_engine
def test_a_platform_result_is_written_whatever_the_checker_does(
        tmp_path, monkeypatch):
    root = tmp_path / 'autograder'
    for folder in ('submission', 'student'):
        (root / folder).mkdir(parents=True)
        (root / folder / '0-vanilla.py').write_text('x = 1\n')
    monkeypatch.setattr(cli, 'sandbox_line', lambda *a: ('sandbox: x', True))
    monkeypatch.setattr(grade, 'versions', lambda engines: 'none')
    for outcome in ('raises', 'malformed', 'unrenderable'):
        def run(folder, args, work, outcome=outcome):
            """The checker's subprocess, as it ended."""
            if outcome == 'raises':
                raise RecursionError('maximum recursion depth exceeded')
            if outcome == 'malformed':
                return [HOSTILE], None, 1.
            return {'tests': [{'no': 'fields'}], 'score': 1}, None, 1.
        monkeypatch.setattr(grade, 'run_checker', run)
        for platform in ('gradescope', 'prairielearn', 'classroom'):
            result = grade.grade(grade.parse_args([platform, '--root',
                                                   str(root)]))
            with open(root / 'results' / 'results.json') as f:
                assert json.load(f) == result
            assert result.get('score', 0) == 0
            text = json.dumps(result)
            assert 'grader failed' in text or 'no result' in text or \
                outcome == 'malformed', (outcome, platform, text)


@one_engine
def test_a_batch_never_loses_a_classmates_row(tmp_path, monkeypatch):
    submissions = tmp_path / 'class'
    for name in ('alice', 'bob', 'carol'):
        (submissions / name).mkdir(parents=True)
    out = tmp_path / 'grades'

    def graded(self, submissions, name, out, flags):
        """alice's grading gives no result; bob's raises; carol's is
        whole."""
        if name == 'alice':
            raise FileNotFoundError('results.json')
        if name == 'bob':
            raise RecursionError('maximum recursion depth exceeded')
        found = {'score': 3, 'tests': [{'name': 't', 'score': 3,
                                        'max_score': 3, 'output': ''}]}
        with open(os.path.join(out, name + '.json'), 'w') as f:
            json.dump(found, f)
        return found
    monkeypatch.setattr(batch.Batch, 'graded', graded)
    said = []
    done = batch.run(str(submissions), str(out), 2, [], say=said.append)
    assert sorted(done) == ['alice', 'bob', 'carol']
    with open(out / 'grades.csv') as f:
        rows = {row.split(',')[0]: row for row in f.read().splitlines()[1:]}
    assert sorted(rows) == ['alice', 'bob', 'carol']
    assert rows['carol'].startswith('carol,3,3,')
    for name, why in (('alice', 'FileNotFoundError'),
                      ('bob', 'RecursionError')):
        result = json.loads((out / (name + '.json')).read_text())
        assert result['score'] == 0
        assert why in result['tests'][0]['output']
        assert rows[name].startswith('{},0,{},'.format(name,
                                                       grade.max_score()))
    # a result file that cannot be read is a row saying so
    (out / 'bob.json').write_text('{"score": ')
    batch.write_csv(str(out), ['alice', 'bob', 'carol'])
    assert 'its result could not be read' in (out / 'grades.csv').read_text()


# ---------------------------------------------------------------- frames


def test_arrays_are_numbers_read_whole_of_the_size_their_header_says():
    arrays = {'a': np.arange(6, dtype='>f4').reshape(2, 3),
              'b': np.asfortranarray(np.arange(6.).reshape(2, 3)),
              'c': np.zeros((0, 5)), 'd': np.array([True, False]),
              'e': np.float16([1, 2]), 'f': np.arange(3, dtype=np.uint8)}
    frame = read_one(protocol.encode({'kind': 'x'}, arrays))
    for name, array in arrays.items():
        assert frame[name].dtype == array.dtype
        np.testing.assert_array_equal(frame[name], array)
    refused = {
        'objects': npy('|O', (1,), b'\0' * 8),
        'strings': npy('<U3', (2,), b'\0' * 24),
        'structured': npy("[('a', '<f4')]", (1,), b'\0' * 4),
        'void': npy('|V8', (1,), b'\0' * 8),
        'complex': npy('<c16', (1,), b'\0' * 16),
        'dates': npy('<M8[s]', (1,), b'\0' * 8),
        # a header that claims far more than follows: refused before
        # anything of its size is allocated
        'claims more': npy('<f8', (1 << 40,), b'\0' * 8),
        'claims less': npy('<f8', (1,), b'\0' * 16),
        'negative': npy('<f8', (-1,), b''),
        'not a tuple': npy('<f8', [2], b'\0' * 16),
        'a call': b'\x93NUMPY\x01\x00\x20\x00' + b"__import__('os')" +
        b' ' * 15 + b'\n',
        'not npy': b'garbage' * 10,
        'a huge header': b'\x93NUMPY\x02\x00' + b'\xff\xff\xff\x00',
    }
    for name, data in refused.items():
        with pytest.raises(protocol.ProtocolError):
            read_one(raw_frame({'kind': 'x'}, [('a', data)]))
    assert read_one(raw_frame({'kind': 'x'}, [('a', npy(
        '<f8', (2,), b'\0' * 16, version=2))]))['a'].shape == (2,)


def test_the_reader_bounds_headers_and_raises_only_its_own_error():
    def header(text):
        """A frame of a header's raw text."""
        return protocol.LENGTH.pack(len(text)) + text
    for data, said in (
            (header(b'[' * 100000), 'nested deeper'),
            (header(b'{"a": ' * 70 + b'1' + b'}' * 70), 'nested deeper'),
            (header(b'{"a": ' + b'9' * 5000 + b'}'), 'digits'),
            (header(b'{"arrays": ["x", "x"]}'), 'names an array twice'),
            (header(b'{"arrays": ["header"]}'), 'names an array twice'),
            (header(b'{"arrays": 5}'), 'not a frame'),
            (header(b'"\\ud800"'), 'not a frame'),
            (header(b'\xff\xfe'), 'not JSON'),
            (header(json.dumps({'arrays': [str(n) for n in range(
                protocol.ARRAYS_LIMIT + 1)]}).encode()), 'arrays')):
        with pytest.raises(protocol.ProtocolError, match=said):
            read_one(data)
    # many frames, many JSON values: bounded per conversation
    tiny = protocol.encode({'kind': 'x'})
    reader = protocol.Reader(io.BytesIO(tiny * (protocol.FRAMES_LIMIT + 1)))
    with pytest.raises(protocol.ProtocolError, match='frames'):
        while reader.read():
            pass
    many = protocol.encode({'kind': 'x', 'v': [{}] * 250000})
    reader = protocol.Reader(io.BytesIO(many * 5))
    with pytest.raises(protocol.ProtocolError, match='JSON values'):
        while reader.read():
            pass
    # random bytes: a ProtocolError or a frame, never anything else
    rng = np.random.default_rng(0)
    base = protocol.encode({'kind': 'models', 'x': [1, 'a', {'b': None}]},
                           {'w': np.ones((3, 4), np.float32)})
    for _ in range(300):
        data = bytearray(base)
        for _ in range(rng.integers(1, 6)):
            data[rng.integers(len(data))] = rng.integers(256)
        try:
            protocol.Reader(io.BytesIO(bytes(data))).read()
        except protocol.ProtocolError:
            pass


def test_what_all_the_conversations_hold_at_once_is_bounded():
    live = protocol.Live(limit=10 << 20)
    frames = read_back([({'kind': 'x'}, {'a': np.zeros(1 << 20)})], live)
    held = live.held
    assert held > 8 << 20
    with pytest.raises(protocol.ProtocolError, match='at once'):
        read_back([({'kind': 'x'}, {'a': np.zeros(1 << 20)})], live)
    del frames
    import gc
    gc.collect()
    assert live.held == 0
    read_back([({'kind': 'x'}, {'a': np.zeros(1 << 20)})], live)


# ---------------------------------------------------------------- judge


def layer(kind, config, weights=(), **more):
    """A layer's description."""
    return dict({'class': kind, 'kinds': [kind], 'site': None,
                 'config': config, 'weights': list(weights)}, **more)


def chain(layers, name='m'):
    """A model calling layers one after the other."""
    return {'class': 'Functional', 'kinds': ['Model'], 'site': None,
            'inputs': [[None]], 'outputs': [[None]], 'layers': layers,
            'nodes': [{'layer': n, 'inputs': [['input', 0] if n == 0
                                              else ['node', n - 1, 0]]}
                      for n in range(len(layers))],
            'outputs_from': [['node', len(layers) - 1, 0]]}


IMAGES = np.random.default_rng(5).random((8, 28, 28, 1))
CONV = {'filters': 2, 'kernel_size': [3, 3], 'strides': [1, 1],
        'padding': 'same', 'activation': 'relu', 'use_bias': True}
CONV_WEIGHTS = {'k': np.ones((3, 3, 1, 2), np.float32),
                'b': np.zeros(2, np.float32)}


@pytest.mark.parametrize('kind, config, said', [
    ('MaxPooling2D', {'pool_size': [2, 2],
                      'strides': [-10000000, -10000000]}, 'strides'),
    ('MaxPooling2D', {'pool_size': [2, 2], 'strides': [0, 0]}, 'strides'),
    ('MaxPooling2D', {'pool_size': [-3, 2]}, 'pool_size'),
    ('MaxPooling2D', {'pool_size': [10 ** 9, 1], 'padding': 'same'},
     'pool_size'),
    ('MaxPooling2D', {'pool_size': [2, 2], 'padding': 'causal'}, 'padding'),
    ('MaxPooling2D', {'pool_size': [64, 64]}, 'larger than its input'),
    ('MaxPooling2D', {'pool_size': 'x'}, 'pool_size'),
    ('UpSampling2D', {'size': [-1, 2]}, 'size'),
    ('UpSampling2D', {'size': [2 ** 40, 2 ** 40]}, 'size'),
    ('UpSampling2D', {'size': [40000, 40000]}, 'beyond what the grader'),
    ('UpSampling2D', {'size': [2.5, 2]}, 'size'),
    ('Conv2D', dict(CONV, strides=[-5, 1]), 'strides'),
    ('Conv2D', dict(CONV, kernel_size=[5, 5]), 'a weight of shape'),
    ('Conv2D', dict(CONV, filters=3), 'a weight of shape'),
    ('Conv2D', dict(CONV, filters=True), 'filters'),
    ('Conv2D', dict(CONV, use_bias='yes'), 'use_bias'),
    ('Conv2D', dict(CONV, dilation_rate=[2, 2]), 'undilated'),
    ('Conv2D', dict(CONV, dilation_rate={'a': 1}), 'undilated'),
    ('Conv2D', dict(CONV, activation=['relu']), 'activation'),
    ('Conv2D', dict(CONV, activation='evil'), 'activation'),
    ('Conv2D', dict(CONV, kernel_size=[3000, 3000]), 'beyond what the'),
    ('Conv2D', dict(CONV, kernel_size=[5000, 1]), 'kernel_size'),
    ('Reshape', {'target_shape': [-1, -1]}, 'target shape'),
    ('Reshape', {'target_shape': [10 ** 9]}, 'cannot reshape'),
    ('Reshape', {'target_shape': 'abc'}, 'target shape'),
    ('Reshape', {'target_shape': [0, 3]}, 'target shape'),
    ('BatchNormalization', {'axis': 1}, 'axis'),
    ('BatchNormalization', {'axis': [[3]]}, 'axis'),
    ('BatchNormalization', {'epsilon': float('nan')}, 'epsilon'),
    ('BatchNormalization', {'epsilon': -1.}, 'epsilon'),
    ('BatchNormalization', {'epsilon': '1e-3'}, 'epsilon'),
    ('ReLU', {'negative_slope': [[0.1] * 1000] * 100}, 'negative_slope'),
    ('ReLU', {'max_value': float('inf')}, 'max_value'),
    ('LeakyReLU', {'alpha': 'x'}, 'alpha'),
    ('Dense', {'units': 32}, 'a weight of shape'),
    ('Dense', {'units': 2 ** 31}, 'units'),
    ('Dense', {'units': 32.0}, 'units'),
])
def test_every_number_of_a_description_is_checked_before_it_is_used(
        kind, config, said):
    weights = {'Conv2D': ['k', 'b'], 'Dense': ['k', 'b'],
               'BatchNormalization': ['g', 'b', 'm', 'v']}.get(kind, [])
    arrays = dict(CONV_WEIGHTS, g=np.ones(1), m=np.zeros(1), v=np.ones(1))
    arrays['b'] = np.zeros(1 if kind == 'BatchNormalization' else 2)
    if kind == 'Dense':
        arrays['b'] = np.zeros(32)
    where = 'encoder layer 2 (' + kind + ')'
    x = IMAGES if kind != 'Dense' else IMAGES.reshape(8, -1)
    with pytest.raises(recompute.Unverified, match=said) as raised:
        recompute.run_layer(layer(kind, config, weights), [x], arrays, where)
    assert str(raised.value).startswith(where)


def test_weights_and_biases_that_would_broadcast_are_refused():
    x = IMAGES.reshape(8, -1)
    arrays = {'k': np.ones((784, 32)),
              'b': np.ones((100000, 1, 32), np.float32)}
    dense = layer('Dense', {'units': 32, 'activation': 'relu'}, ['k', 'b'])
    with pytest.raises(recompute.Unverified, match='a weight of shape'):
        recompute.run_layer(dense, [x], arrays, 'd')
    norm = layer('BatchNormalization', {}, ['g', 'b', 'm', 'v'])
    arrays = {'g': np.ones(1), 'b': np.zeros(1), 'm': np.zeros(
        (100000, 1, 1, 1)), 'v': np.ones(1)}
    with pytest.raises(recompute.Unverified, match='a weight of shape'):
        recompute.run_layer(norm, [IMAGES], arrays, 'n')
    arrays['m'] = np.array(['a'])
    with pytest.raises(recompute.Unverified, match='not an array of numbers'):
        recompute.run_layer(norm, [IMAGES], arrays, 'n')


def test_pooling_and_convolution_without_as_strided_match_loops():
    rng = np.random.default_rng(8)
    x = rng.random((2, 7, 6, 3))
    for pool, stride, padding in (([2, 2], None, 'valid'),
                                  ([3, 2], [2, 3], 'same'),
                                  ([3, 3], [1, 1], 'same')):
        found = recompute.run_layer(layer('MaxPooling2D', {
            'pool_size': pool, 'strides': stride, 'padding': padding}),
            [x], {}, 'p')[0]
        step = stride or pool
        padded = x
        if padding == 'same':
            out = [-(-7 // step[0]), -(-6 // step[1])]
            pads = [max((o - 1) * s + k - n, 0) for o, s, k, n in zip(
                out, step, pool, (7, 6))]
            padded = np.pad(x, [(0, 0), (pads[0] // 2, pads[0] - pads[0] //
                                         2), (pads[1] // 2, pads[1] -
                                              pads[1] // 2), (0, 0)],
                            constant_values=-np.inf)
        for i in range(found.shape[1]):
            for j in range(found.shape[2]):
                window = padded[:, i * step[0]:i * step[0] + pool[0],
                                j * step[1]:j * step[1] + pool[1]]
                np.testing.assert_array_equal(found[:, i, j],
                                              window.max(axis=(1, 2)))
    kernel, bias = rng.standard_normal((3, 2, 3, 4)), rng.standard_normal(4)
    conv = layer('Conv2D', {'filters': 4, 'kernel_size': [3, 2],
                            'strides': [2, 2], 'padding': 'valid',
                            'activation': 'linear'}, ['k', 'b'])
    found = recompute.run_layer(conv, [x], {'k': kernel, 'b': bias}, 'c')[0]
    assert found.shape == (2, 3, 3, 4)
    for i in range(3):
        for j in range(3):
            np.testing.assert_allclose(found[:, i, j], np.tensordot(
                x[:, 2 * i:2 * i + 3, 2 * j:2 * j + 2], kernel,
                axes=3) + bias, rtol=1e-12)


def test_malformed_and_cyclic_descriptions_are_refused_saying_so():
    x = IMAGES.reshape(8, -1)
    good = chain([layer('Activation', {'activation': 'relu'})])
    assert recompute.forward(good, [x], {})[0].shape == (8, 784)
    nested = good
    for _ in range(recompute.MOST_DEPTH + 2):
        nested = chain([layer('Functional', {}, model=nested,
                              kinds=['Model'])])
    with pytest.raises(recompute.Unverified, match='nested more than'):
        recompute.forward(nested, [x], {})
    cases = {
        'a reference to nothing before it': dict(good, nodes=[
            {'layer': 0, 'inputs': [['node', 0, 0]]}]),
        'malformed': dict(good, nodes=[{'layer': True, 'inputs': []}]),
        'malformed description': dict(good, layers=[{'class': 1}]),
    }
    cases['a reference to nothing before it '] = dict(
        good, outputs_from=[['node', 5, 0]])
    cases['malformed '] = dict(good, layers=good['layers'] * (
        recompute.MOST_LAYERS + 1))
    cases['malformed  '] = dict(good, nodes=[{'layer': 0, 'inputs': [
        ['input', 0]] * 100}])
    for said, model in cases.items():
        with pytest.raises(recompute.Unverified, match=said.strip()):
            recompute.forward(model, [x], {})


def test_enormous_but_legal_layers_end_in_a_failed_check_quickly():
    x = IMAGES
    began = time.monotonic()
    # many calls of a nested model of many calls, each nested in the next:
    # 256 ** 8 calls described in a few kilobytes
    inner = chain([layer('Activation', {'activation': 'relu'})] * 1)
    for _ in range(recompute.MOST_DEPTH):
        inner = dict(chain([layer('Functional', {}, model=inner,
                                  kinds=['Model'])]),
                     nodes=[{'layer': 0, 'inputs': [
                         ['input', 0] if n == 0 else ['node', n - 1, 0]]}
                         for n in range(recompute.MOST_NODES)],
                     outputs_from=[['node', recompute.MOST_NODES - 1, 0]])
    with pytest.raises(recompute.Unverified, match='calls of layers'):
        recompute.forward(inner, [np.ones((1, 1))], {})
    with pytest.raises(recompute.Unverified, match='numbers in one pass'):
        recompute.forward(inner, [x], {})
    # values growing to the judge's limit, layer after layer
    bigger = chain([layer('UpSampling2D', {'size': [20, 20]}),
                    layer('UpSampling2D', {'size': [1, 1]}),
                    layer('UpSampling2D', {'size': [1, 1]}),
                    layer('UpSampling2D', {'size': [1, 1]})])
    with pytest.raises(recompute.Unverified, match='beyond what the grader'):
        recompute.forward(bigger, [x], {})
    # multiply-adds beyond the limit: a wide convolution, legal in Keras
    wide = layer('Conv2D', dict(CONV, filters=300, kernel_size=[28, 28]),
                 ['k', 'b'])
    with pytest.raises(recompute.Unverified, match='multiply-adds'):
        recompute.run_layer(wide, [x], {'k': np.zeros((28, 28, 1, 300)),
                                        'b': np.zeros(300)}, 'w')
    assert time.monotonic() - began < MOST_SECONDS


# ------------------------------------------------- a real report, mutated


def relu(v):
    """The rectifier."""
    return np.maximum(v, 0)


def honest(task='0-vanilla', seed=0):
    """Returns (frames, drawn): what an honest runner sends of a Dense
    autoencoder (784-16-32 and back) for task, its gradients exact (by
    backpropagation), every check claimed a pass, and the challenge."""
    rng = np.random.default_rng(seed)
    drawn = judge.challenge(rng)
    arrays, models = {}, {}
    for name, sizes, last in (('encoder', [784, 16, 32], 'relu'),
                              ('decoder', [32, 16, 784], 'sigmoid')):
        layers = []
        for index, (fan_in, units) in enumerate(zip(sizes, sizes[1:])):
            names = ['{}.{}.{}'.format(name, index, k) for k in (0, 1)]
            arrays[names[0]] = (rng.standard_normal((fan_in, units)) *
                                0.2).astype(np.float32)
            arrays[names[1]] = (rng.standard_normal(units) *
                                0.1).astype(np.float32)
            layers.append(layer('Dense', {
                'units': units, 'use_bias': True, 'activation':
                last if index == len(sizes) - 2 else 'relu'}, names))
        models[name] = dict(chain(layers), inputs=[[None, sizes[0]]],
                            outputs=[[None, sizes[-1]]])
    seeds = [int(s) for s in drawn['seeds:' + task]]
    for name, given, seed in (('encoder', drawn['x:' + task], seeds[0]),
                              ('decoder', drawn['z:' + task], seeds[1])):
        activations = [given.astype(np.float64)]
        for spec_layer in models[name]['layers']:
            kernel, bias = (arrays[w].astype(np.float64)
                            for w in spec_layer['weights'])
            out = activations[-1] @ kernel + bias
            activations.append(relu(out) if spec_layer['config'][
                'activation'] == 'relu' else 1 / (1 + np.exp(-out)))
        out = activations[-1]
        arrays[name + ':0'] = out.astype(np.float32)
        delta = protocol.projection(seed, 0, out.shape).astype(np.float64)
        for index in reversed(range(len(models[name]['layers']))):
            spec_layer = models[name]['layers'][index]
            after = activations[index + 1]
            delta = delta * ((after > 0) if spec_layer['config'][
                'activation'] == 'relu' else after * (1 - after))
            kernel_name, bias_name = spec_layer['weights']
            arrays['grad:{}:0:{}'.format(name, kernel_name)] = (
                activations[index].T @ delta).astype(np.float32)
            arrays['grad:{}:0:{}'.format(name, bias_name)] = \
                delta.sum(axis=0).astype(np.float32)
            delta = delta @ arrays[kernel_name].astype(np.float64).T
    arrays['encoder_again:0'] = arrays['encoder:0']
    code = arrays['encoder:0'].astype(np.float64)
    auto = recompute.forward(models['decoder'], [code], arrays)[0]
    arrays['auto:0'] = auto.astype(np.float32)
    auto_model = dict(chain([
        layer('Functional', {}, kinds=['Model'], model=models['encoder']),
        layer('Functional', {}, kinds=['Model'],
              model=models['decoder'])]), inputs=[[None, 784]],
        outputs=[[None, 784]])
    claims = [({'kind': 'check', 'check': check, 'verdict': 'pass',
                'message': '', 'hint': '', 'task': task}, {})
              for check in tasks.engine_checks(task)]
    variant = {'kind': 'variant', 'arguments': [
        int(drawn['variant:' + task][0]),
        [int(s) for s in drawn['variant:' + task][1:-1]],
        int(drawn['variant:' + task][-1])], 'models': [
            models['encoder'], models['decoder'], auto_model]}
    frames = [({'kind': 'imported'}, {})] + claims[:2] + [
        ({'kind': 'models', 'encoder': models['encoder'],
          'decoder': models['decoder'], 'auto': auto_model,
          'loss': measures.bce(drawn['x:' + task].astype(np.float64), auto),
          'optimizer': 'Adam'}, arrays),
        (variant, {})] + claims[2:]
    return frames, drawn


def observed(frames):
    """What the judge reads of a job: the frames as it reads them, and
    processes that printed the main's line and ended well."""
    return {'frames': frames,
            'printed': {'import': '', 'checks': '', 'main': '0.5\n'},
            'ended': {'import': 0, 'checks': 0, 'main': 0}}


class Hung(BaseException):
    """The judge took longer than MOST_SECONDS on one report (not an
    Exception: the judge's checked() does not take it for a malformed
    report)."""


def judged(task, read, drawn):
    """Returns judge.verdicts on read, asserting what it must be whatever
    the report: every check of the task in order, each a known verdict,
    every message printable as the table prints it, within
    MOST_SECONDS."""
    def alarm(number, frame):
        """Ends a verdict that takes too long."""
        raise Hung('the judge took longer than {} s'.format(MOST_SECONDS))
    previous = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(MOST_SECONDS)
    try:
        found = judge.verdicts(task, read, drawn)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert [row['check'] for row in found] == tasks.engine_checks(task)
    for row in found:
        assert row['verdict'] in judge.VERDICTS, row
        for line in cli.row_lines(dict(row, task=task, engine='keras2')):
            assert printable(line) and '\n' not in line, line
    return found


@one_engine
def test_an_honest_report_passes_builds():
    frames, drawn = honest()
    found = {row['check']: row for row in judged(
        '0-vanilla', observed(read_back(frames)), drawn)}
    assert found['builds']['verdict'] == 'pass', found['builds']


def cyclic_variant():
    """A variant's frame whose encoder's outputs come from a layer of no
    weights that gives back its own outputs (a cycle in its graph)."""
    encoder = dict(chain([layer('Dense', {'units': 2}, ['a', 'b']),
                          layer('KL', {}, kinds=[])]),
                   inputs=[[None, 784]], outputs=[[None, 2]] * 3)
    encoder['nodes'][1]['inputs'] = [['node', 1, 0], ['node', 1, 1]]
    encoder['outputs_from'] = [['node', 1, 0], ['node', 1, 1],
                               ['node', 1, 0]]
    return {'kind': 'variant', 'arguments': [784, [512], 2],
            'models': [encoder, encoder, encoder]}


def test_a_cyclic_description_is_refused_before_any_walk_of_it():
    with pytest.raises(recompute.Unverified, match='nothing before it'):
        recompute.malformed(cyclic_variant()['models'][0], 'encoder')


@one_engine
def test_a_variant_with_a_cycle_ends_in_a_failed_check():
    read = read_back([(cyclic_variant(), {})])

    def alarm(number, frame):
        """Ends a veto that takes too long."""
        raise Hung('the judge took longer than {} s'.format(MOST_SECONDS))
    previous = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(5)
    try:
        found = measures.variants_veto('3-variational', read, {})
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert found


# hostile values a mutation puts anywhere in a header
NASTY = [-10 ** 7, 10 ** 7, 0, -1, 2 ** 62, -2 ** 63, 1.5, float('nan'),
         float('inf'), -float('inf'), True, False, None, '', 'x' * 5000,
         HOSTILE, [], {}, [[[]]], [1] * 1000, {'a': 1}, ['node', 0, 0],
         ['node', 5, 0], ['input', 3], 'relu', 'same', 'valid', [2, 2],
         [-10000000, -10000000], [0, 0], [10 ** 6, 10 ** 6], 'Dense',
         ['Dense'], ['Model'], ['Conv2D'], ['MaxPooling2D'],
         ['UpSampling2D'], ['Reshape'], ['BatchNormalization'],
         {'layers': [], 'nodes': []}, ['encoder.0.0'], 'encoder.0.0']


def nested(depth):
    """A value nested depth lists deep."""
    value = []
    for _ in range(depth):
        value = [value]
    return value


def places(value, path=()):
    """Returns the path of every part of a JSON value."""
    found = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            found += places(item, path + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += places(item, path + (index,))
    return found


def mutated(frames, rng):
    """Returns a copy of frames with a few random hostile changes: values
    of the headers replaced or removed, arrays replaced by others of
    other shapes and dtypes, or removed, frames repeated."""
    frames = [(copy.deepcopy(header), dict(arrays))
              for header, arrays in frames]
    kinds = [header.get('kind') for header, _ in frames]
    for _ in range(rng.integers(1, 5)):
        # the models' frame most often, then the variant's
        number = int(rng.integers(len(frames)))
        for kind, share in (('models', 0.6), ('variant', 0.75)):
            if kind in kinds and rng.random() < share:
                number = kinds.index(kind)
                break
        header, arrays = frames[number]
        what = rng.integers(6)
        if what <= 2 and len(places(header)) > 1:
            path = places(header)[1:]
            path = path[rng.integers(len(path))]
            parent = header
            for key in path[:-1]:
                parent = parent[key]
            if what == 2 and isinstance(parent, dict):
                del parent[path[-1]]
            else:
                choice = NASTY + [nested(int(rng.integers(10, 60)))]
                parent[path[-1]] = copy.deepcopy(
                    choice[rng.integers(len(choice))])
        elif what == 3 and arrays:
            name = list(arrays)[rng.integers(len(arrays))]
            shape = tuple(int(s) for s in rng.integers(
                0, 40, rng.integers(0, 4)))
            dtype = ['uint8', 'int64', '>f4', 'float16', 'bool',
                     'float64'][rng.integers(6)]
            replaced = np.full(shape, [0, 1, -1, np.nan, 1e300][
                rng.integers(5)]).astype(dtype) if dtype != 'bool' else \
                np.ones(shape, bool)
            if rng.integers(4) == 0:
                replaced = np.zeros(int(rng.integers(1, 2 << 20)), np.uint8)
            arrays[name] = replaced
        elif what == 4 and arrays:
            del arrays[list(arrays)[rng.integers(len(arrays))]]
        else:
            frames.insert(int(rng.integers(len(frames) + 1)),
                          frames[number])
    return frames


def test_a_parse_that_meets_another_threads_is_parsed_again(monkeypatch):
    """CPython 3.11's AST counter shared between threads: a parse that
    meets another thread's (numpy's .npy reading, which takes no turn)
    is parsed again; any other SystemError is the parser's own."""
    import ast
    from checker import parsing
    parse, calls = ast.parse, []

    def meeting(data, **keywords):
        calls.append(data)
        if len(calls) < 3:
            raise SystemError('AST constructor recursion depth mismatch '
                              '(before=30, after=26)')
        return parse(data, **keywords)
    monkeypatch.setattr(ast, 'parse', meeting)
    assert parsing.literal(" {'descr': '<f4', 'shape': (8, 784)}") == {
        'descr': '<f4', 'shape': (8, 784)}
    assert len(calls) == 3

    def broken(data, **keywords):
        raise SystemError('another error')
    monkeypatch.setattr(ast, 'parse', broken)
    with pytest.raises(SystemError, match='another error'):
        parsing.parse('x = 1')
    # a mismatch every time is raised at the last try
    tries = []

    def always(data, **keywords):
        tries.append(data)
        raise SystemError('AST constructor recursion depth mismatch')
    monkeypatch.setattr(ast, 'parse', always)
    with pytest.raises(SystemError, match='mismatch'):
        parsing.parse('x = 1')
    assert len(tries) == parsing.TRIES


def test_a_report_cut_short_fails_builds_saying_what_cut_it():
    """A builds claim whose models' evidence never came fails, and says
    why where the judge knows: the runner stopped (its limit), or a
    process sent what is not a report (the rest of it unread)."""
    frames, drawn = honest()
    cut = read_back(frames[:frames.index(next(
        frame for frame in frames if frame[0]['kind'] == 'models'))])
    said = {}
    for case, read, problem in (
            ('silent', observed(cut), None),
            ('stopped', observed(cut), 'took longer than 8 s (the time '
             'limit, --timeout)'),
            ('broken', dict(observed(cut), broken=[
                'a frame of 999 bytes, beyond the limit of 12']), None)):
        found = {r['check']: r for r in judge.verdicts('0-vanilla', read,
                                                       drawn, problem)}
        assert found['builds']['verdict'] == 'fail'
        assert found['structure']['verdict'] == 'skip'
        said[case] = found['builds']['message']
    assert said['silent'] == 'the models could not be checked: the ' \
        'runner sent no evidence of its models'
    assert said['stopped'] == 'the models could not be checked: took ' \
        'longer than 8 s (the time limit, --timeout)'
    assert said['broken'] == 'the models could not be checked: the ' \
        'runner sent something that is not a report (a frame of 999 ' \
        'bytes, beyond the limit of 12); nothing after it was read'
    # the whole report, its stream broken after its end, is judged as it
    # is without the break: the evidence came
    whole = observed(read_back(frames))
    assert judge.verdicts('0-vanilla', dict(whole, broken=[
        'a header that is not JSON']), drawn) == judge.verdicts(
            '0-vanilla', whole, drawn)


@one_engine
def test_a_fuzzed_report_always_gets_a_full_list_of_verdicts():
    """Random mutations of a real report (its headers' values, arrays,
    frames) through the protocol's reader: judge.verdicts never raises,
    never takes long, and always returns every check."""
    rng = np.random.default_rng(46)
    frames, drawn = honest()
    began, rounds = time.monotonic(), 0
    while rounds < 600 and time.monotonic() - began < 90:
        changed = mutated(frames, rng)
        try:
            read = read_back(changed)
        except protocol.ProtocolError:
            continue
        judged('0-vanilla', observed(read), drawn)
        rounds += 1
    assert rounds >= 200


# --------------------------------------- the judge's memory, measured


MEASURE = r'''
import json, resource, sys
sys.path.insert(0, sys.argv[1])
from checker import judge, protocol
task = sys.argv[2]
frames, broken = [], None
readers = int(sys.argv[3])
for _ in range(readers):
    reader = protocol.Reader(sys.stdin.buffer)
    try:
        while True:
            frame = reader.read()
            if frame is None or frame['header'].get('kind') == 'end':
                break
            frames.append(frame)
    except protocol.ProtocolError as error:
        broken = str(error)
        while sys.stdin.buffer.read(1 << 20):
            pass
        break
import numpy as np
drawn = judge.challenge(np.random.default_rng(int(sys.argv[4])))
found = judge.verdicts(task, {'frames': frames, 'printed': {
    'import': '', 'checks': '', 'main': ''}, 'ended': {
    'import': 0, 'checks': 0, 'main': 0}}, drawn)
with open('/proc/self/status') as f:
    peak = [int(line.split()[1]) << 10 for line in f
            if line.startswith('VmHWM:')][0]
print(json.dumps({'peak': peak, 'broken': broken, 'verdicts': found}))
'''


def feed_parts(stream, parts):
    """Writes parts (bytes, or arrays written as their bytes) to stream."""
    for part in parts:
        stream.write(part if isinstance(part, bytes) else
                     memoryview(part).cast('B'))
    stream.close()


def frame_parts(header, arrays):
    """Returns the parts of one frame, its arrays' data not copied."""
    header = dict(header, arrays=list(arrays))
    text = json.dumps(header).encode()
    parts = [protocol.LENGTH.pack(len(text)), text]
    for array in arrays.values():
        head = io.BytesIO()
        np.lib.format.write_array_header_1_0(
            head, np.lib.format.header_data_from_array_1_0(array))
        parts += [protocol.LENGTH.pack(head.tell() + array.nbytes),
                  head.getvalue(), array]
    return parts


def measured(parts, task='0-vanilla', readers=1):
    """Returns what the judge's process (reading the parts from a pipe as
    the judge reads a runner's, then judging them on honest()'s
    challenge) printed: its peak memory, how the reading ended and its
    verdicts."""
    import threading
    process = subprocess.Popen(
        [sys.executable, '-c', MEASURE, ROOT, task, str(readers), '0'],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=ROOT)
    writer = threading.Thread(target=feed_parts, args=(process.stdin,
                                                       parts))
    writer.start()
    out = process.stdout.read()
    process.wait(timeout=300)
    writer.join()
    assert process.returncode == 0
    return json.loads(out)


def worst_reports():
    """Returns {name: (the parts of a conversation, readers)}: the worst
    reports within the protocol's limits, each near TOTAL_LIMIT."""
    frames, drawn = honest()
    headers = {}
    for header, arrays in frames:
        headers.setdefault(header['kind'], (header, arrays))
    claim = frame_parts({'kind': 'check', 'check': 'builds',
                         'verdict': 'pass', 'message': HOSTILE}, {})
    models, arrays = headers['models']
    huge = np.zeros((63 << 20) - 128, np.uint8)
    found = {}
    # four 63 MiB arrays of bytes as the models' outputs (the issue's)
    outputs = dict(arrays)
    for name in ('encoder:0', 'encoder_again:0', 'decoder:0', 'auto:0'):
        outputs[name] = huge
    found['outputs'] = (claim + frame_parts(models, outputs), 1)
    # the weights: a description whose kernels are 250 MB of bytes
    wide = copy.deepcopy(models)
    heavy = dict(arrays)
    for index, name in enumerate(('encoder.0.0', 'encoder.1.0',
                                  'decoder.0.0', 'decoder.1.0')):
        heavy[name] = huge
    found['weights'] = (claim + frame_parts(wide, heavy), 1)
    # values as large as the judge computes, layer after layer, beside
    # 250 MB of arrays the judge never reads (the outputs right: the
    # judge goes on to its finite differences)
    upsampled = copy.deepcopy(models)
    upsampled['encoder'] = dict(chain([
        layer('UpSampling2D', {'size': [16, 16]}),
        layer('Flatten', {})]), inputs=[[None, 28, 28, 1]],
        outputs=[[None, 28 * 28 * 256]])
    upsampled['decoder'] = dict(chain([
        layer('UpSampling2D', {'size': [44, 44]}),
        layer('Flatten', {})]), inputs=[[None, 4, 4, 8]],
        outputs=[[None, 176 * 176 * 8]])
    junk = {'junk{}'.format(n): huge for n in range(3)}
    x = drawn['x:2-convolutional'].astype(np.float64)
    z = drawn['z:2-convolutional'].astype(np.float64)
    junk['encoder:0'] = np.repeat(np.repeat(x, 16, 1), 16, 2).reshape(
        8, -1).astype(np.float32)
    junk['encoder_again:0'] = junk['encoder:0']
    junk['decoder:0'] = np.repeat(np.repeat(z, 44, 1), 44, 2).reshape(
        8, -1).astype(np.float32)
    # auto's outputs: as many numbers as the judge reads of them
    for number in range(2):
        junk['auto:{}'.format(number)] = np.zeros(
            (8, recompute.FORWARD_LIMIT // 20), np.float32)
    found['values'] = (claim + frame_parts(upsampled, junk), 1)
    # headers: as many JSON values as a conversation may hold
    values = protocol.encode({'kind': 'check', 'check': 'quiet',
                              'verdict': 'pass', 'v': [{}] * 250000})
    found['headers'] = (claim + frame_parts(models, arrays) +
                        [values] * 5, 1)
    # three conversations of 250 MB at once (a job's pipe each)
    found['conversations'] = ((claim + frame_parts(models, outputs) + [
        protocol.encode({'kind': 'end'})]) * 3, 3)
    return found


@one_engine
@pytest.mark.parametrize('case', ['outputs', 'weights', 'values',
                                  'headers', 'conversations'])
def test_the_judges_peak_memory_on_the_worst_reports(case):
    parts, readers = worst_reports()[case]
    task = '2-convolutional' if case == 'values' else '0-vanilla'
    found = measured(parts, task, readers)
    print('{}: the judge\'s peak {:.0f} MiB; {}; builds: {}'.format(
        case, found['peak'] / (1 << 20), found['broken'],
        found['verdicts'][1]['message']))
    assert found['peak'] < MOST_MEMORY
    builds = found['verdicts'][1]
    assert builds['check'] == 'builds'
    # the honest models beside a flood of headers still pass
    assert builds['verdict'] == ('pass' if case == 'headers' else 'fail')
    if case == 'conversations':
        assert 'at once' in found['broken']


# --------------------------------------------- hostile folders, graded


@one_engine
def test_hostile_reports_are_graded_with_a_clean_table_and_their_score(
        tmp_path):
    from test_checker import installed
    if not installed('.venv'):
        pytest.skip('no .venv environment: make venv')
    for name, said in (('huge-report', 'its output 0 on the grader\'s '
                                       'inputs has shape (66060288,)'),
                       ('escapes', 'total             69/69  100%')):
        folder = tmp_path / name
        folder.mkdir()
        source = os.path.join(ROOT, 'tests', 'hostile', name, '0-vanilla.py')
        with open(source) as f:
            (folder / '0-vanilla.py').write_text(f.read())
        os.chmod(folder / '0-vanilla.py', 0o755)
        (folder / 'README.md').write_text('# hostile\n')
        out = tmp_path / (name + '.json')
        memory = tmp_path / (name + '.peak')
        began = time.monotonic()
        done = subprocess.run(
            [sys.executable, '-c', 'import atexit, sys\n'
             'path = sys.argv[1]\n'
             'def peak():\n'
             '    with open("/proc/self/status") as f, open(path, '
             '"w") as out:\n'
             '        out.write([l for l in f if l.startswith("VmHWM")]'
             '[0])\n'
             'atexit.register(peak)\n'
             # the report reaches numpy with __import__, which the judge
             # does not run: the gate off here, as for a file that
             # slipped past it (the report is what this test is about)
             'from checker import cli, static\n'
             'static.reaching_in = lambda folder, task: []\n'
             'cli.main(sys.argv[2:])\n', str(memory), str(folder),
             '--json', str(out), '--engines', 'keras2', '--tasks',
             '0-vanilla'], cwd=ROOT, capture_output=True, timeout=600)
        seconds = time.monotonic() - began
        assert done.returncode == 1, done.stderr[-3000:]
        printed = done.stdout.decode('utf-8')
        assert printable(printed), printed
        assert done.stdout.count(b'\n') == printed.count('\n')
        result = json.loads(out.read_text())
        rows = {test['extra_data']['check']: test for test in
                result['tests'] if test['extra_data']['engine']}
        builds = rows['builds']
        assert builds['extra_data']['verdict'] == 'fail'
        assert said in builds['output'], builds['output']
        assert all(printable(test['output']) for test in result['tests'])
        # what the files earn: the README, the files' checks that pass,
        # importing; nothing of the engine's beyond it
        earned = sum(test['score'] for test in result['tests']
                     if not test['extra_data']['engine'])
        assert result['score'] == earned + rows['imports_cleanly']['score']
        assert all(test['score'] == 0 for check, test in rows.items()
                   if check != 'imports_cleanly')
        peak = int(memory.read_text().split()[1]) << 10
        print('{}: score {}/{} in {:.0f} s, the judge\'s peak {:.0f} '
              'MiB'.format(name, result['score'], result['max_score'],
                           seconds, peak / (1 << 20)))
        assert peak < MOST_MEMORY
