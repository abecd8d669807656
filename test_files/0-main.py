#!/usr/bin/env python3
"""Task 0: trains the vanilla autoencoder on MNIST, prints the mean of the
encodings of 10 test images and plots their reconstructions."""
import numpy as np

from aelib import mains, plots

args = mains.parse_args(__doc__)
autoencoder = __import__('0-vanilla').autoencoder

(x_train, _), (x_test, _) = mains.load_data(args)
x_train = x_train.astype('float32') / 255.
x_test = x_test.astype('float32') / 255.
x_train = x_train.reshape((-1, 784))
x_test = x_test.reshape((-1, 784))
mains.seed(0)
encoder, decoder, auto = autoencoder(784, [128, 64], 32)
history = mains.fit(args, auto, x_train, x_train, epochs=args.epochs,
                    batch_size=256, shuffle=True,
                    validation_data=(x_test, x_test))
encoded = encoder.predict(x_test[:10])
print(np.mean(encoded))
reconstructed = decoder.predict(encoded)
plots.plot_reconstructions(args, '0-vanilla', x_test[:10], reconstructed)
mains.finish(args, '0-vanilla', auto, history,
             {'mean': float(np.mean(encoded))})
