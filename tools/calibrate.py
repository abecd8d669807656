#!/usr/bin/env python3
"""Times a few training batches of each main's model on the engine this
process runs (its TensorFlow or Keras 3, KERAS_BACKEND, TF_ENABLE_ONEDNN_OPTS)
and prints, as one JSON line, the seconds a full epoch would take.

    .venv-keras3/bin/python tools/calibrate.py --batches 24
    KERAS_BACKEND=jax .venv-keras3/bin/python tools/calibrate.py

tools/backends.py runs it in each engine's environment to choose the fastest
engine of every main on the host itself. Each model is built as its main
builds it and fitted once on two batches (compiling its training and test
steps); a second fit on --batches batches, validated on a quarter as many,
times every batch; the medians, times the 235 training and 40 test batches
of a main's epoch, are the estimate.
Random images in [0, 1] stand in for MNIST: the time of a batch does not
depend on what it holds.
"""
import argparse
import json
import sys
import time

import numpy as np

from aelib import mains, report

BATCH = 256
# the batches of a main's epoch: 60,000 training and 10,000 test images
TRAIN_BATCHES, TEST_BATCHES = 235, 40


class BatchClock(mains.tf.keras.callbacks.Callback):
    """Records the seconds between the ends of consecutive training
    batches, and of consecutive test batches, of a fit."""

    def on_train_begin(self, logs=None):
        """Starts with nothing timed."""
        self.train, self.test, self.last = [], [], None

    def tick(self, into):
        """Appends to into the seconds since the previous batch ended."""
        now = time.perf_counter()
        if self.last is not None:
            into.append(now - self.last)
        self.last = now

    def on_train_batch_end(self, batch, logs=None):
        """Times a training batch."""
        self.tick(self.train)

    def on_test_begin(self, logs=None):
        """The first test batch follows the end of training's."""
        self.last = time.perf_counter()

    def on_test_batch_end(self, batch, logs=None):
        """Times a test batch."""
        self.tick(self.test)

    def on_epoch_begin(self, epoch, logs=None):
        """An epoch's first batch is not timed against the last epoch's."""
        self.last = None


def epoch_seconds(name, batches):
    """Returns the estimated seconds of one epoch of main name's model
    ('vanilla', ...) on this engine: the median seconds of a training batch
    times 235 plus the median of a test batch times 40, from a fit of
    batches batches validated on a quarter as many, after a fit that
    compiled both steps."""
    shape = mains.TASK_MODELS[name][2]
    _, _, auto = mains.build(name)
    images = np.random.default_rng(0).random((BATCH * batches,) + shape,
                                             dtype=np.float32)
    validation = images[:BATCH * max(2, batches // 4)]
    clock = BatchClock()
    for train in (images[:2 * BATCH], images):
        auto.fit(train, train, epochs=1, batch_size=BATCH, shuffle=True,
                 validation_data=(validation, validation), verbose=0,
                 callbacks=[clock])
    return (TRAIN_BATCHES * float(np.median(clock.train)) +
            TEST_BATCHES * float(np.median(clock.test)))


def main(argv=None):
    """Prints {"vanilla": seconds, ...} for the models named (all four by
    default) as one JSON line on stdout."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--batches', type=report.positive_int, default=24,
                        metavar='N', help='training batches timed per '
                        'model (default: 24)')
    parser.add_argument('--tasks', nargs='+', choices=list(mains.TASK_MODELS),
                        default=list(mains.TASK_MODELS), metavar='NAME',
                        help='the models to time (default: all four)')
    args = parser.parse_args(argv)
    began = time.perf_counter()
    result = {}
    for name in args.tasks:
        result[name] = round(epoch_seconds(name, args.batches), 3)
        print('calibrated {}: {:.2f} s per epoch'.format(name, result[name]),
              file=sys.stderr, flush=True)
    result['seconds'] = round(time.perf_counter() - began, 1)
    print(json.dumps(result))


if __name__ == '__main__':
    main()
