#!/usr/bin/env python3
"""Task 0: trains the vanilla autoencoder on MNIST, prints the mean of the
encodings of 10 test images and plots their reconstructions."""
import numpy as np

import common

args = common.parse_args(__doc__)
autoencoder = __import__('0-vanilla').autoencoder

(x_train, _), (x_test, _) = common.load_mnist(args)
x_train = x_train.astype('float32') / 255.
x_test = x_test.astype('float32') / 255.
x_train = x_train.reshape((-1, 784))
x_test = x_test.reshape((-1, 784))
common.seed(0)
encoder, decoder, auto = autoencoder(784, [128, 64], 32)
history = auto.fit(x_train, x_train, epochs=args.epochs, batch_size=256,
                   shuffle=True, validation_data=(x_test, x_test),
                   callbacks=common.callbacks(args))
encoded = encoder.predict(x_test[:10])
print(np.mean(encoded))
reconstructed = decoder.predict(encoded)
common.plot_reconstructions(args, '0-vanilla', x_test[:10], reconstructed)
common.finish(args, '0-vanilla', auto, history,
              {'mean': float(np.mean(encoded))})
