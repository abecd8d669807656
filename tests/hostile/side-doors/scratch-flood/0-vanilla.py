#!/usr/bin/env python3
"""Fills its scratch folder (HOME) and its folder: 1,100 nested folders
(every tenth left with mode 000, each with a read-only file), then up
to 200,000 small files, then 60 MiB files up to 512 MiB; says how far
it got, and leaves the folders for the judge to remove."""
import tensorflow.keras as keras

os = __import__('os')


def nest(top, depth):
    """Makes up to depth nested folders below top; returns how many."""
    fd = os.open(top, os.O_RDONLY | os.O_DIRECTORY)
    made, closed = 0, []
    try:
        for level in range(depth):
            os.mkdir('deep', dir_fd=fd)
            inner = os.open('deep', os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
            os.close(os.open('file', os.O_CREAT | os.O_WRONLY, 0o400,
                             dir_fd=inner))
            if level % 10 == 0:
                closed.append(fd)
            else:
                os.close(fd)
            fd = inner
            made += 1
    except OSError:
        pass
    os.close(fd)
    for parent in reversed(closed):
        os.chmod('deep', 0, dir_fd=parent)
        os.close(parent)
    return made


def autoencoder(input_dims, hidden_layers, latent_dims):
    """Builds nothing: floods, then says how far it got."""
    home = os.environ['HOME']
    if os.path.exists(os.path.join(home, 'deep')):
        raise RuntimeError('flooded before')
    depth = nest(home, 1100)
    files = 0
    try:
        for n in range(200000):
            os.close(os.open('f{}'.format(n), os.O_CREAT | os.O_WRONLY,
                             0o400))
            files += 1
    except OSError:
        pass
    # (its own files go: what is left is the judge's to remove)
    for n in range(files):
        os.unlink('f{}'.format(n))
    written = 0
    try:
        for n in range(9):
            with open(os.path.join(home, 'big{}'.format(n)), 'wb') as f:
                for _ in range(60):
                    f.write(b'x' * (1 << 20))
                    f.flush()
                    written += 1 << 20
    except OSError:
        pass
    bounded = files < 20000 and written <= 256 << 20
    raise RuntimeError('{} files={} bytes={} depth={}'.format(
        'shut' if bounded else 'CROSSED', files, written, depth))
