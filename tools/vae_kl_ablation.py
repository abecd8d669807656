#!/usr/bin/env python3
"""Why the VAE's loss differs from the specification's reference: trains the
task's VAE twice with the main's settings, once as it is (KL divergence
summed over the latent dimensions) and once with the KL term averaged over
them instead, and writes both loss histories to a JSON file.

    tools/vae_kl_ablation.py --json results/vae-kl-ablation.json
"""
import argparse

from aelib import datasets, mains, report, task

vae = task('3-variational')


class MeanKLSampling(vae.Sampling):
    """The task's Sampling layer with the KL term divided by the number of
    latent dimensions: averaged over them instead of summed."""

    def call(self, inputs):
        """Samples z as the task's layer does."""
        self.latent_dims = inputs[0].shape[-1]
        return super().call(inputs)

    def add_loss(self, loss):
        """Adds the KL term, averaged over the latent dimensions."""
        super().add_loss(loss / self.latent_dims)


def train(kl, epochs, limit, progress):
    """Trains autoencoder(784, [512], 2) as 3-main.py does, its progress
    kept every epoch; kl is 'sum' (the task as it is) or 'mean'. Returns
    the loss and val_loss per epoch."""
    (x_train, _), (x_test, _) = datasets.load_mnist()
    x_train = x_train[:limit].astype('float32').reshape((-1, 784)) / 255.
    x_test = x_test[:limit].astype('float32').reshape((-1, 784)) / 255.
    task_sampling = vae.Sampling
    vae.Sampling = MeanKLSampling if kl == 'mean' else task_sampling
    try:
        mains.seed(0)
        _, _, auto = vae.autoencoder(784, [512], 2)
    finally:
        vae.Sampling = task_sampling
    history = progress.fit('kl_' + kl, auto, x_train, x_train,
                           epochs=epochs, batch_size=256, shuffle=True,
                           validation_data=(x_test, x_test), verbose=2)
    return {'loss': history.history['loss'],
            'val_loss': history.history['val_loss']}


def main(argv=None):
    """Runs both variants and writes the JSON file."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--epochs', type=report.positive_int, default=50)
    parser.add_argument('--limit', type=report.positive_int, metavar='N',
                        help='first N training and test images only')
    parser.add_argument('--json', required=True)
    parser.add_argument('--fresh', action='store_true',
                        help='discard the progress an interrupted run kept')
    args = parser.parse_args(argv)
    progress = report.open_progress(args, 'vae_kl_ablation')
    results = {'tensorflow': mains.tf.__version__, 'epochs': args.epochs,
               'limit': args.limit}
    for kl in ('sum', 'mean'):
        mains.tf.keras.backend.clear_session()
        results['kl_' + kl] = train(kl, args.epochs, args.limit, progress)
    with progress.critical():
        report.write_json(args.json, results)
    progress.finish()


if __name__ == '__main__':
    main()
