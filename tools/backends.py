#!/usr/bin/env python3
"""The four mains on every engine this project runs them on, timed side by
side on this host against what its cores can do at best.

    tools/backends.py --epochs 5 --readme docs/engines.md
    tools/backends.py --fastest --epochs 50 --with-demo \
        --readme docs/engines.md

The engines: Keras 2 / TensorFlow 2.15 (the grader's) and Keras 3 /
TensorFlow, each with TensorFlow's oneDNN kernels off and on
(TF_ENABLE_ONEDNN_OPTS), Keras 3 / JAX, and Keras 3 / PyTorch where torch
is installed in the Keras 3 environment (make bench-backends installs it).
Each main runs as a user runs it (test_files/N-main.py --metrics FILE), in
its own process, one at a time, with the spec's settings; the same run
measures the host's float32 matrix multiplication, so that every epoch is
also given as a multiple of its floor: the time its multiply-adds take at
that rate (x_floor).

--fastest first times a few batches of every main on every engine
(tools/calibrate.py, one process per engine), then trains each main on the
engine that was fastest here, and adds "fastest" to the record; with
--with-demo it also trains the four mains as `make demo` does (Keras 2,
oneDNN as the project sets it), in the same run. --trials times the
convolutional model under the engines' documented settings (threads, XLA
flags). With --readme, that page's section is rewritten from the JSON.
"""
import argparse
import json
import os
import subprocess
import sys
import time
import zlib

from aelib import ONEDNN_DEFAULT, ROOT, report
from aelib.report import positive_int
from tools.bench import REFERENCE, TASKS, median, run_task

BEGIN, END = report.markers('backends', '`make bench-backends` and '
                            '`make demo-fast` (tools/backends.py)')
# the engines: the environment, KERAS_BACKEND, TF_ENABLE_ONEDNN_OPTS (None
# where the engine does not use TensorFlow's kernels)
ENGINES = (('.venv', 'tensorflow', False), ('.venv', 'tensorflow', True),
           ('.venv-keras3', 'tensorflow', False),
           ('.venv-keras3', 'tensorflow', True),
           ('.venv-keras3', 'jax', None), ('.venv-keras3', 'torch', None))
# what `make demo` runs on: Keras 2, oneDNN as aelib sets it
DEMO_ENGINE = ('.venv', 'tensorflow', ONEDNN_DEFAULT == '1')
# the calibration's names of the mains' models
MODELS = dict(zip(TASKS, ('vanilla', 'sparse', 'convolutional',
                          'variational')))
AGREEMENT = 0.02
# the four 50-epoch mains on their fastest engines, against their floor
GOAL_X_FLOOR = 2.0
DEMO_GOAL_X_FLOOR = 3.5
# images in a main's epoch: 60,000 trained on, 10,000 validated
TRAIN_IMAGES, TEST_IMAGES = 60000, 10000
# --trials: the convolutional model under settings the engines document,
# each (engine, name, environment variables added)
TRIALS = (
    (('.venv', 'tensorflow', True), 'as set', {}),
    (('.venv', 'tensorflow', True), '1 intra-op thread',
     {'TF_NUM_INTRAOP_THREADS': '1'}),
    (('.venv', 'tensorflow', True), '1 inter-op thread',
     {'TF_NUM_INTEROP_THREADS': '1'}),
    (('.venv', 'tensorflow', True), 'OMP_NUM_THREADS=2',
     {'OMP_NUM_THREADS': '2'}),
    (('.venv', 'tensorflow', True), 'oneDNN primitive cache 4096',
     {'ONEDNN_PRIMITIVE_CACHE_CAPACITY': '4096'}),
    (('.venv-keras3', 'tensorflow', True), 'as set', {}),
    (('.venv-keras3', 'jax', None), 'as set', {}),
    (('.venv-keras3', 'jax', None), 'XLA: oneDNN kernels',
     {'XLA_FLAGS': '--xla_cpu_use_onednn=true'}),
    (('.venv-keras3', 'jax', None), 'XLA: no multi-threaded Eigen',
     {'XLA_FLAGS': '--xla_cpu_multi_thread_eigen=false'}),
    (('.venv-keras3', 'jax', None), 'XLA: the older (non-thunk) runtime',
     {'XLA_FLAGS': '--xla_cpu_use_thunk_runtime=false'}),
    (('.venv-keras3', 'torch', None), 'as set', {}),
)


def engine_label(engine):
    """Returns the engine's name as the README's tables show it."""
    venv, backend, onednn = engine
    name = 'Keras {} / {}'.format('2' if venv == '.venv' else '3', {
        'tensorflow': 'TF', 'jax': 'JAX', 'torch': 'PyTorch'}[backend])
    if onednn is not None:
        name += ', oneDNN ' + ('on' if onednn else 'off')
    return name


def engine_env(engine):
    """Returns the environment variables that select engine."""
    env = {'KERAS_BACKEND': engine[1]}
    if engine[2] is not None:
        env['TF_ENABLE_ONEDNN_OPTS'] = '1' if engine[2] else '0'
    return env


def parse_args(argv=None):
    """Returns the command line's flags; -h explains them."""
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n\n')[0], epilog=__doc__.split(
            '\n\n', 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--epochs', type=positive_int, default=5,
                        metavar='N', help='epochs of each main (default: 5; '
                        'with --fastest, use 50)')
    parser.add_argument('--limit', type=positive_int, metavar='N',
                        help='train and validate on N images (quick runs)')
    parser.add_argument('--fastest', action='store_true',
                        help='time every engine on this host, train each '
                        'main on its fastest one and add the result to '
                        '--json')
    parser.add_argument('--with-demo', action='store_true',
                        help='with --fastest, also train the four mains as '
                        '`make demo` does, in the same run')
    parser.add_argument('--calibration-batches', type=positive_int,
                        default=24, metavar='N', help='with --fastest, '
                        'batches timed per main and engine (default: 24)')
    parser.add_argument('--trials', action='store_true',
                        help='only time the convolutional model under the '
                        'engines\' documented settings and add it to --json')
    parser.add_argument('--profile', action='store_true',
                        help='only time each layer of the convolutional '
                        'model on Keras 2 and add it to --json')
    parser.add_argument('--out', default='outputs', metavar='DIR',
                        help='folder for the mains\' figures (default: '
                        'outputs)')
    parser.add_argument('--json', default='results/backends.json',
                        metavar='FILE', help='the record (default: '
                        'results/backends.json)')
    parser.add_argument('--readme', metavar='FILE',
                        help='also rewrite the backends section of FILE')
    parser.add_argument('--render', action='store_true',
                        help='only rewrite the README section from --json')
    parser.add_argument('--fresh', action='store_true',
                        help='discard the progress an interrupted run of the '
                        'same command kept, and start afresh')
    parser.set_defaults(command='backends')
    parser.add_argument('--venv', default='.venv', metavar='DIR',
                        help='the Keras 2 environment (default: .venv)')
    parser.add_argument('--venv-keras3', default='.venv-keras3',
                        metavar='DIR', help='the Keras 3 environment, with '
                        'JAX and, if installed, PyTorch (default: '
                        '.venv-keras3)')
    args = parser.parse_args(argv)
    if args.with_demo and not args.fastest:
        parser.error('--with-demo goes with --fastest')
    args.pythons = {'.venv': args.venv, '.venv-keras3': args.venv_keras3}
    return args


def python(args, venv):
    """Returns the interpreter of the environment venv ('.venv' or
    '.venv-keras3', as named by the flags)."""
    path = os.path.join(ROOT, args.pythons[venv], 'bin', 'python')
    if not os.path.exists(path):
        sys.exit('error: no Python at {} (make venv venv-keras3 sets the '
                 'environments up)'.format(path))
    return path


def available_engines(args):
    """Returns the ENGINES this host can run: PyTorch's only where torch
    is installed in the Keras 3 environment."""
    found = subprocess.run(
        [python(args, '.venv-keras3'), '-c', 'import importlib.util, sys; '
         'sys.exit(importlib.util.find_spec("torch") is None)'], cwd=ROOT)
    return [engine for engine in ENGINES
            if engine[1] != 'torch' or found.returncode == 0]


def floor_seconds(macs_per_sample, gflops, limit=None):
    """Returns the seconds of one epoch's multiply-adds at gflops: three
    passes per training image (forward, and backward for activations and
    weights), one per validation image, two FLOPs a multiply-add."""
    train = min(limit or TRAIN_IMAGES, TRAIN_IMAGES)
    test = min(limit or TEST_IMAGES, TEST_IMAGES)
    return 2 * macs_per_sample * (3 * train + test) / (gflops * 1e9)


def engine_row(task, engine, metrics, gflops):
    """Returns the flat row of one main's metrics on one engine, with its
    epoch against the floor at gflops."""
    seconds = metrics['epoch_seconds']
    per_epoch = median(seconds[1:] or seconds)
    floor = floor_seconds(metrics['macs_per_sample'], gflops,
                          metrics['limit'])
    return {'task': task, 'keras': metrics['keras'],
            'backend': metrics['backend'],
            'backend_version': metrics['backend_version'],
            'tensorflow': metrics['tensorflow'], 'venv': engine[0],
            'onednn': engine[2], 'engine': engine_label(engine),
            'epochs': metrics['epochs'],
            'first_epoch_seconds': round(seconds[0], 2),
            's_per_epoch': round(per_epoch, 2),
            'floor_s_per_epoch': round(floor, 3),
            'x_floor': round(per_epoch / floor, 2),
            'macs_per_sample': metrics['macs_per_sample'],
            'val_loss': round(metrics['val_loss'][-1], 4),
            'limit': metrics['limit']}


def measure(args):
    """Runs every main on every engine; returns the record."""
    began = time.perf_counter()
    record = {'command': ' '.join(['tools/backends.py'] + sys.argv[1:]),
              'environment': report.environment()}
    record.update(report.host(repeats=20))
    rows = []
    with_out = os.path.join(args.out, 'backends')
    for task in TASKS:
        for engine in available_engines(args):
            metrics = run_task(task[0], args, with_out,
                               python(args, engine[0]), engine_env(engine))
            rows.append(engine_row(task, engine, metrics,
                                   record['matmul_gflops']))
    record['rows'] = rows
    record['convolutional_profile'] = profile(args)
    record['bench_seconds'] = round(time.perf_counter() - began, 1)
    return record


PROFILE = r"""
import json, sys, time
import numpy as np
import aelib
import tensorflow as tf
keras = tf.keras
_, _, auto = aelib.task('2-convolutional').autoencoder((28, 28, 1),
                                                     [16, 8, 8], (4, 4, 8))
layers = [layer for model in auto.layers if isinstance(model, keras.Model)
          for layer in model.layers
          if not isinstance(layer, keras.layers.InputLayer)]
rows = []
for layer in layers:
    shape = tuple(layer.input.shape[1:])
    copy = layer.__class__.from_config(layer.get_config())
    x = tf.random.uniform((256,) + shape)
    copy(x)

    @tf.function
    def step(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.reduce_sum(copy(x))
        return tape.gradient(y, [x] + copy.trainable_variables)
    step(x)
    began = time.perf_counter()
    for _ in range(int(sys.argv[1])):
        step(x)
    seconds = (time.perf_counter() - began) / int(sys.argv[1])
    rows.append({'layer': layer.__class__.__name__,
                 'output_shape': list(layer.output.shape[1:]),
                 'ms_per_batch': round(1000 * seconds, 2)})
print(json.dumps(rows))
"""


def profile(args, repeats=20):
    """Returns the milliseconds of one training step (forward and backward,
    batch 256) of each layer of the convolutional main's model alone, on
    Keras 2 / TensorFlow: where its epoch goes."""
    import json
    import subprocess
    done = subprocess.run([python(args, '.venv'), '-c', PROFILE,
                           str(repeats)], check=True, capture_output=True,
                          text=True, cwd=ROOT)
    return json.loads(done.stdout.strip().splitlines()[-1])


def fastest_engines(rows):
    """Returns {task: the row with the fewest seconds per epoch}."""
    best = {}
    for row in rows:
        if row['task'] not in best or \
                row['s_per_epoch'] < best[row['task']]['s_per_epoch']:
            best[row['task']] = row
    return best


def time_batches(args, engine, extra=None, models=None):
    """Runs tools/calibrate.py on engine (with the environment variables
    extra added, on the models named, all four by default); returns its
    estimated seconds per epoch, by model name (kept in args.progress)."""
    name = 'batches-{:08x}'.format(zlib.crc32(json.dumps(
        [engine, extra, models, args.calibration_batches]).encode()))
    return args.progress.step(name, lambda: timed_batches(
        args, engine, extra, models))


def timed_batches(args, engine, extra, models):
    """Runs tools/calibrate.py as time_batches says."""
    command = [python(args, engine[0]),
               os.path.join(ROOT, 'tools', 'calibrate.py'), '--batches',
               str(args.calibration_batches)]
    if models:
        command += ['--tasks'] + list(models)
    env = dict(engine_env(engine), **(extra or {}))
    shown = ' '.join('{}={}'.format(*kv) for kv in (extra or {}).items())
    print('== timing a few batches: {} {}'.format(engine_label(engine),
                                                  shown),
          file=sys.stderr, flush=True)
    done = subprocess.run(command, check=True, cwd=ROOT, text=True,
                          stdout=subprocess.PIPE,
                          env=dict(os.environ, **env))
    return json.loads(done.stdout.strip().splitlines()[-1])


def calibrate(args, engines):
    """Times a few batches of every main on every engine; returns the rows,
    one per main and engine, with the estimated seconds of an epoch in
    s_per_epoch."""
    rows = []
    for engine in engines:
        seconds = time_batches(args, engine)
        rows += [{'task': task, 'engine': engine_label(engine),
                  'venv': engine[0], 'backend': engine[1],
                  'onednn': engine[2],
                  's_per_epoch': seconds[MODELS[task]]} for task in TASKS]
    return rows


def trials(args):
    """Times the convolutional model under each of TRIALS' settings (on
    the engines this host has); returns the rows."""
    engines = available_engines(args)
    return [{'engine': engine_label(engine), 'setting': name,
             'variables': extra, 's_per_epoch': time_batches(
                 args, engine, extra, ['convolutional'])['convolutional']}
            for engine, name, extra in TRIALS if engine in engines]


def run_mains(args, engines, gflops):
    """Trains every main on its engine (engines: {task: (venv, backend,
    onednn)}); returns the run's record: per main its engine, loss, wall
    time and floor, and the four together against their floor."""
    tasks = {}
    began = time.perf_counter()
    for task, engine in engines.items():
        metrics = run_task(task[0], args, args.out, python(args, engine[0]),
                           engine_env(engine))
        floor = metrics['epochs'] * floor_seconds(
            metrics['macs_per_sample'], gflops, args.limit)
        tasks[task] = {'engine': engine_label(engine),
                       'keras': metrics['keras'],
                       'backend': metrics['backend'], 'onednn': engine[2],
                       'epochs': metrics['epochs'],
                       'val_loss': round(metrics['val_loss'][-1], 4),
                       'wall_seconds': round(metrics['wall_seconds'], 1),
                       'training_seconds': round(sum(
                           metrics['epoch_seconds']), 1),
                       'floor_seconds': round(floor, 1),
                       'x_floor': round(metrics['wall_seconds'] / floor, 2)}
    total = time.perf_counter() - began
    floor = sum(t['floor_seconds'] for t in tasks.values())
    return {'total_seconds': round(total, 1), 'floor_seconds': round(floor, 1),
            'x_floor': round(total / floor, 2),
            'x_floor_training': round(sum(
                t['training_seconds'] for t in tasks.values()) / floor, 2),
            'limit': args.limit, 'tasks': tasks}


def run_fastest(args, record):
    """Measures the host (matrix multiplication, then every engine on a few
    batches of every main), trains each main on its fastest engine and,
    with --with-demo, the four on `make demo`'s; returns "fastest" (and
    puts "demo" in record)."""
    measured = report.host(repeats=20)
    began = time.perf_counter()
    rows = calibrate(args, available_engines(args))
    calibration = time.perf_counter() - began
    chosen = {task: (row['venv'], row['backend'], row['onednn'])
              for task, row in fastest_engines(rows).items()}
    fastest = run_mains(args, chosen, measured['matmul_gflops'])
    fastest.update(measured, calibration=rows,
                   calibration_seconds=round(calibration, 1),
                   calibration_batches=args.calibration_batches,
                   command=' '.join(['tools/backends.py'] + sys.argv[1:]))
    if args.with_demo:
        record['demo'] = run_mains(args, {task: DEMO_ENGINE
                                          for task in TASKS},
                                   measured['matmul_gflops'])
        record['demo']['times_fastest'] = round(
            record['demo']['total_seconds'] / fastest['total_seconds'], 2)
    else:
        record.pop('demo', None)
    return fastest


def speed_cell(row):
    """Returns 's/epoch (× floor)' of a row."""
    return '{:.2f} ({:.1f}×)'.format(row['s_per_epoch'], row['x_floor'])


def host_text(record):
    """Returns the sentence on the host: CPU, oneDNN's default there, the
    matrix multiplication rate."""
    return (
        'Host: `{}`, {}; TensorFlow {} oneDNN by itself here (it does only on '
        'CPUs '
        'with AVX512-VNNI, AVX512-BF16, AVX-VNNI or AMX; this one has {}). '
        'float32 matrix multiplication (2048×2048, TensorFlow, best of 3): '
        '**{:.0f} GFLOP/s**. An epoch\'s floor is the time its '
        'multiply-adds take at that rate (three passes per training image, '
        'one per validation image); × floor is the epoch against it.'
        .format(report.record_host(record)['name'], record['cpu'],
                'turns on' if record['onednn_by_default']
                else 'does not turn on',
                ', '.join(f for f in record['cpu_flags']
                          if f.startswith(('avx512', 'avx_vnni', 'amx')))
                or 'none of them', record['matmul_gflops']))


def onednn_text(rows):
    """Returns the sentence on what oneDNN changes, per main and Keras."""
    parts = []
    for task in TASKS:
        for keras in ('2', '3'):
            pair = {r['onednn']: r for r in rows if r['task'] == task and
                    r['keras'][0] == keras and r['backend'] == 'tensorflow'}
            if True in pair and False in pair:
                parts.append('{} on Keras {} {:.2f}×'.format(
                    task, keras, pair[False]['s_per_epoch'] /
                    pair[True]['s_per_epoch']))
    return ('oneDNN on against off, the speed-up of an epoch: {}.'.format(
        ', '.join(parts)) if parts else '')


def engines_part(record):
    """Returns the lines of the every-engine measurement."""
    rows = record['rows']
    labels = []
    for row in rows:
        if row['engine'] not in labels:
            labels.append(row['engine'])
    by = {(r['task'], r['engine']): r for r in rows}
    speed, losses, disagree = [], [], []
    for task in TASKS:
        found = [by.get((task, label)) for label in labels]
        present = [r for r in found if r]
        speed.append([task, '{:.3f}'.format(present[0]['floor_s_per_epoch'])]
                     + [speed_cell(r) if r else '—' for r in found])
        spread = max(abs(r['val_loss'] / present[0]['val_loss'] - 1)
                     for r in present)
        losses.append([task] + ['{:.4f}'.format(r['val_loss']) if r else '—'
                                for r in found] + ['{:.1%}'.format(spread)])
        if spread > AGREEMENT:
            disagree.append(task)
    first = rows[0]
    versions = sorted({'{} {}'.format(r['engine'].split(',')[0],
                                      r['backend_version']) for r in rows})
    return [
        'Seconds per epoch of each main (the median of epochs 2 to {}, '
        'validation included) and, in brackets, × floor, batch 256, the '
        'mains\' arguments. Versions: {}. Run: `{}` — {:.0f} s wall '
        'time.'.format(first['epochs'], ', '.join(versions),
                       record['command'], record['bench_seconds']),
        '',
    ] + report.table(['main', 'floor s'] + labels, speed) + [
        '',
        onednn_text(rows),
        '',
        'Validation loss after the same {} epochs, and how far the engines '
        'are apart:'.format(first['epochs']),
        '',
    ] + report.table(['main'] + labels + ['largest gap'], losses) + [
        '',
        'The engines agree within {:.0%} on every main.'.format(AGREEMENT)
        if not disagree else
        'Beyond {:.0%} apart: {}. Each engine draws its own initial weights '
        'and noise from the same seed (Keras 3 seeds differently from Keras '
        '2, and JAX and PyTorch from TensorFlow), so after a few epochs the '
        'runs differ by what different starting points give.'.format(
            AGREEMENT, ', '.join(disagree)),
        '',
    ]


def profile_part(record):
    """Returns the lines of the convolutional model's per-layer profile."""
    layers = record['convolutional_profile']
    total = sum(r['ms_per_batch'] for r in layers)
    kinds = {}
    for r in layers:
        kinds[r['layer']] = kinds.get(r['layer'], 0) + r['ms_per_batch']
    return [
        'Where the convolutional model\'s epoch goes (Keras 2 / TensorFlow, '
        'oneDNN as set): one training step of each layer alone, forward and '
        'backward, batch 256:',
        '',
    ] + report.table(
        ['layer', 'output shape', 'ms per batch', 'share'],
        [[r['layer'], '×'.join(map(str, r['output_shape'])),
          '{:.1f}'.format(r['ms_per_batch']),
          '{:.0%}'.format(r['ms_per_batch'] / total)] for r in layers]
    ) + [
        '',
        'By kind: {}. The layers alone add up to {:.0f} ms per batch, {:.1f} '
        's for the 235 training batches of an epoch.'.format(
            ', '.join('{} {:.0%}'.format(kind, ms / total) for kind, ms
                      in sorted(kinds.items(), key=lambda kv: -kv[1])),
            total, total * 235 / 1000),
        '',
    ]


def run_table(run):
    """Returns the table of one run of the four mains ("fastest" or
    "demo") against the reference losses and their floors."""
    lines = [[task, t['engine'], t['epochs'], '{:.4f}'.format(t['val_loss']),
              '{:.4f}'.format(REFERENCE[task]['last'][1]),
              '{:+.1%}'.format(t['val_loss'] / REFERENCE[task]['last'][1]
                               - 1), '{:.0f}'.format(t['wall_seconds']),
              '{:.0f}'.format(t['floor_seconds']),
              '{:.1f}×'.format(t['x_floor'])]
             for task, t in run['tasks'].items()]
    return report.table(['main', 'engine', 'epochs', 'val_loss',
                         'reference val_loss', 'difference', 'wall s',
                         'floor s', '× floor'], lines)


def fastest_part(record):
    """Returns the lines of `make demo-fast` (and `make demo` beside it)."""
    fastest = record['fastest']
    labels, cells = [], {}
    for row in fastest['calibration']:
        if row['engine'] not in labels:
            labels.append(row['engine'])
        cells[row['task'], row['engine']] = row['s_per_epoch']
    best = fastest_engines(fastest['calibration'])
    calibration = [[task] + [
        ('**{:.2f}**' if best[task]['engine'] == label else '{:.2f}').format(
            cells[task, label]) if (task, label) in cells else '—'
        for label in labels] for task in TASKS]
    lines = [
        '`make demo-fast` first times {} batches of every main on every '
        'engine, here, in one process per engine ({:.0f} s in all; '
        '`tools/calibrate.py`): the estimated seconds of an epoch, the '
        'fastest in bold:'.format(fastest.get('calibration_batches', 24),
                                  fastest['calibration_seconds']),
        '',
    ] + report.table(['main'] + labels, calibration) + [
        '',
        'Then it trains each main on its fastest engine: all four in **{:.0f} '
        's** ({:.1f} minutes), {:.2f}× their combined floor of {:.0f} s '
        '({:.2f}× counting the training epochs alone), against the goal of '
        '{:.1f}×. Run: `{}`; {}.'.format(
            fastest['total_seconds'], fastest['total_seconds'] / 60,
            fastest['x_floor'], fastest['floor_seconds'],
            fastest['x_floor_training'], GOAL_X_FLOOR, fastest['command'],
            fastest['cpu']),
        '',
    ] + run_table(fastest) + ['']
    demo = record.get('demo')
    if demo:
        lines += [
            'In the same run, `make demo` (every main on Keras 2, oneDNN as '
            'the project sets it): **{:.0f} s** ({:.1f} minutes), {:.2f}× '
            'the floor, against the goal of {:.1f}×; {:.2f}× the time of '
            '`make demo-fast`.'.format(
                demo['total_seconds'], demo['total_seconds'] / 60,
                demo['x_floor'], DEMO_GOAL_X_FLOOR, demo['times_fastest']),
            '',
        ] + run_table(demo) + ['']
    return lines


def trials_part(record):
    """Returns the lines of the settings tried on the convolutional
    model."""
    return [
        'Settings the engines document, tried on the convolutional model '
        '(`tools/backends.py --trials`, the same few-batch estimate of an '
        'epoch):',
        '',
    ] + report.table(['engine', 'setting', 'variables', 's per epoch'], [
        [r['engine'], r['setting'], ' '.join(
            '`{}={}`'.format(*kv) for kv in r['variables'].items()) or '—',
         '{:.2f}'.format(r['s_per_epoch'])] for r in record['trials']]) + ['']


def render(record):
    """Returns the README section drawn from record, markers included."""
    text = [BEGIN]
    if 'matmul_gflops' in record:
        text += [host_text(record), '']
    if record.get('rows'):
        text += engines_part(record)
    if record.get('convolutional_profile'):
        text += profile_part(record)
    if record.get('fastest'):
        text += fastest_part(record)
    if record.get('trials'):
        text += trials_part(record)
    text.append(END)
    return '\n'.join(text)


def main(argv=None):
    """Measures (or, with --fastest, trains on the fastest engines, with
    --trials or --profile, times the convolutional model under the engines'
    settings or layer by layer, or, with --render, only rewrites the README
    section)."""
    args = parse_args(argv)

    def extend(args):
        """Returns the record of --json with "fastest", the trials or the
        profile added."""
        record = report.read_record(args.json)
        # the measuring run's time, before this run's replaces wall_seconds
        record.setdefault('bench_seconds', record['wall_seconds'])
        if args.fastest:
            record['fastest'] = run_fastest(args, record)
        elif args.trials:
            record['trials'] = trials(args)
        else:
            record['convolutional_profile'] = profile(args)
        return record
    report.run_application(
        args, extend if args.fastest or args.profile or args.trials
        else measure, render, BEGIN, END)


if __name__ == '__main__':
    main()
