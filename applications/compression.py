#!/usr/bin/env python3
"""Compression of MNIST: the autoencoders against PCA, PNG and JPEG.

Rate-distortion on the MNIST test set, everything fitted on the training
set only. Distortion: the squared error summed over the 784 pixels (in
[0, 1]), averaged over the test images, as Hinton & Salakhutdinov (Science,
2006) report it. Codes: the vanilla factory (the mains' hidden layers) and
PCA at several code sizes, and the four task models at the mains'
arguments (H&S's deep 784-1000-500-250-30 autoencoder has an application of
its own, applications/dimensionality.py).
Rate: each code quantized to one byte per number (ranges from the training
codes), against PNG and JPEG files of the images; the decoder's weights are
not counted. Writes results/compression.json, the figures
results/compression-*.png and, with --readme, its page docs/compression.md.
"""
import sys
from functools import partial

import numpy as np
from sklearn.decomposition import PCA

from aelib import datasets, imaging, mains, plots, report

CODE_SIZES = (2, 4, 8, 16, 30, 64)
JPEG_QUALITIES = (1, 5, 10, 20, 30, 50, 75, 90)
# Hinton & Salakhutdinov 2006, Fig. 2B caption: 30-D codes, MNIST test set
PAPER = {'deep': 3.00, 'logistic PCA': 8.01, 'pca': 13.87}
README_BEGIN, README_END = report.markers(
    'compression', '`make applications` (applications/compression.py)')
FIGURES = ('compression-rate-distortion', 'compression-strip')
STRIP = 10


def parse_args(argv=None):
    """Returns the command line's flags; -h explains them."""
    parser = report.parser(__doc__, 'compression', 20, 'docs/compression.md')
    return parser.parse_args(argv)


def row(method, code_size, quantized, nbytes, errors, epochs, **extra):
    """Returns one flat record of the rows."""
    record = {'method': method, 'code_size': code_size,
              'quantized': quantized,
              'bytes_per_image': None if nbytes is None else round(
                  float(np.mean(nbytes)), 2),
              'sse_per_image': round(float(np.mean(errors)), 4),
              'epochs': epochs}
    record.update(extra)
    return record


def pca_coder(pca, k):
    """Returns (encode, decode) of PCA with the first k components of the
    fitted sklearn PCA pca: the coefficients of the centred images on the
    components, and back. Full SVD nests: they are PCA(k)'s."""
    if not 1 <= k <= pca.n_components_:
        raise ValueError('k must be between 1 and {}, got {!r}'.format(
            pca.n_components_, k))
    components = pca.components_[:k]

    def encode(x):
        """Returns the k coefficients of each image."""
        return (np.reshape(x, (len(x), -1)) - pca.mean_) @ components.T

    def decode(codes):
        """Returns the images the coefficients stand for."""
        return codes @ components + pca.mean_
    return encode, decode


def code_rows(method, encode, decode, train, test, epochs, size):
    """Returns the rows of one coder, unquantized and at 8 bits per number,
    and the decoded quantized test images. encode maps images to codes,
    decode codes to images; the quantizer's ranges come from train."""
    codes = encode(test)
    quantizer = imaging.Quantizer().fit(encode(train))
    rebuilt = decode(quantizer.decode(quantizer.encode(codes)))
    return [row(method, size, False, None, imaging.sse(test, decode(codes)),
                epochs),
            row(method, size, True, np.full(len(test), size),
                imaging.sse(test, rebuilt), epochs)], rebuilt


def train_coder(args, method, name, arguments, size, epochs, train, test):
    """Trains the task model name (the factory's arguments, or the mains'
    if empty) on train, its progress kept every epoch; returns its seconds,
    rows and the first STRIP test images rebuilt from its codes."""
    print('== {} with {} numbers'.format(method, size), file=sys.stderr)
    encoder, decoder, auto = mains.build(name, *arguments)
    shape = mains.TASK_MODELS[name][2]
    history = args.progress.fit(
        '{}-{}'.format(method, size), auto, train.reshape((-1,) + shape),
        train.reshape((-1,) + shape), epochs=epochs, batch_size=256,
        shuffle=True, verbose=2)

    def encode(x):
        """Returns the codes of the images x (the VAE's means)."""
        out = encoder.predict(x.reshape((-1,) + shape), batch_size=1000,
                              verbose=0)
        return (out[1] if name == 'variational' else out).reshape(
            len(x), -1)

    def decode(codes):
        """Returns the images decoded from flat codes."""
        codes = codes.reshape((-1,) + tuple(decoder.inputs[0].shape[1:]))
        return decoder.predict(codes, batch_size=1000, verbose=0)
    rows, rebuilt = code_rows(method, encode, decode, train, test, epochs,
                              size)
    return {'seconds': round(sum(history.seconds), 1), 'rows': rows,
            'rebuilt': rebuilt[:STRIP]}


def run(args):
    """Fits every coder, measures it and returns the record written to
    --json; draws the figures on the way."""
    (x_train, _), (x_test, _) = datasets.load('mnist')
    x_train, x_test = x_train[:args.limit], x_test[:args.limit]
    train, test = datasets.images(x_train), datasets.images(x_test)
    rows, strip = [], {'original': (test[:STRIP], None)}
    train_seconds = {}

    def keep(method, size, quantized_rows, rebuilt):
        """Adds rows and keeps the strip's images of the 30-number codes."""
        rows.extend(quantized_rows)
        if size == 30:
            strip[method] = (rebuilt[:STRIP], size)

    pca = PCA(128, svd_solver='full').fit(train)
    for size in CODE_SIZES + (32, 128):
        keep('pca', size, *code_rows('pca', *pca_coder(pca, size), train,
                                     test, None, size))
    coders = [('vanilla', 'vanilla', (784, [128, 64], size), size,
               args.epochs) for size in CODE_SIZES]
    coders += [(name, name, (), size, args.epochs) for name, size in
               (('vanilla', 32), ('sparse', 32), ('convolutional', 128),
                ('variational', 2))]
    for method, name, arguments, size, epochs in coders:
        result = args.progress.step('{}-{}'.format(method, size), partial(
            train_coder, args, method, name, arguments, size, epochs, train,
            test))
        train_seconds['{}-{}'.format(method, size)] = result['seconds']
        keep(method, size, result['rows'], result['rebuilt'])
    rows.append(row('png', None, True, imaging.png_bytes(x_test),
                    np.zeros(len(x_test)), None))
    for quality in JPEG_QUALITIES:
        decoded, sizes = imaging.jpeg(x_test, quality)
        rows.append(row('jpeg', None, True, sizes,
                        imaging.sse(test, decoded), None, quality=quality))
        if quality == JPEG_QUALITIES[0]:
            strip['jpeg'] = (decoded[:STRIP], int(np.mean(sizes)))
    record = {
        'command': ' '.join(['applications/compression.py'] + sys.argv[1:]),
        'rows': rows, 'epochs': args.epochs,
        'limit': args.limit, 'batch_size': 256,
        'train_seconds': train_seconds,
        'environment': report.environment(),
    }
    plot_rate_distortion(args, rows)
    plot_strip(args, strip, rows)
    return record


def series(rows, method, quantized):
    """Returns the rows of one method, quantized or not, by code size."""
    chosen = [r for r in rows if r['method'] == method
              and r['quantized'] == quantized]
    return sorted(chosen, key=lambda r: (r['code_size'] or 0,
                                         r['bytes_per_image']))


def plot_rate_distortion(args, rows):
    """Saves distortion against code size (left) and against bytes per
    image (right), with the paper's points."""
    import matplotlib.pyplot as plt
    figure, (left, right) = plt.subplots(1, 2, figsize=(12, 5))
    for method, style in (('pca', 'o-'), ('vanilla', 's-'), ('sparse', 'v'),
                          ('convolutional', 'D'), ('variational', '^')):
        for axis, quantized, x_key in ((left, False, 'code_size'),
                                       (right, True, 'bytes_per_image')):
            points = series(rows, method, quantized)
            axis.plot([r[x_key] for r in points],
                      [r['sse_per_image'] for r in points], style,
                      label=method, markersize=5)
    left.plot([30, 30], [PAPER['pca'], PAPER['deep']], 'kx', markersize=9,
              label='H&S 2006 (PCA; deep: see dimensionality)')
    codecs = series(rows, 'jpeg', True)
    right.plot([r['bytes_per_image'] for r in codecs],
               [r['sse_per_image'] for r in codecs], 'o--', label='JPEG')
    png = series(rows, 'png', True)[0]
    right.plot([png['bytes_per_image']], [0], 'P', markersize=9,
               label='PNG (lossless)')
    left.set_xlabel('numbers in the code (unquantized)')
    right.set_xlabel('bytes per image (codes: 1 byte per number; decoder '
                     'weights not counted)')
    for axis in (left, right):
        axis.set_xscale('log')
        axis.set_ylabel('squared error per test image (sum over 784 pixels)')
        axis.legend(fontsize=8)
        axis.grid(alpha=0.3)
    left.set_title('MNIST test set: distortion against code size')
    right.set_title('distortion against bytes per image')
    figure.tight_layout()
    return plots.save(args, figure, 'compression-rate-distortion')


def plot_strip(args, strip, rows):
    """Saves the same test digits as original and as decoded by each
    coder, quantized to bytes."""
    import matplotlib.pyplot as plt
    figure, axes = plt.subplots(len(strip), STRIP,
                                figsize=(STRIP, 1.1 * len(strip)))
    for line, (method, (images, nbytes)) in zip(axes, strip.items()):
        for axis, image in zip(line, images):
            axis.imshow(np.reshape(image, (28, 28)), cmap='gray', vmin=0,
                        vmax=1)
            axis.set_xticks([])
            axis.set_yticks([])
        label = method if nbytes is None else '{}\n{} B'.format(method,
                                                                nbytes)
        line[0].set_ylabel(label, fontsize=8)
    figure.suptitle('MNIST test digits and their decoded codes (bytes per '
                    'image)')
    return plots.save(args, figure, 'compression-strip')


def match(rows, get):
    """Returns a sentence on how many bytes JPEG needs to match the error
    of the 30-byte vanilla code."""
    code = get.get(('vanilla', 30, True))
    if code is None:
        return ''
    jpegs = sorted((r for r in rows if r['method'] == 'jpeg'),
                   key=lambda r: r['bytes_per_image'])
    enough = [r for r in jpegs if r['sse_per_image'] <= code['sse_per_image']]
    if not enough:
        return ('No JPEG quality tried matches the error of the 30-byte '
                'vanilla code ({:.2f}).'.format(code['sse_per_image']))
    return ('To match the error of the 30-byte vanilla code ({:.2f}), JPEG '
            'needs quality {} and {:.0f} bytes per image, {:.1f} times as '
            'many.'.format(code['sse_per_image'], enough[0]['quality'],
                           enough[0]['bytes_per_image'],
                           enough[0]['bytes_per_image'] / 30))


def fmt(value, digits=2):
    """Returns a number for the tables, or a dash for None."""
    return '–' if value is None else '{:.{}f}'.format(value, digits)


def render(record):
    """Returns the README section drawn from record, markers included."""
    rows = record['rows']
    get = {(r['method'], r['code_size'], r['quantized']): r for r in rows}
    sizes = sorted({r['code_size'] for r in rows
                    if r['method'] == 'vanilla'})
    header = ['code size'] + ['PCA', 'vanilla', 'PCA 8-bit', 'vanilla 8-bit']
    lines = [[size] + [fmt(get[m, size, q]['sse_per_image'])
                       if (m, size, q) in get else '–'
                       for q in (False, True) for m in ('pca', 'vanilla')]
             for size in sizes]
    models = [[m, size, fmt(get[m, size, False]['sse_per_image']),
               fmt(get['pca', size, False]['sse_per_image']),
               fmt(get[m, size, True]['sse_per_image']),
               get[m, size, True]['bytes_per_image']]
              for m, size in (('sparse', 32), ('convolutional', 128),
                              ('variational', 2))
              if (m, size, False) in get]
    beaten = [size for size in sizes
              if get['vanilla', size, False]['sse_per_image']
              < get['pca', size, False]['sse_per_image']]
    codecs = [['PNG (lossless)', fmt(r['bytes_per_image'], 1),
               fmt(r['sse_per_image'])]
              for r in rows if r['method'] == 'png']
    codecs += [['JPEG quality {}'.format(r['quality']),
                fmt(r['bytes_per_image'], 1), fmt(r['sse_per_image'])]
               for r in rows if r['method'] == 'jpeg']
    pca30 = get.get(('pca', 30, False))
    text = [
        README_BEGIN,
        'Squared error per MNIST test image (summed over the 784 pixels in '
        '[0, 1], averaged over the test images) after coding and decoding; '
        'everything fitted on the 60,000 training images. {} epochs, batch '
        '256. Run: `{}` — {:.0f} s wall time on {}.'
        .format(record['epochs'], record['command'],
                record['wall_seconds'],
                report.environment_text(record['environment'])),
        '',
    ] + report.table(header, lines) + [
        '',
        'The vanilla factory (hidden layers 128, 64) beats PCA {}. Past '
        '30 numbers its curve flattens: the 64-unit layer before the code, '
        'not the code, becomes the bottleneck, and PCA closes in. '
        'Quantizing each number to one byte costs almost nothing (last two '
        'columns). {}'.format(
            'at every code size' if beaten == sizes else 'at code sizes {} '
            'of {}'.format(', '.join(map(str, beaten)) or 'none',
                           ', '.join(map(str, sizes))), match(rows, get)),
        '',
        'Against Hinton & Salakhutdinov, "Reducing the Dimensionality of '
        'Data with Neural Networks", Science 313 (2006), Fig. 2B, 30-D '
        'codes on the MNIST test set:',
        '',
        '| method | H&S 2006 | here |',
        '|---|---|---|',
        '| PCA, 30 components | 13.87 | {} |'.format(
            fmt(pca30 and pca30['sse_per_image'])),
        '',
        'Logistic PCA and the deep 784-1000-500-250-30 autoencoder, trained '
        'three ways, are measured against the paper in '
        '[the reproduction of H&S 2006](dimensionality.md).',
        '',
        'The task models at the mains\' arguments beside PCA of the same '
        'size:',
        '',
    ] + report.table(['model', 'numbers in code', 'SSE', 'PCA SSE',
                      'SSE 8-bit', 'bytes'], models) + [
        '',
        'The convolutional model\'s error stays above PCA\'s with 128 '
        'components: its small layers (16, 8 and 8 filters) limit it more '
        'than its 128-number code does. The VAE\'s two means beat PCA\'s '
        'two components.',
        '',
        'Image codecs on the same test images (a raw image is 784 bytes):',
        '',
    ] + report.table(['codec', 'bytes per image', 'SSE'], codecs) + [
        '',
        'A code of 30 bytes needs the decoder at the other end; its weights '
        '(hundreds of kilobytes of float32) are not counted here, while '
        'JPEG and PNG carry everything in the file, headers included — '
        'which is why even JPEG\'s lowest quality costs about 200 bytes '
        'for a 28×28 image.',
        '',
    ]
    text += report.figure_links(FIGURES, '../results') + [README_END]
    return '\n'.join(text)


def main(argv=None):
    """Runs the experiment (or, with --render, only the README section)."""
    report.run_application(parse_args(argv), run, render, README_BEGIN,
                           README_END)


if __name__ == '__main__':
    main()
