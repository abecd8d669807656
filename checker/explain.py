"""The learner's side of the messages: where in the learner's file each
layer, model, compile() and add_loss() was made (watch_sites notes them
while autoencoder() runs), and a crash told in the learner's terms: the
error's first real line, the line of their file it came from (or of the
compile given the loss function that caused it), where a shape a layer
refuses comes from (shape_origin), and the fix where their file shows the
cause (hint_for). The runner's probes use it; nothing here decides a
verdict.
"""
import contextlib
import io
import linecache
import os
import re
import sys
import traceback
import weakref

import tensorflow as tf

keras = tf.keras
# where each layer and model was made: {id(layer): 'file.py:LINE'}, filled
# while the learner's autoencoder() runs
SITES = {}


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
    frame = learner_frame(error) or loss_frame(text)
    return text + (' (at {})'.format(frame) if frame else '') + \
        layers_named(text) + shape_origin(text)


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


# Keras's words for an input of a shape a layer refuses: (expected,
# found), or (axis, value, found)
REFUSED = (re.compile(r'expected shape=\(([^)]*)\),? found shape='
                      r'\(([^)]*)\)'),
           re.compile(r'expected axis (-?\d+) of input shape to have '
                      r'value (\d+),? but received input with shape '
                      r'\(([^)]*)\)'))


def sizes(text):
    """Returns '(None, 3, 3, 8)' as (None, 3, 3, 8)."""
    try:
        return tuple(None if size.strip() == 'None' else int(size)
                     for size in text.split(',') if size.strip())
    except ValueError:
        return ()


def refused(text):
    """Returns (the shape found, the indices of its sizes that differ from
    the expected ones, or None where the ranks differ) of an input a layer
    refused, or None."""
    match = REFUSED[0].search(text)
    if match:
        expected, found = sizes(match.group(1)), sizes(match.group(2))
        if len(expected) != len(found):
            return found, None
        return found, [index for index in range(1, len(found))
                       if expected[index] not in (None, found[index])]
    match = REFUSED[1].search(text)
    if match:
        found = sizes(match.group(3))
        if found and -len(found) <= int(match.group(1)) < len(found):
            return found, [int(match.group(1)) % len(found)]
    return None


def shape_of(tensor):
    """Returns a symbolic tensor's shape as a tuple (None where
    unknown)."""
    try:
        return tuple(None if size is None else int(size)
                     for size in tensor.shape)
    except (TypeError, ValueError):
        return None


def given_to(tensor):
    """Returns (the layer that made a symbolic tensor, the first symbolic
    tensor that layer was given, or None for an input)."""
    layer, node = tensor._keras_history[:2]
    if isinstance(layer, keras.layers.InputLayer):
        return layer, None
    try:
        given = layer._inbound_nodes[node].input_tensors
    except (AttributeError, IndexError):
        return layer, None
    given = [item for item in tf.nest.flatten(given)
             if hasattr(item, '_keras_history') and item is not tensor]
    return layer, (given[0] if given else None)


def changed_by(tensor, indices):
    """Returns (layer, its input's shape or None, its output's shape): the
    layer that last changed the sizes indices of tensor (all of them where
    indices is None), walking back from tensor through the first input of
    each layer; or None."""
    for _ in range(1000):
        if not hasattr(tensor, '_keras_history'):
            return None
        layer, before = given_to(tensor)
        after = shape_of(tensor)
        if before is None:
            return layer, None, after
        earlier = shape_of(before)
        if after is None or earlier is None:
            return None
        if len(earlier) != len(after) or any(
                earlier[index] != after[index]
                for index in (indices or range(len(after)))):
            return layer, earlier, after
        tensor = before
    return None


def outputs_of(layer):
    """Returns the symbolic tensors a layer's (or model's) last call
    gave."""
    try:
        if isinstance(layer, keras.Model):
            return list(layer.outputs or [])
        return tf.nest.flatten(layer._inbound_nodes[-1].output_tensors)
    except (AttributeError, IndexError, TypeError, ValueError):
        return []


def source_of(found, named):
    """Returns (the model or None, the symbolic tensor) of the learner's
    whose shape is found but for the batch: an output of the first model
    made with one (not the model of the layers named in the error), else
    of the first layer; or None."""
    models, layers = [], []
    for made in MADE:
        layer = made()
        if layer is None or not SITES.get(id(layer)) or \
                getattr(layer, 'name', None) in named:
            continue
        model = isinstance(layer, keras.Model)
        if model and any(getattr(inner, 'name', None) in named
                         for inner in layer.layers):
            continue
        for tensor in outputs_of(layer):
            shape = shape_of(tensor)
            if shape and len(shape) == len(found) and \
                    shape[1:] == tuple(found[1:]):
                (models if model else layers).append(
                    (layer if model else None, tensor))
                break
    found = models + layers
    return found[0] if found else None


def why_resized(layer, before, after, indices):
    """Returns why layer takes the sizes indices from before to after,
    where the specification does otherwise, or ''."""
    try:
        config = layer.get_config()
    except Exception:
        return ''
    spatial = [index for index in indices or () if 0 < index < len(after) - 1]
    if config.get('padding') != 'valid' or not spatial:
        return ''
    if 'pool_size' in config:
        strides = config.get('strides') or config['pool_size']
        strides = strides if isinstance(strides, (list, tuple)) else \
            [strides] * 2
        if any(before[index] is not None and after[index] !=
               -(-before[index] // strides[index - 1])
               for index in spatial):
            return ' (padding \'valid\' rounds down; the specification\'s ' \
                'pooling rounds up, padding=\'same\')'
    elif 'filters' in config:
        return ' (padding \'valid\' takes the kernel\'s edges off; the ' \
            'specification\'s encoder convolutions keep the size, ' \
            'padding=\'same\')'
    return ''


def shape_origin(text):
    """Returns '; the encoder (made at file.py:LINE) gives (None, 3, 3, 8):
    its layer 6 (MaxPooling2D at file.py:LINE) takes the height and width
    7 to 3 (...)': where the shape of an input a layer refuses comes from,
    where the learner's file made it; or ''."""
    try:
        found = refused(text)
        source = found and source_of(found[0], set(LAYER_NAME.findall(text)))
        if not source:
            return ''
        model, tensor = source
        indices = found[1]
        layer, before, after = changed_by(tensor, indices) or \
            (None, None, None)
    except Exception:
        return ''
    if layer is None or not SITES.get(id(layer)):
        return ''
    text = '; the {} gives {}'.format(
        'encoder (made at {})'.format(SITES[id(model)]) if model
        else 'tensor given', format_shape(shape_of(tensor)))
    live = [] if model is None else [
        inner for inner in model.layers
        if not isinstance(inner, keras.layers.InputLayer)]
    number = [index + 1 for index, inner in enumerate(live)
              if inner is layer]
    name = '{} at {}'.format(type(layer).__name__, SITES[id(layer)])
    if before is None:
        return text + ': its input ({}) has that shape'.format(name)
    text += ': {} ({})'.format('its layer {}'.format(number[0]) if number
                               else 'the layer', name)
    pairs = {(before[index], after[index]) for index in indices or ()}
    if len(before) == len(after) and len(pairs) == 1:
        what = {len(after) - 1: 'the channels' if len(after) == 4
                else 'the size'}.get(indices[0], 'the height and width'
                                     if len(indices) == 2 else 'the size')
        (old, new), = pairs
        text += ' takes {} {} to {}'.format(what, old, new)
    else:
        text += ' takes {} to {}'.format(format_shape(before),
                                         format_shape(after))
    return text + why_resized(layer, before, after, indices)


def format_shape(shape):
    """Returns a shape as Keras prints it: (None, 3, 3, 8)."""
    return '({})'.format(', '.join(str(size) for size in shape))


# a loss function of the learner's given to compile (by name, or a lambda)
LOSS_FUNCTION = r'loss\s*=\s*(lambda\b|[A-Za-z_][\w.]*\s*[,)])'
# known errors: (the error's pattern, the fix, and what the learner's file
# must show for that fix to be the cause: None where the error alone says)
KNOWN_ERRORS = (
    (r"has no attribute 'ops'", 'keras.ops is Keras 3\'s (TensorFlow 2.16 '
     'and later); the grader\'s TensorFlow 2.15 has none: keras.backend.'
     'sum, mean, square and exp are in both', None),
    (r'.', 'output_shape=(latent_dims,): a tuple of one needs its comma '
     '(output_shape=(latent_dims) is a number)',
     r'output_shape\s*=\s*\(\s*[\w.]+\s*\)'),
    (r'Inputs to a layer should be tensors|should be a tensor', 'a layer '
     'made but never called on its input: x = keras.layers.Dense(...)(x), '
     'the input in the second parentheses', None),
    (r'expected min_ndim=4, found ndim=2', 'a Conv2D was given flat '
     'vectors (batch, size): a convolution takes images (batch, height, '
     'width, channels); the dense and variational tasks are built of Dense '
     'layers', None),
    (r'is incompatible with the layer', 'a layer got an input of another '
     'shape than it was built for: where the decoder is called on the '
     'encoder, the encoder\'s output must have the shape latent_dims',
     None),
    (r'Dimension value must be integer.*got value \'\(', 'a tuple was put '
     'inside another: input_dims and latent_dims of the convolutional task '
     'are tuples already, keras.Input(shape=input_dims)', None),
    (r'^BdbQuit:', 'pdb.set_trace() (or breakpoint()) stops in the '
     'debugger, where the grader has no terminal: remove it', None),
    (r'do not correspond to any Model output', 'compile was given a loss, '
     'loss_weights or metrics keyed by a name that is not one of auto\'s '
     'outputs: give compile one loss, as the specification does', None),
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
        names = closed_over(function)
        if names:
            return function, names[0]
    return None


def closed_over(function):
    """Returns the names of the symbolic tensors a function reads from
    around it (its closure, then its module), in order."""
    code = getattr(function, '__code__', None)
    if code is None:
        return []
    found = []
    cells = dict(zip(code.co_freevars, function.__closure__ or ()))
    for name in code.co_freevars:
        try:
            if symbolic(cells[name].cell_contents):
                found.append(name)
        except ValueError:
            continue
    return found + [name for name in code.co_names
                    if symbolic(function.__globals__.get(name))]


def symbolic_loss():
    """Returns (the function, the names of the symbolic tensors it reads
    from around it, where compile was given it) of the last model compiled
    with a loss function of the learner's file that reads such tensors, or
    None."""
    found = None
    for made in MADE:
        model = made()
        if not isinstance(model, keras.Model):
            continue
        losses = getattr(model, 'loss', None)
        losses = list(losses.values()) if isinstance(losses, dict) else \
            losses if isinstance(losses, (list, tuple)) else [losses]
        for function in losses:
            code = getattr(function, '__code__', None)
            names = closed_over(function) if code is not None and \
                in_learner_file(code.co_filename) else []
            if names:
                found = function, names, COMPILED.get(id(model))
    return found


def factory_of(function, names):
    """Returns ' that make_loss (file.py:LINE) returns reads mean and
    log_var, tensors from autoencoder() given to make_loss as its
    arguments': how a loss function made by a function of the learner's
    other than autoencoder() reads the tensors names; or ''."""
    outer = function.__qualname__.split('.<locals>.')
    outer = outer[-2].split('.')[-1] if len(outer) > 1 else ''
    if not outer or outer.startswith('<') or outer == 'autoencoder':
        return ''
    made = function.__globals__.get(outer)
    code = getattr(made, '__code__', None)
    where = ' ({}:{})'.format(os.path.basename(code.co_filename),
                              code.co_firstlineno) if code else ''
    given = code.co_varnames[:code.co_argcount + code.co_kwonlyargcount] \
        if code else ()
    if set(names) <= set(given):
        names = sorted(names, key=given.index)
    return ' that {}{} returns reads {}, tensors from autoencoder() {} ' \
        '{}{}'.format(outer, where, ' and '.join(names), 'given to' if
                      set(names) <= set(given) else 'kept by', outer,
                      ' as its arguments' if set(names) <= set(given)
                      else '')


def loss_frame(text):
    """Returns 'file.py:LINE: code' of the compile given a loss function
    that reads symbolic tensors from around it, where text is the error
    such a function gives when the model runs; or ''."""
    if not re.search(r'KerasTensor|symbolic', text):
        return ''
    found = symbolic_loss()
    if not found or not found[2]:
        return ''
    name, _, number = found[2].rpartition(':')
    path = os.path.join(FOLDER, name)
    return '{}: {}'.format(found[2], statement(
        path, int(number), linecache.getline(path, int(number))))


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
    loss = None
    # (the error's type leads, for an error known by its type alone)
    text = '{}: {}'.format(type(error).__name__, text)
    for pattern, hint, cause in KNOWN_ERRORS:
        if cause == LOSS_FUNCTION and re.search(pattern, text):
            # a loss function of the learner's given to compile that
            # reads the models' tensors, by name, a lambda or made by a
            # function of theirs (a factory) that closes over them
            loss = symbolic_loss()
        if re.search(pattern, text) and (
                cause is None or re.search(cause, SOURCE['text']) or loss):
            sites = [site for site in COMPILED.values() if site]
            if loss and loss[2]:
                sites.append(loss[2])
            if cause == LOSS_FUNCTION and sites:
                # the construct's line: where the loss function is given
                hint = hint.replace('a loss function may use', 'the loss '
                                    'function given to compile at {} may '
                                    'use'.format(sites[-1]), 1)
            made = loss and factory_of(loss[0], loss[1])
            if cause == LOSS_FUNCTION and made:
                hint = hint.replace(
                    'one that uses tensors from autoencoder() (its inputs, '
                    'the mean, the log variance) fails', 'the function {}{}'
                    ' (a closure keeps them), and fails'.format(
                        loss[0].__name__, made), 1)
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
