#!/usr/bin/env python3
"""The specification's learning objectives and quiz, answered with this
project's measurements: writes results/learn.json and the figure
results/learn-generative.png and results/learn-sparsity.png, and, with
--readme, the answers in
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
  squared error, each measured both ways on the test set, beside PCA with
  as many components as the model has codes;
- the sparsity sweep: 1-sparse.py's model (the main's arguments) for each
  lambtha of LAMBTHAS, from none through the specification's 1e-5 up to
  where the code is sparse: the fraction of test codes under 0.01, the
  units never above it, and the reconstruction.

    tools/learn.py --readme          (make learn)
"""
import sys
from functools import partial

import numpy as np
from sklearn.linear_model import LogisticRegression

from aelib import datasets, mains, plots, report

README_BEGIN, README_END = BEGIN, END = report.markers(
    'learn', '`make learn` (tools/learn.py)')
FIGURES = ('learn-generative', 'learn-sparsity')
SAMPLES = 100
CLASSIFIER_IMAGES = 10000
# the sparsity sweep: 0 (no penalty), the specification's 1e-5, and up
LAMBTHAS = (0.0, 1e-5, 1e-4, 1e-3, 1e-2)
SPEC_LAMBTHA = 1e-5
NEAR_ZERO = 0.01


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
    returns the rows: each measured both ways on the test set, and PCA with
    as many components as the model's code has numbers."""
    from sklearn.decomposition import PCA
    pca = PCA(mains.TASK_MODELS['vanilla'][1][2]).fit(x_train)
    rebuilt = pca.inverse_transform(pca.transform(x_test))
    rows = [row('vanilla_loss', 'pca', 'test_sse',
                np.mean(((x_test - rebuilt) ** 2).sum(axis=1)))]
    for loss in ('binary_crossentropy', 'mse'):
        _, _, auto = train(args, 'vanilla', x_train, x_test,
                           None if loss == 'binary_crossentropy' else loss)
        rebuilt = auto.predict(x_test, batch_size=1000, verbose=0)
        rows += [row('vanilla_loss', loss, 'test_sse',
                     np.mean(((x_test - rebuilt) ** 2).sum(axis=1))),
                 row('vanilla_loss', loss, 'test_bce_mean',
                     np.mean(bce_sum(x_test, rebuilt)) / 784)]
    return rows


def sparsity(args, x_train, x_test):
    """Trains 1-sparse.py's model (the main's arguments) for each lambtha
    of LAMBTHAS; returns the rows: the fraction of test codes under
    NEAR_ZERO, their mean, the units under it for every test image, and the
    reconstruction's cross-entropy per pixel and squared error per image."""
    rows = []
    arguments = mains.TASK_MODELS['sparse'][1][:3]
    for lambtha in LAMBTHAS:
        encoder, _, auto = mains.build('sparse', *arguments, lambtha)
        args.progress.fit('sparse-{:g}'.format(lambtha), auto, x_train,
                          x_train, epochs=args.epochs, batch_size=256,
                          shuffle=True, validation_data=(x_test, x_test),
                          verbose=2)
        codes = encoder.predict(x_test, batch_size=1000, verbose=0)
        rebuilt = auto.predict(x_test, batch_size=1000, verbose=0)
        variant = '{:g}'.format(lambtha)
        rows += [
            row('sparsity', variant, 'near_zero_fraction',
                np.mean(codes < NEAR_ZERO)),
            row('sparsity', variant, 'mean_code', np.mean(codes)),
            row('sparsity', variant, 'silent_units',
                np.sum(codes.max(axis=0) < NEAR_ZERO)),
            row('sparsity', variant, 'test_bce_mean',
                np.mean(bce_sum(x_test, rebuilt)) / 784),
            row('sparsity', variant, 'test_sse',
                np.mean(((x_test - rebuilt) ** 2).sum(axis=1)))]
    return rows


def plot_sparsity(args, rows):
    """Draws the sparsity sweep: the fraction of near-zero codes and the
    reconstruction's cross-entropy against lambtha."""
    import matplotlib.pyplot as plt
    labels = ['{:g}'.format(lambtha) + (' (spec)' if lambtha == SPEC_LAMBTHA
                                        else '') for lambtha in LAMBTHAS]
    found = {(r['variant'], r['metric']): r['value'] for r in rows
             if r['experiment'] == 'sparsity'}

    def series(metric):
        """Returns the metric for each lambtha, in order."""
        return [found['{:g}'.format(lambtha), metric] for lambtha in LAMBTHAS]
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6))
    positions = range(len(LAMBTHAS))
    left.bar(positions, [100 * v for v in series('near_zero_fraction')],
             color='tab:blue')
    left.set_ylabel('test codes under {} (%)'.format(NEAR_ZERO))
    left.set_ylim(0, 100)
    right.plot(positions, series('test_bce_mean'), 'o-', color='tab:red')
    right.set_ylabel('reconstruction cross-entropy per pixel')
    for axis in (left, right):
        axis.set_xticks(list(positions))
        axis.set_xticklabels(labels)
        axis.set_xlabel('lambtha (L1 weight on the 32 codes)')
    figure.suptitle('1-sparse.py\'s model, {} epochs: sparsity and '
                    'reconstruction against lambtha'.format(args.epochs))
    figure.tight_layout()
    return plots.save(args, figure, 'learn-sparsity')


def run(args):
    """Measures, draws the figure and returns the record."""
    (x_train, y_train), (x_test, _) = mains.load_data(args)
    x_train, x_test = datasets.images(x_train), datasets.images(x_test)
    drawn = args.progress.step('generative', partial(
        generative, args, x_train, y_train, x_test))
    rows = drawn['rows'] + args.progress.step('losses', partial(
        losses, args, x_train, x_test)) + args.progress.step(
            'sparsity', partial(sparsity, args, x_train, x_test))
    plot_sparsity(args, rows)
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


# the specification's quiz: each question's options, and whether each is
# right (✔) or not (✘)
QUIZ = (
    ('What is a "vanilla" autoencoder?',
     (('A compression model', True), ('Composed of an encoder and decoder',
                                      True),
      ('A generative model', False),
      ('Learns a latent space representation', True))),
    ('What is a bottleneck?',
     (('When you can no longer train your model', False),
      ('The latent space representation', False),
      ('The compressed input', False),
      ('A layer that is smaller than the previous and next layers', True))),
    ('What is a VAE?',
     (('An adversarial network', False), ('A generative model', True),
      ('Composed of an encoder and decoder', True),
      ('A compression model', False))),
    ('What loss function(s) is/are used for training vanilla autoencoders?',
     (('Mean Squared Error', True), ('L2 Normalization', False),
      ('Cross Entropy', True), ('Kullback-Leibler Divergence', False))),
    ('What loss function(s) is/are used for training variational '
     'autoencoders?',
     (('Mean Squared Error', True), ('L2 Normalization', False),
      ('Cross Entropy', True), ('Kullback-Leibler Divergence', True))),
)


def render(record, records=None):
    """Returns the answers, drawn from record and the other records; each
    answer names the run (command, epochs, host) its numbers come from."""
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
    ablation = r['vae-kl-ablation']
    runs = {
        'learn': 'this page\'s run (`make learn`, {} epochs, host `{}`)'
        .format(record['epochs'], report.record_host_name(record)),
        'bench': '`make bench` ({} epochs, host `{}`, [results]'
        '(results.md))'.format(r['results']['epochs'],
                               report.record_host_name(r['results'])),
        'compression': '`make applications APPS=compression` ({} epochs '
        'each, host `{}`, [compression](compression.md))'.format(
            r['compression']['epochs'],
            report.record_host_name(r['compression'])),
        'dimensionality': '`{}` ({} epochs of fine-tuning after {} of RBM '
        'pre-training, host `{}`, [dimensionality](dimensionality.md))'
        .format(r['dimensionality']['command'], r['dimensionality']['epochs'],
                r['dimensionality']['rbm_epochs'],
                report.record_host_name(r['dimensionality'])),
        'theory': '`make applications APPS=theory` ({} epochs, host `{}`, '
        '[theory](theory.md))'.format(theory['epochs'],
                                      report.record_host_name(theory)),
        'ablation': '`make ablation` ({} epochs each)'.format(
            ablation['epochs']),
    }

    def th(variant, metric):
        """Returns one of the theory run's sparsity values."""
        return value(theory, 'sparsity', variant, metric)

    def me(experiment, variant, metric):
        """Returns one of this record's values."""
        return value(record, experiment, variant, metric)

    def sp(lambtha, metric):
        """Returns one of the sparsity sweep's values."""
        return me('sparsity', '{:g}'.format(lambtha), metric)
    vanilla_sse = me('vanilla_loss', 'binary_crossentropy', 'test_sse')
    pca_sse = me('vanilla_loss', 'pca', 'test_sse')
    vae_sse = me('generative', 'VAE, prior N(0, I)', 'nearest_train_sse')
    random_sse = me('generative', 'vanilla, N(0, I)', 'nearest_train_sse')
    digits_sse = me('generative', 'test digits', 'nearest_train_sse')
    gen = ['| images | squared distance to the nearest training digit | '
           'a classifier\'s confidence |', '|---|---|---|']
    for variant in ('test digits', 'VAE, prior N(0, I)',
                    'vanilla, fitted Gaussian', 'vanilla, N(0, I)'):
        gen.append('| {} | {:.1f} | {:.3f} |'.format(
            variant, me('generative', variant, 'nearest_train_sse'),
            me('generative', variant, 'classifier_confidence')))
    sweep = ['| `lambtha` | test codes under {} | units under {} for every '
             'test digit | mean code | cross-entropy per pixel | squared '
             'error per digit |'.format(NEAR_ZERO, NEAR_ZERO),
             '|---|---|---|---|---|---|']
    for lambtha in LAMBTHAS:
        sweep.append('| {:g}{} | {:.0%} | {:.0f} of 32 | {:.3f} | {:.4f} | '
                     '{:.2f} |'.format(
                         lambtha, ' (the specification\'s)'
                         if lambtha == SPEC_LAMBTHA else ' (none)'
                         if lambtha == 0 else '',
                         sp(lambtha, 'near_zero_fraction'),
                         sp(lambtha, 'silent_units'),
                         sp(lambtha, 'mean_code'),
                         sp(lambtha, 'test_bce_mean'),
                         sp(lambtha, 'test_sse')))
    sparse_at = next((lambtha for lambtha in LAMBTHAS
                      if sp(lambtha, 'near_zero_fraction') >= 0.5), None)
    reasons = {
        'What is a "vanilla" autoencoder?': (
            'its 32 numbers rebuild a test digit with a squared error of '
            '{:.2f}, PCA\'s best 32 with {:.2f} (learn)'.format(
                vanilla_sse, pca_sse),
            '`autoencoder` returns the two models, and the autoencoder is '
            'the decoder applied to the encoder\'s output (the self-check\'s '
            '`structure` check)',
            'nothing says which codes are valid: its decoded random codes '
            'lie {:.1f} from the nearest training digit, the VAE\'s {:.1f}, '
            'real test digits {:.1f} (learn)'.format(random_sse, vae_sse,
                                                     digits_sse),
            'the 32-number code is that representation (latent space, '
            'above)'),
        'What is a bottleneck?': (
            'a layer, not a state of training: the same models train on '
            'with the bottleneck in place',
            'that is the bottleneck\'s output (the code), not the layer',
            'the same: the code the bottleneck outputs',
            'the 32-unit code layer between 64-unit layers; its size sets '
            'the error: {} (compression)'.format(curve)),
        'What is a VAE?': (
            'no second network judges its samples: its loss is the '
            'cross-entropy plus the KL divergence ({:.1f} + {:.2f} per test '
            'digit, learn)'.format(
                me('vae_loss', 'test', 'reconstruction_bce_sum'),
                me('vae_loss', 'test', 'kl')),
            'codes drawn from its prior decode to images {:.1f} from the '
            'nearest training digit, against {:.1f} for the vanilla model\'s '
            '(learn)'.format(vae_sse, random_sse),
            '`autoencoder` returns the encoder (`z, mean, log_var`) and the '
            'decoder',
            'with 2 numbers it rebuilds a digit with a squared error of '
            '{:.1f}, the vanilla model with 2 numbers {:.1f}: the KL term '
            'trades reconstruction for a code it can sample (compression)'
            .format(comp['variational', 2], comp['vanilla', 2])),
        'What loss function(s) is/are used for training vanilla '
        'autoencoders?': (
            'the vanilla model trained with it rebuilds a test digit with a '
            'squared error of {:.2f} (learn)'.format(
                me('vanilla_loss', 'mse', 'test_sse')),
            'a way to scale vectors to length one, not a loss: nothing it '
            'compares the output with',
            'what the task files compile (`binary_crossentropy`): a squared '
            'error of {:.2f}, {:.4f} per pixel in cross-entropy, against '
            '{:.4f} for the model trained with squared error (learn)'.format(
                vanilla_sse, me('vanilla_loss', 'binary_crossentropy',
                                'test_bce_mean'),
                me('vanilla_loss', 'mse', 'test_bce_mean')),
            'it compares two distributions; a vanilla model has one code '
            'per image, no distribution (a KL penalty can make codes sparse: '
            'a regularizer, not the loss; theory)'),
        'What loss function(s) is/are used for training variational '
        'autoencoders?': (
            'a reconstruction term may be squared error; here it is '
            'cross-entropy',
            'not a loss (above)',
            'the reconstruction term here, summed over the 784 pixels: '
            '{:.1f} per test digit (learn)'.format(
                me('vae_loss', 'test', 'reconstruction_bce_sum')),
            'the second term: {:.2f} per test digit (learn)'.format(
                me('vae_loss', 'test', 'kl'))),
    }
    quiz = []
    for number, (question, options) in enumerate(QUIZ):
        quiz += ['**Question {}: {}**'.format(number, question), '',
                 '| option | | why |', '|---|---|---|']
        for (option, right), reason in zip(options, reasons[question]):
            quiz.append('| {} | {} | {} |'.format(
                option, '✔' if right else '✘', reason))
        quiz.append('')
    text = [
        BEGIN,
        'Each answer names the run its numbers come from. This page\'s own: '
        '`{}`, {} epochs, batch 256, the mains\' models and arguments, '
        '{:.0f} s wall time on {}. The others are the records of the pages '
        'linked, each with its own number of epochs, said beside it. '
        '"learn", "bench", "compression" and "theory" in the quiz name '
        'those runs.'.format(
            record['command'], record['epochs'], record['wall_seconds'],
            report.environment_text(record['environment'])),
        '',
        '## What is an autoencoder?',
        '',
        'A network trained to give back its input through a narrower '
        'code: an encoder maps the image to the code, a decoder maps the '
        'code back, and the loss compares the output with the input, so no '
        'labels are needed. `0-vanilla.py`\'s model, 784-128-64-32 and '
        'back, trained for {} epochs in {}, rebuilds a test digit with a '
        'squared error of {:.2f} summed over the 784 pixels (cross-entropy '
        '{:.4f} per pixel; the specification\'s main ends at {:.4f}), where '
        'PCA\'s best 32 numbers leave {:.2f}. Test digits and their '
        'reconstructions, from {}:'.format(
            record['epochs'], runs['learn'], vanilla_sse,
            me('vanilla_loss', 'binary_crossentropy', 'test_bce_mean'),
            REFERENCE['0-vanilla']['last'][1], pca_sse, runs['bench']),
        '',
        '![test digits and the vanilla model\'s reconstructions](../results/'
        '0-vanilla-reconstructions.png)',
        '',
        '## What is a bottleneck?',
        '',
        'A layer smaller than the layers before and after it: the code '
        'layer, which forces the model to keep only what it needs to '
        'rebuild the input. Its size sets how much is kept: the vanilla '
        'architecture with a code of n numbers (8 bits each) rebuilds a '
        'test digit with a squared error of {}, in {} — each doubling helps '
        'less, and past 30 numbers the curve flattens:'.format(
            curve, runs['compression']),
        '',
        '![squared error against code size](../results/'
        'compression-rate-distortion.png)',
        '',
        '## What is latent space?',
        '',
        'The space of the codes. Where the code is small enough to look '
        'at, it shows what the model learnt: the 2-D codes of the deep '
        'autoencoder of Hinton & Salakhutdinov keep the digits apart well '
        'enough that a 5-nearest-neighbour classifier reads {:.1%} of test '
        'digits correctly from them, against {:.1%} from PCA\'s 2-D codes, '
        'in {}. The VAE\'s 2-D latent space, decoded on a grid, shows one '
        'digit shading into the next ({}):'.format(
            deep2['knn_accuracy'], dim['pca', 2, None]['knn_accuracy'],
            runs['dimensionality'], runs['bench']),
        '',
        '![the VAE\'s latent manifold](../results/'
        '3-variational-manifold.png)',
        '',
        '## What is a sparse autoencoder?',
        '',
        'An autoencoder whose loss also penalizes the code\'s activity, so '
        'that each image is described by few active units. `1-sparse.py` '
        'adds an L1 penalty: `lambtha` times the sum of the 32 codes\' '
        'absolute values, averaged over the batch, beside a cross-entropy '
        'averaged over the 784 pixels. The same model trained with each '
        '`lambtha` in {}:'.format(runs['learn']),
        '',
    ] + sweep + [
        '',
        'At the specification\'s 1e-5, {:.0%} of the codes are under {}, '
        'against {:.0%} with no penalty. {} The price is the '
        'reconstruction: {:.4f} per pixel at 1e-5, {:.4f} at {:g}. An L1 '
        'penalty on ReLU codes both shrinks them and silences some; a KL '
        'penalty on sigmoid codes (target {}) holds their mean at {:.3f} '
        'instead, in {}.'.format(
            sp(SPEC_LAMBTHA, 'near_zero_fraction'), NEAR_ZERO,
            sp(0.0, 'near_zero_fraction'),
            'Half of the codes or more are under {} from `lambtha` = {:g} '
            'on.'.format(NEAR_ZERO, sparse_at) if sparse_at else
            'Half of the codes or more are under {} even with no penalty: '
            'a ReLU code is often exactly 0.'.format(NEAR_ZERO)
            if sparse_at == 0 else 'No `lambtha` measured here puts half '
            'of the codes under {}.'.format(NEAR_ZERO),
            sp(SPEC_LAMBTHA, 'test_bce_mean'),
            sp(LAMBTHAS[-1], 'test_bce_mean'), LAMBTHAS[-1],
            theory['target'], th('kl', 'mean_activation'), runs['theory']),
        '',
        '![sparsity against lambtha](../results/learn-sparsity.png)',
        '',
        '## What is a convolutional autoencoder?',
        '',
        'One whose encoder is convolutions and pooling and whose decoder is '
        'convolutions and upsampling: each filter looks at a 3×3 patch '
        'wherever it is in the image, so the model needs far fewer '
        'weights. `2-convolutional.py`\'s model has {:,} parameters against '
        'the vanilla model\'s {:,}, and reaches a validation loss of {:.4f} '
        '(the specification: {:.4f}) with a 4×4×8 = 128-number code, in '
        '{}.'.format(
            conv['params'], vanilla['params'], conv['val_loss'][-1],
            REFERENCE['2-convolutional']['last'][1], runs['bench']),
        '',
        '## What is a generative model?',
        '',
        'A model that can draw new samples that look like the data, here '
        'by decoding codes drawn at random. An autoencoder alone is not '
        'one: nothing says which codes are valid. Decoding 100 random codes '
        '(the squared distance of each image to its nearest training digit '
        'measures how far it is from a real digit; the confidence is that '
        'of a logistic regression trained on 10,000 digits), in {}:'.format(
            runs['learn']),
        '',
    ] + gen + [
        '',
        'The VAE\'s samples lie {:.1f} from the nearest training digit on '
        'average; the vanilla model\'s, {:.1f} from codes drawn from '
        'N(0, I) and {:.1f} from a Gaussian fitted to its own test codes '
        '(the first ten of each below):'.format(
            vae_sse, random_sse,
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
        '`3-variational.py`\'s model ends {} epochs at a validation loss of '
        '{:.2f} (the specification: {:.2f}), in {}.'.format(
            r['results']['epochs'], tasks['3-variational']['val_loss'][-1],
            REFERENCE['3-variational']['last'][1], runs['bench']),
        '',
        '## What is the Kullback-Leibler divergence?',
        '',
        'A measure of how far one probability distribution is from '
        'another: KL(q ‖ p) = E_q[log q − log p], zero only when they are '
        'equal. Between the encoder\'s N(μ, σ²) and N(0, 1) it is '
        '−½(1 + log σ² − μ² − σ²) per dimension. On the test set, the VAE\'s '
        'loss per image is {:.1f} of summed cross-entropy plus {:.2f} of '
        'KL ({:.2f} and {:.2f} for its two dimensions), in {}. Averaged '
        'instead of summed over the two dimensions, the KL weighs half as '
        'much against the 784 summed pixels, and the VAE ends at a '
        'validation loss of {:.2f} against {:.2f}, in {}. A KL divergence is '
        'also a sparsity penalty: between each code unit\'s mean activation '
        'and a small target ([theory](theory.md)).'.format(
            me('vae_loss', 'test', 'reconstruction_bce_sum'),
            me('vae_loss', 'test', 'kl'),
            me('vae_loss', 'test', 'kl_dimension_0'),
            me('vae_loss', 'test', 'kl_dimension_1'), runs['learn'],
            ablation['kl_mean']['val_loss'][-1],
            ablation['kl_sum']['val_loss'][-1], runs['ablation']),
        '',
        '## The quiz',
        '',
        'The specification\'s five questions, every option with its '
        'verdict (✔ right, ✘ wrong) and the reason, measured where a '
        'measurement says it; "learn", "compression" and "theory" are the '
        'runs named above.',
        '',
    ] + quiz + [END]
    return '\n'.join(text)


def main(argv=None):
    """Measures (or, with --render, only rewrites the page)."""
    report.run_application(parse_args(argv), run, render, BEGIN, END)


if __name__ == '__main__':
    main()
