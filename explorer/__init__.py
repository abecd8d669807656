"""A local web page to play with the autoencoders: draw a digit and see
each model rebuild it, move through the VAE's latent space, denoise.
`make explore` (or `python -m explorer`) serves it on 127.0.0.1."""
import aelib  # noqa: F401  (puts the task files on sys.path)
