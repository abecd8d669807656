"""What the mains, the applications and the tools share.

- aelib.datasets: MNIST and Fashion-MNIST without a network, verified
- aelib.mains: the mains' flags, seeding and timing
- aelib.plots: figures (image grids, ROC curves, histograms)
- aelib.report: JSON records and the README sections drawn from them
- aelib.scores: anomaly scores and detection metrics
- aelib.imaging: codecs, the 8-bit code quantizer, noise, PSNR
- aelib.layers: tied weights and the KL sparsity penalty

Importing the package puts the repository root on sys.path (the only place
that does), so that `__import__('0-vanilla')` finds the task files as the
grader imports them, wherever a script is started from.

It also turns TensorFlow's oneDNN kernels on (TF_ENABLE_ONEDNN_OPTS=1)
unless the user set that variable: TensorFlow enables them by itself only
on CPUs with AVX512-VNNI, AVX512-BF16, AVX-VNNI or AMX, and on a host
without those they trained the convolutional main 2.5 times faster, the
dense mains as fast and the VAE a little faster (docs/engines.md). The
variable is read once, when TensorFlow is imported, so every command
imports this package before TensorFlow.
"""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
# what TF_ENABLE_ONEDNN_OPTS is when the user has not set it
ONEDNN_DEFAULT = '1'
os.environ.setdefault('TF_ENABLE_ONEDNN_OPTS', ONEDNN_DEFAULT)


def task(name):
    """Returns the task module name ('0-vanilla', ...), imported as the
    grader imports it: `__import__(name)`."""
    return __import__(name)
