"""Codecs, the 8-bit quantizer, PCA codes, noise and quality measures
against hand computations on small arrays."""
import numpy as np
import pytest
from sklearn.decomposition import PCA

from aelib import imaging
from applications.compression import pca_coder


def test_quantizer_maps_each_dimensions_range_onto_0_255():
    train = np.array([[0., -1.], [2., 1.], [1., 0.]])
    quantizer = imaging.Quantizer().fit(train)
    # steps 2/255 and 2/255 from the lows 0 and -1
    levels = quantizer.encode([[0., -1.], [2., 1.], [1., 0.]])
    assert levels.dtype == np.uint8
    assert levels.tolist() == [[0, 0], [255, 255], [128, 128]]
    # 128 * 2 / 255 = 1.00392...
    assert quantizer.decode(levels)[2] == pytest.approx([256 / 255,
                                                         256 / 255 - 1])


def test_quantizer_error_is_at_most_half_a_step_inside_the_range():
    rng = np.random.default_rng(0)
    train = rng.normal(size=(500, 3)) * [1., 10., 0.1]
    quantizer = imaging.Quantizer().fit(train)
    decoded = quantizer.decode(quantizer.encode(train))
    assert np.all(np.abs(decoded - train) <= quantizer.step / 2 + 1e-6)


def test_quantizer_clips_values_outside_the_training_range():
    quantizer = imaging.Quantizer().fit([[0.], [1.]])
    assert quantizer.encode([[-5.], [7.]]).ravel().tolist() == [0, 255]


def test_quantizer_keeps_a_constant_dimension():
    """A dimension that never changes (a dead ReLU unit) decodes to its
    one value."""
    quantizer = imaging.Quantizer().fit([[0., 3.], [1., 3.]])
    assert quantizer.decode(quantizer.encode([[0.5, 3.]]))[0, 1] == 3.


def test_pca_coder_is_the_projection_on_the_top_eigenvectors():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 4)) @ np.diag([3., 2., 1., 0.1])
    pca = PCA(3, svd_solver='full').fit(x)
    encode, decode = pca_coder(pca, 2)
    mean = x.mean(axis=0)
    values, vectors = np.linalg.eigh(np.cov(x - mean, rowvar=False))
    top = vectors[:, np.argsort(values)[::-1][:2]]
    # the same subspace: codes agree up to the sign of each component
    codes = encode(x)
    expected = (x - mean) @ top
    assert np.abs(codes) == pytest.approx(np.abs(expected), abs=1e-8)
    assert decode(codes) == pytest.approx((x - mean) @ top @ top.T + mean)


def test_pca_coder_of_k_components_is_pca_k():
    rng = np.random.default_rng(1)
    x = rng.random((100, 6))
    encode, decode = pca_coder(PCA(5, svd_solver='full').fit(x), 2)
    small = PCA(2, svd_solver='full').fit(x)
    assert decode(encode(x)) == pytest.approx(
        small.inverse_transform(small.transform(x)))


def test_pca_coder_refuses_more_components_than_fitted():
    pca = PCA(2).fit(np.random.default_rng(0).random((10, 4)))
    with pytest.raises(ValueError, match='k must be between 1 and 2'):
        pca_coder(pca, 3)


def test_sse_sums_over_the_pixels():
    x = np.zeros((2, 28, 28))
    y = np.zeros((2, 784))
    y[0, :4] = 0.5
    assert imaging.sse(x, y).tolist() == [1.0, 0.0]


def test_psnr_by_hand():
    clean = np.zeros((2, 4))
    other = np.array([[0.1, 0.1, 0.1, 0.1], [1., 0., 0., 0.]])
    # MSE 0.01 -> 20 dB; MSE 0.25 -> 10 log10(4) dB
    assert imaging.psnr(clean, other) == pytest.approx(
        [20., 10 * np.log10(4)])


def test_png_is_lossless_and_jpeg_is_not():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (3, 28, 28)).astype(np.uint8)
    assert np.all(imaging.png_bytes(images) > 784)  # noise: incompressible
    decoded, sizes = imaging.jpeg(images, 10)
    assert decoded.shape == (3, 28, 28) and decoded.max() <= 1
    assert np.all(imaging.sse(images / 255., decoded) > 0)
    better, larger = imaging.jpeg(images, 90)
    assert np.all(larger > sizes)
    assert np.all(imaging.sse(images / 255., better)
                  < imaging.sse(images / 255., decoded))


def test_jpeg_refuses_a_quality_out_of_range():
    with pytest.raises(ValueError, match='quality must be between 1 and 95'):
        imaging.jpeg(np.zeros((1, 28, 28), np.uint8), 100)


def test_gaussian_noise_is_clipped_with_the_given_spread():
    x = np.full((200, 28, 28), 0.5, np.float32)
    noisy = imaging.gaussian_noise(x, 0.1, np.random.default_rng(0))
    assert noisy.dtype == np.float32
    assert noisy.std() == pytest.approx(0.1, rel=0.02)
    clipped = imaging.gaussian_noise(x, 5., np.random.default_rng(0))
    assert clipped.min() == 0 and clipped.max() == 1


def test_dropout_noise_switches_off_the_given_fraction():
    x = np.ones((100, 784), np.float32)
    noisy = imaging.dropout_noise(x, 0.3, np.random.default_rng(0))
    assert set(np.unique(noisy)) == {0., 1.}
    assert np.mean(noisy == 0) == pytest.approx(0.3, abs=0.01)
