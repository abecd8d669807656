#!/usr/bin/env python3
"""Task 3: trains the variational autoencoder on MNIST, prints the means and
standard deviations of 10 test images' latent codes, plots their
reconstructions, the decoded 25x25 latent grid over [-3, 3]^2 and the test
set's latent means coloured by digit."""
import numpy as np

from aelib import mains, plots

args = mains.parse_args(__doc__)
autoencoder = __import__('3-variational').autoencoder

(x_train, _), (x_test, y_test) = mains.load_data(args)
x_train = x_train.astype('float32') / 255.
x_test = x_test.astype('float32') / 255.
x_train = x_train.reshape((-1, 784))
x_test = x_test.reshape((-1, 784))
mains.seed(0)
encoder, decoder, auto = autoencoder(784, [512], 2)
history = mains.fit(args, auto, x_train, x_train, epochs=args.epochs,
                    batch_size=256, shuffle=True,
                    validation_data=(x_test, x_test))
encoded, mu, log_sig = encoder.predict(x_test[:10])
print(mu)
print(np.exp(log_sig / 2))
reconstructed = decoder.predict(encoded)
plots.plot_reconstructions(args, '3-variational', x_test[:10], reconstructed)

grid = np.linspace(-3, 3, 25)
latent_grid = np.stack(np.meshgrid(grid, grid, indexing='ij'), axis=2)
generated = decoder.predict(latent_grid.reshape((-1, 2)), batch_size=125)
plots.plot_manifold(args, '3-variational', generated, grid)
_, test_means, _ = encoder.predict(x_test, batch_size=1000, verbose=0)
plots.plot_latent_scatter(args, '3-variational', test_means, y_test)
mains.finish(args, '3-variational', auto, history,
             {'mu': mu.tolist(), 'sigma': np.exp(log_sig / 2).tolist()})
