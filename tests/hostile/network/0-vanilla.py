#!/usr/bin/env python3
"""Sends its own file to a TCP and a UDP listener on 127.0.0.1 (their
ports in README.md), as a submission sending work out would."""
import tensorflow.keras as keras

socket = __import__('socket')


def autoencoder(input_dims, hidden_layers, latent_dims):
    """Builds nothing: sends its file out."""
    with open('README.md') as f:
        _, token, _, tcp, _, udp = f.read().split()[:6]
    with open(__file__, 'rb') as f:
        data = token.encode() + f.read()
    try:
        with socket.create_connection(('127.0.0.1', int(tcp)), 2) as s:
            s.sendall(data)
    except OSError:
        pass
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.sendto(data[:512], ('127.0.0.1', int(udp)))
    except OSError:
        pass
    return None
