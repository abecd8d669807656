"""What the explorer computes, without a server: the functions behind its
three endpoints, and the conversion of any picture into what the models see.

Images handed back are float arrays in [0, 1]; 28x28 ones are what the
models see, shown larger by the page. Every function returns, last, the
numbers it shows as one JSON-ready dict.
"""
import io
import os

import numpy as np
from PIL import Image, UnidentifiedImageError
from scipy import ndimage

from aelib import datasets, imaging
from explorer.models import TASK_NAMES, detector_stats, part, shape_of

MAX_BYTES = 5 * 1024 * 1024
SIDE = 28
NOISE_KINDS = ('gaussian', 'dropout')


class InputError(ValueError):
    """An input the explorer cannot use; its message is shown in the
    page."""


def read_image(source):
    """Returns the picture at source (a path, bytes or a PIL image) as a
    PIL image, after checking its size; InputError if it is not one."""
    if isinstance(source, Image.Image):
        return source
    if isinstance(source, (str, os.PathLike)):
        try:
            size = os.path.getsize(source)
        except OSError:
            raise InputError('No file at {}.'.format(source)) from None
        if size > MAX_BYTES:
            raise InputError('The file is {:.1f} MB; the explorer takes '
                             'images up to {} MB.'.format(
                                 size / 2 ** 20, MAX_BYTES // 2 ** 20))
        with open(source, 'rb') as f:
            source = f.read()
    if len(source) > MAX_BYTES:
        raise InputError('The file is {:.1f} MB; the explorer takes images '
                         'up to {} MB.'.format(len(source) / 2 ** 20,
                                               MAX_BYTES // 2 ** 20))
    try:
        image = Image.open(io.BytesIO(source))
        image.load()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        raise InputError('That file is not an image the explorer can read '
                         '(PNG, JPEG, GIF, BMP, WebP...).') from None
    return image


def to_grey(image):
    """Returns a PIL image (or an array) as float grey levels in [0, 1]
    (transparent parts white behind dark strokes, black behind light ones)
    and notes on what was done."""
    notes = []
    if not isinstance(image, Image.Image):
        array = np.asarray(image)
        if array.dtype.kind == 'f':
            array = np.clip(array * (255. if array.max() <= 1 else 1.), 0,
                            255)
        image = Image.fromarray(array.astype(np.uint8))
    if image.mode in ('RGBA', 'LA', 'PA') or 'transparency' in image.info:
        rgba = np.asarray(image.convert('RGBA'), np.float64) / 255.
        rgb, alpha = rgba[..., :3], rgba[..., 3:]
        if alpha.min() < 1:
            # put the strokes on a background they stand out from
            opaque = rgb[alpha[..., 0] > 0.5]
            dark = len(opaque) and opaque.mean() < 0.5
            notes.append('transparent parts read as {}'.format(
                'white' if dark else 'black'))
            rgb = rgb * alpha + (1. if dark else 0.) * (1 - alpha)
    else:
        rgb = np.asarray(image.convert('RGB'), np.float64) / 255.
    if np.ptp(rgb, axis=-1).max() > 0.02:
        notes.append('colours turned to grey')
    grey = rgb @ np.array([0.299, 0.587, 0.114])
    return grey, notes


def as_mnist(source):
    """Returns a picture as the models see it: 28x28 grey levels in [0, 1],
    a light digit on a dark background, the ink's bounding box scaled to
    fit 20x20 and centred, as MNIST's digits are; and a sentence saying what
    was done. InputError for an empty picture or one that is not an
    image."""
    if source is None:
        raise InputError('Draw a digit, upload an image or pick a random '
                         'one first.')
    if isinstance(source, dict):  # the sketchpad's value
        source = source.get('composite')
        if source is None:
            raise InputError('The sketchpad is empty: draw a digit first.')
    if isinstance(source, (str, os.PathLike, bytes, Image.Image)):
        source = read_image(source)
    grey, notes = to_grey(source)
    height, width = grey.shape
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    if np.median(border) > 0.5:
        grey = 1. - grey
        notes.append('light background inverted (MNIST digits are light '
                     'on black)')
    if grey.max() - grey.min() < 0.05:
        raise InputError('The picture is empty: nothing stands out from '
                         'its background.')
    grey = (grey - grey.min()) / (grey.max() - grey.min())
    if (height, width) != (SIDE, SIDE):
        grey = fit_box(grey)
        notes.append('resized from {}x{} to 28x28 (the ink centred in '
                     '20x20)'.format(width, height))
    if not grey.any():
        raise InputError('The picture is empty.')
    text = 'Input as the models see it: 28x28 grey levels in [0, 1]'
    return grey.astype(np.float32), text + (
        '; ' + ', '.join(notes) + '.' if notes else '.')


def fit_box(grey):
    """Returns the ink of grey (values above 0.1) cropped to its bounding
    box, scaled so that its longer side is 20 pixels, centred by its mass
    in a 28x28 frame."""
    rows, cols = np.nonzero(grey > 0.1)
    if not len(rows):
        raise InputError('The picture is empty: no ink found.')
    box = grey[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
    scale = 20. / max(box.shape)
    size = (max(1, round(box.shape[1] * scale)),
            max(1, round(box.shape[0] * scale)))
    small = np.asarray(Image.fromarray((box * 255).astype(np.uint8))
                       .resize(size, Image.LANCZOS), np.float64) / 255.
    frame = np.zeros((SIDE, SIDE))
    top, left = (SIDE - small.shape[0]) // 2, (SIDE - small.shape[1]) // 2
    frame[top:top + small.shape[0], left:left + small.shape[1]] = small
    centre = ndimage.center_of_mass(frame)
    shift = np.rint(np.array([SIDE / 2 - 0.5] * 2) - centre).astype(int)
    return np.clip(ndimage.shift(frame, shift, order=0), 0, 1)


def forward(model, x):
    """Returns model's output for the batch x as numpy: predict_on_batch
    runs the model's compiled prediction step (traced once per batch
    shape), 10 to 20 times quicker here for one image than an eager call
    and without predict()'s per-call set-up."""
    out = model.predict_on_batch(x)
    if isinstance(out, (list, tuple)):
        return [np.asarray(o) for o in out]
    return np.asarray(out)


def finite(value, digits=2):
    """Returns value rounded, or None if it is not finite."""
    return round(float(value), digits) if np.isfinite(value) else None


class Explorer:
    """The loaded models, the detector and the test images, and the
    endpoints' functions."""

    def __init__(self, models, detector, limit=None):
        """models: {name: autoencoder}; detector: models.Detector."""
        self.models, self.detector = models, detector
        (_, _), (x_test, y_test) = datasets.load('mnist')
        self.test = datasets.images(x_test[:limit], (SIDE, SIDE))
        self.labels = y_test[:limit]
        self.fashion = None
        vae = models['variational']
        self.means = forward(part(vae, 'encoder'),
                             self.test.reshape(-1, 784))[1]

    def random_image(self, dataset, rng):
        """Returns a random test image of dataset ('mnist' or
        'fashion_mnist') and its index."""
        if dataset == 'mnist':
            images = self.test
        else:
            if self.fashion is None:
                (_, _), (x, _) = datasets.load('fashion_mnist')
                self.fashion = datasets.images(x, (SIDE, SIDE))
            images = self.fashion
        index = int(rng.integers(len(images)))
        return images[index], index

    def reconstruct(self, source):
        """Returns the input as the models see it, each task model's
        reconstruction, a sentence on the input, and {"errors": {name:
        squared error summed over the pixels}, "anomaly_score": ...,
        "percentile": ...}: the detector's score and the percentage of
        MNIST test digits scoring lower."""
        x, text = as_mnist(source)
        rebuilt, errors = {}, {}
        for name in TASK_NAMES:
            batch = x.reshape((1,) + shape_of(name))
            out = forward(self.models[name], batch)
            rebuilt[name] = np.reshape(out, (SIDE, SIDE))
            errors[name] = round(float(imaging.sse(x[None], out)[0]), 3)
        score = float(self.detector.score(detector_stats(
            self.models['vanilla'], x.reshape(1, 784)))[0])
        numbers = {'errors': errors, 'anomaly_score': round(score, 3),
                   'percentile': round(self.detector.percentile(score), 2)}
        return x, rebuilt, text, numbers

    def decode(self, z1, z2):
        """Returns the VAE decoder's image of z = (z1, z2) and {"z": [z1,
        z2]}."""
        z = np.array([[float(z1), float(z2)]], np.float32)
        if not np.all(np.isfinite(z)):
            raise InputError('z1 and z2 must be numbers, got {!r} and '
                             '{!r}'.format(z1, z2))
        decoder = part(self.models['variational'], 'decoder')
        image = forward(decoder, z).reshape(SIDE, SIDE)
        return image, {'z': [float(z1), float(z2)]}

    def interpolate(self, first, second, steps=8):
        """Returns the VAE's decoded images along the straight line between
        the means of test images first and second (indices), ends
        included."""
        for name, index in (('first', first), ('second', second)):
            if not 0 <= int(index) < len(self.test):
                raise InputError('{} must be a test index from 0 to {}, '
                                 'got {}'.format(name, len(self.test) - 1,
                                                 index))
        a, b = self.means[int(first)], self.means[int(second)]
        t = np.linspace(0, 1, steps)[:, None]
        z = ((1 - t) * a + t * b).astype(np.float32)
        decoder = part(self.models['variational'], 'decoder')
        return forward(decoder, z).reshape(-1, SIDE, SIDE), z

    def denoise(self, index, kind, level):
        """Returns the clean test image index, its noisy version (noise kind
        'gaussian' or 'dropout' at level: the standard deviation or the
        rate, seeded by the index), the denoiser's and the 3x3 median
        filter's outputs, and {"psnr_db": {"noisy": ..., "denoiser": ...,
        "median": ...}, "index": ..., "noise": ..., "level": ...}."""
        try:
            index, level = int(index), float(level)
        except (TypeError, ValueError):
            raise InputError('index must be a whole number and level a '
                             'number, got {!r} and {!r}'.format(
                                 index, level)) from None
        if not 0 <= index < len(self.test):
            raise InputError('index must be from 0 to {}, got {}'.format(
                len(self.test) - 1, index))
        if kind not in NOISE_KINDS:
            raise InputError('noise must be one of {}, got {!r}'.format(
                ', '.join(NOISE_KINDS), kind))
        if not 0 < level <= 1:
            raise InputError('level must be above 0 and at most 1, got {}'
                             .format(level))
        clean = self.test[index:index + 1]
        noisy = imaging.NOISES[kind](clean, level,
                                     np.random.default_rng(index))
        denoised = forward(self.models['denoiser'],
                           noisy[..., None]).reshape(1, SIDE, SIDE)
        median = ndimage.median_filter(noisy[0], size=3)[None]
        # identical images have an infinite PSNR, which JSON cannot hold
        psnr = {name: finite(imaging.psnr(clean, image)[0])
                for name, image in (('noisy', noisy),
                                    ('denoiser', denoised),
                                    ('median', median))}
        numbers = {'psnr_db': psnr, 'index': index, 'noise': kind,
                   'level': level}
        return clean[0], noisy[0], denoised[0], median[0], numbers
