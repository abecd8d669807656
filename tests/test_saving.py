"""auto.save(...) and keras.models.load_model(...) in the .keras format
(Keras 3 loads it in safe mode) keep every model's outputs (the encoder and
the decoder are auto's parts), the loss and the optimizer's state: what
resuming a run needs, on every engine."""
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


def outputs(model, x):
    """Returns model(x) in inference mode as a list of numpy arrays."""
    found = model(x, training=False)
    return [np.asarray(y) for y in (found if isinstance(found, (list, tuple))
                                    else [found])]


@pytest.mark.parametrize('name', TASKS)
def test_a_saved_auto_loads_with_its_models_loss_and_optimizer(name,
                                                               tmp_path):
    """After one training step, auto is saved and loaded: its encoder,
    decoder and itself predict the same, the loss is the same, and the
    optimizer's state too, so one more step gives the same loss."""
    encoder, decoder, auto = task(name).autoencoder(*MAIN_ARGS[name])
    deterministic(name, encoder)
    x = batch(input_shape(auto)[1:], n=16)
    auto.fit(x, x, batch_size=16, epochs=1, shuffle=False, verbose=0)
    loaded = load(auto, str(tmp_path / 'auto.keras'))
    assert isinstance(loaded.optimizer, keras.optimizers.Adam)
    assert int(loaded.optimizer.iterations) == 1
    code = outputs(encoder, x)
    latent = code[1] if name == '3-variational' else code[0]
    again_encoder, again_decoder = layers(loaded)
    for label, model, again, data in (
            ('encoder', encoder, again_encoder, x),
            ('decoder', decoder, again_decoder, latent),
            ('auto', auto, loaded, x)):
        for expected, found in zip(outputs(model, data),
                                   outputs(again, data)):
            np.testing.assert_allclose(found, expected, atol=1e-5,
                                       err_msg='{} {}'.format(name, label))
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
