"""The runner: the only code that imports a learner's task files. It runs in
a sandbox (checker.sandbox) that checker.cli, the judge, starts:

    python -I -B checker/runner.py --pipe FD --job COPY 0-vanilla [...]

Each job is a task of a folder; COPY is the sandbox's copy of the
learner's folder. Before any learner's file is imported, the runner reads
the judge's challenge from stdin: the images and codes to run the models
on, drawn by the judge once the runner had started. The jobs run one after
the other; while a folder's jobs run, its copy is the working directory and
first on sys.path, so that `__import__('0-vanilla')` finds the file as the
grader's mains do, and the next folder's jobs begin without the previous
folder's modules.

Everything it learns goes to the judge as frames (checker.protocol) on the
pipe FD, as soon as it is known: what each check found, and the evidence
the judge checks them against (the models' layers, weights and outputs on
the challenge, the lines the main printed). The judge trusts none of it
that it cannot check: this process holds the learner's code, which can
rewrite anything in it.
"""
import os
import sys

# the runner's own copy of the project's packages (checker.sandbox lets it
# read nothing else of the project): first on sys.path
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))

import argparse  # noqa: E402
import contextlib  # noqa: E402
import functools  # noqa: E402
import io  # noqa: E402
import linecache  # noqa: E402
import importlib  # noqa: E402
import re  # noqa: E402
import runpy  # noqa: E402
import tempfile  # noqa: E402
import traceback  # noqa: E402
import weakref  # noqa: E402

import aelib  # noqa: F401,E402  (first: sets TensorFlow's options)
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from aelib import ROOT, datasets, plots  # noqa: E402
from checker import protocol, spec, tasks  # noqa: E402

keras = tf.keras
EPSILON = 1e-7  # Keras clips probabilities to [EPSILON, 1 - EPSILON]
# where each layer and model was made: {id(layer): 'file.py:LINE'}, filled
# while the learner's autoencoder() runs
SITES = {}


class Probe:
    """Sends the results of one job's checks (a task of a folder) to the
    judge."""

    def __init__(self, pipe, task, job=0):
        """pipe: the binary stream to the judge; task: '0-vanilla', ...;
        job: the job's number on the command line."""
        self.pipe = pipe
        self.task = task
        self.job = job
        self.done = {}
        self.crashes = {}

    def write(self, arrays=None, **record):
        """Sends one frame, with the job's task and number."""
        protocol.write(self.pipe, dict(record, task=self.task, job=self.job),
                       arrays)

    def record(self, check, verdict, message='', hint=''):
        """Writes one check's result."""
        self.done[check] = verdict
        self.write(kind='check', check=check, verdict=verdict,
                   message=message, hint=hint)

    def begin(self):
        """Notes that the job's checks begin (its time limit starts)."""
        self.write(kind='begin')

    def run(self, check, function, *arguments):
        """Runs function(*arguments), which returns None (pass), a message
        (fail) or (verdict, message, hint); an exception fails the check
        with its type, its first line and the line of the learner's file
        it came from."""
        if check not in tasks.engine_checks(self.task) or \
                check in tasks.JUDGED:
            return
        needed = tasks.NEEDS.get(check, 'builds')
        if needed and self.done.get(needed) not in ('pass', 'note'):
            self.record(check, 'skip', 'skipped: waits on {}, which {}'.format(
                needed, 'failed' if self.done.get(needed) == 'fail'
                else 'was skipped'))
            return
        try:
            outcome = function(*arguments)
        except Exception as error:
            outcome = ('fail', crash_text(error), hint_for(error))
            same = [earlier for earlier, text in self.crashes.items()
                    if text == outcome[1].split(' (at ')[0]]
            self.crashes[check] = outcome[1].split(' (at ')[0]
            if same:
                outcome = ('fail', outcome[1] + ' (the same error as {} '
                           'above)'.format(same[0]), '')
        if check in tasks.WARNINGS and outcome is not None and \
                not isinstance(outcome, str) and outcome[0] == 'fail':
            outcome = ('note',) + tuple(outcome[1:])
        if outcome is None:
            self.record(check, 'pass')
        elif isinstance(outcome, str):
            self.record(check, 'fail', outcome)
        else:
            self.record(check, *outcome)


# the learner's folder (the copy), whose frames a crash is reported at
FOLDER = ''
# lines of Keras's messages that are its internals, not the mistake
NOISE = ('Exception encountered when calling', 'Arguments received',
         'Call arguments received', '\u2022', '```', 'Traceback',
         'File "', 'During handling', 'The above exception')


def in_learner_file(filename):
    """Whether filename is one of the learner's files."""
    return bool(FOLDER) and not filename.startswith('<') and \
        os.path.abspath(filename).startswith(FOLDER + os.sep)


def first_line(text):
    """Returns the line of an error message that says what went wrong: not
    Keras's framing ('Exception encountered when calling ...'), its
    argument dump or its example code; for TensorFlow's "in user code:"
    messages, the error at their end."""
    lines = [line.strip() for line in str(text).splitlines()]
    start = 0
    for index, line in enumerate(lines):
        if ERROR.match(line):
            start = index
    for index in range(start, len(lines)):
        line = lines[index]
        if index == start and ERROR.match(line):
            kind, rest = line.split(':', 1)
            if rest.strip() and not rest.strip().startswith(NOISE):
                return tidy(line)
            continue
        if line and not line.startswith(NOISE):
            return tidy(line)
    return ''


def tidy(line):
    """Returns line without the tensors Keras dumps into its messages, its
    colour codes and its memory addresses."""
    line = re.sub(r'\x1b\[[0-9;]*[A-Za-z]', '', line)
    line = re.sub(r' (object )?at 0x[0-9a-fA-F]+', '', line)
    line = line.split(' Inputs received:')[0]
    if len(line) > 160 and '. ' in line[40:]:
        line = line[:line.index('. ', 40) + 1]
    while 'KerasTensor(' in line:
        start = line.index('KerasTensor(')
        depth, end = 0, len(line)
        for index in range(start + len('KerasTensor'), len(line)):
            depth += {'(': 1, ')': -1}.get(line[index], 0)
            if depth == 0:
                end = index + 1
                break
        line = line[:start] + 'a symbolic KerasTensor' + line[end:]
    if len(line) > 160 and '. ' in line[40:]:
        line = line[:line.index('. ', 40) + 1]
    return line[:240]


ERROR = re.compile(r'^\w+(Error|Exception): \S')


def chained_frames(error):
    """Returns the frames of error's traceback and of the errors it was
    raised from, in order."""
    frames, seen = [], set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        frames += traceback.extract_tb(error.__traceback__)
        error = error.__cause__ or error.__context__
    return frames


def learner_frame(error):
    """Returns 'file.py:LINE: code' for the deepest frame of the learner's
    files in error's traceback (or the errors it was raised from), or ''."""
    found = ''
    for frame in chained_frames(error):
        if in_learner_file(frame.filename):
            found = '{}:{}: {}'.format(
                os.path.basename(frame.filename), frame.lineno,
                statement(frame.filename, frame.lineno, frame.line))
    return found


def statement(path, number, line):
    """Returns the line of a file, with the lines that continue it where
    its brackets are left open (up to 4, their spaces run together)."""
    text = (line or '').strip()
    for extra in range(1, 4):
        if sum(text.count(c) for c in '([{') <= \
                sum(text.count(c) for c in ')]}'):
            break
        more = linecache.getline(path, number + extra).strip()
        if not more:
            break
        text += ('' if text.endswith(('(', '[', '{')) else ' ') + more
    return text


def crash_text(error):
    """Returns 'raised ValueError: the first line (at file.py:LINE:
    code)': the exception's type, its message's first real line and where
    in the learner's file it happened."""
    kind, line = type(error).__name__, first_line(error) or '(no message)'
    text = 'raised ' + (line if ERROR.match(line) else '{}: {}'.format(
        kind, line))
    frame = learner_frame(error)
    return text + (' (at {})'.format(frame) if frame else '') + \
        layers_named(text)


# the layers autoencoder() made, so that a message naming one by its Keras
# name ('conv2d_4') can say which line of the learner's file made it
MADE = []
LAYER_NAME = re.compile('layer [\"\'](\\w+)[\"\']')


def layers_named(text):
    """Returns ' (conv2d_4: the Conv2D made at file.py:LINE)' for each layer
    text names by its Keras name and the learner's file made, or ''."""
    found = []
    for name in dict.fromkeys(LAYER_NAME.findall(text)):
        for made in MADE:
            layer = made()
            if layer is not None and getattr(layer, 'name', None) == name \
                    and SITES.get(id(layer)):
                found.append('{}: the {} made at {}'.format(
                    name, type(layer).__name__, SITES[id(layer)]))
                break
    return ' ({})'.format('; '.join(found)) if found else ''


# a loss function of the learner's given to compile (by name, or a lambda)
LOSS_FUNCTION = r'loss\s*=\s*(lambda\b|[A-Za-z_][\w.]*\s*[,)])'
# known errors: (the error's pattern, the fix, and what the learner's file
# must show for that fix to be the cause: None where the error alone says)
KNOWN_ERRORS = (
    (r'.', 'output_shape=(latent_dims,): a tuple of one needs its comma '
     '(output_shape=(latent_dims) is a number)',
     r'output_shape\s*=\s*\(\s*[\w.]+\s*\)'),
    (r'Inputs to a layer should be tensors|should be a tensor', 'a layer '
     'made but never called on its input: x = keras.layers.Dense(...)(x), '
     'the input in the second parentheses', None),
    (r'is incompatible with the layer', 'a layer got an input of another '
     'shape than it was built for: where the decoder is called on the '
     'encoder, the encoder\'s output must have the shape latent_dims',
     None),
    (r'expects 1 (named )?input\(s\).*received 3 input', 'the decoder is '
     'called on all three encoder outputs: call it on z alone, '
     'decoder(encoder(inputs)[0])', None),
    (r'KerasTensor|symbolic|backend\' has no attribute',
     'on Keras 3, compute the KL term inside a custom layer\'s call() and '
     'add it there with self.add_loss(...); Model.add_loss and '
     'keras.backend ops on symbolic Keras tensors work on Keras 2 only',
     r'(?<!self)\.add_loss\(' if hasattr(keras, 'ops') else r'(?!)'),
    (r'KerasTensor|symbolic|target\.shape=\(None', 'a loss function may '
     'use only y_true and y_pred: one that uses tensors from autoencoder() '
     '(its inputs, the mean, the log variance) fails on TensorFlow 2.15; '
     'add the KL term with self.add_loss(...) in a layer\'s call(), or '
     'with auto.add_loss(...)', LOSS_FUNCTION
     if not hasattr(keras, 'ops') else r'(?!)'),
    (r"target\.shape=\(None|Tried to convert '\w+' to a tensor",
     'a loss function may use only y_true and '
     'y_pred: one that uses tensors from autoencoder() (its inputs, the '
     'mean, the log variance) fails; compute the KL term inside a custom '
     'layer\'s call() and add it there with self.add_loss(...)',
     LOSS_FUNCTION),
    (r'Invalid reduction dimension 1 for input with 1 dimensions',
     'keras.losses.binary_crossentropy(x, y) already averages over the '
     'pixels (one number per image): multiply it by input_dims, or sum '
     'keras.backend.binary_crossentropy(x, y), per pixel, over axis 1',
     r'losses\.binary_crossentropy'),
    (r'Only input tensors may be passed as positional', 'every input of a '
     'layer\'s call must be a tensor: give a number such as latent_dims to '
     'the function another way (Lambda(f, arguments={...}), or the '
     'function\'s closure)', None),
    (r"shape=\d+|Cannot convert '\d+' to a shape|Cannot iterate over a "
     r"shape with unknown rank|'numpy.int64' object is not iterable|"
     r"'int' object is not iterable", 'give keras.Input a tuple: '
     'keras.Input(shape=(input_dims,))', None),
    (r'Received: units=|Unrecognized type', 'convert sizes with int(...) '
     'before giving them to a layer', None),
)
# the text of the task file being checked (the known errors' causes are
# looked for there)
SOURCE = {'text': ''}


def symbolic(value):
    """Whether value is a symbolic Keras tensor (a model's input or a
    layer's output while the models are built)."""
    return any(kind.__name__ == 'KerasTensor' for kind in type(value).__mro__)


def outer_tensor(error):
    """Returns (the function, the name) of a Lambda layer's function made
    by the learner's file that reads a symbolic tensor from around it (its
    closure or its module) rather than from its arguments, where error
    came from that layer or that function; or None."""
    frames = chained_frames(error)
    lines = {'{}:{}'.format(os.path.basename(frame.filename), frame.lineno)
             for frame in frames}
    functions = {(os.path.basename(frame.filename), frame.name)
                 for frame in frames}
    # (a symbolic tensor met while the models run can only be one that a
    # function kept from when they were built)
    anywhere = 'KerasTensor is symbolic' in str(error)
    for made in MADE:
        layer = made()
        function = getattr(layer, 'function', None)
        code = getattr(function, '__code__', None)
        if code is None or not isinstance(layer, keras.layers.Lambda):
            continue
        called = (os.path.basename(code.co_filename), code.co_name)
        if not anywhere and SITES.get(id(layer)) not in lines and \
                called not in functions:
            continue
        cells = dict(zip(code.co_freevars, function.__closure__ or ()))
        for name in code.co_freevars:
            try:
                if symbolic(cells[name].cell_contents):
                    return function, name
            except ValueError:
                continue
        for name in code.co_names:
            if symbolic(function.__globals__.get(name)):
                return function, name
    return None


def hint_for(error):
    """Returns the known fix of an error whose cause the learner's file
    shows, or ''."""
    text = str(error)
    if 'must be equal rank' in text:
        for where, rank in ADDED:
            if where and rank:
                return 'the add_loss at {} is given one loss per image, ' \
                    'which cannot be added to the compiled loss, one ' \
                    'number for the batch: add their mean ' \
                    '(keras.backend.mean(...))'.format(where)
    if re.search(r'KerasTensor|symbolic', text):
        found = outer_tensor(error)
        if found:
            return 'the function {} that Lambda calls reads {}, a tensor ' \
                'from outside it, not one of its arguments: a Lambda\'s ' \
                'function may use only the tensors it is given (mean, ' \
                'log_var = args)'.format(found[0].__name__, found[1])
    for pattern, hint, cause in KNOWN_ERRORS:
        if re.search(pattern, text) and (
                cause is None or re.search(cause, SOURCE['text'])):
            sites = [site for site in COMPILED.values() if site]
            if cause == LOSS_FUNCTION and sites:
                # the construct's line: where the loss function is given
                hint = hint.replace('a loss function may use', 'the loss '
                                    'function given to compile at {} may '
                                    'use'.format(sites[-1]), 1)
            return hint
    return ''


def caller_site(thing):
    """Returns 'file.py:LINE' of the learner's line that is making thing
    (the outermost frame of theirs that is not thing's own method), or
    None."""
    frame = sys._getframe(2)
    while frame is not None:
        if in_learner_file(frame.f_code.co_filename) and \
                frame.f_locals.get('self') is not thing:
            return '{}:{}'.format(
                os.path.basename(frame.f_code.co_filename), frame.f_lineno)
        frame = frame.f_back
    return None


def live_layers(model):
    """Returns the model's layers without its input layers."""
    return [layer for layer in model.layers
            if not isinstance(layer, keras.layers.InputLayer)]


def site(thing):
    """Returns ' at FILE:LINE' where the learner's file made thing, or ''."""
    found = SITES.get(id(thing))
    return ' at ' + found if found else ''


def where(model, index, layer):
    """Returns 'encoder layer 3 (Dense at 0-vanilla.py:25)': how a message
    names a layer."""
    return '{} layer {} ({}{})'.format(model, index, type(layer).__name__,
                                       site(layer))


def producer(tensor):
    """Returns the layer that produced a symbolic tensor, looking through a
    layer of the learner's own with no weights that gives back the
    tensors it was given (one that adds the KL term and returns the mean
    and the log variance)."""
    while True:
        layer, node, index = tensor._keras_history[:3]
        try:
            given = layer._inbound_nodes[node].input_tensors
        except (AttributeError, IndexError):
            return layer
        given = list(given) if isinstance(given, (list, tuple)) else [given]
        outputs = layer._inbound_nodes[node].output_tensors
        outputs = list(outputs) if isinstance(outputs, (list, tuple)) \
            else [outputs]
        if layer.weights or layer_kinds(layer) or len(given) < 2 or \
                len(outputs) != len(given) or index >= len(given):
            return layer
        tensor = given[index]


# the Keras layer classes a description names (the judge recomputes
# most of them), and the parts of a layer's configuration it keeps
KINDS = ('InputLayer', 'Dense', 'Conv2D', 'MaxPooling2D', 'UpSampling2D',
         'Activation', 'ReLU', 'LeakyReLU', 'Flatten', 'Reshape', 'Dropout',
         'BatchNormalization')
CONFIG = ('units', 'activation', 'filters', 'kernel_size', 'strides',
          'padding', 'dilation_rate', 'pool_size', 'size', 'interpolation',
          'data_format', 'use_bias', 'target_shape', 'rate', 'alpha',
          'negative_slope', 'max_value', 'threshold', 'axis', 'epsilon',
          'center', 'scale', 'groups')


def plain_value(value):
    """Returns a configuration value as JSON holds it."""
    if isinstance(value, (bool, str)) or value is None:
        return value
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    if isinstance(value, (tuple, list)):
        return [plain_value(v) for v in value]
    return str(value)


def layer_config(layer):
    """Returns the parts of layer's configuration a description keeps,
    the activation by its name."""
    try:
        config = layer.get_config()
    except Exception:
        config = {}
    found = {key: plain_value(config[key]) for key in CONFIG
             if key in config}
    if 'activation' in config:
        name = config['activation'] or 'linear'
        found['activation'] = name if isinstance(name, str) else getattr(
            name, '__name__', str(name))
    return found


def layer_kinds(layer):
    """Returns the Keras classes (of KINDS, and Model) layer is an
    instance of: a learner's subclass of one is that one, but a Keras
    layer of other arithmetic derived from one (Keras 2's Conv2DTranspose
    from Conv2D) is none of them."""
    found = [name for name in KINDS
             if isinstance(layer, getattr(keras.layers, name))]
    kind = type(layer)
    source = getattr(sys.modules.get(kind.__module__), '__file__', None)
    if kind.__name__ not in KINDS and not in_learner_file(source or '<'):
        found = []
    return found + (['Model'] if isinstance(layer, keras.Model) else [])


def shapes(model, which):
    """Returns the shapes of the model's inputs or outputs as lists."""
    try:
        tensors = getattr(model, which) or []
    except Exception:
        tensors = []
    return [[None if size is None else int(size) for size in tensor.shape]
            for tensor in tensors]


def graph(model, found):
    """Returns (nodes, outputs_from): the model's calls of its layers in
    the order they run, each {'layer': index in found, 'inputs':
    [reference]}, and a reference for each of its outputs; a reference is
    ['input', i] or ['node', n, i]."""
    index = {id(layer): n for n, layer in enumerate(found)}
    inputs = list(model.inputs or [])
    nodes, position = [], {}

    def ref(tensor):
        """Returns the reference of a symbolic tensor, adding the calls
        it comes from."""
        for n, given in enumerate(inputs):
            if given is tensor:
                return ['input', n]
        layer, node_index, which = tensor._keras_history[:3]
        key = (id(layer), node_index)
        if key not in position:
            if id(layer) not in index:
                raise ValueError('a tensor of {} ({}), which is not one of '
                                 'the model\'s layers'.format(
                                     layer.name, type(layer).__name__))
            node = layer._inbound_nodes[node_index]
            given = getattr(node, 'keras_inputs', None)
            if given is None:
                given = node.input_tensors
            refs = [ref(t) for t in tf.nest.flatten(given)
                    if hasattr(t, '_keras_history')]
            position[key] = len(nodes)
            nodes.append({'layer': index[id(layer)], 'inputs': refs})
        return ['node', position[key], int(which)]
    return nodes, [ref(tensor) for tensor in model.outputs]


def describe(model, arrays=None, prefix='m', variables=None):
    """Returns the description of a model the judge reads (checker.spec
    says its form); with arrays, a dict, the layers' weights go in it
    under names the description gives (and with variables, a dict, the
    variables that hold them)."""
    found = live_layers(model)
    described = {'class': type(model).__name__, 'kinds': layer_kinds(model),
                 'site': SITES.get(id(model)),
                 'inputs': shapes(model, 'inputs'),
                 'outputs': shapes(model, 'outputs'), 'layers': []}
    for number, layer in enumerate(found):
        entry = {'class': type(layer).__name__, 'kinds': layer_kinds(layer),
                 'site': SITES.get(id(layer)), 'config': layer_config(layer)}
        if isinstance(layer, keras.Model):
            entry['model'] = describe(layer, arrays, '{}.{}'.format(
                prefix, number), variables)
        elif arrays is not None:
            entry['weights'] = []
            for k, (weight, variable) in enumerate(zip(
                    layer.get_weights(), layer.weights)):
                name = '{}.{}.{}'.format(prefix, number, k)
                arrays[name] = np.asarray(weight)
                entry['weights'].append(name)
                if variables is not None:
                    variables[name] = variable
        described['layers'].append(entry)
    try:
        described['nodes'], described['outputs_from'] = graph(model, found)
    except Exception as error:
        described['nodes'], described['outputs_from'] = [], []
        described['untraced'] = first_line(error) or type(error).__name__
    return described


def described(models):
    """Returns the descriptions of encoder, decoder, auto (no weights)."""
    return [describe(model) for model in models]


def watch_sites():
    """Makes every Keras layer and model note the line of the learner's
    file that made it (SITES), and every compile() its line, so that
    messages can point at them."""
    layer = keras.layers.Layer
    make = layer.__new__

    def new(cls, *arguments, **keywords):
        """Makes the layer and notes where."""
        made = make(cls, *arguments, **keywords)
        SITES.setdefault(id(made), caller_site(made))
        MADE.append(weakref.ref(made))
        return made
    layer.__new__ = staticmethod(new)
    compile_ = keras.Model.compile

    def compile_here(self, *arguments, **keywords):
        """Compiles and notes where."""
        COMPILED[id(self)] = caller_site(self)
        return compile_(self, *arguments, **keywords)
    keras.Model.compile = compile_here
    add_loss = layer.add_loss

    def add_loss_here(self, loss, *arguments, **keywords):
        """Adds the loss and notes where, and the rank of what was
        added."""
        try:
            rank = len(getattr(loss, 'shape', ()))
        except (TypeError, ValueError):
            rank = 0
        ADDED.append((caller_site(self), rank))
        return add_loss(self, loss, *arguments, **keywords)
    layer.add_loss = add_loss_here


COMPILED = {}
# the learner's add_loss calls: (where, the rank of the loss added)
ADDED = []


@contextlib.contextmanager
def captured():
    """Collects what is printed to stdout in .out and to stderr in .err
    (the grader compares stdout; Keras's warnings go to stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        yield out


def import_task(task, folder):
    """Imports the task file from folder as the grader does; returns
    (module or None, check outcome)."""
    if folder not in sys.path:
        sys.path.insert(0, folder)
    with captured() as out:
        try:
            module = __import__(task)
        except BaseException as error:
            return None, ('fail', crash_text(error), hint_for(error))
    if out.getvalue().strip():
        return module, 'prints while importing: {!r}; importing a task ' \
            'file must print nothing'.format(out.getvalue().strip()[:80])
    return module, None


def build(module, arguments, seen):
    """Calls module.autoencoder(*arguments); returns the outcome of the
    'builds' check and puts the models and what it printed in seen."""
    factory = getattr(module, 'autoencoder', None)
    if factory is None:
        others = [name for name, value in vars(module).items()
                  if callable(value) and not name.startswith('_')
                  and getattr(value, '__module__', '') == module.__name__]
        # an older edition named the function after its task ('sparse')
        named = [name for name in others if name in module.__name__]
        others = named or others
        return ('fail', 'no function autoencoder in the file',
                'the current specification names the function autoencoder'
                + (' (found: {})'.format(', '.join(others)) if others
                   else '') + ': def autoencoder({}):'.format(', '.join(
                       tasks.PROTOTYPES[module.__name__])))
    models, seen['printed'] = make(module, arguments)
    if not isinstance(models, (tuple, list)) or len(models) != 3 or \
            not all(isinstance(m, keras.Model) for m in models):
        return 'autoencoder{} returned {}; expected encoder, decoder, auto: ' \
            'three Keras models'.format(tuple(arguments), type_list(models))
    seen['models'] = models
    built(module.__name__, models, arguments)
    # a model that cannot run at all fails here, once, with its error
    try:
        forward(models[2], images(module.__name__, arguments, 2))
    except Exception as error:
        where = SITES.get(id(models[2]))
        return ('fail', 'running auto{}: {}'.format(
            ' (made at {})'.format(where) if where else '',
            crash_text(error)), hint_for(error))
    if module.__name__ == '3-variational':
        try:
            seen['roles'], seen['moving'] = vae_roles(models[0])
        except Exception:
            # vae_outputs runs it again and reports the crash
            seen['roles'], seen['moving'] = None, None
    return None


def built(task, models, arguments):
    """Builds the models that have no inputs yet (a Sequential model given
    no Input), on the shapes the specification gives them."""
    def shape(size):
        """Returns the batch shape of one input of size."""
        return (None,) + (tuple(size) if isinstance(size, (tuple, list))
                          else (size,))
    wanted = [shape(arguments[0]), shape(arguments[2]), shape(arguments[0])]
    for model, batch_shape in zip(models, wanted):
        if getattr(model, 'inputs', None) is None:
            try:
                model.build(batch_shape)
            except Exception:
                pass  # the structure check reports the missing inputs


def make(module, arguments, seed=0):
    """Returns what module.autoencoder(*arguments) returns, in a fresh
    session seeded with seed, and what it printed on stdout."""
    keras.backend.clear_session()
    SITES.clear()
    MADE.clear()
    ADDED.clear()
    keras.utils.set_random_seed(seed)
    with captured() as out:
        try:
            models = module.autoencoder(*arguments)
        finally:
            printed = out.getvalue()
    return models, printed


def forward(model, x):
    """Returns model(x) in inference mode as numpy arrays (a list of them
    for several outputs): a direct call, which costs a fraction of
    predict()'s set-up on models run a few times."""
    outputs = model(x, training=False)
    if isinstance(outputs, (list, tuple)):
        return [np.asarray(output) for output in outputs]
    return np.asarray(outputs)


def type_list(value):
    """Returns a short description of what a factory returned."""
    if isinstance(value, (tuple, list)):
        return '{} of {}'.format(type(value).__name__, ', '.join(
            type(v).__name__ for v in value))
    return type(value).__name__


def quiet(seen):
    """Building the models prints nothing on stdout, where the grader
    compares (warnings on stderr are Keras's business)."""
    printed = seen['printed'].strip()
    if printed:
        return 'prints while building: {!r}; autoencoder() must print ' \
            'nothing (the checker compares what the main prints)'.format(
                printed.splitlines()[0][:80])
    return None


def vae_roles(encoder, n=64):
    """Finds which of the VAE encoder's outputs is z (the one that changes
    between two calls on the same images), the mean and the log variance
    (the other two, in their order); returns ({'z': i, 'mean': j,
    'log_var': k} in the specification's order when z cannot be told
    apart, which outputs moved)."""
    x = images('3-variational', (encoder.inputs[0].shape[-1],), n)
    outputs = list(range(len(encoder.outputs)))
    if len(outputs) != 3:
        return None, []
    first = forward(encoder, x)
    second = forward(encoder, x)
    moving = [i for i in outputs
              if not np.allclose(first[i], second[i])]
    if len(moving) != 1:
        return dict(zip(spec.ROLES, outputs)), moving
    rest = [i for i in outputs if i != moving[0]]
    return {'z': moving[0], 'mean': rest[0], 'log_var': rest[1]}, moving


def structure(task, models, arguments, roles=None):
    """The specification's sentences on layers and shapes, every problem
    at once; for tasks 0 to 2 also that auto is decoder(encoder(x))."""
    problems = spec.merged(spec.STRUCTURE[task](
        described(models), *arguments[:3], roles=roles))
    if problems or task == '3-variational':
        return '; '.join(problems) or None
    encoder, decoder, auto = models
    x = images(task, arguments, 8)
    direct = forward(auto, x)
    chained = forward(decoder, forward(encoder, x))
    if not np.allclose(direct, chained, atol=1e-5):
        return 'auto(x) differs from decoder(encoder(x)) by up to {:.3g}: ' \
            'auto must be the decoder applied to the encoder\'s ' \
            'output'.format(float(np.max(np.abs(direct - chained))))
    return None


def images(task, arguments, n, seed=0):
    """Returns n random images in [0, 1] of the task's input shape."""
    shape = tuple(arguments[0]) if task == '2-convolutional' \
        else (arguments[0],)
    return np.random.default_rng(seed).random((n,) + shape,
                                              dtype=np.float32)


def binary_cross_entropy(x, p, axis=-1):
    """Returns the mean binary cross-entropy of p against x over axis."""
    p = np.clip(p.astype(np.float64), EPSILON, 1 - EPSILON)
    return -np.mean(x * np.log(p) + (1 - x) * np.log(1 - p), axis=axis)


def compiled_at(auto):
    """Returns ' (auto.compile at FILE:LINE)' or ''."""
    found = COMPILED.get(id(auto))
    return ' (compile at {})'.format(found) if found else ''


def compiled(task, models, arguments):
    """auto is compiled with adam and, but for the VAE, whose loss
    vae_loss checks, binary cross-entropy."""
    auto = models[2]
    optimizer = getattr(auto, 'optimizer', None)
    if optimizer is None:
        return 'auto is not compiled; the specification compiles it with ' \
            'adam and binary cross-entropy'
    if type(optimizer).__name__.lower() != 'adam':
        return 'auto is compiled with {}{}; the specification asks for ' \
            'adam'.format(type(optimizer).__name__, compiled_at(auto))
    if task == '3-variational':
        return None
    loss = keras.losses.get(auto.loss) if isinstance(auto.loss, str) \
        else auto.loss
    x = images(task, arguments, 16)
    p = np.clip(np.random.default_rng(1).random(x.shape, dtype=np.float32),
                0.05, 0.95)
    value = float(np.mean(np.asarray(loss(x, p))))
    wanted = float(np.mean(binary_cross_entropy(x.reshape(16, -1),
                                                p.reshape(16, -1))))
    if not np.isclose(value, wanted, rtol=1e-3):
        return 'auto\'s loss gives {:.4f} on a batch where binary ' \
            'cross-entropy gives {:.4f}{}; the specification asks for ' \
            'binary cross-entropy'.format(value, wanted, compiled_at(auto))
    return None


def regularizer(task, module, models, arguments):
    """Task 1: an L1 activity regularizer of lambtha on the latent layer
    only, whose penalty is in the loss; a weight regularizer, or any
    regularizer on task 0's layers, only earns a note: the specification
    does not name them, but they change the loss the main prints."""
    encoder, decoder, _ = models
    everything = [(name, index, layer) for name, model in
                  (('encoder', encoder), ('decoder', decoder))
                  for index, layer in enumerate(live_layers(model), 1)]
    latent = live_layers(encoder)[-1]
    found = [(name, index, layer, kind, regularizer)
             for name, index, layer in everything
             for kind in ('activity', 'kernel', 'bias')
             for regularizer in [getattr(layer, kind + '_regularizer', None)]
             if regularizer is not None
             and (task, layer, kind) != ('1-sparse', latent, 'activity')]

    def said(kinds):
        """Returns the found regularizers of kinds, as a message says."""
        return '; '.join(spec.merged(['{}: {} regularizer {}'.format(
            where(name, index, layer), kind, describe_regularizer(r))
            for name, index, layer, kind, r in found if kind in kinds]))
    if task == '1-sparse':
        problem = sparse_penalty(arguments, latent)
        if problem is None and said(('activity',)):
            problem = '{}; only the latent layer has an activity ' \
                'regularizer'.format(said(('activity',)))
        if problem is None:
            problem = sparse_loss(task, module, arguments)
        if problem:
            return problem
    if not found:
        return None
    return ('note', '{}; the specification {} (not counted, but the loss '
            'and what the main prints change)'.format(
                said(('activity', 'kernel', 'bias')),
                'regularizes only the encoded output' if task == '1-sparse'
                else 'names no regularizer for the vanilla autoencoder'),
            'remove the regularizer')


def sparse_penalty(arguments, latent):
    """Returns how the sparse model's latent layer differs from one with an
    L1 activity regularizer of lambtha (None if it does not)."""
    lambtha = float(arguments[3])
    found = getattr(latent, 'activity_regularizer', None)
    l1 = float(getattr(found, 'l1', 0) or 0)
    l2 = float(getattr(found, 'l2', 0) or 0)
    if found is None or not np.isclose(l1, lambtha, rtol=1e-6) or l2:
        weights = getattr(latent, 'kernel_regularizer', None)
        return 'encoder\'s latent layer ({}{}): activity regularizer {}; ' \
            'the specification asks for L1 of lambtha = {:g}{}'.format(
                type(latent).__name__, site(latent),
                describe_regularizer(found), lambtha,
                '; its kernel regularizer {} penalizes the weights, not the '
                'encoded output'.format(describe_regularizer(weights))
                if weights is not None else '')
    return None


def sparse_loss(task, module, arguments, lambtha=0.1):
    """Returns how the loss on a batch of the sparse model built with a
    lambtha large enough to be seen differs from the cross-entropy plus
    lambtha times the codes' L1 norm, divided by the batch size (Keras 2
    and 3.14+) or not (Keras 3.0 to 3.13); None if it does not."""
    encoder, decoder, auto = make(module, tuple(arguments[:3]) +
                                  (lambtha,))[0]
    x = images(task, arguments, 16)
    code = forward(encoder, x)
    cross_entropy = float(np.mean(binary_cross_entropy(
        x, forward(decoder, code))))
    with captured():
        loss = float(np.ravel(auto.evaluate(x, x, batch_size=16,
                                            verbose=0))[0])
    penalty = lambtha * float(np.abs(code).sum())
    if not any(np.isclose(loss, cross_entropy + penalty / n, rtol=1e-3)
               for n in (16, 1)):
        return 'with lambtha = {:g}, the loss is {:.4f} on a batch where ' \
            'the cross-entropy plus lambtha times the L1 norm of the ' \
            'codes gives {:.4f}: the penalty on the encoded output is ' \
            'not in the loss as the specification has it'.format(
                lambtha, loss, cross_entropy + penalty / 16)
    return None


def describe_regularizer(found):
    """Returns 'L1(l1=1e-05, l2=None)' or 'none'."""
    def factor(value):
        """Returns a factor as written (float32's noise left out)."""
        return None if value is None else '{:.6g}'.format(float(value))
    if found is None:
        return 'none'
    return '{}(l1={}, l2={})'.format(type(found).__name__,
                                     factor(getattr(found, 'l1', None)),
                                     factor(getattr(found, 'l2', None)))


def shifted(layer, by):
    """Adds by (a number, or one per unit) to a Dense layer's bias; returns
    a function that undoes it (a no-op where the layer has no bias)."""
    weights = layer.get_weights() if isinstance(
        layer, keras.layers.Dense) else []
    if len(weights) != 2:
        return lambda: None
    layer.set_weights([weights[0], weights[1] + by])
    return lambda: layer.set_weights(weights)


def heads(encoder, roles):
    """Returns the layers that output the mean and the log variance."""
    return (producer(encoder.outputs[roles['mean']]),
            producer(encoder.outputs[roles['log_var']]))


def vae_outputs(models, seen):
    """Task 3: the encoder returns z, the mean and the log variance, in
    that order, z = mean + exp(log_var / 2) * epsilon with epsilon from
    N(0, 1); auto decodes the sampled z."""
    encoder, decoder, auto = models
    where = site(encoder)
    if len(encoder.outputs) != 3:
        return 'the encoder{} returns {} output{} where the ' \
            'specification\'s returns three: z, the mean and the log ' \
            'variance, z = mean + exp(log_var / 2) * epsilon a new sample ' \
            'each call'.format(where, len(encoder.outputs),
                               '' if len(encoder.outputs) == 1 else 's')
    roles, moving = seen['roles'], seen['moving']
    if moving is None:
        roles, moving = vae_roles(encoder)
    if len(moving) != 1:
        return 'encoder outputs that change between two calls on the same ' \
            'images: {}; exactly one should, z, a new sample each call: z = ' \
            'mean + exp(log_var / 2) * epsilon, epsilon drawn anew from ' \
            'N(0, 1)'.format(moving or 'none')
    problems = []
    if roles != dict(zip(spec.ROLES, range(3))):
        order = sorted(roles, key=roles.get)
        problems.append('the encoder{} returns [{}]; the specification\'s '
                        'order is [z, mean, log_var]'.format(
                            where, ', '.join(order)))
    # the spread of z, measured where the log variance differs clearly
    # between the latent dimensions (0 to 2), so that the form of the
    # scale and the spread of epsilon can be told apart
    mean_layer, log_var_layer = heads(encoder, roles)
    if mean_layer is log_var_layer:
        return 'the mean and the log variance come from one layer ({}{}) ' \
            'called twice: they are equal; make a layer for each'.format(
                type(mean_layer).__name__, site(mean_layer))
    latent = int(encoder.outputs[roles['log_var']].shape[-1])
    undo = [shifted(mean_layer, 2.),
            shifted(log_var_layer, np.linspace(0., 2., latent))]
    try:
        x = np.repeat(images('3-variational', (int(
            encoder.inputs[0].shape[-1]),), 1), 2000, axis=0)
        found = forward(encoder, x)
    finally:
        for step in reversed(undo):
            step()
    z, mean, log_var = (found[roles[r]].astype(np.float64)
                        for r in spec.ROLES)
    problems += sampling_problems(z, mean, log_var)
    problems += decoded_problems(models, roles)
    return '; '.join(problems) or None


# the standard deviations learners give z, and how to say each
SCALES = (('exp(log_var / 2)', lambda v: np.exp(v / 2)),
          ('exp(log_var)', np.exp),
          ('exp(log_var / 4)', lambda v: np.exp(v / 4)),
          ('log_var', lambda v: v),
          ('1 (no scale)', np.ones_like))


def sampling_problems(z, mean, log_var):
    """Returns how z departs from mean + exp(log_var / 2) * epsilon,
    epsilon from N(0, 1), over many draws for one image: the form of the
    scale (the one under which every latent dimension has the same spread)
    and epsilon's spread under it."""
    def spreads(scale):
        """Returns the standard deviation of (z - mean) / scale for each
        latent dimension."""
        with np.errstate(divide='ignore', invalid='ignore'):
            return np.nan_to_num(((z - mean) / scale).std(axis=0))

    right = spreads(np.exp(log_var / 2))
    if np.all((right > 0.9) & (right < 1.1)):
        return []
    centre = float(((z - mean) / np.exp(log_var / 2)).mean())
    if abs(centre) > 0.15 * max(float(right.mean()), 1e-3) + 0.05:
        return ['z is not centred on the mean: (z - mean) / exp(log_var / 2) '
                'has mean {:.2f} over {} draws; z = mean + exp(log_var / '
                '2) * epsilon'.format(centre, len(z))]

    def unevenness(item):
        """How much the spread differs between the dimensions."""
        found = spreads(item[1](log_var))
        return float(found.max() / max(found.min(), 1e-12))
    name, scale = min(SCALES, key=unevenness) if latent_varies(log_var) \
        else SCALES[0]
    spread = float(spreads(scale(log_var)).mean())
    problems = []
    if name != SCALES[0][0]:
        problems.append('z = mean + {} * epsilon: the standard deviation is '
                        'exp(log_var / 2)'.format(name.split(' (')[0]))
    if not 0.9 < spread < 1.1:
        problems.append('epsilon has standard deviation {:.2f} over {} '
                        'draws, not 1: draw it from N(0, 1) (keras.backend.'
                        'random_normal(shape), whose stddev is 1)'.format(
                            spread, len(z)))
    return problems


def latent_varies(log_var):
    """Whether the log variance differs between the latent dimensions
    enough to tell the forms of the scale apart."""
    row = log_var[0]
    return row.size > 1 and float(row.max() - row.min()) > 1.


def every_layer(model):
    """Returns the ids of model's layers and of its nested models'."""
    found = set()
    for layer in model.layers:
        found.add(id(layer))
        if isinstance(layer, keras.Model):
            found |= every_layer(layer)
    return found


def weighted(model):
    """Returns model's layers that hold weights, its nested models'
    included."""
    found = []
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            found += weighted(layer)
        elif layer.weights:
            found.append(layer)
    return found


def apart(models):
    """Returns which of the returned encoder and decoder auto shares no
    weights with (auto built from new layers: training it leaves them
    untrained)."""
    encoder, decoder, auto = models
    within = every_layer(auto)
    return [name for name, model in (('encoder', encoder),
                                     ('decoder', decoder))
            if id(model) not in within and
            not any(id(layer) in within for layer in weighted(model))]


def decoded_problems(models, roles):
    """Returns a problem when auto does not decode the sampled z."""
    encoder, decoder, auto = models
    others = apart(models)
    if others:
        return ['auto{} is not made of the returned {}: its layers are '
                'others, so training auto leaves the returned models '
                'untrained; auto = keras.Model(inputs, decoder(encoder('
                'inputs)[0]))'.format(site(auto), ' and '.join(others))]
    x = images('3-variational', (784,), 16, seed=3)
    first = forward(auto, x)
    if not np.allclose(first, forward(auto, x)):
        return []
    outputs = forward(encoder, x)
    for role in ('mean', 'log_var'):
        decoded = forward(decoder, outputs[roles[role]])
        if np.allclose(first, decoded, atol=1e-5):
            return ['auto decodes the {} (the same output twice for the '
                    'same images), not the sampled z: auto = decoder(z), '
                    'z the encoder\'s sample'.format(
                        'mean' if role == 'mean' else 'log variance')]
    return ['auto gives the same output twice for the same images: it does '
            'not decode a new sample z each call']


# the usual wrong reconstruction and KL terms of a VAE's loss, by how they
# scale the right ones (B: the batch, D: the latent dimensions)
RECONSTRUCTIONS = (
    ('sum', 'the cross-entropy summed over the pixels'),
    ('mean', 'the cross-entropy averaged over the pixels (multiply it by '
             'input_dims, or sum over the pixels)'),
    ('batch', 'the cross-entropy averaged over the pixels and summed over '
              'the batch (sum over the pixels, average over the batch)'),
    ('total', 'the cross-entropy summed over the pixels and the batch '
              '(average over the batch)'),
    ('none', 'no cross-entropy'),
)
KLS = (
    ('kl', 'the KL term'),
    ('none', 'no KL term'),
    ('latent', 'the KL term averaged over the latent dimensions (sum over '
               'them)'),
    ('batch', 'the KL term summed over the batch (average over the batch)'),
    ('half', 'the KL term with exp(log_var / 2) where it needs exp(log_var)'),
    ('double', 'the KL term with 2 * log_var and exp(2 * log_var), as if '
               'log_var were the log standard deviation'),
    ('unhalved', 'the KL term without its factor 0.5'),
    ('negative', 'the KL term with its sign reversed (the KL divergence is '
                 '-0.5 * sum(1 + log_var - mean ** 2 - exp(log_var)))'),
)


def loss_terms(x, reconstruction, mean, log_var):
    """Returns {name: value} of the reconstruction and KL terms above on a
    batch, each as the batch's loss."""
    batch, pixels = x.shape
    per = pixels * binary_cross_entropy(x, reconstruction)
    r = {'sum': per.mean(), 'mean': per.mean() / pixels,
         'batch': per.sum() / pixels, 'total': per.sum(), 'none': 0.}

    def kl(log_term, variance):
        """Returns the KL divergence per sample."""
        return -0.5 * np.sum(1 + log_term - mean ** 2 - variance, axis=-1)

    right = kl(log_var, np.exp(log_var))
    k = {'kl': right.mean(), 'none': 0.,
         'latent': right.mean() / mean.shape[1], 'batch': right.sum(),
         'half': kl(log_var, np.exp(log_var / 2)).mean(),
         'double': kl(2 * log_var, np.exp(2 * log_var)).mean(),
         'unhalved': 2 * right.mean(), 'negative': -right.mean()}
    return r, k


def vae_loss(models, seen):
    """Task 3: the loss trained is the binary cross-entropy summed over the
    pixels plus the KL divergence, checked against a hand computation with
    the decoder made blind to z (so that no sampling noise is left), from
    the outputs as vae_outputs found them; a wrong loss is named by the
    usual mistake its value matches."""
    encoder, decoder, auto = models
    if len(encoder.outputs) != 3:
        return ('skip', 'skipped: waits on vae_outputs: the encoder returns '
                'no mean and log variance to make the KL term of', '')
    if apart(models):
        return 'auto is not made of the returned encoder and decoder (see ' \
            'vae_outputs), so its loss cannot be set beside theirs'
    roles = seen['roles'] or dict(zip(spec.ROLES, range(3)))
    first = [layer for layer in live_layers(decoder)
             if len(layer.get_weights()) == 2][0]
    kernel, bias = first.get_weights()
    first.set_weights([np.zeros_like(kernel), bias])
    # means moved to 3 and log variances to 2 make every term below differ
    # from the others by far more than the comparison's tolerance
    mean_layer, log_var_layer = heads(encoder, roles)
    shifted(mean_layer, 3.)
    shifted(log_var_layer, 2.)
    x = images('3-variational', (784,), 64)
    found = forward(encoder, x)
    mean, log_var = (found[roles[r]].astype(np.float64)
                     for r in ('mean', 'log_var'))
    reconstruction = forward(decoder, np.zeros_like(mean, dtype=np.float32))
    r, k = loss_terms(x, reconstruction, mean, log_var)
    loss = auto.evaluate(x, x, batch_size=64, verbose=0)
    loss = float(loss[0] if isinstance(loss, list) else loss)
    expected = r['sum'] + k['kl']
    if np.isclose(loss, expected, rtol=1e-3):
        return None
    # each reconstruction and KL term, alone or together, and with the
    # compiled per-pixel cross-entropy on top (add_loss of the whole loss,
    # then compile(loss='binary_crossentropy') as well)
    matches = [(rn, kn, extra) for extra in (0., r['mean'])
               for rn, _ in RECONSTRUCTIONS for kn, _ in KLS
               if (rn, kn) != ('none', 'none')
               and np.isclose(loss, r[rn] + k[kn] + extra, rtol=1e-4)]
    words = dict(RECONSTRUCTIONS), dict(KLS)
    if matches:
        rn, kn, extra = matches[0]
        found = 'it matches {} plus {}'.format(words[0][rn], words[1][kn]) \
            if kn != 'none' else 'it matches {}, with no KL term'.format(
                words[0][rn])
        if rn == 'none':
            found = 'it matches {} alone, with no cross-entropy'.format(
                words[1][kn])
        if extra:
            found += ', plus the cross-entropy averaged over the pixels ' \
                'that compile(loss=...) adds on top of add_loss: compile ' \
                'with no loss where add_loss holds the whole loss'
    else:
        found = 'it matches none of the usual mistakes (the cross-entropy ' \
            'summed over the pixels is {:.3f} of it, the KL term ' \
            '{:.3f})'.format(r['sum'], k['kl'])
    return 'the loss trained is {:.3f} on a batch where the cross-entropy ' \
        'summed over the pixels plus the KL term gives {:.3f}: {}{}'.format(
            loss, expected, found, compiled_at(auto))


# other arguments a straightforward implementation of the specification
# builds correctly, and (ROBUST) arguments beyond what the specification's
# mains pass, reported as a note only
I64 = np.int64
VARIANTS = {
    '0-vanilla': [(784, [256, 128, 64], 16), (100, [50], 5)],
    '2-convolutional': [((28, 28, 3), [8, 16, 32], (4, 4, 32)),
                        ((28, 28, 1), [4, 8, 8, 16], (2, 2, 16)),
                        # sizes that round up
                        ((30, 20, 2), [8, 4, 4], (4, 3, 4))],
    '3-variational': [(784, [256, 128], 4), (100, [50], 3)],
}
ROBUST = {
    '0-vanilla': [(I64(784), [I64(64)], I64(16)), (784, (128, 64), 32),
                  (784, [], 8), (64, np.array([32, 16]), 8)],
    '2-convolutional': [((I64(28), I64(28), I64(1)), [I64(4), I64(8),
                                                      I64(8)],
                         (I64(4), I64(4), I64(8))),
                        ([28, 28, 1], (16, 8, 8), [4, 4, 8]),
                        (np.array([28, 28, 1]), np.array([16, 8, 8]),
                         (4, 4, 8)),
                        # one convolution, the second-to-last, valid: its
                        # decoder gives 24x24 images (spec.decoded_shape)
                        ((28, 28, 1), [4], (14, 14, 4))],
    '3-variational': [(I64(784), [I64(64)], I64(2)), (784, (128,), 2),
                      (784, [], 2)],
}
VARIANTS['1-sparse'] = [case + (1e-4,) for case in VARIANTS['0-vanilla']]
ROBUST['1-sparse'] = [case + (1e-4,) for case in ROBUST['0-vanilla']] + [
    (64, [32], 8, 0), (64, [32], 8, 1)]


def variant_problem(task, module, arguments, penalty=True, probe=None):
    """Returns what goes wrong when autoencoder(*arguments) is built (a
    crash or the structure's problems, and for task 1 with penalty, the
    regularizer's), or None; with probe, sends the judge the models'
    descriptions."""
    try:
        models, _ = make(module, arguments)
        built(task, models, arguments)
    except Exception as error:
        return '{}{}'.format(crash_text(error), (
            '; hint: ' + hint_for(error)) if hint_for(error) else '')
    plain_arguments = [plain(a) for a in arguments[:3]]
    roles = vae_roles(models[0])[0] if task == '3-variational' else None
    descriptions = described(models)
    if probe is not None:
        probe.write(kind='variant', arguments=plain_arguments,
                    models=descriptions, roles=roles)
    problems = spec.merged(spec.STRUCTURE[task](
        descriptions, *plain_arguments, roles=roles))
    if task == '1-sparse' and penalty and not problems:
        problems = [sparse_penalty(arguments, live_layers(models[0])[-1])]
    return '; '.join(p for p in problems if p) or None


def drawn_variant(task, challenge):
    """Returns the arguments of the variant the judge drew for task (its
    sizes in the challenge: input_dims, the hidden layers, latent_dims),
    or None."""
    sizes = challenge.get('variant:' + task)
    if sizes is None:
        return None
    sizes = [int(size) for size in sizes]
    drawn = (sizes[0], sizes[1:-1], sizes[-1])
    return drawn + (1e-4,) if task == '1-sparse' else drawn


def variants(task, module, penalty, probe=None, challenge=None):
    """Other arguments the specification allows build models that keep
    its sentences (and, with penalty, once the regularizer check has
    passed, task 1's regularizer): the judge's drawn sizes first, then the
    fixed cases; arguments beyond the specification's (numpy integers and
    arrays, tuples, an empty hidden_layers) only earn a note."""
    drawn = drawn_variant(task, challenge or {})
    for arguments in ([drawn] if drawn else []) + VARIANTS[task]:
        problem = variant_problem(task, module, arguments, penalty, probe)
        if problem:
            return 'autoencoder{}: {}'.format(shown(arguments), problem)
    notes, hints = [], {}
    for arguments in ROBUST[task]:
        problem = variant_problem(task, module, arguments, penalty)
        if problem:
            notes.append('autoencoder{}: {}'.format(shown(arguments),
                                                    shortened(problem)))
            # numpy integers and arrays, tuples for lists: the same sizes
            # in other types; the rest (one filter, no hidden layer,
            # lambtha 0 or 1) are other sizes, whose models break
            if retyped(task, arguments):
                hints[0] = 'the specification\'s mains pass plain ints, ' \
                    'lists and tuples; int(...) and list(...) of the ' \
                    'arguments accept the rest'
            else:
                hints[1] = 'the grader does not pass {}, and the models ' \
                    'above break on {}: build each layer from the ' \
                    'arguments, whatever their number'.format(
                        *(('these', 'them') if len(notes) > 1 else
                          ('this', 'it')))
    if notes:
        return ('note', 'beyond what the specification passes (not a '
                'fault): ' + '; '.join(notes[:2]) + (
                    ' (and {} more)'.format(len(notes) - 2)
                    if len(notes) > 2 else ''),
                '; '.join(hints[k] for k in sorted(hints)))
    return None


def retyped(task, arguments):
    """Whether arguments are sizes in other types than the specification's
    mains pass: numpy integers or arrays, a tuple for a list, a list for
    a tuple."""
    if any(isinstance(a, (np.integer, np.ndarray)) or (
            isinstance(a, (list, tuple)) and any(
                isinstance(b, np.integer) for b in a))
           for a in arguments[:3]):
        return True
    if task == '2-convolutional':
        return isinstance(arguments[0], list) or isinstance(
            arguments[1], tuple) or isinstance(arguments[2], list)
    return isinstance(arguments[1], tuple)


def shortened(problem, most=200):
    """Returns a variant's problem for a note: without its hint, cut at a
    word to at most `most` characters."""
    problem = problem.split('; hint: ')[0]
    if len(problem) <= most:
        return problem
    return problem[:problem.rfind(' ', 0, most - 3)] + '...'


def plain(value):
    """Returns value with numpy integers, arrays and tuples as ints and
    lists."""
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, (tuple, list)):
        return [plain(v) for v in value]
    return int(value) if isinstance(value, np.integer) else value


def shown(arguments):
    """Returns the arguments as a call shows them, numpy types named."""
    def one(value):
        """Returns one argument's text."""
        if isinstance(value, np.integer):
            return 'np.int64({})'.format(int(value))
        if isinstance(value, np.ndarray):
            return 'np.array({})'.format(value.tolist())
        if isinstance(value, (tuple, list)):
            inner = ', '.join(one(v) for v in value)
            return '({}{})'.format(inner, ',' if len(value) == 1 else '') \
                if isinstance(value, tuple) else '[{}]'.format(inner)
        return repr(value)
    return '(' + ', '.join(one(a) for a in arguments) + ')'


@functools.lru_cache(maxsize=1)
def training_images():
    """Returns the first 512 MNIST training images in [0, 1], loaded once
    for every task of the process."""
    (x, _), _ = datasets.load('mnist')
    return x[:512].astype('float32') / 255.


def trains(task, module, arguments):
    """Three epochs on 512 MNIST images lower the loss, with no NaN."""
    x = training_images()
    x = x.reshape((-1, 28, 28, 1)) if task == '2-convolutional' \
        else x.reshape((-1, 784))
    auto = make(module, arguments)[0][2]
    with captured():
        losses = auto.fit(x, x, epochs=3, batch_size=64, verbose=0,
                          shuffle=True).history['loss']
    if not np.all(np.isfinite(losses)):
        return 'training losses {}: not finite'.format(losses)
    if not losses[-1] < losses[0]:
        return 'the loss did not fall in 3 epochs on 512 images: {}'.format(
            ', '.join('{:.4f}'.format(v) for v in losses))
    return None


KERAS_LINE = re.compile(r'^Epoch \d+/\d+$|step|━|\[=*>?\.*\]')


def run_main(task, module, limit=256):
    """Runs test_files/N-main.py for one epoch on limit images with module
    as the task file; returns the lines it printed to stdout, Keras's
    progress lines left out."""
    sys.modules[task] = module
    main = os.path.join(ROOT, 'test_files', task.split('-')[0] + '-main.py')
    keras.backend.clear_session()
    with tempfile.TemporaryDirectory() as folder:
        argv, sys.argv = sys.argv, [main, '--epochs', '1', '--limit',
                                    str(limit), '--no-show', '--out', folder]
        # the main's progress (aelib.progress) stays in the copy's folder
        os.environ['AUTOENCODERS_PROGRESS'] = os.path.join(folder,
                                                           'progress')
        out = io.StringIO()
        # the figures are not checked: drawing them would only cost time
        drawn = {name: value for name, value in vars(plots).items()
                 if name.startswith('plot_')}
        for name in drawn:
            setattr(plots, name, lambda *arguments, **keywords: None)
        try:
            with contextlib.redirect_stdout(out), \
                    contextlib.redirect_stderr(io.StringIO()):
                runpy.run_path(main, run_name='__main__')
        finally:
            sys.argv = argv
            for name, value in drawn.items():
                setattr(plots, name, value)
    return [line.rstrip() for line in out.getvalue().splitlines()
            if line.strip() and not KERAS_LINE.search(line)]


def main_output(task, module, seen):
    """The task's main, on a slice and one epoch, prints what the
    specification's main prints, in its format."""
    seen['main_lines'] = lines = run_main(task, module)
    return spec.main_format(task, lines)


def enter(folder):
    """Makes folder the learner's folder: the working directory and first
    on sys.path, with the previous folder's modules forgotten."""
    global FOLDER
    if FOLDER:
        for name, module in list(sys.modules.items()):
            if in_learner_file(getattr(module, '__file__', None) or '<'):
                del sys.modules[name]
        while FOLDER in sys.path:
            sys.path.remove(FOLDER)
    FOLDER = os.path.realpath(folder)
    os.chdir(FOLDER)
    importlib.invalidate_caches()


def watched(variable):
    """Returns what a gradient tape follows for a Keras variable (Keras 3
    wraps a TensorFlow variable in its own)."""
    inner = getattr(variable, 'value', None)
    return variable if inner is None or callable(inner) else inner


def gradients(model, given, seed, variables, arrays, name):
    """Puts in arrays the model's outputs on given and, for each output,
    the gradient with respect to every weight of the sum of the output
    times its projection (checker.judge checks them against its own
    finite differences)."""
    names = list(variables)
    with tf.GradientTape(persistent=True) as tape:
        for variable in variables.values():
            tape.watch(watched(variable))
        outputs = model(given, training=False)
        outputs = list(outputs) if isinstance(outputs, (list, tuple)) \
            else [outputs]
        sums = [tf.reduce_sum(tf.cast(output, tf.float32) *
                              protocol.projection(seed, number,
                                                  tuple(output.shape)))
                for number, output in enumerate(outputs)]
    for number, (output, total) in enumerate(zip(outputs, sums)):
        arrays['{}:{}'.format(name, number)] = np.asarray(output)
        found = tape.gradient(total, [watched(variables[n]) for n in names],
                              unconnected_gradients='zero')
        for weight, gradient in zip(names, found):
            arrays['grad:{}:{}:{}'.format(name, number, weight)] = \
                np.asarray(gradient)
    del tape


def evidence(task, models, challenge):
    """Returns the frame's fields and arrays that let the judge check the
    models: their descriptions with their weights, their outputs on the
    challenge's images (the encoder's twice: the VAE's z is drawn anew) and
    codes, and the gradients of those outputs' projections."""
    arrays = {}
    encoder, decoder, auto = models
    held = {'encoder': {}, 'decoder': {}}
    fields = {'encoder': describe(encoder, arrays, 'encoder',
                                  held['encoder']),
              'decoder': describe(decoder, arrays, 'decoder',
                                  held['decoder']),
              'auto': describe(auto)}
    x, z = challenge['x:' + task], challenge['z:' + task]
    seeds = [int(seed) for seed in challenge['seeds:' + task]]
    gradients(encoder, x, seeds[0], held['encoder'], arrays, 'encoder')
    gradients(decoder, z, seeds[1], held['decoder'], arrays, 'decoder')
    draws = np.repeat(x[:DRAWN_IMAGES], DRAWS, axis=0)
    for name, model, given in (('encoder_again', encoder, x),
                               ('auto', auto, x),
                               ('draws', encoder, draws)):
        if name == 'draws' and task != '3-variational':
            continue
        outputs = forward(model, given)
        outputs = outputs if isinstance(outputs, list) else [outputs]
        for number, output in enumerate(outputs):
            arrays['{}:{}'.format(name, number)] = output
    try:
        with captured():
            fields['loss'] = float(np.ravel(auto.evaluate(
                x, x, batch_size=len(x), verbose=0))[0])
    except Exception:
        fields['loss'] = None
    return fields, arrays


# the VAE's z drawn anew many times for a few of the challenge's images
DRAWN_IMAGES, DRAWS = 4, 128


def send_evidence(probe, task, seen, challenge):
    """Sends the evidence of the main's models, or why there is none."""
    try:
        fields, arrays = evidence(task, seen['models'], challenge)
    except Exception as error:
        probe.write(kind='models', error=crash_text(error))
        return
    probe.write(arrays, kind='models', **fields)


def read_challenge():
    """Returns the judge's challenge: {name: array} from stdin."""
    frame = protocol.Reader(sys.stdin.buffer).read() or {}
    frame.pop('header', None)
    return frame


def main(argv=None):
    """Runs the checks of each job given (a task of a folder), one after
    the other, on this process's engine."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--job', nargs=2, action='append', required=True,
                        metavar=('FOLDER', 'TASK'))
    parser.add_argument('--pipe', type=int, required=True)
    args = parser.parse_args(argv)
    for folder, task in args.job:
        if task not in tasks.TASKS:
            parser.error('--job: no task {!r}'.format(task))
    pipe = os.fdopen(args.pipe, 'wb')
    challenge = read_challenge()
    watch_sites()
    for number, (folder, task) in enumerate(args.job):
        if os.path.realpath(folder) != FOLDER:
            enter(folder)
        probe = Probe(pipe, task, number)
        probe.begin()
        check_task(task, probe, challenge)
    protocol.write(pipe, {'kind': 'end'})


def check_task(task, probe, challenge):
    """Runs one task's checks."""
    seen = {}
    arguments = tasks.MAIN_ARGS[task]
    keras.backend.clear_session()
    SITES.clear()
    MADE.clear()
    COMPILED.clear()
    ADDED.clear()
    try:
        with open(os.path.join(FOLDER, task + '.py'), errors='replace') as f:
            SOURCE['text'] = f.read()
    except OSError:
        SOURCE['text'] = ''
    module, outcome = import_task(task, FOLDER)
    probe.run('imports_cleanly', lambda: outcome)
    if module is None:
        for check in tasks.engine_checks(task)[1:]:
            probe.record(check, 'skip', 'skipped: waits on imports_cleanly, '
                         'which failed')
        return
    probe.run('builds', build, module, arguments, seen)
    models = seen.get('models')
    if probe.done.get('builds') == 'pass':
        send_evidence(probe, task, seen, challenge)
    probe.run('quiet', quiet, seen)
    probe.run('structure', structure, task, models, arguments,
              seen.get('roles'))
    probe.run('compiled', compiled, task, models, arguments)
    probe.run('regularizer', regularizer, task, module, models, arguments)
    probe.run('vae_outputs', vae_outputs, models, seen)
    probe.run('vae_loss', vae_loss, models, seen)
    probe.run('variants', variants, task, module,
              probe.done.get('regularizer') in ('pass', 'note'), probe,
              challenge)
    probe.run('trains', trains, task, module, arguments)
    probe.run('main_output', main_output, task, module, seen)
    if 'main_lines' in seen:
        probe.write(kind='lines', lines=seen['main_lines'])


if __name__ == '__main__':
    main()
