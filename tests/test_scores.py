"""The anomaly scores against hand computations, the VAE's per-image
negative ELBO against the model's own loss, and the detection metrics on
toy inputs with known answers."""
import io

import numpy as np
import pytest
from PIL import Image

from conftest import task
from aelib import scores


def test_mse_averages_the_squared_errors_over_the_pixels():
    x = np.array([[0., 1., 0.5, 0.5], [1., 1., 1., 1.]])
    x_hat = np.array([[0., 0., 0.5, 1.], [1., 1., 1., 0.]])
    # (0 + 1 + 0 + 0.25) / 4 and 1 / 4
    assert scores.mse(x, x_hat) == pytest.approx([0.3125, 0.25])


def test_mse_flattens_images():
    x = np.zeros((2, 2, 2, 1))
    assert scores.mse(x, x + 0.5) == pytest.approx([0.25, 0.25])


def test_bce_sums_the_cross_entropy_over_the_pixels():
    x = np.array([[1., 0., 0.5]])
    x_hat = np.array([[0.8, 0.1, 0.5]])
    expected = -(np.log(0.8) + np.log(0.9) + np.log(0.5))
    assert scores.bce(x, x_hat) == pytest.approx([expected])


def test_bce_clips_probabilities_like_keras():
    x = np.array([[1., 0.]])
    x_hat = np.array([[0., 1.]])
    assert scores.bce(x, x_hat) == pytest.approx([-2 * np.log(1e-7)])


def test_bce_agrees_with_keras_per_pixel_mean():
    import tensorflow as tf
    rng = np.random.default_rng(1)
    x = rng.random((3, 784)).astype(np.float32)
    x_hat = rng.uniform(0.01, 0.99, (3, 784)).astype(np.float32)
    keras_mean = tf.keras.losses.binary_crossentropy(x, x_hat).numpy()
    assert scores.bce(x, x_hat) == pytest.approx(784 * keras_mean, rel=1e-4)


def test_kl_divergence_by_hand():
    mean = np.array([[0., 0.], [1., -2.]])
    log_var = np.array([[0., 0.], [np.log(4.), 0.]])
    # 0.5 * sum(var + mean^2 - 1 - log var)
    second = 0.5 * ((4 + 1 - 1 - np.log(4)) + (1 + 4 - 1 - 0))
    assert scores.kl_divergence(mean, log_var) == pytest.approx(
        [0., second])


def constant_decoder(p):
    """Returns a decode function whose output is p whatever the code."""
    return lambda z: np.tile(p, (len(z), 1))


def test_vae_terms_with_a_decoder_blind_to_z():
    """When p(x | z) does not depend on z, log p(x) = log p(x | z)
    exactly, the ELBO is that minus the KL term, and every k agrees."""
    x = np.array([[1., 0., 1.], [0., 0., 1.]])
    p = np.array([0.7, 0.2, 0.9])
    mean = np.array([[0.5, -1.], [0., 0.]])
    log_var = np.array([[-1., 0.5], [0., 0.]])
    nll = scores.bce(x, np.tile(p, (2, 1)))
    for k in (1, 5, 200):
        terms = scores.vae_terms(x, mean, log_var, constant_decoder(p), k,
                                 np.random.default_rng(k))
        assert terms['reconstruction'] == pytest.approx(nll)
        assert terms['kl'] == pytest.approx(
            scores.kl_divergence(mean, log_var))
        assert terms['neg_elbo'] == pytest.approx(nll + terms['kl'])
        assert terms['log_var'] == pytest.approx([-0.5, 0.])
    # the importance weights p(z) / q(z | x) average to 1: the estimate
    # nears -log p(x) = nll as k grows, exactly where q is the prior
    big = scores.iwae(x, mean, log_var, constant_decoder(p), 20000,
                      np.random.default_rng(0))
    assert big == pytest.approx(nll, abs=0.05)
    assert scores.iwae(x[1:], mean[1:], log_var[1:], constant_decoder(p),
                       3) == pytest.approx(nll[1:])


def test_iwae_with_one_sample_is_a_one_draw_negative_elbo():
    x = np.array([[1., 0.]])
    mean, log_var = np.array([[0.3]]), np.array([[-0.4]])

    def decode(z):
        """p = sigmoid(z) for both pixels."""
        p = 1 / (1 + np.exp(-z))
        return np.hstack([p, p])
    z = scores.sample_latents(mean, log_var, 1, np.random.default_rng(3))[0]
    p = 1 / (1 + np.exp(-z[0, 0]))
    std = np.exp(-0.2)
    log_prior = -0.5 * (np.log(2 * np.pi) + z[0, 0] ** 2)
    log_q = -0.5 * (np.log(2 * np.pi) - 0.4
                    + (z[0, 0] - 0.3) ** 2 / std ** 2)
    expected = -(np.log(p) + np.log(1 - p) + log_prior - log_q)
    assert scores.iwae(x, mean, log_var, decode, 1,
                       np.random.default_rng(3)) == pytest.approx([expected])


def test_iwae_is_tighter_than_the_elbo():
    """-log p(x) <= IWAE_k <= -ELBO in expectation: with a decoder that
    depends on z, the k = 100 estimate lies below the negative ELBO."""
    rng = np.random.default_rng(0)
    x = (rng.random((20, 6)) > 0.5).astype(float)
    weights = rng.normal(size=(2, 6))

    def decode(z):
        """A logistic decoder."""
        return 1 / (1 + np.exp(-z @ weights))
    mean = rng.normal(size=(20, 2))
    log_var = rng.normal(size=(20, 2)) - 1
    terms = scores.vae_terms(x, mean, log_var, decode, 100, rng)
    assert np.all(terms['iwae'] < terms['neg_elbo'])


@pytest.mark.parametrize('k', [0, -1, 2.5, True])
def test_iwae_refuses_a_bad_k(k):
    with pytest.raises(ValueError, match='k must be a positive integer'):
        scores.iwae(np.zeros((1, 2)), np.zeros((1, 1)), np.zeros((1, 1)),
                    constant_decoder(np.full(2, 0.5)), k)


def test_neg_elbo_agrees_with_the_vae_loss_on_one_image():
    """The model's loss on a one-image batch is one draw of the negative
    ELBO; its mean over many draws matches scores.neg_elbo within the
    sampling noise."""
    from conftest import batch
    encoder, decoder, auto = task('3-variational').autoencoder(784, [64], 2)
    image = batch((784,), n=1, seed=4)
    # 10 evaluations of 40 one-image batches each: each evaluation is the
    # mean of 40 draws, and their spread gives the sampling noise
    copies = np.repeat(image, 40, axis=0)
    means = np.array([auto.evaluate(copies, copies, batch_size=1, verbose=0)
                      for _ in range(10)])
    _, mean, log_var = encoder.predict(image, verbose=0)
    ours = scores.neg_elbo(image, mean, log_var,
                           lambda z: decoder.predict(z, verbose=0),
                           samples=2000)
    noise = 4 * means.std(ddof=1) / np.sqrt(len(means)) \
        + 1e-3 * abs(ours[0])
    assert abs(means.mean() - ours[0]) < noise


def test_png_bits_are_the_size_of_the_png_file():
    images = np.zeros((2, 28, 28), np.uint8)
    images[1] = np.random.default_rng(0).integers(0, 256, (28, 28))
    bits = scores.png_bits(images)
    for image, size in zip(images, bits):
        decoded = np.array(Image.open(io.BytesIO(
            image_png(image))))
        assert np.array_equal(decoded, image)
        assert size == 8 * len(image_png(image))
    # noise does not compress: at least its 784 bytes
    assert bits[0] < 8 * 784 < bits[1]


def image_png(image):
    """Returns the PNG bytes the scores module writes for image."""
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format='PNG', optimize=True)
    return buffer.getvalue()


def test_png_bits_refuse_float_images():
    with pytest.raises(TypeError, match='images must be uint8'):
        scores.png_bits(np.zeros((1, 28, 28)))


def test_complexity_is_the_code_length_in_bits_less_the_png_bits():
    assert scores.complexity([np.log(2) * 100, 0.], [30., 5.]) == \
        pytest.approx([70., -5.])


def test_dose_scores_typical_statistics_low_and_outliers_high():
    rng = np.random.default_rng(0)
    inliers = rng.normal([10., -3.], [1., 0.01], (2000, 2))
    dose = scores.Dose().fit(inliers)
    # standardized per statistic: the tiny spread of the second one counts
    typical, off = dose.score([[10., -3.], [10., -2.9]])
    assert off > typical + 10
    assert dose.center == pytest.approx([10., -3.], abs=0.1)


def test_dose_is_the_standardized_gaussian_kernel_density():
    stats = np.array([[0.], [2.]])
    dose = scores.Dose().fit(stats)
    # standardized: -1 and 1; bandwidth 2 ** (-1 / 5)
    h = 2 ** -0.2
    at = np.array([[1.]])  # standardized 0
    density = np.exp(-0.5 * (1 / h) ** 2) / (h * np.sqrt(2 * np.pi))
    assert dose.score(at) == pytest.approx([-np.log(density)])


def test_dose_refuses_a_single_image():
    with pytest.raises(ValueError, match='stats must be'):
        scores.Dose().fit([[1., 2.]])


def test_metrics_of_a_perfect_separation():
    assert scores.metrics([0., 1., 2.], [3., 4.]) == (1., 1., 0.)


def test_metrics_of_a_reversed_separation():
    auroc, auprc, fpr = scores.metrics([3., 4.], [0., 1., 2.])
    assert auroc == 0. and fpr == 1.
    # precision 1/3, 2/4, 3/5 at recalls 1/3, 2/3, 1
    assert auprc == pytest.approx((1 / 3 + 2 / 4 + 3 / 5) / 3)


def test_metrics_by_hand():
    """Inliers 0, 2, 4, 6; outliers 1, 3, 5, 7: of the 16 pairs the
    outlier ranks higher in 10 (AUROC 10/16). Detecting all outliers
    (TPR 1 >= 95%) needs the threshold below 1, passing 3 of 4 inliers."""
    auroc, auprc, fpr = scores.metrics([0, 2, 4, 6], [1, 3, 5, 7])
    assert auroc == pytest.approx(10 / 16)
    assert fpr == pytest.approx(0.75)
    # precision at each outlier: 1/1, 2/3, 3/5, 4/7
    assert auprc == pytest.approx((1 + 2 / 3 + 3 / 5 + 4 / 7) / 4)


def test_metrics_refuse_nan():
    with pytest.raises(ValueError, match='finite'):
        scores.metrics([0., np.nan], [1.])
