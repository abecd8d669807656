#!/usr/bin/env python3
"""Never returns."""
import tensorflow.keras as keras


def autoencoder(input_dims, hidden_layers, latent_dims):
    """Builds nothing: loops for ever."""
    while True:
        pass
