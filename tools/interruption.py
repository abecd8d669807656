#!/usr/bin/env python3
"""What an interruption costs: a main trained whole, then the same main
interrupted in the middle of an epoch and run again to the end.

Measures the wall time of the uninterrupted run and of the two runs the
interrupted one took, their difference (the time the interruption cost:
the unfinished epoch's work plus one more start-up), and whether the
resumed run's losses and printed values equal the uninterrupted run's.
Writes results/interruption.json and, with --readme, its section of
docs/resuming.md.

    tools/interruption.py --epochs 10 --at 5 --readme

Both runs keep their progress in a temporary folder, never the user's.
"""
import os
import signal
import subprocess
import sys
import tempfile
import time

import numpy as np

from aelib import ROOT, report

BEGIN, END = report.markers('interruption', '`make interruption` '
                            '(tools/interruption.py)')
SIGNALS = {'INT': signal.SIGINT, 'TERM': signal.SIGTERM,
           'KILL': signal.SIGKILL}


def parse_args(argv=None):
    """Returns the command line's flags; -h explains them."""
    parser = report.parser(__doc__, 'interruption', 10, 'docs/resuming.md')
    parser.add_argument('--main', type=int, choices=range(4), default=2,
                        help='the main to run (default: 2, the '
                        'convolutional one, the slowest)')
    parser.add_argument('--at', type=report.positive_int, default=5,
                        metavar='K', help='interrupt in the middle of epoch '
                        'K (default: 5)')
    parser.add_argument('--signal', choices=list(SIGNALS), default='INT',
                        help='the signal sent (default: INT, as Ctrl-C)')
    args = parser.parse_args(argv)
    if args.at > args.epochs:
        parser.error('--at {} is beyond --epochs {}'.format(args.at,
                                                            args.epochs))
    return args


def command(args, metrics, out):
    """Returns the main's command line."""
    flags = [sys.executable, os.path.join(ROOT, 'test_files',
                                          '{}-main.py'.format(args.main)),
             '--epochs', str(args.epochs), '--no-show', '--out', out,
             '--metrics', metrics]
    return flags + (['--limit', str(args.limit)] if args.limit else [])


def timed(line, root, stop=None):
    """Runs line with its progress under root; with stop (epoch kept,
    seconds to wait after it, signal), interrupts it then. Returns the
    wall seconds, the exit status and the seconds between the last kept
    epoch and the signal (the work lost; None without stop)."""
    import json
    env = dict(os.environ, AUTOENCODERS_PROGRESS=root)
    began = time.perf_counter()
    print('== ' + ' '.join(line[1:]), file=sys.stderr, flush=True)
    child = subprocess.Popen(line, cwd=ROOT, env=env,
                             stdout=subprocess.DEVNULL)
    lost = None
    if stop is not None:
        kept, delay, signum = stop
        while child.poll() is None:
            found = [os.path.join(root, d, 'manifest.json')
                     for d in os.listdir(root)] if os.path.isdir(root) else []
            epochs = []
            for path in found:
                try:
                    with open(path) as f:
                        epochs += [fit['epoch'] for fit in
                                   json.load(f)['fits'].values()]
                except (OSError, ValueError):
                    pass
            if epochs and max(epochs) >= kept:
                seen = time.perf_counter()
                time.sleep(delay)
                child.send_signal(signum)
                lost = time.perf_counter() - seen
                break
            time.sleep(0.02)
    status = child.wait()
    return time.perf_counter() - began, status, lost


def measure(args):
    """Runs the main whole, then interrupted and resumed; returns the
    row."""
    with tempfile.TemporaryDirectory() as folder:
        whole = os.path.join(folder, 'whole.json')
        resumed = os.path.join(folder, 'resumed.json')
        first, status, _ = timed(command(args, whole, folder),
                                 os.path.join(folder, 'a'))
        if status:
            sys.exit('error: the uninterrupted run failed ({})'.format(
                status))
        reference = report.read_json(whole)
        epoch = float(np.median(reference['epoch_seconds']))
        signum = SIGNALS[args.signal]
        stopped, status, lost = timed(command(args, resumed, folder),
                                      os.path.join(folder, 'b'),
                                      (args.at - 1, epoch / 2, signum))
        expected = {signal.SIGINT: 130, signal.SIGTERM: 143,
                    signal.SIGKILL: -signal.SIGKILL}[signum]
        if status != expected:
            sys.exit('error: the interrupted run ended with status {}, not '
                     '{}'.format(status, expected))
        second, status, _ = timed(command(args, resumed, folder),
                                  os.path.join(folder, 'b'))
        if status:
            sys.exit('error: the resumed run failed ({})'.format(status))
        record = report.read_json(resumed)
    return {'main': '{}-main.py'.format(args.main),
            'task': reference['task'], 'epochs': args.epochs,
            'limit': args.limit, 'signal': 'SIG' + args.signal,
            'interrupted_in_epoch': args.at,
            'epoch_seconds': round(epoch, 2),
            'uninterrupted_seconds': round(first, 1),
            'interrupted_seconds': round(stopped, 1),
            'resumed_seconds': round(second, 1),
            'extra_seconds': round(stopped + second - first, 1),
            'extra_epochs': round((stopped + second - first) / epoch, 2),
            'lost_work_seconds': round(lost, 1),
            'lost_work_epochs': round(lost / epoch, 2),
            'restart_seconds': round(stopped + second - first - lost, 1),
            'same_loss': record['loss'] == reference['loss'],
            'same_val_loss': record['val_loss'] == reference['val_loss'],
            'same_printed': record['printed'] == reference['printed'],
            'final_val_loss': reference['val_loss'][-1],
            'keras': reference['keras'], 'backend': reference['backend']}


def run(args):
    """Returns the record written to --json."""
    return {'command': ' '.join(['tools/interruption.py'] + sys.argv[1:]),
            'rows': [args.progress.step('measured',
                                        lambda: measure(args))],
            'environment': report.environment()}


def render(record):
    """Returns the README section drawn from the record."""
    r = record['rows'][0]
    same = r['same_loss'] and r['same_val_loss'] and r['same_printed']
    return '\n'.join([
        BEGIN,
        '`{}` trained {} epochs of `test_files/{}` ({}) uninterrupted in '
        '{} s; the same command, stopped by {} halfway through epoch {} '
        '(each epoch about {} s), took {} s, and run again took {} s to '
        'the end. **The interruption cost {} s, {} epochs\' worth**: '
        '{} s of work lost ({} of an epoch: the epoch in progress, from its '
        'start to the signal) and {} s to start again (TensorFlow\'s '
        'import, the data, the model built and its kept epoch restored, the '
        'training function traced anew). The '
        'resumed run\'s losses, validation losses and printed values are '
        '{} the uninterrupted run\'s (final val_loss {:.4f}). {}; Keras {} '
        '/ {}. Run: `{}`.'.format(
            'make interruption', r['epochs'], r['main'], r['task'],
            r['uninterrupted_seconds'], r['signal'],
            r['interrupted_in_epoch'], r['epoch_seconds'],
            r['interrupted_seconds'], r['resumed_seconds'],
            r['extra_seconds'], r['extra_epochs'], r['lost_work_seconds'],
            r['lost_work_epochs'], r['restart_seconds'],
            'identical to' if same else 'not identical to',
            r['final_val_loss'],
            report.environment_text(record['environment']), r['keras'],
            r['backend'], record['command']),
        END])


def main(argv=None):
    """Measures, writes the record and, with --readme, the section."""
    report.run_application(parse_args(argv), run, render, BEGIN, END)


if __name__ == '__main__':
    main()
