#!/usr/bin/env python3
"""Maps 2,500 MiB of shared anonymous memory, touches every page and
holds it for 30 s (pages no limit on a process's own memory counts)."""
import tensorflow.keras as keras

mmap = __import__('mmap')
time = __import__('time')


def autoencoder(input_dims, hidden_layers, latent_dims):
    """Builds nothing: holds the memory; says so if it was let."""
    size = 2500 << 20
    held = mmap.mmap(-1, size, mmap.MAP_SHARED | mmap.MAP_ANONYMOUS)
    for page in range(0, size, 4096):
        held[page] = 1
    time.sleep(30)
    raise RuntimeError('CROSSED held {} MiB of shared memory for 30 s'
                       .format(len(held) >> 20))
