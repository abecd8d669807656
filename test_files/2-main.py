#!/usr/bin/env python3
"""Task 2: trains the convolutional autoencoder on MNIST, prints the mean of
the encodings of 10 test images and plots their reconstructions."""
import numpy as np

from aelib import mains, plots

args = mains.parse_args(__doc__)
autoencoder = __import__('2-convolutional').autoencoder

(x_train, _), (x_test, _) = mains.load_data(args)
x_train = x_train.astype('float32') / 255.
x_test = x_test.astype('float32') / 255.
x_train = np.expand_dims(x_train, axis=3)
x_test = np.expand_dims(x_test, axis=3)
print(x_train.shape)
print(x_test.shape)
mains.seed(0)
encoder, decoder, auto = autoencoder((28, 28, 1), [16, 8, 8], (4, 4, 8))
history = mains.fit(args, auto, x_train, x_train, epochs=args.epochs,
                    batch_size=256, shuffle=True,
                    validation_data=(x_test, x_test))
encoded = encoder.predict(x_test[:10])
print(np.mean(encoded))
reconstructed = decoder.predict(encoded)
plots.plot_reconstructions(args, '2-convolutional', x_test[:10],
                           reconstructed)
mains.finish(args, '2-convolutional', auto, history,
             {'mean': float(np.mean(encoded))})
