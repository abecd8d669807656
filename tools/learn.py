#!/usr/bin/env python3
"""The specification's learning objectives and quiz, answered with this
project's measurements: writes results/learn.json and the figure
results/learn-generative.png, and, with --readme, the answers in
docs/learn.md, drawn from that record and from the other committed records
(results.json, compression.json, dimensionality.json, theory.json,
vae-kl-ablation.json).

What it measures itself (the mains' models and arguments, --epochs each,
batch 256, the test set as validation data as the mains have it):
- generative: 100 images decoded from codes drawn at random, by the VAE
  from its prior N(0, I) and by the vanilla model from N(0, I) and from a
  Gaussian fitted to its own test codes; each image's squared distance to
  the nearest training digit and the confidence of a logistic regression
  trained on 10,000 training digits, against real test digits;
- the VAE's loss split into its two terms on the test set: the
  cross-entropy summed over the pixels and the KL divergence;
- the vanilla model trained with binary cross-entropy and with mean
  squared error, each measured both ways on the test set.

    tools/learn.py --readme          (make learn)
"""
import sys
from functools import partial

import numpy as np
from sklearn.linear_model import LogisticRegression

from aelib import datasets, mains, plots, report

README_BEGIN, README_END = BEGIN, END = report.markers(
    'learn', '`make learn` (tools/learn.py)')
FIGURES = ('learn-generative',)
SAMPLES = 100
CLASSIFIER_IMAGES = 10000


def parse_args(argv=None):
    """Returns the command line's flags; -h explains them."""
    return report.parser(__doc__, 'learn', 50, 'docs/learn.md').parse_args(
        argv)


def row(experiment, variant, metric, value):
    """Returns one flat row."""
    return {'experiment': experiment, 'variant': variant, 'metric': metric,
            'value': round(float(value), 5)}


def train(args, name, x_train, x_test, loss=None):
    """Returns encoder, decoder, auto of the task model name trained on
    x_train (its progress kept every epoch); loss: another loss than the
    factory's, compiled in its place."""
    encoder, decoder, auto = mains.build(name)
    if loss:
        auto.compile(optimizer='adam', loss=loss)
    args.progress.fit('{}-{}'.format(name, loss or 'factory'), auto,
                      x_train, x_train, epochs=args.epochs, batch_size=256,
                      shuffle=True, validation_data=(x_test, x_test),
                      verbose=2)
    return encoder, decoder, auto


def nearest_sse(images, train_images):
    """Returns each image's squared distance to its nearest training
    image."""
    squares = (train_images ** 2).sum(axis=1)
    best = np.full(len(images), np.inf)
    for start in range(0, len(train_images), 10000):
        block = train_images[start:start + 10000]
        distances = ((images ** 2).sum(axis=1)[:, None]
                     - 2 * images @ block.T + squares[None, start:start
                                                      + 10000])
        best = np.minimum(best, distances.min(axis=1))
    return np.maximum(best, 0)


def bce_sum(x, p):
    """Returns the cross-entropy of p against x, summed over pixels."""
    p = np.clip(p, 1e-7, 1 - 1e-7)
    return -(x * np.log(p) + (1 - x) * np.log(1 - p)).sum(axis=1)


def generative(args, x_train, y_train, x_test):
    """Trains the vanilla model and the VAE; returns the rows, the images
    for the figure and the VAE's loss terms."""
    rng = np.random.default_rng(0)
    _, vanilla_decoder, vanilla = train(args, 'vanilla', x_train, x_test)
    vanilla_encoder = vanilla.layers[1]
    vae_encoder, vae_decoder, _ = train(args, 'variational', x_train, x_test)
    codes = vanilla_encoder.predict(x_test, batch_size=1000, verbose=0)
    fitted = rng.multivariate_normal(codes.mean(axis=0), np.cov(codes.T),
                                     SAMPLES).astype('float32')
    images = {
        'test digits': x_test[:SAMPLES],
        'VAE, prior N(0, I)': vae_decoder.predict(
            rng.standard_normal((SAMPLES, 2)).astype('float32'),
            verbose=0),
        'vanilla, N(0, I)': vanilla_decoder.predict(
            rng.standard_normal((SAMPLES, codes.shape[1])).astype(
                'float32'), verbose=0),
        'vanilla, fitted Gaussian': vanilla_decoder.predict(fitted,
                                                            verbose=0),
    }
    classifier = LogisticRegression(max_iter=300).fit(
        x_train[:CLASSIFIER_IMAGES], y_train[:CLASSIFIER_IMAGES])
    rows = []
    for variant, drawn in images.items():
        rows.append(row('generative', variant, 'nearest_train_sse',
                        np.mean(nearest_sse(drawn, x_train))))
        rows.append(row('generative', variant, 'classifier_confidence',
                        np.mean(classifier.predict_proba(drawn).max(axis=1))))
    z, mean, log_var = vae_encoder.predict(x_test, batch_size=1000,
                                           verbose=0)
    rebuilt = vae_decoder.predict(z, batch_size=1000, verbose=0)
    kl = -0.5 * (1 + log_var - mean ** 2 - np.exp(log_var)).sum(axis=1)
    rows += [row('vae_loss', 'test', 'reconstruction_bce_sum',
                 np.mean(bce_sum(x_test, rebuilt))),
             row('vae_loss', 'test', 'kl', np.mean(kl))]
    for unit in range(2):
        rows.append(row('vae_loss', 'test', 'kl_dimension_{}'.format(unit),
                        np.mean(-0.5 * (1 + log_var[:, unit]
                                        - mean[:, unit] ** 2
                                        - np.exp(log_var[:, unit])))))
    return {'rows': rows, 'images': {k: v[:10] for k, v in images.items()}}


def losses(args, x_train, x_test):
    """Trains the vanilla model with cross-entropy and with squared error;
    returns the rows: each measured both ways on the test set."""
    rows = []
    for loss in ('binary_crossentropy', 'mse'):
        _, _, auto = train(args, 'vanilla', x_train, x_test,
                           None if loss == 'binary_crossentropy' else loss)
        rebuilt = auto.predict(x_test, batch_size=1000, verbose=0)
        rows += [row('vanilla_loss', loss, 'test_sse',
                     np.mean(((x_test - rebuilt) ** 2).sum(axis=1))),
                 row('vanilla_loss', loss, 'test_bce_mean',
                     np.mean(bce_sum(x_test, rebuilt)) / 784)]
    return rows


def run(args):
    """Measures, draws the figure and returns the record."""
    (x_train, y_train), (x_test, _) = mains.load_data(args)
    x_train, x_test = datasets.images(x_train), datasets.images(x_test)
    drawn = args.progress.step('generative', partial(
        generative, args, x_train, y_train, x_test))
    rows = drawn['rows'] + args.progress.step('losses', partial(
        losses, args, x_train, x_test))
    # the rows' labels, short enough for the figure's margin
    labels = {'test digits': 'test digits',
              'VAE, prior N(0, I)': 'VAE\nN(0, I)',
              'vanilla, N(0, I)': 'vanilla\nN(0, I)',
              'vanilla, fitted Gaussian': 'vanilla\nfitted'}
    plots.image_rows(args, 'learn-generative',
                     {labels[k]: v for k, v in drawn['images'].items()},
                     'Decoded from random codes: the VAE\'s prior against '
                     'the vanilla model\'s code space')
    return {'command': ' '.join(['tools/learn.py'] + sys.argv[1:]),
            'rows': rows, 'epochs': args.epochs, 'limit': args.limit,
            'samples': SAMPLES, 'batch_size': 256,
            'environment': report.environment()}


def value(record, experiment, variant, metric):
    """Returns the row's value."""
    for r in record['rows']:
        if (r.get('experiment'), r.get('variant'), r.get('metric')) == \
                (experiment, variant, metric):
            return r['value']
    raise KeyError((experiment, variant, metric))


def others(folder='results'):
    """Returns the other committed records the answers quote."""
    import os
    from aelib import ROOT
    found = {}
    for name in ('results', 'compression', 'dimensionality', 'theory',
                 'vae-kl-ablation'):
        path = os.path.join(ROOT, folder, name + '.json')
        found[name] = report.read_json(path) if os.path.exists(path) \
            else None
    return found


def render(record, records=None):
    """Returns the answers, drawn from record and the other records."""
    from tools.bench import REFERENCE
    r = records or others()
    tasks = r['results']['tasks']
    vanilla, conv = tasks['0-vanilla'], tasks['2-convolutional']
    comp = {(x['method'], x['code_size']): x['sse_per_image']
            for x in r['compression']['rows'] if x['quantized']}
    sizes = sorted(s for m, s in comp if m == 'vanilla' and s <= 64
                   and s != 32)
    curve = ', '.join('{} → {:.1f}'.format(s, comp['vanilla', s])
                      for s in sizes)
    dim = {(x['method'], x['code_size'], x['recipe']): x
           for x in r['dimensionality']['rows']}
    deep2 = [x for (m, s, _), x in dim.items() if m == 'deep' and s == 2][0]
    theory = r['theory']

    def th(variant, metric):
        """Returns a sparsity row's value."""
        return value(theory, 'sparsity', variant, metric)

    def me(experiment, variant, metric):
        """Returns one of this record's values."""
        return value(record, experiment, variant, metric)
    ablation = r['vae-kl-ablation']
    gen = ['| images | squared distance to the nearest training digit | '
           'a classifier\'s confidence |', '|---|---|---|']
    for variant in ('test digits', 'VAE, prior N(0, I)',
                    'vanilla, fitted Gaussian', 'vanilla, N(0, I)'):
        gen.append('| {} | {:.1f} | {:.3f} |'.format(
            variant, me('generative', variant, 'nearest_train_sse'),
            me('generative', variant, 'classifier_confidence')))
    text = [
        BEGIN,
        'Measured here: {} epochs, batch 256, the mains\' models and '
        'arguments. Run: `{}` — {:.0f} s wall time on {}.'.format(
            record['epochs'], record['command'], record['wall_seconds'],
            report.environment_text(record['environment'])),
        '',
        '## What is an autoencoder?',
        '',
        'A network trained to give back its input through a narrower '
        'code: an encoder maps the image to the code, a decoder maps the '
        'code back, and the loss compares the output with the input, so no '
        'labels are needed. `0-vanilla.py`\'s model, 784-128-64-32 and '
        'back, ends 50 epochs with a validation loss of {:.4f} (the '
        'specification: {:.4f}); its 32 numbers rebuild a test digit with '
        'a squared error of {:.2f} summed over the 784 pixels, where PCA\'s '
        'best 32 numbers leave {:.2f} ([results](results.md), '
        '[compression](compression.md); `make bench`, `make applications '
        'APPS=compression`).'.format(
            vanilla['val_loss'][-1], REFERENCE['0-vanilla']['last'][1],
            comp['vanilla', 32], comp['pca', 32]),
        '',
        '## What is a bottleneck?',
        '',
        'A layer smaller than the layers before and after it (the quiz\'s '
        'answer): the code layer, which forces the model to keep only what '
        'it needs to rebuild the input. Its size sets how much is kept: '
        'the vanilla architecture with a code of n numbers (8 bits each) '
        'rebuilds a test digit with a squared error of {} — each doubling '
        'helps less, and past 30 numbers the curve flattens '
        '([compression](compression.md), `make applications '
        'APPS=compression`).'.format(curve),
        '',
        '## What is latent space?',
        '',
        'The space of the codes. Where the code is small enough to look '
        'at, it shows what the model learnt: the 2-D codes of the deep '
        'autoencoder of Hinton & Salakhutdinov keep the digits apart well '
        'enough that a 5-nearest-neighbour classifier reads {:.1%} of test '
        'digits correctly from them, against {:.1%} from PCA\'s 2-D codes '
        '([dimensionality](dimensionality.md), `make applications '
        'APPS=dimensionality`). The VAE\'s 2-D latent space, decoded on a '
        'grid, shows one digit shading into the next '
        '([results](results.md)):'.format(
            deep2['knn_accuracy'], dim['pca', 2, None]['knn_accuracy']),
        '',
        '![the VAE\'s latent manifold](../results/'
        '3-variational-manifold.png)',
        '',
        '## What is a sparse autoencoder?',
        '',
        'An autoencoder whose loss also penalizes the code\'s activity, so '
        'that each image is described by few active units. `1-sparse.py` '
        'adds an L1 penalty (`lambtha` times the sum of the codes\' '
        'absolute values): its 32 codes average {:.3f} on the test digits '
        'against {:.3f} for the vanilla model\'s ({:.0%} and {:.0%} of them '
        'under 0.01), for a reconstruction cross-entropy of {:.4f} against '
        '{:.4f}. An L1 penalty on ReLU codes shrinks them more than it '
        'silences them; a KL penalty on sigmoid codes (target {}) holds '
        'their mean at {:.3f} '
        '([theory](theory.md), `make applications APPS=theory`).'.format(
            th('l1', 'mean_activation'), th('relu', 'mean_activation'),
            th('l1', 'near_zero_fraction'), th('relu', 'near_zero_fraction'),
            th('l1', 'reconstruction_bce'), th('relu', 'reconstruction_bce'),
            theory['target'], th('kl', 'mean_activation')),
        '',
        '## What is a convolutional autoencoder?',
        '',
        'One whose encoder is convolutions and pooling and whose decoder is '
        'convolutions and upsampling: each filter looks at a 3×3 patch '
        'wherever it is in the image, so the model needs far fewer '
        'weights. `2-convolutional.py`\'s model has {:,} parameters against '
        'the vanilla model\'s {:,}, and reaches a validation loss of {:.4f} '
        '(the specification: {:.4f}) with a 4×4×8 = 128-number code '
        '([results](results.md), `make bench`).'.format(
            conv['params'], vanilla['params'], conv['val_loss'][-1],
            REFERENCE['2-convolutional']['last'][1]),
        '',
        '## What is a generative model?',
        '',
        'A model that can draw new samples that look like the data, here '
        'by decoding codes drawn at random. An autoencoder alone is not '
        'one: nothing says which codes are valid. Decoding 100 random codes '
        '(the squared distance of each image to its nearest training digit '
        'measures how far it is from a real digit; the confidence is that '
        'of a logistic regression trained on 10,000 digits):',
        '',
    ] + gen + [
        '',
        'The VAE\'s samples lie {:.1f} from the nearest training digit on '
        'average; the vanilla model\'s, {:.1f} from codes drawn from '
        'N(0, I) and {:.1f} from a Gaussian fitted to its own test codes '
        '(`make learn`; the first ten of each below):'.format(
            me('generative', 'VAE, prior N(0, I)', 'nearest_train_sse'),
            me('generative', 'vanilla, N(0, I)', 'nearest_train_sse'),
            me('generative', 'vanilla, fitted Gaussian',
               'nearest_train_sse')),
        '',
        '![decoded from random codes](../results/learn-generative.png)',
        '',
        '## What is a variational autoencoder?',
        '',
        'An autoencoder whose encoder gives, for each image, a Gaussian '
        'over the codes (a mean and a log variance) rather than one code; '
        'a code is sampled from it (`z = mean + exp(log_var / 2) · ε`) and '
        'decoded, and the loss adds to the reconstruction the KL divergence '
        'of that Gaussian from N(0, I), which keeps the codes where the '
        'prior will draw them. That is what makes it generative (above). '
        '`3-variational.py`\'s model ends 50 epochs at a validation loss of '
        '{:.2f} (the specification: {:.2f}) ([results](results.md)).'
        .format(tasks['3-variational']['val_loss'][-1],
                REFERENCE['3-variational']['last'][1]),
        '',
        '## What is the Kullback-Leibler divergence?',
        '',
        'A measure of how far one probability distribution is from '
        'another: KL(q ‖ p) = E_q[log q − log p], zero only when they are '
        'equal. Between the encoder\'s N(μ, σ²) and N(0, 1) it is '
        '−½(1 + log σ² − μ² − σ²) per dimension. On the test set, the VAE\'s '
        'loss per image is {:.1f} of summed cross-entropy plus {:.2f} of '
        'KL ({:.2f} and {:.2f} for its two dimensions) (`make learn`). '
        'Averaged instead of summed over the two dimensions, the KL weighs '
        'half as much against the 784 summed pixels, and the VAE ends at a '
        'validation loss of {:.2f} against {:.2f} ([results](results.md), '
        '`make ablation`). A KL divergence is also a sparsity penalty: '
        'between each code unit\'s mean activation and a small target '
        '([theory](theory.md)).'.format(
            me('vae_loss', 'test', 'reconstruction_bce_sum'),
            me('vae_loss', 'test', 'kl'),
            me('vae_loss', 'test', 'kl_dimension_0'),
            me('vae_loss', 'test', 'kl_dimension_1'),
            ablation['kl_mean']['val_loss'][-1],
            ablation['kl_sum']['val_loss'][-1]),
        '',
        '## The quiz',
        '',
        '- *A vanilla autoencoder* is a compression model, made of an '
        'encoder and a decoder, that learns a latent representation; not a '
        'generative one (the table above: its random codes do not decode to '
        'digits).',
        '- *A bottleneck* is a layer smaller than the layers before and '
        'after it (the compression curve above shows what its size costs).',
        '- *A VAE* is a generative model made of an encoder and a decoder; '
        'not an adversarial network, and not meant as a compression model.',
        '- *Vanilla autoencoders* train with mean squared error or '
        'cross-entropy. The same model trained with each: cross-entropy '
        'gives a test squared error of {:.2f} per image, squared error '
        '{:.2f}; measured in cross-entropy per pixel, {:.4f} and {:.4f} '
        '(`make learn`).'.format(
            me('vanilla_loss', 'binary_crossentropy', 'test_sse'),
            me('vanilla_loss', 'mse', 'test_sse'),
            me('vanilla_loss', 'binary_crossentropy', 'test_bce_mean'),
            me('vanilla_loss', 'mse', 'test_bce_mean')),
        '- *Variational autoencoders* train with a reconstruction term '
        '(mean squared error or cross-entropy; here cross-entropy summed '
        'over the pixels) plus the KL divergence (above).',
        END]
    return '\n'.join(text)


def main(argv=None):
    """Measures (or, with --render, only rewrites the page)."""
    report.run_application(parse_args(argv), run, render, BEGIN, END)


if __name__ == '__main__':
    main()
