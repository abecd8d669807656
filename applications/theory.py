#!/usr/bin/env python3
"""The theory notes' claims, measured on MNIST.

The theory notes (seed 004) claim that a stacked autoencoder trained
without labels gives a classifier a head start when labels are few; that
tying the decoder's weights to the encoder's halves the weights, speeds up
training and limits overfitting; that a KL-divergence sparsity loss works
better than an L1 penalty; and describe training one shallow autoencoder at
a time as an older alternative to training the stack at once. Each becomes
an experiment here, with the vanilla factory's architecture (784-128-64-32)
and the mains' settings (batch 256); --epochs sets the autoencoders'
epochs (50 in the mains). Writes results/theory.json, the figures
results/theory-*.png and, with --readme, the section of docs/theory.md.
"""
import sys
import time
from functools import partial

import numpy as np
import aelib  # noqa: F401  (first: it sets TensorFlow's options)
import tensorflow as tf
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from aelib import datasets, layers, mains, plots, report

keras = tf.keras
HIDDEN, LATENT = [128, 64], 32
LABELS = (100, 1000, 10000)
VARIANTS = ('scratch', 'frozen', 'fine_tuned')
README_BEGIN, README_END = report.markers(
    'theory', '`make applications` (applications/theory.py)')
FIGURES = ('theory-pretraining', 'theory-tied', 'theory-sparsity',
           'theory-layerwise')
NEAR_ZERO = 0.01


def parse_args(argv=None):
    """Returns the command line's flags; -h explains them."""
    parser = report.parser(__doc__, 'theory', 20, 'docs/theory.md')
    parser.add_argument('--seeds', type=report.positive_int, default=3,
                        metavar='N', help='labelled subsets per size '
                        '(default: 3)')
    parser.add_argument('--steps', type=report.positive_int, default=3000,
                        metavar='N', help='gradient steps (batch 32) of '
                        'every classifier (default: 3000)')
    parser.add_argument('--target', type=float, default=0.1, metavar='P',
                        help='target mean activation of the KL sparsity '
                        'penalty (default: 0.1)')
    parser.add_argument('--sparsity-weight', type=float, default=0.01,
                        metavar='W', help='weight of the KL sparsity '
                        'penalty (default: 0.01)')
    args = parser.parse_args(argv)
    if not 0 < args.target < 1:
        parser.error('argument --target: must be between 0 and 1, got {}'
                     .format(args.target))
    return args


def balanced_subset(labels, n, seed):
    """Returns the indices of n images, n / 10 of each of the 10 classes,
    drawn without replacement by a generator seeded with seed."""
    if n % 10:
        raise ValueError('n must be a multiple of 10, got {!r}'.format(n))
    rng = np.random.default_rng(seed)
    chosen = [rng.choice(np.flatnonzero(labels == digit), n // 10,
                         replace=False) for digit in range(10)]
    return np.sort(np.concatenate(chosen))


def classifier(encoder=None, trainable=True):
    """Returns a classifier with the vanilla encoder's layers (784-128-64-32,
    relu) and a softmax layer of 10; its encoder layers start from
    encoder's weights if one is given, and are frozen unless trainable."""
    inputs = keras.Input(shape=(784,))
    x = inputs
    dense = [keras.layers.Dense(units, activation='relu')
             for units in HIDDEN + [LATENT]]
    for layer in dense:
        x = layer(x)
    outputs = keras.layers.Dense(10, activation='softmax')(x)
    model = keras.Model(inputs, outputs)
    if encoder is not None:
        source = [layer for layer in encoder.layers
                  if isinstance(layer, keras.layers.Dense)]
        for layer, pretrained in zip(dense, source):
            layer.set_weights(pretrained.get_weights())
            layer.trainable = trainable
    model.compile(optimizer='adam', loss='sparse_categorical_crossentropy',
                  metrics=['accuracy'])
    return model


def passes(n, steps):
    """Returns how many times a classifier sees each of n labelled images:
    enough for `steps` gradient steps of batch 32 whatever n is."""
    return max(1, int(np.ceil(steps * 32 / n)))


def probe(train_codes, y_train, test_codes, y_test):
    """Returns the test accuracy of logistic regression on standardized
    codes (scikit-learn)."""
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500))
    model.fit(train_codes.reshape(len(train_codes), -1), y_train)
    return float(model.score(test_codes.reshape(len(test_codes), -1),
                             y_test))


def fit(args, name, auto, x, epochs, validation=None):
    """Trains auto to reconstruct x (batch 256, shuffled), its progress
    kept every epoch under name; returns the history's record and the
    median seconds per epoch."""
    history = args.progress.fit(name, auto, x, x, epochs=epochs,
                                batch_size=256, shuffle=True, verbose=2,
                                validation_data=None if validation is None
                                else (validation, validation))
    return history.history, float(np.median(history.seconds))


def record(experiment, variant, metric, value, epochs, std=None,
           n_labels=None):
    """Returns one flat row."""
    return {'experiment': experiment, 'variant': variant, 'metric': metric,
            'value': round(float(value), 5),
            'std': None if std is None else round(float(std), 5),
            'n_labels': n_labels, 'epochs': epochs}


def label_scores(args, encoder, data, n, epochs):
    """Returns the test accuracies of every classifier trained on args.seeds
    balanced subsets of n labelled images (each seen epochs times)."""
    (x_train, y_train), (x_test, y_test) = data
    scores = {v: [] for v in VARIANTS + ('logreg_pixels', 'logreg_pca32')}
    for seed in range(args.seeds):
        subset = balanced_subset(y_train, n, seed)
        # the subset repeated: one epoch of args.steps batches
        repeated = np.tile(subset, epochs)
        for variant in VARIANTS:
            mains.seed(seed)
            model = classifier(None if variant == 'scratch' else encoder,
                               trainable=variant != 'frozen')
            model.fit(x_train[repeated], y_train[repeated], epochs=1,
                      batch_size=32, shuffle=True, verbose=0)
            scores[variant].append(
                model.evaluate(x_test, y_test, verbose=0)[1])
        scores['logreg_pixels'].append(probe(
            x_train[subset], y_train[subset], x_test, y_test))
        pca = PCA(min(LATENT, n), svd_solver='full').fit(x_train[subset])
        scores['logreg_pca32'].append(probe(
            pca.transform(x_train[subset]), y_train[subset],
            pca.transform(x_test), y_test))
    return scores


def pretraining(args, data, rows):
    """Pretrains the vanilla model without labels, then trains classifiers
    on balanced labelled subsets; adds linear probes of every task model's
    code and logistic-regression baselines with all labels. Returns the
    figure's data."""
    (x_train, y_train), (x_test, y_test) = data
    encoder, _, auto = mains.build('vanilla')
    fit(args, 'pretraining.vanilla', auto, x_train, args.epochs)
    results = {}
    for n in LABELS:
        if n > len(x_train):
            continue
        epochs = passes(n, args.steps)
        scores = args.progress.step('pretraining.labels-{}'.format(n),
                                    partial(label_scores, args, encoder,
                                            data, n, epochs))
        means = {k: round(np.mean(v), 4) for k, v in scores.items()}
        print('== {} labels: {}'.format(n, means), file=sys.stderr)
        for variant, values in scores.items():
            rows.append(record('pretraining', variant, 'test_accuracy',
                               np.mean(values), epochs if variant in VARIANTS
                               else None, np.std(values), n))
        results[str(n)] = scores
    # linear probes with all labels
    codes = {'vanilla': (encoder, (784,))}
    for name in ('sparse', 'convolutional', 'variational'):
        other, _, other_auto = mains.build(name)
        shape = mains.TASK_MODELS[name][2]
        fit(args, 'pretraining.' + name, other_auto,
            x_train.reshape((-1,) + shape), args.epochs)
        codes[name] = (other, shape)
    n = len(x_train)
    for name, (model, shape) in codes.items():
        def encode(x):
            """Returns the codes of x (the VAE's means)."""
            out = model.predict(x.reshape((-1,) + shape), batch_size=1000,
                                verbose=0)
            return out[1] if name == 'variational' else out
        rows.append(record('linear_probe', name, 'test_accuracy',
                           probe(encode(x_train), y_train, encode(x_test),
                                 y_test), args.epochs, n_labels=n))
    pca = PCA(LATENT, svd_solver='full').fit(x_train)
    rows.append(record('linear_probe', 'pca32', 'test_accuracy',
                       probe(pca.transform(x_train), y_train,
                             pca.transform(x_test), y_test), None,
                       n_labels=n))
    rows.append(record('linear_probe', 'pixels', 'test_accuracy',
                       probe(x_train, y_train, x_test, y_test), None,
                       n_labels=n))
    return results


def tied_weights(args, data, rows):
    """Trains the vanilla architecture untied (the factory) and tied, with
    the test set as validation data as the mains do; returns the
    histories."""
    (x_train, _), (x_test, _) = data
    histories = {}
    for variant in ('untied', 'tied'):
        if variant == 'untied':
            _, _, auto = mains.build('vanilla')
        else:
            keras.backend.clear_session()
            mains.seed(0)
            auto = layers.tied_autoencoder(784, HIDDEN, LATENT)
        history, seconds = fit(args, 'tied_weights.' + variant, auto,
                               x_train, args.epochs, x_test)
        histories[variant] = history
        loss, val = history['loss'], history['val_loss']
        for metric, value in (('params', auto.count_params()),
                              ('seconds_per_epoch', seconds),
                              ('final_loss', loss[-1]),
                              ('final_val_loss', val[-1]),
                              ('best_val_loss', min(val)),
                              ('val_minus_train', val[-1] - loss[-1])):
            rows.append(record('tied_weights', variant, metric, value,
                               args.epochs))
    return histories


def kl_autoencoder(target, weight):
    """Returns encoder, decoder, auto: the vanilla architecture with a
    sigmoid code layer followed by the KL sparsity penalty (weight 0: no
    penalty), compiled as the factory compiles."""
    inputs = keras.Input(shape=(784,))
    x = inputs
    for units in HIDDEN:
        x = keras.layers.Dense(units, activation='relu')(x)
    code = keras.layers.Dense(LATENT, activation='sigmoid')(x)
    if weight:
        code = layers.KLSparsity(target, weight)(code)
    encoder = keras.Model(inputs, code)
    latent = keras.Input(shape=(LATENT,))
    x = latent
    for units in reversed(HIDDEN):
        x = keras.layers.Dense(units, activation='relu')(x)
    decoder = keras.Model(latent, keras.layers.Dense(
        784, activation='sigmoid')(x))
    auto = keras.Model(inputs, decoder(encoder(inputs)))
    auto.compile(optimizer='adam', loss='binary_crossentropy')
    return encoder, decoder, auto


def sparsity(args, data, rows):
    """Trains the code layer with no penalty, task 1's L1 penalty, a sigmoid
    code and a sigmoid code with the KL penalty; returns each variant's
    decoded unit images for the figure."""
    (x_train, y_train), (x_test, y_test) = data
    features = {}
    for variant in ('relu', 'l1', 'sigmoid', 'kl'):
        if variant in ('relu', 'l1'):
            encoder, decoder, auto = mains.build(
                'vanilla' if variant == 'relu' else 'sparse')
        else:
            keras.backend.clear_session()
            mains.seed(0)
            encoder, decoder, auto = kl_autoencoder(
                args.target, args.sparsity_weight if variant == 'kl' else 0)
        fit(args, 'sparsity.' + variant, auto, x_train, args.epochs)
        test_codes = encoder.predict(x_test, batch_size=1000, verbose=0)
        rebuilt = decoder.predict(test_codes, batch_size=1000, verbose=0)
        bce = keras.losses.binary_crossentropy(x_test, rebuilt).numpy()
        unit_means = test_codes.mean(axis=0)
        for metric, value in (
                ('mean_activation', unit_means.mean()),
                ('max_unit_mean_activation', unit_means.max()),
                ('near_zero_fraction', np.mean(test_codes < NEAR_ZERO)),
                ('dead_units', np.sum(test_codes.max(axis=0) < NEAR_ZERO)),
                ('reconstruction_bce', bce.mean()),
                ('probe_accuracy', probe(
                    encoder.predict(x_train, batch_size=1000, verbose=0),
                    y_train, test_codes, y_test))):
            rows.append(record('sparsity', variant, metric, value,
                               args.epochs))
        # each unit at its largest test activation, the others at their mean
        units = np.tile(unit_means, (LATENT, 1))
        np.fill_diagonal(units, test_codes.max(axis=0))
        features[variant] = decoder.predict(units, verbose=0)
    return features


def layer_wise(args, data, rows):
    """Trains the 784-128-64-32 stack one shallow autoencoder at a time
    (a quarter of the epochs each), stacks them into the vanilla factory's
    model and fine-tunes it for the last quarter, against the factory's
    model trained whole for all the epochs; returns validation losses."""
    (x_train, _), (x_test, _) = data
    phase = max(1, args.epochs // 4)
    curves = {}
    # the whole stack at once
    began = time.perf_counter()
    _, _, whole = mains.build('vanilla')
    history, _ = fit(args, 'layer_wise.end_to_end', whole, x_train,
                     4 * phase, x_test)
    curves['end_to_end'] = history['val_loss']
    rows.append(record('layer_wise', 'end_to_end', 'val_loss',
                       history['val_loss'][-1], 4 * phase))
    rows.append(record('layer_wise', 'end_to_end', 'seconds',
                       time.perf_counter() - began, 4 * phase))
    # one shallow autoencoder at a time
    began = time.perf_counter()
    keras.backend.clear_session()
    mains.seed(0)
    inputs, targets, pairs = x_train, x_train, []
    for units, last in zip(HIDDEN + [LATENT], [False, False, True]):
        size = inputs.shape[1]
        shallow_in = keras.Input(shape=(size,))
        encode = keras.layers.Dense(units, activation='relu')
        decode = keras.layers.Dense(
            size, activation='sigmoid' if size == 784 else 'relu')
        shallow = keras.Model(shallow_in, decode(encode(shallow_in)))
        shallow.compile(optimizer='adam', loss='binary_crossentropy'
                        if size == 784 else 'mse')
        args.progress.fit('layer_wise.shallow-{}'.format(units), shallow,
                          inputs, targets, epochs=phase, batch_size=256,
                          shuffle=True, verbose=2)
        pairs.append((encode, decode))
        inputs = targets = encode(inputs).numpy()
    encoder, decoder, auto = mains.build('vanilla')
    dense = [layer for model in (encoder, decoder) for layer in model.layers
             if isinstance(layer, keras.layers.Dense)]
    for layer, source in zip(dense, [e for e, _ in pairs]
                             + [d for _, d in reversed(pairs)]):
        layer.set_weights(source.get_weights())
    stacked = auto.evaluate(x_test, x_test, batch_size=1000, verbose=0)
    history, _ = fit(args, 'layer_wise.fine_tuned', auto, x_train, phase,
                     x_test)
    curves['layer_wise'] = [stacked] + history['val_loss']
    rows.append(record('layer_wise', 'layer_wise', 'val_loss_stacked',
                       stacked, 3 * phase))
    rows.append(record('layer_wise', 'layer_wise', 'val_loss',
                       history['val_loss'][-1], 4 * phase))
    rows.append(record('layer_wise', 'layer_wise', 'seconds',
                       time.perf_counter() - began, 4 * phase))
    return curves


def run_experiment(name, experiment, args, data):
    """Runs one experiment; returns its rows, output and seconds."""
    print('== {}'.format(name), file=sys.stderr)
    began = time.perf_counter()
    rows = []
    output = experiment(args, data, rows)
    return {'rows': rows, 'output': output,
            'seconds': round(time.perf_counter() - began, 1)}


def run(args):
    """Runs the four experiments and returns the record written to --json;
    draws the figures on the way."""
    (x_train, y_train), (x_test, y_test) = mains.load_data(args)
    data = ((datasets.images(x_train), y_train),
            (datasets.images(x_test), y_test))
    rows, seconds = [], {}
    outputs = {}
    for name, experiment in (('pretraining', pretraining),
                             ('tied_weights', tied_weights),
                             ('sparsity', sparsity),
                             ('layer_wise', layer_wise)):
        result = args.progress.step(name, partial(run_experiment, name,
                                                  experiment, args, data))
        rows.extend(result['rows'])
        outputs[name] = result['output']
        seconds[name] = result['seconds']
    plot_pretraining(args, rows)
    plot_tied(args, outputs['tied_weights'])
    plot_sparsity(args, outputs['sparsity'])
    plot_layer_wise(args, outputs['layer_wise'])
    return {
        'command': ' '.join(['applications/theory.py'] + sys.argv[1:]),
        'rows': rows, 'epochs': args.epochs, 'seeds': args.seeds,
        'steps': args.steps,
        'limit': args.limit, 'target': args.target,
        'sparsity_weight': args.sparsity_weight, 'batch_size': 256,
        'experiment_seconds': seconds,
        'environment': report.environment(),
    }


def plot_pretraining(args, rows):
    """Saves test accuracy against the number of labels, per variant."""
    import matplotlib.pyplot as plt
    figure, axis = plt.subplots(figsize=(7, 5))
    chosen = [r for r in rows if r['experiment'] == 'pretraining']
    for variant in sorted({r['variant'] for r in chosen}):
        points = sorted((r['n_labels'], r['value'], r['std'])
                        for r in chosen if r['variant'] == variant)
        n, value, std = zip(*points)
        axis.errorbar(n, value, yerr=std, marker='o', capsize=3,
                      label=variant)
    axis.set_xscale('log')
    axis.set_xlabel('labelled training images (balanced)')
    axis.set_ylabel('test accuracy (10,000 images)')
    axis.set_title('Classifiers with few labels: pretrained or not')
    axis.legend()
    axis.grid(alpha=0.3)
    return plots.save(args, figure, 'theory-pretraining')


def plot_tied(args, histories):
    """Saves the training and validation losses, tied against untied."""
    import matplotlib.pyplot as plt
    figure, axis = plt.subplots(figsize=(7, 5))
    for variant, history in histories.items():
        epochs = np.arange(1, len(history['loss']) + 1)
        line, = axis.plot(epochs, history['loss'], label=variant + ' loss')
        axis.plot(epochs, history['val_loss'], '--', color=line.get_color(),
                  label=variant + ' val_loss')
    axis.set_xlabel('epoch')
    axis.set_ylabel('binary cross-entropy')
    axis.set_title('Tied against untied weights (784-128-64-32)')
    axis.legend()
    return plots.save(args, figure, 'theory-tied')


def plot_sparsity(args, features):
    """Saves, per variant, what the decoder draws for each code unit."""
    import matplotlib.pyplot as plt
    figure, axes = plt.subplots(len(features), LATENT,
                                figsize=(LATENT * 0.5, 0.7 * len(features)))
    for line, (variant, images) in zip(np.atleast_2d(axes),
                                       features.items()):
        for axis, image in zip(line, images):
            axis.imshow(image.reshape(28, 28), cmap='gray', vmin=0, vmax=1)
            axis.set_xticks([])
            axis.set_yticks([])
        line[0].set_ylabel(variant, fontsize=7)
    figure.suptitle('Each code unit at its largest activation (others at '
                    'their mean), decoded', fontsize=9)
    return plots.save(args, figure, 'theory-sparsity')


def plot_layer_wise(args, curves):
    """Saves the validation loss per epoch of the two ways to train."""
    import matplotlib.pyplot as plt
    figure, axis = plt.subplots(figsize=(7, 5))
    whole = curves['end_to_end']
    axis.plot(np.arange(1, len(whole) + 1), whole, 'o-',
              label='whole stack, all epochs')
    tuned = curves['layer_wise']
    start = len(whole) - len(tuned) + 1
    axis.plot(np.arange(start, len(whole) + 1), tuned, 's-',
              label='layer-wise, then fine-tuned (first point: stacked)')
    axis.set_xlabel('epoch (layer-wise: epochs of all phases so far)')
    axis.set_ylabel('validation binary cross-entropy')
    axis.set_title('Layer-wise against end-to-end training')
    axis.legend()
    return plots.save(args, figure, 'theory-layerwise')


def find(rows, experiment, variant, metric, n_labels=None):
    """Returns the row of the given keys."""
    for row in rows:
        if (row['experiment'], row['variant'], row['metric'],
                row['n_labels']) == (experiment, variant, metric, n_labels):
            return row
    raise KeyError((experiment, variant, metric, n_labels))


def answer(rows, get, ns):
    """Returns {experiment: a one-paragraph answer to the notes' claim},
    worded from the numbers in rows (get(*keys) returns a row's value)."""
    def accuracy(variant, n):
        """Returns (mean, std) of a pretraining variant with n labels."""
        row = find(rows, 'pretraining', variant, 'test_accuracy', n)
        return row['value'], row['std']
    helped = [n for n in ns if accuracy('fine_tuned', n)[0]
              - accuracy('scratch', n)[0] > accuracy('scratch', n)[1]
              + accuracy('fine_tuned', n)[1]]
    pre = ('**Answer: {}.** Fine-tuned against scratch: {}. The frozen '
           'encoder trails both ({}); with all labels a linear layer reads '
           'the digit from the vanilla code at {:.4f} and from the pixels at '
           '{:.4f}. With Glorot initialisation, ReLU and Adam, the network '
           'from scratch does not need the head start that pretraining gave '
           'the sigmoid networks of 2006.').format(
        'yes, with {} labels'.format(', '.join(map(str, helped)))
        if helped else 'not here', '; '.join(
            '{:,} labels {:.4f} against {:.4f}'.format(
                n, accuracy('fine_tuned', n)[0], accuracy('scratch', n)[0])
            for n in ns),
        ', '.join('{:.4f}'.format(accuracy('frozen', n)[0]) for n in ns),
        *[[r['value'] for r in rows if r['experiment'] == 'linear_probe'
           and r['variant'] == v][0] for v in ('vanilla', 'pixels')])

    def tied(metric):
        """Returns (untied, tied) values of a metric."""
        return (get('tied_weights', 'untied', metric),
                get('tied_weights', 'tied', metric))
    params, speed = tied('params'), tied('seconds_per_epoch')
    gaps, val = tied('val_minus_train'), tied('final_val_loss')
    overfit = max(gaps) > 0
    change = speed[1] / speed[0] - 1
    tie = ('**Answer: it halves the weights ({:.1%} of them); it is {} '
           '({:+.0%} seconds per epoch: the same multiplications happen '
           'either way); and {}.** Final validation loss {:.4f} tied '
           'against {:.4f} untied.').format(
        params[1] / params[0], 'faster' if change < -0.1 else
        'hardly faster' if change < 0 else 'not faster', change,
        'the tied model overfits {} (validation minus training loss '
        '{:+.4f} against {:+.4f})'.format(
            'less' if gaps[1] < gaps[0] else 'no less', gaps[1], gaps[0])
        if overfit else 'neither model overfits in these epochs (validation '
        'loss below training loss for both), so there is no overfitting to '
        'limit', val[1], val[0])

    def sparse(variant, metric):
        """Returns a sparsity metric of a variant."""
        return get('sparsity', variant, metric)
    spa = ('**Answer: the KL penalty does what it promises — it holds every '
           'unit\'s mean activation near the target ({:.3f}, at most '
           '{:.3f}) with {:.0f} dead units, where L1 only shrinks the ReLU '
           'code ({:.2f} to {:.2f}) and leaves {:.0f} of 32 units dead — '
           'at a cost in reconstruction ({:.4f} against {:.4f}); its codes '
           'are {} for a linear classifier ({:.4f} against {:.4f}).**').format(
        sparse('kl', 'mean_activation'),
        sparse('kl', 'max_unit_mean_activation'),
        sparse('kl', 'dead_units'), sparse('relu', 'mean_activation'),
        sparse('l1', 'mean_activation'), sparse('l1', 'dead_units'),
        sparse('kl', 'reconstruction_bce'),
        sparse('l1', 'reconstruction_bce'),
        'better' if sparse('kl', 'probe_accuracy')
        > sparse('l1', 'probe_accuracy') else 'no better',
        sparse('kl', 'probe_accuracy'), sparse('l1', 'probe_accuracy'))
    layer = [get('layer_wise', v, m) for v in ('layer_wise', 'end_to_end')
             for m in ('val_loss', 'seconds')]
    lay = ('**Answer: {} end to end for the same epochs (validation loss '
           '{:.4f} against {:.4f}), {} ({:.0f} s against {:.0f} s).** '
           'Stacked before fine-tuning, the shallow models reconstruct at '
           '{:.4f}: each was trained for its own layer, not for the '
           'stack.').format(
        'worse than' if layer[0] > layer[2] else 'as good as or better than',
        layer[0], layer[2], 'though a little faster' if layer[1] < layer[3]
        else 'and slower', layer[1], layer[3],
        get('layer_wise', 'layer_wise', 'val_loss_stacked'))
    return {'pretraining': pre, 'tied_weights': tie, 'sparsity': spa,
            'layer_wise': lay}


def render(record):
    """Returns the docs/theory.md section drawn from record, markers
    included."""
    rows = record['rows']

    def get(*keys):
        """Returns the value of the row of keys."""
        return find(rows, *keys)['value']
    ns = sorted({r['n_labels'] for r in rows
                 if r['experiment'] == 'pretraining'})
    variants = VARIANTS + ('logreg_pixels', 'logreg_pca32')
    pre = [[v] + ['{:.4f} ± {:.4f}'.format(
        find(rows, 'pretraining', v, 'test_accuracy', n)['value'],
        find(rows, 'pretraining', v, 'test_accuracy', n)['std'])
        for n in ns] for v in variants]
    probes = [[r['variant'], '{:.4f}'.format(r['value'])]
              for r in rows if r['experiment'] == 'linear_probe']
    probe_n = [r['n_labels'] for r in rows
               if r['experiment'] == 'linear_probe'][0]
    metrics = ('params', 'seconds_per_epoch', 'final_loss',
               'final_val_loss', 'best_val_loss', 'val_minus_train')
    tied = [[m] + [('{:,.0f}' if m == 'params' else '{:.4f}').format(
        get('tied_weights', v, m)) for v in ('untied', 'tied')]
        for m in metrics]
    sparse_variants = ('relu', 'l1', 'sigmoid', 'kl')
    sparse_metrics = ('mean_activation', 'max_unit_mean_activation',
                      'near_zero_fraction', 'dead_units',
                      'reconstruction_bce', 'probe_accuracy')
    sparse = [[m] + ['{:.4g}'.format(get('sparsity', v, m))
                     for v in sparse_variants] for m in sparse_metrics]
    layer = [[v, '{:.4f}'.format(get('layer_wise', v, 'val_loss')),
              '{:.0f}'.format(get('layer_wise', v, 'seconds'))]
             for v in ('end_to_end', 'layer_wise')]
    answers = answer(rows, get, ns)
    text = [
        README_BEGIN,
        'Autoencoders: {} epochs, batch 256; {} labelled subsets per size. '
        'Run: `{}` — {:.0f} s wall time on {}.'.format(
            record['epochs'], record['seeds'], record['command'],
            record['wall_seconds'],
            report.environment_text(record['environment'])),
        '',
        '## Pretraining with few labels',
        '',
        '*Claim: a stacked autoencoder trained on all images without labels '
        'gives a classifier a head start when labels are few.* The vanilla '
        'model learns from all training images without labels; a classifier '
        'of its encoder\'s layers and a softmax of 10 then learns from n '
        'labelled images: from scratch, with the pretrained encoder frozen, '
        'or fine-tuned — {:,} steps of batch 32 whatever n (`epochs` in the '
        'JSON counts the passes over the labelled images). Test accuracy, '
        'mean ± standard deviation over {} balanced subsets.'.format(
            record['steps'], record['seeds']),
        '',
        answers['pretraining'],
        '',
    ] + report.table(['variant'] + ['{:,} labels'.format(n) for n in ns],
                     pre) + [
        '',
        'Linear probes (logistic regression on standardized codes, all '
        '{:,} training labels): how much of the label each code keeps; '
        'the task models trained {} epochs.'.format(
            find(rows, 'linear_probe', 'pixels', 'test_accuracy',
                 probe_n)['n_labels'], record['epochs']),
        '',
    ] + report.table(['code', 'test accuracy'], probes) + [
        '',
        'For scale: logistic regression on raw pixels reaches about 0.92 '
        '(a scikit-learn run reported 0.9182; LeCun\'s table lists 12% '
        'error for a linear classifier), and Hinton & Salakhutdinov (2006) '
        'report 1.2% error for a pretrained 784-500-500-2000-10 classifier '
        'against 1.6% from random initialisation.',
        '',
        '## Tied weights',
        '',
        '*Claim: tying the decoder\'s weights to the encoder\'s "halves the '
        'number of weights … speeding up training and limiting the risk of '
        'overfitting".* The vanilla architecture (784-128-64-32) as the '
        'factory builds it, against the same with each decoder layer a '
        '`DenseTranspose` of its encoder layer (`aelib/layers.py`); batch '
        '256, the test set as validation data, as in the mains.',
        '',
        answers['tied_weights'],
        '',
    ] + report.table(['metric', 'untied (factory)', 'tied'], tied) + [
        '',
        '## Sparsity',
        '',
        '*Claim: a KL-divergence sparsity loss on a sigmoid code layer works '
        'better than an L1 penalty.* Variants: `relu` (the vanilla '
        'factory), `l1` (task 1, lambtha 1e-5), `sigmoid` (a sigmoid code '
        'layer, no penalty) and `kl` (sigmoid code plus the notes\' KL '
        'penalty, target {}, weight {}). Activations are the codes of the '
        'test images; near zero means below {}; the probe is logistic '
        'regression on the codes with all training labels; the '
        'figure shows what the decoder draws for each unit.'.format(
            record['target'], record['sparsity_weight'], NEAR_ZERO),
        '',
        answers['sparsity'],
        '',
    ] + report.table(['metric'] + list(sparse_variants), sparse) + [
        '',
        '## Layer-wise training',
        '',
        '*The notes: training one shallow autoencoder at a time, then '
        'stacking them, is an older alternative to training the stack at '
        'once.* Three shallow autoencoders (784-128, 128-64, 64-32) get a '
        'quarter of the epochs each, the stacked model the last quarter; '
        'the whole stack gets all of them.',
        '',
        answers['layer_wise'],
        '',
    ] + report.table(['variant', 'validation loss', 'seconds'], layer) + [
        '',
    ]
    text += report.figure_links(FIGURES, '../results') + [README_END]
    return '\n'.join(text)


def main(argv=None):
    """Runs the experiments (or, with --render, only the section)."""
    report.run_application(parse_args(argv), run, render, README_BEGIN,
                           README_END)


if __name__ == '__main__':
    main()
