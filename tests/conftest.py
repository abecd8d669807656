"""Shared set-up: the task modules imported the way the grader imports them,
quiet TensorFlow, a non-interactive matplotlib and a fixed seed per test."""
import gc
import os
import tempfile

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')
os.environ['MPLBACKEND'] = 'Agg'
# the tests' runs keep their progress apart from the user's (and from each
# other suite's)
os.environ['AUTOENCODERS_PROGRESS'] = tempfile.mkdtemp(prefix='progress-')

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from aelib import ROOT, task  # noqa: E402,F401  (before TensorFlow)
import tensorflow as tf  # noqa: E402

# the four tasks and the arguments of the spec's mains, as the checker has
# them
from checker.tasks import MAIN_ARGS, TASKS  # noqa: E402,F401

keras = tf.keras
KERAS_3 = hasattr(keras, 'ops')
# TensorFlow and Keras, imported once, are never garbage: the collector's
# full passes leave them out instead of walking them again each time (the
# suite's in-process tests 14% quicker on Keras 3)
gc.freeze()


def layers(model):
    """Returns the model's layers without its input layers."""
    return [layer for layer in model.layers
            if not isinstance(layer, keras.layers.InputLayer)]


def activation(layer):
    """Returns the name of the layer's activation ('linear' for None)."""
    return layer.get_config()['activation']


def input_shape(model):
    """Returns the shape of the model's single input as a tuple."""
    return tuple(model.inputs[0].shape)


def output_shapes(model):
    """Returns the shapes of the model's outputs as a list of tuples."""
    return [tuple(output.shape) for output in model.outputs]


def batch(shape, n=32, seed=0):
    """Returns n random images in [0, 1] of the given shape, float32."""
    return np.random.default_rng(seed).random((n,) + tuple(shape),
                                              dtype=np.float32)


@pytest.fixture(autouse=True)
def fresh_keras():
    """Gives every test the same seed and a clean Keras session."""
    if KERAS_3:
        # Keras 3 also runs gc.collect() by default: a second per test here
        keras.backend.clear_session(free_memory=False)
    else:
        keras.backend.clear_session()
    keras.utils.set_random_seed(0)
    yield


def run_with_readme(folder, name, module, *flags, **grids):
    """Runs applications/NAME.py's main() in this process (the command line
    itself is tested in test_outputs.py) with flags, its JSON, figures and
    a README copy in folder; returns (record, README path). grids: module
    constants replaced for the run (a shorter grid of the same code path:
    CODE_SIZES=(2, 30))."""
    import json
    import matplotlib.pyplot as plt
    readme = folder / 'README.md'
    readme.write_text('# Title\n\n{}\nstale\n{}\nafter\n'.format(
        module.README_BEGIN, module.README_END))
    keras.backend.clear_session()
    keras.utils.set_random_seed(0)
    with pytest.MonkeyPatch.context() as patch:
        for constant, value in grids.items():
            patch.setattr(module, constant, value)
        module.main(['--out', str(folder), '--json',
                     str(folder / (name + '.json')), '--readme', str(readme)]
                    + list(flags))
    plt.close('all')
    with open(folder / (name + '.json')) as f:
        return json.load(f), readme


APPLICATION_TESTS = {'test_anomaly', 'test_compression', 'test_denoising',
                     'test_learn',
                     'test_dimensionality', 'test_theory', 'test_bench'}


# the test modules whose code does not depend on the engine: a second
# engine would run the same Python again
ONE_ENGINE_TESTS = {'test_arguments', 'test_data', 'test_environment',
                    'test_fashion_data', 'test_imaging', 'test_docs',
                    'test_outputs', 'test_mains', 'test_hygiene',
                    'test_onednn', 'test_test_times', 'test_hooks'}


def pytest_collection_modifyitems(config, items):
    """Marks 'application' the tests that run an application or the
    benchmark end to end (those of their test modules using the `run`
    fixture), and 'one_engine' those of ONE_ENGINE_TESTS, so that a suite
    can leave them to one Keras: `-m "not application and not
    one_engine"`."""
    for item in items:
        if 'run' in getattr(item, 'fixturenames', ()) and \
                item.module.__name__ in APPLICATION_TESTS:
            item.add_marker('application')
        if item.module.__name__ in ONE_ENGINE_TESTS:
            item.add_marker('one_engine')


# Where the suite's time goes: with TEST_TIMES=FILE, each test phase and
# each fixture's set-up is written to FILE as a JSON line with its wall
# seconds and CPU seconds (this process and the children it waited for),
# which tools/test_times.py sums per file and per fixture.
TEST_TIMES = os.environ.get('TEST_TIMES')


def _clock():
    """Returns (wall seconds, CPU seconds of this process and its
    waited-for children)."""
    import resource
    import time
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.perf_counter(), (own.ru_utime + own.ru_stime
                                 + kids.ru_utime + kids.ru_stime)


def _timed(record):
    """A hook wrapper's body: times what it wraps and appends record with
    the times to TEST_TIMES."""
    import json
    wall, cpu = _clock()
    yield
    wall2, cpu2 = _clock()
    record.update(wall=round(wall2 - wall, 3), cpu=round(cpu2 - cpu, 3))
    with open(TEST_TIMES, 'a') as f:
        f.write(json.dumps(record) + '\n')


if TEST_TIMES:
    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_setup(item):
        """Times the test's set-up (its fixtures)."""
        yield from _timed({'test': item.nodeid, 'phase': 'setup'})

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_call(item):
        """Times the test's body."""
        yield from _timed({'test': item.nodeid, 'phase': 'call'})

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_teardown(item):
        """Times the test's tear-down."""
        yield from _timed({'test': item.nodeid, 'phase': 'teardown'})

    @pytest.hookimpl(hookwrapper=True)
    def pytest_fixture_setup(fixturedef, request):
        """Times one fixture's set-up."""
        yield from _timed({'fixture': fixturedef.argname,
                           'scope': fixturedef.scope,
                           'test': request.node.nodeid})
