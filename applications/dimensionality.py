#!/usr/bin/env python3
"""Hinton & Salakhutdinov (Science, 2006) on MNIST: deep codes against PCA.

Reproduces what the paper shows on MNIST. Fig. 2B: squared error per image
(summed over the 784 pixels in [0, 1], averaged over the images) of 30-D
codes from PCA, logistic PCA (a linear code decoded by one logistic layer,
trained with cross-entropy) and the deep 784-1000-500-250-30 autoencoder,
trained three ways: the vanilla factory of 0-vanilla.py (spec_factory); the
paper's RBM pretraining, unrolled and fine-tuned with cross-entropy by Adam
(rbm_pretrained); and a recipe without pretraining, chosen on the
validation images (end_to_end). Fig. 3: 2-D codes of PCA and of the deep
784-1000-500-250-2 autoencoder (the recipe with the lowest validation
error), scored by a 5-nearest-neighbour classifier fitted on the training
codes. Models train on the first 50,000 training images; the last 10,000
are the validation split every choice is made on; the test set is only
measured. --tune reruns the choice of the end-to-end recipe. Writes
results/dimensionality.json, the figures results/dimensionality-*.png and,
with --readme, its page docs/dimensionality.md.
"""
import sys
import time

import numpy as np
import aelib  # noqa: F401  (first: it sets TensorFlow's options)
import tensorflow as tf
from sklearn.decomposition import PCA

from aelib import datasets, imaging, mains, plots, rbm, report, scores

keras = tf.keras
HIDDEN = [1000, 500, 250]
RECIPES = ('spec_factory', 'rbm_pretrained', 'end_to_end')
# Hinton & Salakhutdinov 2006, Fig. 2B caption: MNIST test set, 30-D codes
PAPER = {'pca': 13.87, 'logistic_pca': 8.01, 'deep': 3.00}
# the end-to-end recipe: the choices --tune kept (README: what each bought)
BASE = {'hidden': 'relu', 'code': 'relu', 'batch_norm': False,
        'schedule': 'constant', 'weight_decay': 0.}
CHOICES = (('code', 'linear'), ('hidden', 'elu'), ('batch_norm', True),
           ('schedule', 'cosine'), ('weight_decay', 1e-2))
END_TO_END = dict(BASE, code='linear', hidden='elu', batch_norm=True,
                  schedule='cosine')
# the rate Adam fine-tunes the unrolled RBMs from, chosen by --tune
FINE_TUNING_RATE = 1e-3
RATES = (1e-3, 3e-4, 1e-4)
BATCH = 256
STRIP = 10
README_BEGIN, README_END = report.markers(
    'dimensionality', '`make applications APPS=dimensionality` '
    '(applications/dimensionality.py)')
FIGURES = ('dimensionality-codes-2d', 'dimensionality-strip',
           'dimensionality-curves')


def parse_args(argv=None):
    """Returns the command line's flags; -h explains them."""
    parser = report.parser(__doc__, 'dimensionality', 10,
                           'docs/dimensionality.md')
    parser.add_argument('--rbm-epochs', type=report.positive_int, default=10,
                        metavar='N', help='CD-1 epochs of each RBM '
                        '(default: 10; H&S trained each for 50)')
    parser.add_argument('--logistic-epochs', type=report.positive_int,
                        default=50, metavar='N',
                        help='epochs of logistic PCA (default: 50; about '
                        '1 s each)')
    parser.add_argument('--tune', action='store_true',
                        help='choose the end-to-end recipe anew on the '
                        'validation images, one choice at a time')
    parser.add_argument('--tune-epochs', type=report.positive_int,
                        default=10, metavar='N',
                        help='epochs of each --tune trial (default: 10)')
    return parser.parse_args(argv)


def sse_metric(y_true, y_pred):
    """Keras metric: each image's squared error summed over its pixels."""
    ops = getattr(keras, 'ops', keras.backend)
    return ops.sum(ops.square(y_true - y_pred), axis=-1)


sse_metric.__name__ = 'sse'


def stack(code_size, hidden='relu', code='relu', batch_norm=False, **_):
    """Returns uncompiled encoder, decoder, auto of the 784-1000-500-250-
    code_size autoencoder: hidden units of the activation hidden (with
    batch normalisation before it if batch_norm), a code layer of the
    activation code ('linear': none) and a logistic output."""
    def dense(x, units):
        """Returns x through one hidden layer."""
        x = keras.layers.Dense(units, use_bias=not batch_norm)(x)
        if batch_norm:
            x = keras.layers.BatchNormalization()(x)
        return keras.layers.Activation(hidden)(x)
    inputs = keras.Input(shape=(784,))
    x = inputs
    for units in HIDDEN:
        x = dense(x, units)
    x = keras.layers.Dense(code_size,
                           activation=None if code == 'linear' else code)(x)
    encoder = keras.Model(inputs, x, name='encoder')
    codes = keras.Input(shape=(code_size,))
    x = codes
    for units in reversed(HIDDEN):
        x = dense(x, units)
    x = keras.layers.Dense(784, activation='sigmoid')(x)
    decoder = keras.Model(codes, x, name='decoder')
    return encoder, decoder, keras.Model(inputs, decoder(encoder(inputs)))


def logistic_pca(code_size):
    """Returns encoder, decoder, auto of logistic PCA, compiled with Adam
    and cross-entropy: a linear code of code_size numbers decoded by one
    logistic layer."""
    inputs = keras.Input(shape=(784,))
    encoder = keras.Model(inputs, keras.layers.Dense(code_size)(inputs),
                          name='encoder')
    codes = keras.Input(shape=(code_size,))
    decoder = keras.Model(
        codes, keras.layers.Dense(784, activation='sigmoid')(codes),
        name='decoder')
    auto = keras.Model(inputs, decoder(encoder(inputs)))
    auto.compile(optimizer='adam', loss='binary_crossentropy',
                 metrics=[sse_metric])
    return encoder, decoder, auto


def optimizer(recipe, steps, learning_rate=1e-3):
    """Returns Adam (AdamW with the recipe's weight decay), its learning
    rate constant or decayed along a cosine to 0 over steps."""
    if recipe['schedule'] == 'cosine':
        learning_rate = keras.optimizers.schedules.CosineDecay(
            learning_rate, steps)
    if recipe['weight_decay']:
        return keras.optimizers.AdamW(learning_rate,
                                      weight_decay=recipe['weight_decay'])
    return keras.optimizers.Adam(learning_rate)


def build(recipe, code_size, epochs, n_train, rbms=None,
          rate=FINE_TUNING_RATE):
    """Returns encoder, decoder, auto compiled for training with
    cross-entropy (and the sse metric): recipe 'spec_factory' (the vanilla
    factory), 'rbm_pretrained' (unrolled from rbms, Adam from the rate,
    decayed along a cosine) or a dict of end-to-end choices."""
    steps = epochs * -(-n_train // BATCH)
    if recipe == 'spec_factory':
        encoder, decoder, auto = mains.build('vanilla', 784, HIDDEN,
                                             code_size)
        chosen = keras.optimizers.Adam()
    elif recipe == 'rbm_pretrained':
        encoder, decoder, auto = rbm.unroll(rbms)
        chosen = optimizer(dict(BASE, schedule='cosine'), steps, rate)
    else:
        mains.seed(0)
        encoder, decoder, auto = stack(code_size, **recipe)
        chosen = optimizer(recipe, steps)
    auto.compile(optimizer=chosen, loss='binary_crossentropy',
                 metrics=[sse_metric])
    return encoder, decoder, auto


def train(progress, name, models, train_images, val_images, epochs):
    """Fits the autoencoder of models with the validation images, one line
    per epoch, its progress kept every epoch; returns the history (loss,
    sse, val_sse per epoch) and the seconds it took."""
    history = progress.fit(name, models[2], train_images, train_images,
                           epochs=epochs, batch_size=BATCH, shuffle=True,
                           verbose=0, validation_data=(val_images,
                                                       val_images),
                           callbacks=[mains.EpochLine(name,
                                                      ('sse', 'val_sse'))])
    return ({key: [round(float(v), 4) for v in values]
             for key, values in history.history.items()},
            sum(history.seconds))


def predict(model, x):
    """Returns model's outputs for x, in large batches, quietly."""
    return model.predict(x, batch_size=1000, verbose=0)


def row(method, code_size, recipe, data, encode, decode, epochs, seconds):
    """Returns one flat record: the coder's squared errors on the training
    and test images, the 5-NN test accuracy of its codes, epochs and
    training seconds; and the test codes and reconstructions."""
    (train_images, train_labels), (test, test_labels) = data
    codes = [encode(train_images), encode(test)]
    rebuilt = [decode(c) for c in codes]
    record = {'method': method, 'code_size': code_size, 'recipe': recipe,
              'sse_train': round(float(np.mean(
                  imaging.sse(train_images, rebuilt[0]))), 4),
              'sse_test': round(float(np.mean(imaging.sse(test,
                                                          rebuilt[1]))), 4),
              'knn_accuracy': round(scores.knn_accuracy(
                  codes[0], train_labels, codes[1], test_labels), 4),
              'epochs': epochs, 'seconds': round(seconds, 1)}
    print('{} {}-D {}: squared error {:.2f} train, {:.2f} test; 5-NN '
          '{:.4f}'.format(method, code_size, recipe or '',
                          record['sse_train'], record['sse_test'],
                          record['knn_accuracy']), file=sys.stderr)
    return record, codes[1], rebuilt[1]


def tune(progress, train_images, val_images, epochs):
    """Chooses the end-to-end recipe on the validation images: from the
    factory's units (ReLU everywhere, constant rate), each choice in
    CHOICES is tried on top of the recipe kept so far and kept if it lowers
    the validation error. Returns the recipe and the trials."""
    kept, trials = dict(BASE), []
    candidates = [(None, None)] + list(CHOICES)
    best = None
    for key, value in candidates:
        recipe = dict(kept) if key is None else dict(kept, **{key: value})
        name = 'tune {}'.format('base' if key is None else
                                '{}={}'.format(key, value))
        models = build(recipe, 30, epochs, len(train_images))
        history, seconds = train(progress, name, models, train_images,
                                 val_images, epochs)
        error = history['val_sse'][-1]
        better = best is None or error < best
        trials.append({'choice': 'base' if key is None else key,
                       'value': value, 'val_sse': error,
                       'kept': better, 'seconds': round(seconds, 1)})
        if better:
            kept, best = recipe, error
    return kept, trials


def tune_rate(progress, rbms, train_images, val_images, epochs):
    """Chooses the rate Adam fine-tunes the unrolled RBMs from, among
    RATES, by the validation error; returns it and the trials."""
    trials = []
    for rate in RATES:
        models = build('rbm_pretrained', 30, epochs, len(train_images),
                       rbms, rate)
        history, seconds = train(progress,
                                 'tune fine-tuning rate {}'.format(rate),
                                 models, train_images, val_images, epochs)
        trials.append({'choice': 'fine_tuning_rate', 'value': rate,
                       'val_sse': history['val_sse'][-1], 'kept': False,
                       'seconds': round(seconds, 1)})
    best = min(trials, key=lambda t: t['val_sse'])
    best['kept'] = True
    return best['value'], trials


def pretrain(args, train_images, sizes, below=()):
    """Trains the RBM stack of sizes above the RBMs below (each RBM's
    progress kept every epoch); returns the stack and its seconds (those
    of the whole stack, kept once it is trained)."""
    def stack():
        """Returns the new RBMs' states and seconds."""
        mains.seed(0)
        began = time.perf_counter()
        rbms = rbm.train_stack(train_images, sizes, args.rbm_epochs,
                               rbms=below, progress=args.progress)
        return {'states': [r.state() for r in rbms[len(below):]],
                'seconds': time.perf_counter() - began}
    kept = args.progress.step('rbm-stack-{}'.format(sizes[-1]), stack)
    rbms = list(below)
    for state in kept['states']:
        layer = rbm.RBM(*state['parameters'][0].shape, state['hidden'])
        layer.set_state(state)
        rbms.append(layer)
    return rbms, kept['seconds']


def run(args):
    """Fits every coder, measures it and returns the record written to
    --json; draws the figures on the way."""
    (x_train, y_train), (x_test, y_test) = datasets.load('mnist')
    x_train, y_train = x_train[:args.limit], y_train[:args.limit]
    x_test, y_test = x_test[:args.limit], y_test[:args.limit]
    n_val = len(x_train) // 6
    train_images = datasets.images(x_train[:-n_val])
    val_images = datasets.images(x_train[-n_val:])
    data = ((train_images, y_train[:-n_val]),
            (datasets.images(x_test), y_test))
    rows, codes, strip, curves = [], {}, {'original': data[1][0][:STRIP]}, {}

    def keep(result, label):
        """Adds a row and keeps its test codes and strip images."""
        record, test_codes, rebuilt = result
        rows.append(record)
        codes[record['method'], record['code_size']] = test_codes
        if record['code_size'] == 30:
            strip[label] = rebuilt[:STRIP]

    for size in (30, 2):
        began = time.perf_counter()
        pca = PCA(size, svd_solver='full', random_state=0).fit(
            train_images)
        seconds = time.perf_counter() - began
        keep(row('pca', size, None, data, pca.transform,
                 pca.inverse_transform, None, seconds), 'PCA')

    print('== logistic PCA', file=sys.stderr)
    mains.seed(0)
    encoder, decoder, auto = logistic_pca(30)
    history, seconds = train(args.progress, 'logistic PCA',
                             (encoder, decoder, auto), train_images,
                             val_images, args.logistic_epochs)
    keep(row('logistic_pca', 30, None, data, lambda x: predict(encoder, x),
             lambda c: predict(decoder, c), args.logistic_epochs, seconds),
         'logistic PCA')

    print('== RBM pretraining', file=sys.stderr)
    rbms, pretraining = pretrain(args, train_images, [784] + HIDDEN + [30])
    tuning, rate = None, FINE_TUNING_RATE
    recipes = {'spec_factory': 'spec_factory',
               'rbm_pretrained': 'rbm_pretrained', 'end_to_end': END_TO_END}
    if args.tune:
        print('== tuning on the validation images', file=sys.stderr)
        recipes['end_to_end'], tuning = tune(args.progress, train_images,
                                             val_images, args.tune_epochs)
        rate, trials = tune_rate(args.progress, rbms, train_images,
                                 val_images, args.tune_epochs)
        tuning += trials
    validation = {}
    for name, recipe in recipes.items():
        print('== deep 30-D: {}'.format(name), file=sys.stderr)
        models = build(recipe, 30, args.epochs, len(train_images), rbms,
                       rate)
        curves[name], seconds = train(args.progress, name, models,
                                      train_images, val_images, args.epochs)
        if name == 'rbm_pretrained':
            seconds += pretraining
        validation[name] = curves[name]['val_sse'][-1]
        keep(row('deep', 30, name, data, lambda x: predict(models[0], x),
                 lambda c: predict(models[1], c), args.epochs, seconds),
             name.replace('_', ' '))

    best = min(validation, key=validation.get)
    print('== deep 2-D: {} (lowest validation error at 30-D)'.format(best),
          file=sys.stderr)
    seconds = 0
    if best == 'rbm_pretrained':
        rbms, top = pretrain(args, train_images, [784] + HIDDEN + [2],
                             rbms[:-1])
        seconds = top + pretraining
    models = build(recipes[best], 2, args.epochs, len(train_images), rbms,
                   rate)
    curves['2-D ' + best], trained = train(args.progress, '2-D ' + best,
                                           models, train_images, val_images,
                                           args.epochs)
    seconds += trained
    keep(row('deep', 2, best, data, lambda x: predict(models[0], x),
             lambda c: predict(models[1], c), args.epochs, seconds), None)

    record = {
        'command': ' '.join(['applications/dimensionality.py']
                            + sys.argv[1:]),
        'rows': rows, 'epochs': args.epochs, 'rbm_epochs': args.rbm_epochs,
        'logistic_epochs': args.logistic_epochs,
        'limit': args.limit, 'batch_size': BATCH,
        'train_images': len(train_images),
        'validation_images': len(val_images),
        'end_to_end': recipes['end_to_end'],
        'fine_tuning_rate': rate,
        'validation_sse': validation, 'best_recipe': best,
        'tuning': tuning, 'tuning_epochs': args.tune_epochs if tuning
        else None, 'curves': curves,
        'environment': report.environment(),
    }
    plot_codes(args, rows, codes, y_test)
    plots.image_rows(args, 'dimensionality-strip', strip,
                     'MNIST test digits and their 30-D reconstructions')
    plot_curves(args, curves)
    return record


def plot_codes(args, rows, codes, labels):
    """Saves the 2-D test codes of PCA and of the deep autoencoder side by
    side, one colour per digit, each titled with its 5-NN accuracy."""
    import matplotlib.pyplot as plt
    figure, axes = plt.subplots(1, 2, figsize=(13, 6))
    for axis, method in zip(axes, ('pca', 'deep')):
        found = [r for r in rows if r['method'] == method
                 and r['code_size'] == 2][0]
        points = codes[method, 2]
        scatter = axis.scatter(points[:, 0], points[:, 1], c=labels,
                               cmap='tab10', s=2, vmin=-0.5, vmax=9.5)
        axis.set_title('{}\n5-NN accuracy {:.3f}'.format(
            'PCA: first two components' if method == 'pca'
            else '784-1000-500-250-2 autoencoder ({})'.format(
                found['recipe']), found['knn_accuracy']), fontsize=10)
        axis.set_xlabel('code[0]')
        axis.set_ylabel('code[1]')
    figure.colorbar(scatter, ax=axes, ticks=range(10), label='digit')
    figure.suptitle('2-D codes of the MNIST test digits')
    return plots.save(args, figure, 'dimensionality-codes-2d')


def plot_curves(args, curves):
    """Saves the training and validation squared error per epoch of each
    deep recipe."""
    import matplotlib.pyplot as plt
    figure, axes = plt.subplots(1, len(curves),
                                figsize=(4.2 * len(curves), 4),
                                squeeze=False)
    for axis, (name, history) in zip(axes[0], curves.items()):
        epochs = np.arange(1, len(history['sse']) + 1)
        axis.plot(epochs, history['sse'], label='training (during epoch)')
        axis.plot(epochs, history['val_sse'], label='validation')
        axis.axhline(PAPER['deep'], color='k', linestyle=':',
                     label='H&S 2006 test, 30-D')
        axis.set_title(name.replace('_', ' '))
        axis.set_xlabel('epoch')
        axis.set_yscale('log')
        axis.grid(alpha=0.3)
    axes[0][0].set_ylabel('squared error per image')
    axes[0][0].legend(fontsize=8)
    figure.suptitle('Deep autoencoders: squared error per epoch')
    figure.tight_layout()
    return plots.save(args, figure, 'dimensionality-curves')


def fmt(value, digits=2):
    """Returns a number for the tables, or a dash for None."""
    return '–' if value is None else '{:.{}f}'.format(value, digits)


def describe(recipe):
    """Returns the end-to-end recipe's choices in words."""
    return ('{hidden} hidden units{bn}, a {code} code, Adam{wd} at 1e-3 '
            '{schedule}'.format(
                bn=' with batch normalisation' if recipe['batch_norm']
                else '', wd=' with weight decay {}'.format(
                    recipe['weight_decay']) if recipe['weight_decay']
                else '', schedule='decayed along a cosine to 0'
                if recipe['schedule'] == 'cosine' else 'throughout',
                **{k: recipe[k].upper() if recipe[k] in ('relu', 'elu')
                   else recipe[k] for k in ('hidden', 'code')}))


def render(record):
    """Returns the README section drawn from record, markers included."""
    rows = record['rows']
    best_test = min((r for r in rows if r['method'] == 'deep'
                     and r['code_size'] == 30), key=lambda r: r['sse_test'])
    lines = [[r['method'].replace('_', ' '), r['code_size'],
              r['recipe'] or '–', r['epochs'] or '–', fmt(r['sse_train']),
              fmt(r['sse_test']),
              fmt(PAPER.get(r['method']) if r['code_size'] == 30 else None),
              fmt(r['knn_accuracy'], 4), '{:.0f}'.format(r['seconds'])]
             for r in rows]
    pca2 = [r for r in rows if r['method'] == 'pca' and r['code_size'] == 2]
    deep2 = [r for r in rows if r['method'] == 'deep'
             and r['code_size'] == 2]
    text = [
        README_BEGIN,
        'Hinton & Salakhutdinov, "Reducing the Dimensionality of Data with '
        'Neural Networks", Science 313 (2006): Fig. 2B (its caption gives '
        'the MNIST test errors of 30-D codes) and Fig. 3 (2-D codes), '
        'reproduced. Squared error per image, summed over the 784 pixels '
        'in [0, 1] and averaged over the images; models trained on the '
        'first {:,} training images, every choice made on the last {:,} '
        '(validation); the test set only measured. {} epochs of '
        'cross-entropy training per deep autoencoder ({} for logistic PCA), '
        'batch {}, {} CD-1 epochs per RBM. Run: `{}` — {:.0f} s wall time '
        'on {}.'.format(
            record['train_images'], record['validation_images'],
            record['epochs'], record['logistic_epochs'],
            record['batch_size'], record['rbm_epochs'],
            record['command'], record['wall_seconds'],
            report.environment_text(record['environment'])),
        '',
    ] + report.table(['method', 'code', 'recipe', 'epochs', 'train SSE',
                      'test SSE', 'H&S 2006 test', '5-NN test accuracy',
                      'training s'], lines) + [
        '',
        'The best deep 30-D code: **{:.2f}** per test image ({}), against '
        'the paper\'s 3.00 — {}.'.format(
            best_test['sse_test'], best_test['recipe'],
            'the goal is reached' if best_test['sse_test'] <= 3.00 else
            'the goal of 3.00 is not reached'),
        '',
        'The recipes: `spec_factory` is `autoencoder(784, [1000, 500, 250], '
        '30)` from `0-vanilla.py` (ReLU everywhere, the code too; Adam at '
        '1e-3). `rbm_pretrained` is the paper\'s: RBMs 784-1000, 1000-500 '
        'and 500-250 with logistic hidden units and 250-30 with linear '
        'Gaussian ones, CD-1 with momentum 0.5 then 0.9 and weight decay '
        '2e-4, batches of 100 (the authors\' released settings), unrolled '
        '(the decoder starts from the transposed weights) and fine-tuned '
        'with cross-entropy by Adam from {} decayed along a cosine, where '
        'the paper used 200 epochs of conjugate gradients. `end_to_end` '
        'has no pretraining: {}.'.format(record['fine_tuning_rate'],
                                         describe(record['end_to_end'])),
        '',
    ]
    if record['tuning']:
        text += [
            'How the recipes were chosen (`--tune`): for `end_to_end`, from '
            'the factory\'s units, each choice tried on top of those kept '
            'so far and kept if it lowered the validation error; for '
            '`rbm_pretrained`, the rate fine-tuning starts from. Each trial '
            'trains {} epoch(s):'.format(
                record['tuning_epochs']),
            '',
        ] + report.table(
            ['choice', 'validation SSE', 'kept'],
            [['{} = {}'.format(t['choice'], t['value'])
              if t['value'] is not None else 'ReLU everywhere (the factory)',
              fmt(t['val_sse']), 'yes' if t['kept'] else 'no']
             for t in record['tuning']]) + ['']
    if pca2 and deep2:
        text += [
            'Fig. 3 in a number: a 5-nearest-neighbour classifier on the '
            '2-D test codes (fitted on the training codes) is right {:.1%} '
            'of the time with the autoencoder\'s codes ({}) and {:.1%} with '
            'PCA\'s first two components.'.format(
                deep2[0]['knn_accuracy'], deep2[0]['recipe'],
                pca2[0]['knn_accuracy']),
            '',
        ]
    text += [
        'What differs from the paper: they trained on all 60,000 training '
        'images and fine-tuned by conjugate gradients for 200 epochs, with '
        '50 CD-1 epochs per RBM; here 50,000 images train, 10,000 '
        'validate, and Adam fine-tunes. Logistic PCA here is trained by '
        'Adam on cross-entropy, its code unconstrained.',
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
