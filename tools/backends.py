#!/usr/bin/env python3
"""The four mains on three engines: Keras 2 / TensorFlow 2.15 (the
grader's), Keras 3 / TensorFlow and Keras 3 / JAX, timed side by side.

    tools/backends.py --epochs 5 --readme README.md
    tools/backends.py --fastest --epochs 50 --json results/backends.json

Each main runs as a user runs it (test_files/N-main.py --metrics FILE), in
its own process, one at a time, with the spec's settings (batch 256, the
mains' arguments, validation on the test set); Keras 3 picks its engine from
KERAS_BACKEND. The first run writes one row per main and engine; --fastest
then trains every main on its fastest engine (the lowest seconds per epoch
in those rows) and adds the total wall time and final validation losses as
"fastest". With --readme, the README's section is rewritten from the JSON.
"""
import argparse
import os
import sys
import time

from aelib import ROOT, report
from aelib.mains import positive_int
from tools.bench import REFERENCE, TASKS, median, run_task

BEGIN, END = report.markers('backends', '`make bench-backends` and '
                            '`make demo-fast` (tools/backends.py)')
# the engines: (the environment, KERAS_BACKEND)
ENGINES = (('.venv', 'tensorflow'), ('.venv-keras3', 'tensorflow'),
           ('.venv-keras3', 'jax'))
AGREEMENT = 0.02
# the four 50-epoch mains on their fastest engines: the goal, in seconds
GOAL_SECONDS = 600


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
                        help='train each main on its fastest engine, as '
                        'recorded in --json, and add the result there')
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
    parser.add_argument('--venv', default='.venv', metavar='DIR',
                        help='the Keras 2 environment (default: .venv)')
    parser.add_argument('--venv-keras3', default='.venv-keras3',
                        metavar='DIR', help='the Keras 3 environment, with '
                        'JAX (default: .venv-keras3)')
    args = parser.parse_args(argv)
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


def engine_row(task, venv, metrics):
    """Returns the flat row of one main's metrics on one engine (venv: the
    environment it ran in)."""
    seconds = metrics['epoch_seconds']
    return {'task': task, 'keras': metrics['keras'],
            'backend': metrics['backend'],
            'backend_version': metrics['backend_version'],
            'tensorflow': metrics['tensorflow'], 'venv': venv,
            'epochs': metrics['epochs'],
            'first_epoch_seconds': round(seconds[0], 2),
            's_per_epoch': round(median(seconds[1:] or seconds), 2),
            'val_loss': round(metrics['val_loss'][-1], 4),
            'limit': metrics['limit']}


def measure(args):
    """Runs every main on every engine; returns the record."""
    rows = []
    began = time.perf_counter()
    with_out = os.path.join(args.out, 'backends')
    for task in TASKS:
        for venv, backend in ENGINES:
            metrics = run_task(task[0], args, with_out, python(args, venv),
                               {'KERAS_BACKEND': backend})
            rows.append(engine_row(task, venv, metrics))
    return {'command': ' '.join(['tools/backends.py'] + sys.argv[1:]),
            'rows': rows, 'convolutional_profile': profile(args),
            'bench_seconds': round(time.perf_counter() - began, 1),
            'environment': report.environment()}


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


def run_fastest(args, record):
    """Trains every main on its fastest engine; returns "fastest"."""
    tasks = {}
    began = time.perf_counter()
    for task, row in fastest_engines(record['rows']).items():
        metrics = run_task(task[0], args, args.out,
                           python(args, row['venv']),
                           {'KERAS_BACKEND': row['backend']})
        tasks[task] = {'keras': metrics['keras'],
                       'backend': metrics['backend'],
                       'epochs': metrics['epochs'],
                       'val_loss': round(metrics['val_loss'][-1], 4),
                       'wall_seconds': round(metrics['wall_seconds'], 1)}
    return {'total_seconds': round(time.perf_counter() - began, 1),
            'command': ' '.join(['tools/backends.py'] + sys.argv[1:]),
            'limit': args.limit, 'tasks': tasks}


def ratio_text(value, base):
    """Returns 'value s (ratio×)' of seconds against the base."""
    return '{:.2f} ({:.2f}×)'.format(value, value / base)


def render(record):
    """Returns the README section drawn from record, markers included."""
    rows = record['rows']
    by = {(r['task'], r['keras'][0], r['backend']): r for r in rows}
    engines = [('2', 'tensorflow', 'Keras 2 / TF'),
               ('3', 'tensorflow', 'Keras 3 / TF'),
               ('3', 'jax', 'Keras 3 / JAX')]
    speed, losses, disagree = [], [], []
    for task in TASKS:
        found = [by.get((task, k, b)) for k, b, _ in engines]
        if None in found:
            continue
        base = found[0]['s_per_epoch']
        speed.append([task] + [ratio_text(r['s_per_epoch'], base)
                               for r in found]
                     + ['{:.1f} / {:.1f} / {:.1f}'.format(
                         *[r['first_epoch_seconds'] for r in found])])
        losses.append([task] + ['{:.4f}'.format(r['val_loss'])
                                for r in found])
        spread = max(abs(r['val_loss'] / found[0]['val_loss'] - 1)
                     for r in found)
        losses[-1].append('{:.1%}'.format(spread))
        if spread > AGREEMENT:
            disagree.append(task)
    keras3 = by[TASKS[0], '3', 'jax']
    text = [
        BEGIN,
        'Seconds per epoch (the median of epochs 2 to {}, validation '
        'included; in brackets, against the grader\'s Keras 2) of each '
        'main, batch 256, the mains\' arguments, on {}. Keras 2: '
        'TensorFlow {}; Keras 3: Keras {} on TensorFlow {} or JAX {}. '
        'Run: `{}` — {:.0f} s wall time.'.format(
            rows[0]['epochs'], record['environment']['machine'],
            by[TASKS[0], '2', 'tensorflow']['tensorflow'], keras3['keras'],
            keras3['tensorflow'], keras3['backend_version'],
            record['command'],
            record.get('bench_seconds', record['wall_seconds'])),
        '',
    ] + report.table(['main'] + [label for _, _, label in engines]
                     + ['first epoch s (compiling included)'], speed) + [
        '',
        'Validation loss after the same {} epochs, and how far the engines '
        'are apart:'.format(rows[0]['epochs']),
        '',
    ] + report.table(['main'] + [label for _, _, label in engines]
                     + ['largest gap'], losses) + [
        '',
        'The engines agree within {:.0%} on every main.'.format(AGREEMENT)
        if not disagree else
        'Beyond {:.0%} apart: {}. Each engine draws its own initial weights '
        'and noise from the same seed (Keras 3 seeds differently from Keras '
        '2, and JAX from TensorFlow), so after a few epochs the runs differ '
        'by what different starting points give.'.format(
            AGREEMENT, ', '.join(disagree)),
        '',
    ]
    layers = record.get('convolutional_profile')
    if layers:
        total = sum(r['ms_per_batch'] for r in layers)
        kinds = {}
        for r in layers:
            kinds[r['layer']] = kinds.get(r['layer'], 0) + r['ms_per_batch']
        conv = by.get(('2-convolutional', '2', 'tensorflow'))
        text += [
            'Where the convolutional model\'s epoch goes (Keras 2 / '
            'TensorFlow): one training step of each layer alone, forward '
            'and backward, batch 256:',
            '',
        ] + report.table(
            ['layer', 'output shape', 'ms per batch', 'share'],
            [[r['layer'], '×'.join(map(str, r['output_shape'])),
              '{:.1f}'.format(r['ms_per_batch']),
              '{:.0%}'.format(r['ms_per_batch'] / total)] for r in layers]
        ) + [
            '',
            'By kind: {}. The layers alone add up to {:.0f} ms per batch, '
            '{:.0f} s for the 235 training batches of an epoch{}.'.format(
                ', '.join('{} {:.0%}'.format(kind, ms / total) for kind, ms
                          in sorted(kinds.items(), key=lambda kv: -kv[1])),
                total, total * 235 / 1000,
                '' if conv is None else ', against {:.1f} s measured for '
                'the whole epoch (validation and the framework\'s own work '
                'included)'.format(conv['s_per_epoch'])),
            '',
        ]
    fastest = record.get('fastest')
    if fastest:
        lines = [[task, 'Keras {} / {}'.format(t['keras'], t['backend']),
                  t['epochs'], '{:.4f}'.format(t['val_loss']),
                  '{:.4f}'.format(REFERENCE[task]['last'][1]),
                  '{:+.1%}'.format(t['val_loss'] / REFERENCE[task]['last'][1]
                                   - 1), '{:.0f}'.format(t['wall_seconds'])]
                 for task, t in fastest['tasks'].items()]
        text += [
            '`make demo-fast` trains each main on its fastest engine above: '
            'all four in **{:.0f} s** ({:.1f} minutes), against the '
            'specification\'s reference losses (TensorFlow 2.15, 50 '
            'epochs). Run: `{}`.'.format(
                fastest['total_seconds'], fastest['total_seconds'] / 60,
                fastest['command']),
            '',
            goal_sentence(fastest),
            '',
        ] + report.table(['main', 'engine', 'epochs', 'val_loss',
                          'reference val_loss', 'difference', 'wall s'],
                         lines) + ['']
    text.append(END)
    return '\n'.join(text)


def goal_sentence(fastest):
    """Returns whether the four mains met GOAL_SECONDS and, if not, how far
    they are and which main takes the most."""
    total = fastest['total_seconds']
    if total <= GOAL_SECONDS:
        return 'That meets the goal of {} minutes.'.format(
            GOAL_SECONDS // 60)
    task, slowest = max(fastest['tasks'].items(),
                        key=lambda kv: kv[1]['wall_seconds'])
    return ('That misses the goal of {} minutes by {:.0f} s ({:.1f} times '
            'the goal); {} alone takes {:.0f} s of it ({:.0%}).'.format(
                GOAL_SECONDS // 60, total - GOAL_SECONDS,
                total / GOAL_SECONDS, task, slowest['wall_seconds'],
                slowest['wall_seconds'] / total))


def main(argv=None):
    """Measures (or, with --fastest, trains on the fastest engines, with
    --profile, times the convolutional model's layers, or, with --render,
    only rewrites the README section)."""
    args = parse_args(argv)

    def extend(args):
        """Returns the record of --json with "fastest" or the profile."""
        record = report.read_record(args.json)
        # the measuring run's time, before this run's replaces wall_seconds
        record.setdefault('bench_seconds', record['wall_seconds'])
        if args.fastest:
            record['fastest'] = run_fastest(args, record)
        else:
            record['convolutional_profile'] = profile(args)
        return record
    report.run_application(args, extend if args.fastest or args.profile
                           else measure, render, BEGIN, END)


if __name__ == '__main__':
    main()
