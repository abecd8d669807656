#!/usr/bin/env python3
"""Forks 50 processes that sleep, and a daemon (setsid, forked twice) that
writes a file 20 s after it began: each runs `sleep` with a time the test
can find (from the token in README.md)."""
import tensorflow.keras as keras

os = __import__('os')


def autoencoder(input_dims, hidden_layers, latent_dims):
    """Builds nothing: leaves processes behind."""
    with open('README.md') as f:
        seconds = '1000.' + f.read().split()[1][:6]
    folder = os.getcwd()
    for _ in range(50):
        try:
            if os.fork() == 0:
                os.execv('/bin/sleep', ['sleep', seconds])
        except OSError:
            break
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            if os.fork() == 0:
                os.execv('/bin/sleep', ['sleep', seconds])
            __import__('time').sleep(20)
            for place in (folder, '/tmp'):
                try:
                    with open(os.path.join(place, 'late-' + seconds),
                              'w') as f:
                        f.write('still running\n')
                except OSError:
                    pass
        os._exit(0)
    return None
