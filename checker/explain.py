"""The learner's side of the messages: where in the learner's file each
layer, model, compile() and add_loss() was made (watch_sites notes them
while autoencoder() runs), and a crash told in the learner's terms: the
error's first real line, the line of their file it came from, and the fix
where their file shows the cause (hint_for). The runner's probes use it;
nothing here decides a verdict.
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
