"""The explorer's models: trained once, cached, verified before each use.

The four task models with the mains' arguments, a convolutional denoiser
(the convolutional task model trained from noisy to clean images, with
Gaussian and dropout noise of random levels drawn anew every epoch) and the
anomaly detector of applications/anomaly.py fitted on MNIST (DoSE over the
vanilla model's squared error, cross-entropy and code norm and the image's
PNG size, its density fitted on held-out training digits). The cache folder
holds each model as a .keras file and a manifest with their SHA-256 sums;
a file that is missing, altered or foreign, or that does not load in Keras
3's safe mode, is retrained with a one-line message.
"""
import json
import os
import sys
import time

import numpy as np
import tensorflow as tf

from aelib import datasets, imaging, mains, progress, report, scores, task
from aelib.files import write_atomically

keras = tf.keras
TASK_NAMES = ('vanilla', 'sparse', 'convolutional', 'variational')
NAMES = TASK_NAMES + ('denoiser',)
EPOCHS = {'vanilla': 5, 'sparse': 5, 'convolutional': 3, 'variational': 5,
          'denoiser': 3}
MANIFEST = 'manifest.json'
DETECTOR = 'detector.npz'
FORMAT = 1


def shape_of(name):
    """Returns the shape of one input image of the model name."""
    return mains.TASK_MODELS['convolutional' if name == 'denoiser'
                             else name][2]


def noisy(x, rng):
    """Returns x with Gaussian noise (standard deviation 0.1 to 0.7) or
    dropout noise (rate 0.1 to 0.7), each image its own kind and level."""
    out = np.empty_like(x)
    gaussian = rng.random(len(x)) < 0.5
    levels = rng.uniform(0.1, 0.7, len(x))
    for i in range(len(x)):
        kind = 'gaussian' if gaussian[i] else 'dropout'
        out[i] = imaging.NOISES[kind](x[i:i + 1], levels[i], rng)[0]
    return out


def train(name, x_train, epochs, progress):
    """Returns the trained autoencoder (for the VAE, encoder and decoder
    are reached through its layers) of the model name, one line per
    epoch, its progress kept every epoch (aelib.progress)."""
    task = 'convolutional' if name == 'denoiser' else name
    _, _, auto = mains.build(task)
    x = x_train.reshape((-1,) + shape_of(name))
    line = mains.EpochLine(name, (), total=epochs)
    if name != 'denoiser':
        progress.fit(name, auto, x, x, epochs=epochs, batch_size=256,
                     shuffle=True, verbose=0, callbacks=[line])
        return auto

    def epoch_data(epoch):
        """Returns the epoch's noisy images (fresh noise every epoch, from
        the epoch's number alone) and their clean targets."""
        return noisy(x, np.random.default_rng([0, epoch])), x
    progress.fit(name, auto, epoch_data, None, epochs=epochs,
                 batch_size=256, shuffle=True, verbose=0, callbacks=[line])
    return auto


def part(auto, name):
    """Returns the sub-model name ('encoder' or 'decoder') of auto."""
    return auto.get_layer(name)


def detector_stats(vanilla, x):
    """Returns the detector's statistics of the float images x (n, 784):
    squared error, cross-entropy, code norm and PNG bits."""
    code = np.asarray(part(vanilla, 'encoder').predict_on_batch(x))
    rebuilt = np.asarray(part(vanilla, 'decoder').predict_on_batch(code))
    bits = scores.png_bits(np.rint(x.reshape(-1, 28, 28) * 255).astype(
        np.uint8))
    return np.column_stack([scores.mse(x, rebuilt), scores.bce(x, rebuilt),
                            np.linalg.norm(code, axis=1), bits])


class Detector:
    """DoSE fitted on held-out MNIST training digits, and the scores of the
    MNIST test digits to rank a new image against."""

    def __init__(self, held_stats, test_stats=None, test_scores=None):
        """held_stats: statistics (n, 4) of the held-out digits; the test
        digits' statistics (scored here) or their scores."""
        self.held_stats = np.asarray(held_stats, np.float64)
        self.dose = scores.Dose().fit(self.held_stats)
        if test_scores is None:
            test_scores = self.score(test_stats)
        self.test_scores = np.sort(np.asarray(test_scores, np.float64))

    def score(self, stats):
        """Returns the anomaly score of each row of statistics."""
        return self.dose.score(stats)

    def percentile(self, score):
        """Returns the percentage of MNIST test digits scoring lower than
        score (strictly)."""
        lower = np.searchsorted(self.test_scores, score, side='left')
        return 100. * lower / len(self.test_scores)


def sha256(path):
    """Returns the SHA-256 of the file at path."""
    return datasets.sha256_file(path)


def read_manifest(folder):
    """Returns the cache's manifest, or {} if it is missing or unreadable."""
    try:
        with open(os.path.join(folder, MANIFEST)) as f:
            manifest = json.load(f)
        return manifest if manifest.get('format') == FORMAT else {}
    except (OSError, ValueError, AttributeError):
        return {}


def load_checked(folder, name, manifest):
    """Returns the cached model name, or None with a one-line message if it
    is missing, not the file the manifest names, does not load in safe mode
    or is not the architecture the task file builds."""
    path = os.path.join(folder, name + '.keras')
    if not os.path.exists(path):
        return None
    if manifest.get('files', {}).get(name + '.keras') != sha256(path):
        print('{}: not the file this cache wrote (checksum differs); '
              'retraining'.format(path), file=sys.stderr)
        return None
    try:
        task(mains.TASK_MODELS['variational'][0])  # registers Sampling
        options = {'safe_mode': True} if hasattr(keras, 'ops') else {}
        model = keras.models.load_model(path, **options)
    except Exception as error:  # a corrupt file: any loader error
        print('{}: does not load ({}); retraining'.format(
            path, str(error).splitlines()[0][:120]), file=sys.stderr)
        return None
    if signature(model) != signature(blueprint(name)):
        print('{}: not the {} model (another architecture); retraining'
              .format(path, name), file=sys.stderr)
        return None
    return model


def blueprint(name):
    """Returns an untrained autoencoder of the model name, as the task file
    builds it with the mains' arguments."""
    module, arguments, _ = mains.TASK_MODELS[
        'convolutional' if name == 'denoiser' else name]
    return task(module).autoencoder(*arguments)[2]


def signature(model):
    """Returns what identifies a model's architecture: its input and output
    shapes and its weights' shapes."""
    return ([tuple(t.shape[1:]) for t in model.inputs + model.outputs],
            [tuple(w.shape) for w in model.weights])


def load_detector(folder, manifest):
    """Returns the cached detector, or None if missing or altered."""
    path = os.path.join(folder, DETECTOR)
    if not os.path.exists(path) or \
            manifest.get('files', {}).get(DETECTOR) != sha256(path):
        if os.path.exists(path):
            print('{}: checksum differs; refitting'.format(path),
                  file=sys.stderr)
        return None
    with np.load(path, allow_pickle=False) as saved:
        return Detector(saved['held_stats'],
                        test_scores=saved['test_scores'])


def prepare(folder, limit=None, epochs=None, retrain=False):
    """Returns {name: model} and the detector, from the cache folder where
    they are valid, trained (and cached) where not. limit: train on the
    first `limit` MNIST training images; epochs: {name: epochs} overriding
    EPOCHS."""
    epochs = dict(EPOCHS, **(epochs or {}))
    os.makedirs(folder, exist_ok=True)
    manifest = {} if retrain else read_manifest(folder)
    if manifest and manifest.get('limit') != limit:
        print('{}: trained on other data (limit {}); retraining'.format(
            folder, manifest.get('limit')), file=sys.stderr)
        manifest = {}
    files = dict(manifest.get('files', {}))
    (x_train, _), (x_test, _) = datasets.load('mnist')
    x_train = datasets.images(x_train[:limit])
    held = len(x_train) // 6
    models, changed = {}, False
    kept = progress.Progress('explorer', {'limit': limit, 'epochs': epochs})
    for name in NAMES:
        model = load_checked(folder, name, manifest)
        if model is None:
            began = time.perf_counter()
            print('== training {} ({} epochs on {:,} images)'.format(
                name, epochs[name], len(x_train) - held), file=sys.stderr)
            model = train(name, x_train[:-held], epochs[name], kept)
            path = os.path.join(folder, name + '.keras')
            model.save(path)
            files[name + '.keras'] = sha256(path)
            changed = True
            print('{} trained in {:.0f} s'.format(
                name, time.perf_counter() - began), file=sys.stderr)
        models[name] = model
    detector = None if changed else load_detector(folder, manifest)
    if detector is None:
        vanilla = models['vanilla']
        detector = Detector(detector_stats(vanilla, x_train[-held:]),
                            detector_stats(vanilla, datasets.images(
                                x_test[:limit])))
        path = os.path.join(folder, DETECTOR)
        np.savez(path, held_stats=detector.held_stats,
                 test_scores=detector.test_scores)
        files[DETECTOR] = sha256(path)
        changed = True
    if changed:
        write_atomically(os.path.join(folder, MANIFEST), json.dumps(
            {'format': FORMAT, 'limit': limit, 'epochs': epochs,
             'keras': report.environment()['keras'], 'files': files},
            indent=1) + '\n')
    kept.finish()
    return models, detector
