"""Images as bytes and as signals: codecs, an 8-bit code quantizer, noise
and quality measures.

Images are float arrays in [0, 1] of shape (n, 28, 28) or (n, 784) unless
a function says uint8.
"""
import io

import numpy as np
from PIL import Image
from skimage.metrics import peak_signal_noise_ratio


def encode(image, **options):
    """Returns the bytes of one uint8 image saved by Pillow with options."""
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, **options)
    return buffer.getvalue()


def png_bytes(images):
    """Returns the size in bytes of each uint8 image (n, 28, 28) stored as
    a grey-scale PNG at Pillow's strongest compression."""
    images = np.asarray(images)
    if images.dtype != np.uint8:
        raise TypeError('images must be uint8, got {}'.format(images.dtype))
    return np.array([len(encode(image, format='PNG', optimize=True))
                     for image in images], np.float64)


def jpeg(images, quality):
    """Returns (decoded images as floats in [0, 1], sizes in bytes) of the
    uint8 images (n, 28, 28) stored as grey-scale JPEG at the quality
    (1-95) with optimized Huffman tables."""
    if not 1 <= quality <= 95:
        raise ValueError('quality must be between 1 and 95, got {!r}'
                         .format(quality))
    decoded, sizes = [], []
    for image in np.asarray(images, np.uint8):
        data = encode(image, format='JPEG', quality=quality, optimize=True)
        decoded.append(np.asarray(Image.open(io.BytesIO(data))))
        sizes.append(len(data))
    return np.array(decoded, np.float64) / 255., np.array(sizes, np.float64)


class Quantizer:
    """Stores each number of a code in one byte: fit() finds every
    dimension's range on training codes, encode() maps the range linearly
    onto 0..255 (values outside are clipped), decode() maps back."""

    def fit(self, codes):
        """Learns the range of each dimension of codes (n, ...); returns
        self."""
        codes = np.asarray(codes, np.float64)
        self.low = codes.min(axis=0)
        self.step = (codes.max(axis=0) - self.low) / 255.
        self.step[self.step == 0] = 1.
        return self

    def encode(self, codes):
        """Returns codes as uint8, one byte per number."""
        levels = (np.asarray(codes, np.float64) - self.low) / self.step
        return np.clip(np.rint(levels), 0, 255).astype(np.uint8)

    def decode(self, levels):
        """Returns the numbers the bytes stand for (float32)."""
        return (self.low + levels * self.step).astype(np.float32)


def sse(x, y):
    """Returns each image's squared error summed over its pixels."""
    x = np.asarray(x, np.float64).reshape(len(x), -1)
    y = np.asarray(y, np.float64).reshape(len(y), -1)
    return np.sum((x - y) ** 2, axis=1)


def psnr(clean, other):
    """Returns each image's peak signal-to-noise ratio in dB (peak 1), from
    scikit-image."""
    clean = np.asarray(clean, np.float64).reshape(len(clean), -1)
    other = np.asarray(other, np.float64).reshape(len(other), -1)
    return np.array([peak_signal_noise_ratio(a, b, data_range=1.)
                     for a, b in zip(clean, other)])


def gaussian_noise(x, sigma, rng):
    """Returns x plus N(0, sigma^2) noise, clipped to [0, 1]."""
    return np.clip(x + sigma * rng.standard_normal(x.shape), 0, 1).astype(
        np.float32)


def dropout_noise(x, rate, rng):
    """Returns x with each pixel switched off (set to 0) with probability
    rate."""
    return (x * (rng.random(x.shape) >= rate)).astype(np.float32)


NOISES = {'gaussian': gaussian_noise, 'dropout': dropout_noise}
