#!/usr/bin/env python3
"""Results at a glance: one row per area, drawn from the committed records
(results/*.json), each beside its reference and linked to its page.

    tools/glance.py --readme README.md

Every command that writes one of these records is followed by this one in
the Makefile, so the front page's table never holds a number typed by
hand. A record that is missing leaves its row out.
"""
import argparse
import json
import os

from aelib import ROOT, report
from tools.bench import REFERENCE

BEGIN, END = report.markers('glance', 'tools/glance.py')
HOSTS_BEGIN, HOSTS_END = report.markers('hosts', 'tools/glance.py')


def load(name, folder):
    """Returns the record results/NAME.json, or None if there is none."""
    path = os.path.join(folder, name + '.json')
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def reproduction(record):
    """The four mains against the specification's numbers."""
    tasks = record['tasks']

    def fmt(value):
        """Returns a loss with 4 significant digits at least."""
        return '{:.4f}'.format(value) if value < 1 else '{:.2f}'.format(value)
    ours = ' / '.join(fmt(tasks[t]['val_loss'][-1])
                      for t in REFERENCE if t in tasks)
    spec = ' / '.join(fmt(REFERENCE[t]['last'][1])
                      for t in REFERENCE if t in tasks)
    return ('The four mains, {} epochs (`make bench`)'.format(
        record['epochs']),
        'val_loss {} (vanilla / sparse / convolutional / VAE)'.format(ours),
        'the specification\'s {}'.format(spec), 'results.md')


def engines(record):
    """The four mains on their fastest engines against the floor."""
    fastest = record.get('fastest')
    if not fastest:
        return None
    text = 'the four mains in {:.0f} s, {:.2f}× the host\'s floor'.format(
        fastest['total_seconds'], fastest['x_floor'])
    if record.get('demo'):
        text += ' (`make demo`: {:.0f} s, {:.2f}×)'.format(
            record['demo']['total_seconds'], record['demo']['x_floor'])
    return ('Engines chosen on the host (`make demo-fast`)', text,
            'goal: 2× the floor (3.5× for `make demo`)', 'engines.md')


def anomaly(record):
    """The best model and score, in its worse direction."""
    found = {}
    for row in record['rows']:
        key = row['model'], row['score']
        found.setdefault(key, []).append(row['auroc'])
    (model, score), values = max(
        ((k, v) for k, v in found.items() if len(v) == 2),
        key=lambda item: min(item[1]))
    return ('Anomaly detection, MNIST ↔ Fashion-MNIST',
            'AUROC {:.4f} / {:.4f} ({} `{}`)'.format(
                values[0], values[1], model, score),
            'DoSE 1.00 / 1.00, a convolutional VAE\'s ELBO 1.00 / 0.87 '
            '(second-hand, "Inference, Fast and Slow")', 'anomaly.md')


def compression(record):
    """30 bytes per digit: the vanilla code against PCA's."""
    def sse(method, size):
        """Returns the quantized row's squared error."""
        for row in record['rows']:
            if (row['method'], row['code_size'], row['quantized']) == \
                    (method, size, True):
                return row['sse_per_image']
    return ('Compression, 30 bytes per digit',
            'squared error {:.2f} per image (vanilla code, 8 bits a number)'
            .format(sse('vanilla', 30)),
            'PCA\'s 30 numbers: {:.2f} (H&S 2006: 13.87)'.format(
                sse('pca', 30)), 'compression.md')


def denoising(record):
    """Gaussian noise: the mains' convolutional model and the best factory
    against the best classical filter."""
    rows = [r for r in record['rows'] if r['noise'] == 'gaussian']
    psnr = {r['method']: r['psnr_db'] for r in rows}
    best = max((r for r in rows if r['epochs']), key=lambda r: r['psnr_db'])
    filtered = max((r for r in rows if not r['epochs']
                    and r['method'] != 'noisy'), key=lambda r: r['psnr_db'])
    return ('Denoising, Gaussian noise σ = {}'.format(rows[0]['noise_level']),
            'PSNR {:+.2f} dB over the best filter (the mains\' convolutional '
            'model); {:.2f} dB at best ({})'.format(
                psnr['convolutional'] - filtered['psnr_db'],
                best['psnr_db'], best['method']),
            'the best classical filter: {} {:.2f} dB (goals: +2 dB, 20 dB)'
            .format(filtered['method'], filtered['psnr_db']),
            'denoising.md')


def dimensionality(record):
    """The best deep 30-D code against the paper's."""
    best = min((r for r in record['rows'] if r['method'] == 'deep'
                and r['code_size'] == 30), key=lambda r: r['sse_test'])
    return ('Hinton & Salakhutdinov 2006, 30-D codes',
            'squared error {:.2f} per test image ({})'.format(
                best['sse_test'], best['recipe']),
            'the paper\'s 3.00 (Fig. 2B)', 'dimensionality.md')


def theory(record):
    """Pretraining with 100 labels: fine-tuned against scratch."""
    values = {r['variant']: r['value'] for r in record['rows']
              if r['experiment'] == 'pretraining' and r['n_labels'] == 100}
    return ('Theory notes: pretraining, 100 labels',
            'test accuracy {:.4f} fine-tuned, {:.4f} from scratch'.format(
                values['fine_tuned'], values['scratch']),
            'H&S 2006 (sigmoid nets): pretrained 1.2% error, random 1.6%',
            'theory.md')


def explorer(record):
    """The slowest endpoint's median answer."""
    slowest = max(record['rows'], key=lambda r: r['median_ms'])
    return ('Explorer (`make explore`)',
            'slowest endpoint ({}) answers in {:.0f} ms (median)'.format(
                slowest['endpoint'], slowest['median_ms']),
            'goal: under 300 ms', 'explorer.md')


def interruption(record):
    """What an interruption costs."""
    row = record['rows'][0]
    return ('Resuming after an interruption (`make interruption`)',
            '{:.2f} epoch of work lost ({:.1f} s), {:.1f} s to start again;'
            ' the same losses: {}'.format(
                row['lost_work_epochs'], row['lost_work_seconds'],
                row['restart_seconds'],
                'yes' if row['same_loss'] and row['same_val_loss']
                else 'no'),
            'goal: at most one epoch lost, the same numbers', 'resuming.md')


def self_check(record):
    """How long the self-check takes, beside the earlier commit measured
    in turn with it."""
    runs, before = record['runs'], record.get('baseline')
    return ('The self-check\'s speed (`make check-profile`)',
            'a folder on both engines in {:.1f} s, one task in {:.1f} s, '
            'the file checks in {:.1f} s{}'.format(
                runs['folder'], runs['one_task'], runs['files'],
                ' (`{}` beside it: {:.1f} s, {:.1f} s, {:.1f} s)'.format(
                    before['commit'], before['runs']['folder'],
                    before['runs']['one_task'], before['runs']['files'])
                if before else ''),
            'goal: under 20 s, 5 s and 1 s', 'self-check.md#speed')


AREAS = (('results', reproduction), ('anomaly', anomaly),
         ('compression', compression), ('denoising', denoising),
         ('dimensionality', dimensionality), ('theory', theory),
         ('backends', engines), ('explorer', explorer),
         ('interruption', interruption), ('check_profile', self_check))


def render(folder=os.path.join(ROOT, 'results'), docs='docs'):
    """Returns the README section: the table of every area with a record
    in folder, linked to its page in docs, with the host of its run."""
    rows = []
    for name, headline in AREAS:
        record = load(name, folder)
        found = headline(record) if record else None
        if found:
            area, ours, reference, page = found
            rows.append(['[{}]({}/{})'.format(area, docs, page), ours,
                         reference,
                         '`{}`'.format(report.record_host_name(record))])
    return '\n'.join([BEGIN] + report.table(['area', 'this project',
                                             'reference', 'host'], rows)
                     + [END])


def render_hosts(folder=os.path.join(ROOT, 'results')):
    """Returns docs/engines.md's section: every host a committed record
    was measured on, side by side, with the records measured there."""
    found = {}
    for path in sorted(os.listdir(folder)):
        if path.endswith('.json'):
            record = load(path[:-len('.json')], folder)
            host = report.record_host(record)
            found.setdefault(host['name'], []).append((host, path))
    rows = []
    for name, measured in sorted(found.items()):
        host, paths = measured[0][0], [path for _, path in measured]
        rates = sorted(h['matmul_gflops'] for h, _ in measured
                       if h.get('matmul_gflops'))
        flags = host.get('cpu_flags')
        rows.append(['`{}`'.format(name), host['cpu'],
                     'not recorded' if flags is None else ', '.join(
                         f for f in flags if f in (
                             'avx2', 'avx512f', 'avx512_vnni', 'avx_vnni',
                             'amx_tile')) or 'none',
                     '{:.0f} to {:.0f} GFLOP/s'.format(rates[0], rates[-1])
                     if len(rates) > 1 else '{:.0f} GFLOP/s'.format(rates[0])
                     if rates else 'not recorded',
                     ', '.join(paths)])
    return '\n'.join([HOSTS_BEGIN, ''] + report.table(
        ['host', 'CPU', 'instructions', 'float32 matmul', 'records'], rows)
        + ['', 'A host\'s name is its CPU family, its widest vector '
           'instructions and its float32 matmul rate (2048×2048, '
           'TensorFlow) rounded down to a power of two; a record made before '
           'hosts were measured keeps only the CPU\'s name, and the parts '
           'it did not keep are left out of the name.', '', HOSTS_END])


def main(argv=None):
    """Rewrites the README section."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--readme', default='README.md', metavar='FILE',
                        help='the page to rewrite (default: README.md)')
    parser.add_argument('--results', default=os.path.join(ROOT, 'results'),
                        metavar='DIR', help='the records (default: results)')
    parser.add_argument('--hosts', default=os.path.join('docs', 'engines.md'),
                        metavar='FILE', help='the page listing the hosts '
                        '(default: docs/engines.md)')
    args = parser.parse_args(argv)
    report.update_readme(args.readme, BEGIN, END, render(args.results))
    report.update_readme(args.hosts, HOSTS_BEGIN, HOSTS_END,
                         render_hosts(args.results))


if __name__ == '__main__':
    main()
