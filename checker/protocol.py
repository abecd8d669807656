"""What the judge and the runner say to each other over a pipe: frames of
one JSON header and the numpy arrays it names, nothing else (no pickle).

A frame is an 8-byte length, the header (JSON, UTF-8) and then each array
as a .npy file with its own 8-byte length. The header lists the arrays as
'arrays': [names]; a reader gets {'header': {...}, name: array, ...}.

The judge's reader trusts nothing, and makes what it reads safe once, where
it reads it:

- every string of a header (keys, values, the arrays' names) comes out
  printable (safe(): a lone surrogate replaced, control characters, escape
  sequences and bidirectional overrides shown as \\x1b or \\u202e, its
  length bounded), so that no text of the runner's can draw on the
  grader's terminal or stop it from printing;
- a header is a JSON object nested at most DEPTH_LIMIT deep, its integers
  of at most DIGITS_LIMIT digits;
- an array is a .npy file of numbers (booleans, integers, floats: no
  objects, no structured, string or void dtypes) whose header says exactly
  the bytes that follow; it is read straight into its own memory, never
  through pickle nor a second copy;
- a frame, an array, a conversation (bytes, headers' bytes, JSON values,
  frames, arrays in one frame) and what all the conversations of this
  process hold at once (LIVE_LIMIT) are bounded.

Anything else ends the conversation (ProtocolError), and what was read
before stands.
"""
import gc
import io
import json
import math
import re
import struct
import threading
import weakref

import numpy as np

from checker.parsing import literal

# the most one frame's header, one array and one conversation may hold
HEADER_LIMIT = 1 << 20
ARRAY_LIMIT = 64 << 20
TOTAL_LIMIT = 256 << 20
# the most one conversation's headers may hold in all (bytes, JSON values),
# how many frames it may hold and how many arrays one frame may name
HEADERS_LIMIT = 16 << 20
VALUES_LIMIT = 1 << 20
FRAMES_LIMIT = 1 << 14
ARRAYS_LIMIT = 1 << 12
# how deep a header may nest, the most digits of one of its integers, the
# most characters of one of its strings
DEPTH_LIMIT = 64
DIGITS_LIMIT = 32
TEXT_LIMIT = 4000
# the most bytes the frames of every conversation of this process may hold
# at once (the arrays, and an estimate of the headers' objects): the judge
# holds each job's frames until it judges them
LIVE_LIMIT = 512 << 20
# what a header's JSON value and a string's character cost in memory, at
# most (the estimate the live bytes count)
VALUE_COST, CHARACTER_COST = 100, 4
# the .npy header: magic, version, its length's size; the dtypes an array
# may have (booleans, signed and unsigned integers, floats) and its most
# dimensions
MAGIC = b'\x93NUMPY'
NPY_LENGTHS = {1: struct.Struct('<H'), 2: struct.Struct('<I'),
               3: struct.Struct('<I')}
NPY_HEADER_LIMIT = 4096
NUMBER_KINDS = 'biuf'
DIMENSIONS_LIMIT = 16
LENGTH = struct.Struct('<Q')
# the characters safe() keeps as they are beyond the printable ones: the
# spaces (no-break space and the like), which draw nothing but a space
SPACES = re.compile(r'\s')
# the escapes safe() shows in their short form
SHORT = {'\n': '\\n', '\r': '\\r', '\t': '\\t'}


class ProtocolError(Exception):
    """The other side sent something that is not a frame."""


def safe(text, limit=TEXT_LIMIT):
    """Returns text as the grader may print and write it: at most limit
    characters of it, a lone surrogate replaced by U+FFFD, every other
    character that is not printable (control characters, among them ESC,
    CR, LF and backspace, the C1 controls, bidirectional overrides and
    other format characters, line separators) shown as its escape: \\x1b,
    \\r, \\u202e, \\U000e0001. Safe text comes back unchanged; anything but a
    string becomes its repr."""
    if not isinstance(text, str):
        text = repr(text)
    text = text[:limit]
    if text.isprintable():
        return text
    shown = []
    for character in text:
        code = ord(character)
        if character.isprintable() or (code > 0x9f and SPACES.match(
                character) and character not in '\u2028\u2029'):
            shown.append(character)
        elif 0xd800 <= code <= 0xdfff:
            shown.append('\ufffd')
        elif character in SHORT:
            shown.append(SHORT[character])
        elif code < 0x100:
            shown.append('\\x{:02x}'.format(code))
        elif code < 0x10000:
            shown.append('\\u{:04x}'.format(code))
        else:
            shown.append('\\U{:08x}'.format(code))
    return ''.join(shown)[:limit]


class Live:
    """The bytes the frames of every conversation of this process hold at
    once: each array (and each header, as an estimate) is counted when it
    is read and given back when it is collected."""

    def __init__(self, limit=LIVE_LIMIT):
        """Nothing held yet."""
        self.limit, self.held, self.lock = limit, 0, threading.Lock()

    def take(self, size):
        """Counts size bytes more, or raises ProtocolError beyond the limit
        (once the frames no longer used but not yet collected, in
        reference cycles, are)."""
        for attempt in range(2):
            with self.lock:
                if self.held + size <= self.limit:
                    self.held += size
                    return
            if not attempt:
                gc.collect()
        raise ProtocolError('the reports held by the grader at once would '
                            'hold more than {} MiB'.format(self.limit >> 20))

    def give(self, size):
        """Counts size bytes less."""
        with self.lock:
            self.held -= size

    def hold(self, thing, size):
        """Counts size bytes until thing is collected."""
        self.take(size)
        weakref.finalize(thing, self.give, size)


LIVE = Live()


class Header(dict):
    """A frame's header as the reader gives it (a dict that can be
    watched until it is collected)."""


def projection(seed, number, shape):
    """The random weights the runner sums a model's output number with
    before it takes the gradients it reports, drawn from the judge's seed
    (the judge draws the same to check them)."""
    return np.random.default_rng([seed, number]).standard_normal(
        shape).astype(np.float32)


# the VAE's z drawn anew many times for a few of the challenge's images
DRAWN_IMAGES, DRAWS = 4, 128


def loss_inputs(x):
    """Returns the probabilities the runner gives auto's loss function
    beside the challenge's images x (the images in reverse order, kept
    from the edges; the judge computes the same)."""
    return np.clip(x[::-1], 0.05, 0.95)


def encode(header, arrays=None):
    """Returns the bytes of one frame: header (a dict that JSON can hold)
    and arrays ({name: array})."""
    arrays = arrays or {}
    header = dict(header, arrays=list(arrays))
    text = json.dumps(header).encode()
    parts = [LENGTH.pack(len(text)), text]
    for name in arrays:
        buffer = io.BytesIO()
        np.save(buffer, np.ascontiguousarray(arrays[name]),
                allow_pickle=False)
        parts += [LENGTH.pack(buffer.tell()), buffer.getvalue()]
    return b''.join(parts)


def write(stream, header, arrays=None):
    """Writes one frame to a binary stream and flushes it."""
    stream.write(encode(header, arrays))
    stream.flush()


def whole_number(digits):
    """Returns a header's integer, refusing one of too many digits (whose
    reading alone would take long)."""
    if len(digits) > DIGITS_LIMIT:
        raise ProtocolError('a header\'s integer of {} digits'.format(
            len(digits)))
    return int(digits)


def npy_header(text):
    """Returns (dtype, shape, fortran_order) from a .npy header's text,
    refusing any dtype but numbers' and any shape but a tuple of sizes."""
    try:
        found = literal(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError,
            TypeError):
        found = None
    if not isinstance(found, dict) or sorted(found) != [
            'descr', 'fortran_order', 'shape']:
        raise ProtocolError('an array that is not a .npy file: its header '
                            'is not one')
    descr, shape, fortran = (found['descr'], found['shape'],
                             found['fortran_order'])
    if not isinstance(descr, str) or not isinstance(fortran, bool) or \
            not isinstance(shape, tuple) or len(shape) > DIMENSIONS_LIMIT \
            or not all(type(size) is int and size >= 0 for size in shape):
        raise ProtocolError('an array that is not a .npy file of numbers: '
                            'a malformed header')
    try:
        dtype = np.dtype(descr)
    except (TypeError, ValueError):
        raise ProtocolError('an array that is not a .npy file of numbers: '
                            'the dtype {!r}'.format(safe(descr, 40))) \
            from None
    if dtype.kind not in NUMBER_KINDS or dtype.hasobject or \
            dtype.fields is not None or dtype.subdtype is not None:
        raise ProtocolError('an array that is not a .npy file of numbers: '
                            'its values are {}'.format(safe(str(dtype), 40)))
    return dtype, shape, fortran


class Reader:
    """Reads frames from a binary stream, within the limits."""

    def __init__(self, stream, total=TOTAL_LIMIT, live=None):
        """stream: what the other side writes to; total: the most bytes
        the whole conversation may hold; live: what counts the bytes the
        frames of all this process's conversations hold (LIVE)."""
        self.stream, self.left = stream, total
        self.live = live or LIVE
        self.headers_left, self.values_left = HEADERS_LIMIT, VALUES_LIMIT
        self.frames_left = FRAMES_LIMIT

    def spend(self, size, limit):
        """Counts size bytes of the conversation, refusing a part beyond
        limit or beyond what the conversation has left."""
        if size > limit or size > self.left:
            raise ProtocolError('a frame of {} bytes, beyond the limit of '
                                '{}'.format(size, min(limit, self.left)))
        self.left -= size

    def fill(self, buffer):
        """Fills a writable buffer (a memoryview of bytes) from the stream;
        returns how many bytes it got before the stream ended."""
        got, size = 0, len(buffer)
        while got < size:
            reading = getattr(self.stream, 'readinto', None)
            if reading is not None:
                count = reading(buffer[got:])
            else:
                chunk = self.stream.read(size - got)
                count = len(chunk or b'')
                buffer[got:got + count] = chunk or b''
            if not count:
                break
            got += count
        return got

    def exactly(self, size, limit):
        """Returns the next size bytes (b'' at a clean end of the
        stream)."""
        self.spend(size, limit)
        data = bytearray(size)
        got = self.fill(memoryview(data))
        if got < size:
            if got == 0 and size == LENGTH.size:
                self.left += size
                return b''
            raise ProtocolError('the stream ended inside a frame')
        return bytes(data)

    def length(self, limit):
        """Returns the next length, or None at a clean end."""
        raw = self.exactly(LENGTH.size, LENGTH.size)
        if not raw:
            return None
        size = LENGTH.unpack(raw)[0]
        if size > limit:
            raise ProtocolError('a part of {} bytes, beyond the limit of '
                                '{}'.format(size, limit))
        return size

    def read(self):
        """Returns the next frame as {'header': dict, name: array}, or
        None at the end of the stream; raises ProtocolError, and nothing
        else, where what comes is not a frame within the limits."""
        try:
            return self.frame()
        except ProtocolError:
            raise
        except Exception as error:  # whatever the bytes, a ProtocolError
            raise ProtocolError('a frame the grader cannot read ({}: '
                                '{})'.format(type(error).__name__, safe(
                                    str(error), 200))) from None

    def frame(self):
        """read(), the exceptions left as they come."""
        size = self.length(HEADER_LIMIT)
        if size is None:
            return None
        if self.frames_left <= 0:
            raise ProtocolError('more than {} frames'.format(FRAMES_LIMIT))
        self.frames_left -= 1
        if size > self.headers_left:
            raise ProtocolError('headers of more than {} bytes in all'
                                .format(HEADERS_LIMIT))
        self.headers_left -= size
        try:
            header = json.loads(self.exactly(size, HEADER_LIMIT).decode(),
                                parse_int=whole_number)
        except (UnicodeDecodeError, ValueError) as error:
            raise ProtocolError('a header that is not JSON: {}'.format(
                safe(str(error), 200))) from None
        except RecursionError:
            raise ProtocolError('a header nested deeper than {}'.format(
                DEPTH_LIMIT)) from None
        if not isinstance(header, dict):
            raise ProtocolError('a header that is not a frame\'s')
        cost = [0]
        header = self.cleaned(header, 0, cost)
        names = header.get('arrays')
        if not isinstance(names, list) or not all(
                isinstance(name, str) for name in names):
            raise ProtocolError('a header that is not a frame\'s')
        if len(names) > ARRAYS_LIMIT:
            raise ProtocolError('a frame of {} arrays, beyond the limit of '
                                '{}'.format(len(names), ARRAYS_LIMIT))
        if len(set(names)) != len(names) or 'header' in names:
            raise ProtocolError('a frame that names an array twice, or '
                                'names one "header"')
        self.live.hold(header, cost[0])
        frame = {'header': header}
        for name in names:
            size = self.length(ARRAY_LIMIT)
            if size is None:
                raise ProtocolError('the stream ended inside a frame')
            frame[name] = self.array(size)
        return frame

    def cleaned(self, value, depth, cost):
        """Returns a header's value with every string made safe (keys
        too), counting its JSON values against the conversation's limit
        and its estimated memory in cost[0]; refuses one nested deeper than
        DEPTH_LIMIT."""
        if depth > DEPTH_LIMIT:
            raise ProtocolError('a header nested deeper than {}'.format(
                DEPTH_LIMIT))
        self.values_left -= 1
        if self.values_left < 0:
            raise ProtocolError('headers of more than {} JSON values in all'
                                .format(VALUES_LIMIT))
        cost[0] += VALUE_COST
        if isinstance(value, str):
            cost[0] += CHARACTER_COST * min(len(value), TEXT_LIMIT)
            return safe(value)
        if isinstance(value, list):
            return [self.cleaned(item, depth + 1, cost) for item in value]
        if isinstance(value, dict):
            found = Header() if depth == 0 else {}
            for key, item in value.items():
                cost[0] += CHARACTER_COST * min(len(key), TEXT_LIMIT)
                found[safe(key)] = self.cleaned(item, depth + 1, cost)
            return found
        return value

    def array(self, size):
        """Reads one array of size bytes: a .npy file of numbers, read
        into memory of its own (counted in the live bytes until it is
        collected)."""
        self.spend(size, ARRAY_LIMIT)
        start = bytearray(min(size, len(MAGIC) + 4))
        if self.fill(memoryview(start)) < len(start):
            raise ProtocolError('the stream ended inside a frame')
        if len(start) < len(MAGIC) + 4 or not start.startswith(MAGIC) or \
                start[len(MAGIC)] not in NPY_LENGTHS:
            raise ProtocolError('an array that is not a .npy file')
        length = NPY_LENGTHS[start[len(MAGIC)]]
        rest = bytearray(length.size - 2)
        if self.fill(memoryview(rest)) < len(rest):
            raise ProtocolError('the stream ended inside a frame')
        text_size = length.unpack(bytes(start[len(MAGIC) + 2:]) +
                                  bytes(rest))[0]
        used = len(start) + len(rest) + text_size
        if text_size > NPY_HEADER_LIMIT or used > size:
            raise ProtocolError('an array that is not a .npy file: a header '
                                'of {} bytes'.format(text_size))
        text = bytearray(text_size)
        if self.fill(memoryview(text)) < text_size:
            raise ProtocolError('the stream ended inside a frame')
        dtype, shape, fortran = npy_header(text.decode('latin1'))
        count = math.prod(shape)
        if count * dtype.itemsize != size - used:
            raise ProtocolError('an array whose .npy header says {} bytes '
                                'where {} follow'.format(
                                    count * dtype.itemsize, size - used))
        self.live.take(size)
        try:
            flat = np.empty(count, dtype)
        except BaseException:
            self.live.give(size)
            raise
        weakref.finalize(flat, self.live.give, size)
        if self.fill(memoryview(flat.view(np.uint8))) < size - used:
            raise ProtocolError('the stream ended inside a frame')
        return flat.reshape(shape, order='F' if fortran else 'C')
