"""Every model survives auto.save(...) and keras.models.load_model(...) in
the .keras format (Keras 3 loads it in safe mode), with the same outputs
and, for the compiled model, the same loss."""
import numpy as np
import pytest

from conftest import KERAS_3, MAIN_ARGS, TASKS, batch, input_shape, keras
from conftest import layers, task


def deterministic(name, encoder):
    """Pins the VAE's log variance far below zero, so that z is the mean
    and every output can be compared exactly; other tasks are unchanged."""
    if name == '3-variational':
        log_var = [layer for layer in layers(encoder)
                   if layer.name == 'z_log_var'][0]
        kernel, bias = log_var.get_weights()
        log_var.set_weights([np.zeros_like(kernel), np.full_like(bias, -40)])


def load(model, path):
    """Saves model to path and loads it back (safe mode on Keras 3)."""
    model.save(path)
    if KERAS_3:
        return keras.models.load_model(path, safe_mode=True)
    return keras.models.load_model(path)


# Keras 3 notes that an untrained model's optimizer has no state to restore
@pytest.mark.filterwarnings('ignore:Skipping variable loading for optimizer')
@pytest.mark.parametrize('name', TASKS)
def test_every_model_round_trips_with_the_same_predictions(name, tmp_path):
    encoder, decoder, auto = task(name).autoencoder(*MAIN_ARGS[name])
    deterministic(name, encoder)
    x = batch(input_shape(auto)[1:], n=8)
    code = encoder.predict(x, verbose=0)
    latent = code[1] if name == '3-variational' else code
    for label, model, data in (('encoder', encoder, x),
                               ('decoder', decoder, latent),
                               ('auto', auto, x)):
        loaded = load(model, str(tmp_path / (label + '.keras')))
        before = model.predict(data, verbose=0)
        after = loaded.predict(data, verbose=0)
        for expected, found in zip(np.atleast_1d(before),
                                   np.atleast_1d(after)):
            np.testing.assert_allclose(found, expected, atol=1e-5,
                                       err_msg='{} {}'.format(name, label))


@pytest.mark.parametrize('name', TASKS)
def test_loaded_auto_keeps_its_loss_and_resumes_training(name, tmp_path):
    """After one training step, save and load: the loss is the same, and
    the optimizer's state too, so one more step gives the same loss."""
    encoder, _, auto = task(name).autoencoder(*MAIN_ARGS[name])
    deterministic(name, encoder)
    x = batch(input_shape(auto)[1:], n=16)
    auto.fit(x, x, batch_size=16, epochs=1, shuffle=False, verbose=0)
    loaded = load(auto, str(tmp_path / 'auto.keras'))
    assert isinstance(loaded.optimizer, keras.optimizers.Adam)
    assert int(loaded.optimizer.iterations) == 1
    assert loaded.evaluate(x, x, verbose=0) == pytest.approx(
        auto.evaluate(x, x, verbose=0), rel=1e-5)
    resumed = loaded.fit(x, x, batch_size=16, epochs=1, shuffle=False,
                         verbose=0).history['loss'][0]
    continued = auto.fit(x, x, batch_size=16, epochs=1, shuffle=False,
                         verbose=0).history['loss'][0]
    assert resumed == pytest.approx(continued, rel=1e-5)


def test_the_variational_file_can_be_loaded_again_in_the_same_process():
    """A checker may execute the file more than once: registering Sampling
    and the loss for serialization a second time must not fail."""
    import importlib.util
    import os
    path = os.path.join(os.path.dirname(task('3-variational').__file__),
                        '3-variational.py')
    spec = importlib.util.spec_from_file_location('variational_again', path)
    again = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(again)
    encoder, _, _ = again.autoencoder(784, [64], 2)
    assert [tuple(t.shape) for t in encoder.outputs] == [(None, 2)] * 3
