"""Anomaly scores per image and the detection metrics.

A score is an array with one number per image, larger meaning more
anomalous. Images are float arrays in [0, 1] of shape (n, 784) (flatten
other shapes first); reconstructions and decoder outputs likewise.

- mse, bce: reconstruction errors of any autoencoder
- kl_divergence, neg_elbo, iwae: the VAE's bound and its importance-sampled
  estimate of -log p(x), in nats
- png_bits: an image's losslessly compressed size (the input complexity of
  Serra et al., ICLR 2020), and complexity(), their corrected score
- Dose: a density over several summary statistics fitted on
  in-distribution images (Morningstar et al., AISTATS 2021)
- metrics: AUROC, AUPRC and the false-positive rate at 95% true-positive
  rate, from scikit-learn
- knn_accuracy: how well codes keep the classes apart (5-NN accuracy)
"""
import numpy as np
from scipy.special import logsumexp
from sklearn import metrics as skmetrics
from sklearn.neighbors import KernelDensity, KNeighborsClassifier

from aelib import imaging

# Keras clips probabilities to [EPSILON, 1 - EPSILON] in its cross-entropy
EPSILON = 1e-7
LOG_2PI = np.log(2 * np.pi)


def flat(x):
    """Returns x as float64 of shape (n, pixels)."""
    x = np.asarray(x, np.float64)
    return x.reshape(len(x), -1)


def mse(x, x_hat):
    """Returns each image's squared error averaged over its pixels."""
    return np.mean((flat(x) - flat(x_hat)) ** 2, axis=1)


def bce(x, x_hat):
    """Returns each image's binary cross-entropy summed over its pixels
    (nats): -log p(x | x_hat) for independent Bernoulli pixels, as the VAE's
    reconstruction loss and Keras (which clips x_hat to [1e-7, 1 - 1e-7])
    compute it."""
    x = flat(x)
    p = np.clip(flat(x_hat), EPSILON, 1 - EPSILON)
    return -np.sum(x * np.log(p) + (1 - x) * np.log(1 - p), axis=1)


def kl_divergence(mean, log_var):
    """Returns KL(N(mean, exp(log_var)) || N(0, I)) of each row, in nats."""
    mean = np.asarray(mean, np.float64)
    log_var = np.asarray(log_var, np.float64)
    return 0.5 * np.sum(np.exp(log_var) + mean ** 2 - 1 - log_var, axis=1)


def sample_latents(mean, log_var, samples, rng):
    """Returns z of shape (samples, n, d) drawn from N(mean, exp(log_var))."""
    mean = np.asarray(mean, np.float64)
    std = np.exp(np.asarray(log_var, np.float64) / 2)
    return mean + std * rng.standard_normal((samples,) + mean.shape)


def decode_all(decode, z):
    """Returns decode applied to every z[s] (shape (samples, n, d)), as one
    array of shape (samples, n, pixels)."""
    samples, n, d = z.shape
    out = decode(z.reshape(samples * n, d).astype(np.float32))
    return flat(out).reshape(samples, n, -1)


def log_normal(z, mean, log_var):
    """Returns log N(z; mean, exp(log_var)) summed over the last axis."""
    return -0.5 * np.sum(LOG_2PI + log_var
                         + (z - mean) ** 2 / np.exp(log_var), axis=-1)


def vae_terms(x, mean, log_var, decode, k, rng=None):
    """Returns a VAE's per-image statistics, in nats, from k draws
    z_1 .. z_k of q(z | x) = N(mean, exp(log_var)):

    reconstruction: -log p(x | z) (Bernoulli cross-entropy of decode(z))
        averaged over the draws
    kl: KL(q(z | x) || N(0, I)), exact
    log_var: the log-variances summed (q's entropy less a constant)
    neg_elbo: reconstruction + kl, the VAE's loss per image
    iwae: the importance-sampled estimate of -log p(x) (Burda et al., ICLR
        2016), -log (1/k) sum_i p(x | z_i) p(z_i) / q(z_i | x); with k = 1
        a one-draw negative ELBO, it tightens towards -log p(x) as k grows

    mean, log_var: the encoder's outputs for x; decode: a function from
    latent codes (m, d) to pixel probabilities (m, pixels).
    """
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError('k must be a positive integer, got {!r}'.format(k))
    rng = rng or np.random.default_rng(0)
    mean = np.asarray(mean, np.float64)
    log_var = np.asarray(log_var, np.float64)
    z = sample_latents(mean, log_var, k, rng)
    log_px = -np.stack([bce(x, out) for out in decode_all(decode, z)])
    log_w = log_px + log_normal(z, 0., 0.) - log_normal(z, mean, log_var)
    terms = {'reconstruction': -log_px.mean(axis=0),
             'kl': kl_divergence(mean, log_var),
             'log_var': log_var.sum(axis=1),
             'iwae': -(logsumexp(log_w, axis=0) - np.log(k))}
    terms['neg_elbo'] = terms['reconstruction'] + terms['kl']
    return terms


def neg_elbo(x, mean, log_var, decode, samples=1, rng=None):
    """Returns each image's negative ELBO in nats (see vae_terms), the
    cross-entropy averaged over `samples` draws of z."""
    return vae_terms(x, mean, log_var, decode, samples, rng)['neg_elbo']


def iwae(x, mean, log_var, decode, k, rng=None):
    """Returns each image's IWAE estimate of -log p(x) in nats with k
    samples (see vae_terms)."""
    return vae_terms(x, mean, log_var, decode, k, rng)['iwae']


def png_bits(images):
    """Returns the size in bits of each uint8 image (n, 28, 28) stored as a
    grey-scale PNG at Pillow's strongest compression."""
    return 8 * imaging.png_bytes(images)


def complexity(nll_nats, bits):
    """Returns Serra et al.'s score S(x) = -log2 p(x) - L(x): the model's
    code length in bits less the image's compressed size L(x) in bits."""
    return np.asarray(nll_nats) / np.log(2) - np.asarray(bits)


class Dose:
    """A density of the in-distribution summary statistics: the score of an
    image is minus the log-density of its statistics (DoSE, Morningstar et
    al., AISTATS 2021, with one joint Gaussian kernel density).

    fit() standardizes each statistic by its in-distribution mean and
    standard deviation and uses Scott's bandwidth, n ** (-1 / (d + 4)), so
    there is nothing to tune.
    """

    def fit(self, stats):
        """Fits the density to stats, an array (n, d) of in-distribution
        images' statistics; returns self."""
        stats = np.asarray(stats, np.float64)
        if stats.ndim != 2 or len(stats) < 2:
            raise ValueError('stats must be an array (n, d) with n >= 2, '
                             'got shape {}'.format(stats.shape))
        self.center = stats.mean(axis=0)
        self.scale = stats.std(axis=0) + 1e-12
        n, d = stats.shape
        self.kde = KernelDensity(bandwidth=n ** (-1. / (d + 4)))
        self.kde.fit((stats - self.center) / self.scale)
        return self

    def score(self, stats):
        """Returns minus the log-density of each row of stats."""
        stats = np.asarray(stats, np.float64)
        return -self.kde.score_samples((stats - self.center) / self.scale)


def metrics(inlier_scores, outlier_scores):
    """Returns (auroc, auprc, fpr_at_95_tpr) of telling the outliers
    (positive class) from the inliers by their scores, larger meaning more
    anomalous. AUPRC is scikit-learn's average precision; the false-positive
    rate is the lowest at which at least 95% of outliers are detected."""
    inlier_scores = np.asarray(inlier_scores, np.float64)
    outlier_scores = np.asarray(outlier_scores, np.float64)
    labels = np.r_[np.zeros(len(inlier_scores)), np.ones(len(outlier_scores))]
    scores = np.r_[inlier_scores, outlier_scores]
    if not np.all(np.isfinite(scores)):
        raise ValueError('scores must be finite numbers')
    fpr, tpr, _ = skmetrics.roc_curve(labels, scores)
    return (float(skmetrics.roc_auc_score(labels, scores)),
            float(skmetrics.average_precision_score(labels, scores)),
            float(fpr[np.searchsorted(tpr, 0.95, side='left')]))


def roc(inlier_scores, outlier_scores):
    """Returns the ROC curve (fpr, tpr) of the outliers against the
    inliers, from scikit-learn."""
    labels = np.r_[np.zeros(len(inlier_scores)), np.ones(len(outlier_scores))]
    fpr, tpr, _ = skmetrics.roc_curve(labels,
                                      np.r_[inlier_scores, outlier_scores])
    return fpr, tpr


def knn_accuracy(train_codes, train_labels, test_codes, test_labels, k=5):
    """Returns the test accuracy of a k-nearest-neighbour classifier
    (scikit-learn, Euclidean distance, majority vote) fitted on the training
    codes: how well the codes keep the classes apart."""
    classifier = KNeighborsClassifier(n_neighbors=k)
    classifier.fit(flat(train_codes), np.asarray(train_labels))
    return float(classifier.score(flat(test_codes), np.asarray(test_labels)))
