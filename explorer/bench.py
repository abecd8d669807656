"""How fast the explorer answers: each endpoint called 20 times through
gradio_client against the page served on 127.0.0.1, once the models are
loaded; the medians go to results/explorer.json and the README's section,
and headless Chromium takes the screenshots the README shows.

An endpoint's answer is its JSON with each image as a URL (what the page
receives before the browser fetches the images side by side); the second
measure adds gradio_client downloading every image, one after the other.

    python -m explorer.bench [--calls 20] [--readme docs/explorer.md]
"""
import argparse
import os
import socket
import sys
import tempfile
import time

import numpy as np

from aelib import datasets, report
from aelib.report import positive_int
from explorer import app, browser, core, models

BEGIN, END = report.markers('explorer', '`make explore-bench` '
                            '(explorer/bench.py)')
GOAL_MS = 300


def parse_args(argv=None):
    """Returns the command line's flags; -h explains them."""
    parser = argparse.ArgumentParser(prog='python -m explorer.bench',
                                     description=__doc__.split('\n\n')[0])
    parser.add_argument('--calls', type=positive_int, default=20,
                        metavar='N', help='calls of each endpoint '
                        '(default: 20)')
    parser.add_argument('--cache', default=app.CACHE, metavar='DIR',
                        help='the trained models (default: .cache/explorer)')
    parser.add_argument('--json', default='results/explorer.json',
                        metavar='FILE', help='the record (default: '
                        'results/explorer.json)')
    parser.add_argument('--screenshots', default='results/explorer',
                        metavar='STEM', help='where the screenshots go: '
                        'STEM-reconstruct.png, STEM-latent.png (default: '
                        'results/explorer)')
    parser.add_argument('--readme', metavar='FILE',
                        help='also rewrite the explorer section of FILE')
    parser.add_argument('--render', action='store_true',
                        help='only rewrite the README section from --json')
    parser.add_argument('--fresh', action='store_true',
                        help='discard the progress an interrupted run kept')
    parser.set_defaults(command='explorer-bench')
    return parser.parse_args(argv)


def timed(call, calls):
    """Returns the milliseconds of each of calls calls of call()."""
    times = []
    for _ in range(calls):
        began = time.perf_counter()
        call()
        times.append(1000 * (time.perf_counter() - began))
    return times


def measure(args):
    """Serves the page, times the endpoints, takes the screenshots;
    returns the record."""
    from gradio_client import Client, handle_file
    loaded, detector = models.prepare(args.cache)
    explorer = core.Explorer(loaded, detector)
    folder = tempfile.mkdtemp(prefix='explorer-bench-')
    page = app.build(explorer, folder)
    page.queue(default_concurrency_limit=1)
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    page.launch(server_name='127.0.0.1', server_port=port,
                prevent_thread_lock=True, quiet=True)
    url = 'http://127.0.0.1:{}/'.format(port)
    try:
        answers = Client(url, verbose=False, download_files=False)
        downloads = Client(url, verbose=False,
                           download_files=tempfile.mkdtemp(dir=folder))
        (_, _), (x_test, _) = datasets.load('mnist')
        digit = app.png_file(x_test[0] / 255., folder)
        calls = {
            'reconstruct': lambda c: c.predict(handle_file(digit),
                                               api_name='/reconstruct'),
            'decode': lambda c: c.predict(0.5, -1.0, api_name='/decode'),
            'denoise': lambda c: c.predict(3, 'gaussian', 0.5,
                                           api_name='/denoise'),
        }
        rows = []
        for name, call in calls.items():
            row = {'endpoint': name, 'calls': args.calls}
            for key, client in (('', answers), ('download_', downloads)):
                call(client)  # the first call builds what later calls reuse
                times = timed(lambda: call(client), args.calls)
                row[key + 'median_ms'] = round(float(np.median(times)), 1)
                row[key + 'max_ms'] = round(max(times), 1)
            rows.append(row)
            print('{}: median {:.0f} ms over {} calls, {:.0f} ms with the '
                  'images downloaded'.format(name, row['median_ms'],
                                             args.calls,
                                             row['download_median_ms']),
                  file=sys.stderr)
        direct = {'reconstruct': lambda: explorer.reconstruct(x_test[0]
                                                              / 255.),
                  'decode': lambda: explorer.decode(0.5, -1.0),
                  'denoise': lambda: explorer.denoise(3, 'gaussian', 0.5)}
        for row in rows:
            row['function_median_ms'] = round(float(np.median(timed(
                direct[row['endpoint']], args.calls))), 1)
        reason = browser.available()
        shots = None
        if reason is None:
            browser.tour(url, tempfile.mkdtemp(prefix='chromium-'),
                         screenshot=args.screenshots)
            shots = [args.screenshots + '-reconstruct.png',
                     args.screenshots + '-latent.png']
        else:
            print('no screenshots: ' + reason, file=sys.stderr)
    finally:
        page.close()
    return {'command': ' '.join(['python -m explorer.bench']
                                + sys.argv[1:]),
            'rows': rows, 'screenshots': shots,
            'environment': report.environment()}


def render(record):
    """Returns the README section drawn from record, markers included."""
    rows = report.table(
        ['endpoint', 'answer: median ms', 'slowest ms',
         'answer and images downloaded: median ms',
         'the function alone: median ms'],
        [[r['endpoint'], '{:.0f}'.format(r['median_ms']),
          '{:.0f}'.format(r['max_ms']),
          '{:.0f}'.format(r['download_median_ms']),
          '{:.0f}'.format(r['function_median_ms'])]
         for r in record['rows']])
    slow = [r['endpoint'] for r in record['rows']
            if r['median_ms'] >= GOAL_MS]
    text = [BEGIN,
            'Each endpoint called {} times through `gradio_client` against '
            'the page on 127.0.0.1, models loaded, on {}. Run: `{}`. The '
            'answer is the endpoint\'s JSON with each image as a URL, which '
            'is what the page receives before the browser fetches the images '
            'side by side; the next column adds `gradio_client` downloading '
            'every image, one after the other.'.format(
                record['rows'][0]['calls'],
                report.environment_text(record['environment']),
                record['command']),
            ''] + rows + [
        '',
        'Every endpoint answers in under {} ms (median).'.format(GOAL_MS)
        if not slow else 'Over {} ms (median): {}.'.format(
            GOAL_MS, ', '.join(slow)),
        '']
    for shot in record['screenshots'] or []:
        # the page lives in docs/, the screenshots' paths are the root's
        text.append('![{}](../{})'.format(os.path.basename(shot)[:-4],
                                          shot))
    text.append(END)
    return '\n'.join(text)


def main(argv=None):
    """Measures (or, with --render, only rewrites the README section)."""
    args = parse_args(argv)
    args.out = os.path.dirname(args.screenshots) or '.'
    report.run_application(args, measure, render, BEGIN, END)


if __name__ == '__main__':
    main()
