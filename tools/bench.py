#!/usr/bin/env python3
"""Reproduction run: trains the four mains with the spec's settings, records
losses, epoch times, parameters, memory and speed in a JSON file, draws the
loss curves and rewrites the "results" section of docs/results.md from the
records.

    tools/bench.py --json results/results.json --readme docs/results.md

Each main runs in its own process (test_files/N-main.py --metrics FILE), so
what is measured is exactly what a user runs.
"""
import argparse
import json
import os
import sys
import tempfile
import time
import zlib

import matplotlib.pyplot as plt
import aelib  # noqa: F401  (first: it sets TensorFlow's options)
import tensorflow as tf

from aelib import ROOT, report
from aelib.report import positive_int

TASKS = ('0-vanilla', '1-sparse', '2-convolutional', '3-variational')
# SPEC.md's reference (current edition, TensorFlow 2.15, 50 epochs)
REFERENCE = {
    '0-vanilla': {'first': (0.2462, 0.1704), 'last': (0.0846, 0.0842),
                  'printed': '8.311438'},
    '1-sparse': {'first': (0.2467, 0.1715), 'last': (0.0839, 0.0835),
                 'printed': '3.0174155'},
    '2-convolutional': {'first': (0.2466, 0.1597), 'last': (0.0938, 0.0926),
                        'printed': '3.4141076'},
    '3-variational': {'first': (212.1680, 175.3891),
                      'last': (143.3937, 147.9027),
                      'printed': 'mu, sigma (10x2 each)'},
}
BEGIN, END = report.markers('results', 'tools/bench.py')


def run_task(number, args, figures, python=sys.executable, env=None):
    """Runs one main (test_files/NUMBER-main.py) with the interpreter
    python and the environment variables env added to this process's,
    returns its metrics record: kept in args.progress once the main has
    finished (the main keeps its own progress every epoch)."""
    name = 'main-{}-{:08x}'.format(number, zlib.crc32(json.dumps(
        [python, env, figures, args.epochs, args.limit]).encode()))
    return args.progress.step(name, lambda: train_task(
        number, args, figures, python, env))


def train_task(number, args, figures, python, env):
    """Runs the main as run_task says; returns its metrics record."""
    main = os.path.join(ROOT, 'test_files', '{}-main.py'.format(number))
    with tempfile.TemporaryDirectory() as tmp:
        metrics = os.path.join(tmp, 'metrics.json')
        command = [python, main, '--epochs', str(args.epochs),
                   '--out', figures, '--no-show', '--metrics', metrics]
        if args.limit:
            command += ['--limit', str(args.limit)]
        shown = ['{}={}'.format(*kv) for kv in (env or {}).items()]
        print('== ' + ' '.join(shown + command), file=sys.stderr,
              flush=True)
        start = time.perf_counter()
        args.progress.run(command, cwd=ROOT,
                          env=dict(os.environ, **(env or {})))
        wall_seconds = time.perf_counter() - start
        with open(metrics) as f:
            return dict(json.load(f), wall_seconds=wall_seconds)


def speed(record, n_train, n_test):
    """Returns the achieved GFLOP/s of each epoch: a training step costs
    about three forward passes (forward, and backward for activations and
    weights), validation one; a multiply-add is two FLOPs."""
    flops = 2 * record['macs_per_sample'] * (3 * n_train + n_test)
    return [flops / seconds / 1e9 for seconds in record['epoch_seconds']]


def plot_losses(results, path):
    """Draws every task's training and validation loss per epoch."""
    figure, axes = plt.subplots(1, 4, figsize=(16, 3.6))
    for axis, (name, record) in zip(axes, results['tasks'].items()):
        epochs = range(1, len(record['loss']) + 1)
        axis.plot(epochs, record['loss'], label='training')
        axis.plot(epochs, record['val_loss'], label='validation')
        axis.set_title(name)
        axis.set_xlabel('epoch')
        axis.set_ylabel('loss')
        axis.legend()
    figure.suptitle('Loss per epoch ({}, TensorFlow {})'.format(
        'Keras 3' if results['keras'].startswith('3') else 'Keras 2',
        results['tensorflow']))
    figure.tight_layout()
    figure.savefig(path, dpi=70)
    plt.close(figure)


def median(values):
    """Returns the middle value of values (the upper one of an even count)."""
    return sorted(values)[len(values) // 2]


def printed_text(name, record):
    """Returns what the main printed, shortly."""
    printed = record['printed']
    if 'mean' in printed:
        return '{:.7g}'.format(printed['mean'])
    mu = [abs(v) for row in printed['mu'] for v in row]
    sigma = [v for row in printed['sigma'] for v in row]
    return '\\|mu\\| {:.2f}-{:.2f}, sigma {:.3f}-{:.3f}'.format(
        min(mu), max(mu), min(sigma), max(sigma))


def ablation_text(ablation):
    """Returns the paragraph on the VAE's loss scale, from the records of
    tools/vae_kl_ablation.py."""
    spec = REFERENCE['3-variational']
    summed, averaged = ablation['kl_sum'], ablation['kl_mean']
    return [
        '', 'The VAE trains the loss the specification names: cross-entropy '
        'summed over the pixels plus the KL divergence, summed over the '
        'latent dimensions. `make ablation` (`tools/vae_kl_ablation.py`, '
        'TensorFlow {}, {} epochs) trains it again with the KL term averaged '
        'over the two latent dimensions instead, which halves it:'.format(
            ablation['tensorflow'], ablation['epochs']), '',
        '| VAE loss | epoch 1 loss / val_loss | last epoch loss / val_loss |',
        '|---|---|---|',
        '| KL summed (this project) | {:.4f} / {:.4f} | {:.4f} / {:.4f} |'
        .format(summed['loss'][0], summed['val_loss'][0], summed['loss'][-1],
                summed['val_loss'][-1]),
        '| KL averaged over latent dimensions | {:.4f} / {:.4f} | '
        '{:.4f} / {:.4f} |'.format(
            averaged['loss'][0], averaged['val_loss'][0],
            averaged['loss'][-1], averaged['val_loss'][-1]),
        '| specification\'s reference | {:.4f} / {:.4f} | {:.4f} / {:.4f} |'
        .format(
            *spec['first'], *spec['last']), '',
        'The averaged variant lands {:+.1f}% from the reference\'s final '
        'val_loss, the summed one {:+.1f}%: the reference numbers were most '
        'likely produced with the KL term averaged.'.format(
            100 * (averaged['val_loss'][-1] / spec['last'][1] - 1),
            100 * (summed['val_loss'][-1] / spec['last'][1] - 1))]


def markdown(results, figures, other=None, ablation=None):
    """Returns the README's Results section for the records, with links to
    the figures in the folder figures."""
    lines = [BEGIN, '',
             'Produced by `make bench` on {}; {} epochs, batch 256, seed '
             '0{}.'.format(
                 report.environment_text(dict(
                     results, host=report.record_host(results))),
                 results['epochs'],
                 ', first {} images'.format(results['limit'])
                 if results['limit'] else ''),
             'The four mains ran for {:.1f} minutes in all, {:.1f} of them '
             'in training epochs.'.format(
                 sum(record['wall_seconds']
                     for record in results['tasks'].values()) / 60,
                 sum(sum(record['epoch_seconds'])
                     for record in results['tasks'].values()) / 60),
             'Matrix multiplication (float32, 2048x2048) reaches {:.0f} '
             'GFLOP/s here; that is the best these cores do in TensorFlow.'
             .format(results['matmul_gflops']), '',
             '| task | epoch 1 loss / val_loss (spec) | last epoch loss / '
             'val_loss (spec) | val_loss vs spec | printed (spec) | '
             's/epoch | GFLOP/s | params | peak MiB |',
             '|---|---|---|---|---|---|---|---|---|']
    for name, record in results['tasks'].items():
        spec = REFERENCE[name]
        last_val = record['val_loss'][-1]
        seconds = median(record['epoch_seconds'])
        gflops = median(record['gflops'])
        lines.append(
            '| {} | {:.4f} / {:.4f} ({:.4f} / {:.4f}) | {:.4f} / {:.4f} '
            '({:.4f} / {:.4f}) | '
            '{:+.1f}% | {} ({}) | {:.1f} | {:.1f} | {:,} | {:.0f} |'.format(
                name, record['loss'][0], record['val_loss'][0],
                *spec['first'], record['loss'][-1], last_val, *spec['last'],
                round(100 * (last_val / spec['last'][1] - 1), 1) + 0.0,
                printed_text(name, record), spec['printed'], seconds, gflops,
                record['params'], record['peak_memory_mb'] or 0))
    lines += ['', 's/epoch and GFLOP/s are medians over the epochs (training '
              'plus validation); GFLOP/s counts the Dense and Conv2D '
              'multiply-adds, three passes per training image and one per '
              'validation image.']
    if other:
        lines += ['', 'The same run on TensorFlow {} (Keras {}):'.format(
            other['tensorflow'], other['keras']), '',
            '| task | s/epoch Keras 2 | s/epoch Keras 3 | last loss / '
            'val_loss Keras 2 | last loss / val_loss Keras 3 |',
            '|---|---|---|---|---|']
        for name, record in results['tasks'].items():
            theirs = other['tasks'].get(name)
            if not theirs:
                continue
            lines.append('| {} | {:.1f} | {:.1f} | {:.4f} / {:.4f} | '
                         '{:.4f} / {:.4f} |'.format(
                             name, median(record['epoch_seconds']),
                             median(theirs['epoch_seconds']),
                             record['loss'][-1], record['val_loss'][-1],
                             theirs['loss'][-1], theirs['val_loss'][-1]))
    if ablation:
        lines += ablation_text(ablation)
    lines += ['', '![Loss curves]({}/loss-curves.png)'.format(figures), '']
    for name in TASKS:
        lines.append('![{0} reconstructions]({1}/{0}-reconstructions.png)'
                     .format(name, figures))
    lines += ['', '![VAE latent manifold]({0}/3-variational-manifold.png) '
              '![VAE latent means]({0}/3-variational-latent.png)'
              .format(figures), '', END]
    return '\n'.join(lines)


def main(argv=None):
    """Runs the benchmark as the flags say."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--epochs', type=positive_int, default=50)
    parser.add_argument('--limit', type=positive_int, metavar='N',
                        help='first N training and test images only')
    parser.add_argument('--json', required=True,
                        help='where to write the results')
    parser.add_argument('--figures', metavar='DIR',
                        help='where to write the figures (default: the '
                             'JSON file\'s folder, or its keras3/ subfolder '
                             'on Keras 3)')
    parser.add_argument('--readme', metavar='FILE',
                        help='rewrite this README\'s Results section')
    parser.add_argument('--tasks', type=int, nargs='+', default=[0, 1, 2, 3],
                        choices=range(4), metavar='N')
    parser.add_argument('--render', action='store_true',
                        help='train nothing: only rewrite the README from '
                             'the JSON files already written')
    parser.add_argument('--fresh', action='store_true',
                        help='discard the progress an interrupted run of the '
                             'same command kept, and start afresh')
    args = parser.parse_args(argv)
    if args.render:
        if not args.readme:
            parser.error('--render needs --readme')
        render(args.json, args.readme)
        return
    progress = report.open_progress(args, 'bench')

    results = report.environment()
    keras_version = results['keras']
    folder = os.path.dirname(os.path.abspath(args.json))
    figures = args.figures or (os.path.join(folder, 'keras3')
                               if keras_version.startswith('3') else folder)
    os.makedirs(figures, exist_ok=True)
    results.update({
        'matmul_gflops': results['host']['matmul_gflops'],
        'epochs': args.epochs, 'limit': args.limit, 'batch_size': 256,
        'figures': os.path.relpath(figures, folder),
        'tasks': {},
    })
    n_train, n_test = args.limit or 60000, args.limit or 10000
    for number in args.tasks:
        record = run_task(number, args, figures)
        record['gflops'] = speed(record, n_train, n_test)
        results['tasks'][TASKS[number]] = record
    with progress.critical():
        plot_losses(results, os.path.join(figures, 'loss-curves.png'))
        report.write_json(args.json, results)
    progress.finish()
    if args.readme:
        render(args.json, args.readme)


def section(path, readme):
    """Returns the "results" section of the page readme drawn from the
    results at path and, beside them, results.json (Keras 2),
    results-keras3.json and vae-kl-ablation.json (figures linked from the
    page's folder)."""
    folder = os.path.dirname(os.path.abspath(path))
    main_json = os.path.join(folder, 'results.json')
    keras3_json = os.path.join(folder, 'results-keras3.json')
    with open(main_json if os.path.exists(main_json) else path) as f:
        primary = json.load(f)
    other = ablation = None
    if os.path.exists(main_json) and os.path.exists(keras3_json):
        with open(keras3_json) as f:
            other = json.load(f)
    ablation_json = os.path.join(folder, 'vae-kl-ablation.json')
    if os.path.exists(ablation_json):
        with open(ablation_json) as f:
            ablation = json.load(f)
    figures = os.path.relpath(
        os.path.join(os.path.dirname(os.path.abspath(main_json)),
                     primary['figures']),
        os.path.dirname(os.path.abspath(readme)))
    return markdown(primary, figures, other, ablation)


def render(path, readme):
    """Rewrites the page readme's "results" section (see section)."""
    report.update_readme(readme, BEGIN, END, section(path, readme))


if __name__ == '__main__':
    main()
