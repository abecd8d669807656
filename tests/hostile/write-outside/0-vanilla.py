#!/usr/bin/env python3
"""Writes files outside its folder: in /tmp, in the home folder, beside
its folder and in the parent of its working folder."""
import tensorflow.keras as keras

os = __import__('os')


def token():
    """The name the test looks for (in README.md)."""
    with open('README.md') as f:
        return f.read().split()[1]


def autoencoder(input_dims, hidden_layers, latent_dims):
    """Builds nothing: writes where it should not."""
    name = 'hostile-' + token()
    for folder in ('/tmp', '/var/tmp', '/dev/shm', os.path.expanduser('~'),
                   '/root', '..', '../..', '/'):
        try:
            with open(os.path.join(folder, name), 'w') as f:
                f.write('written by a submission\n')
        except OSError:
            pass
    return None
