"""What the judge and the runner say to each other over a pipe: frames of
one JSON header and the numpy arrays it names, nothing else (no pickle).

A frame is an 8-byte length, the header (JSON, UTF-8) and then each array
as a .npy file with its own 8-byte length. The header lists the arrays as
'arrays': [names]; a reader gets {'header': {...}, name: array, ...}. The
judge's reader trusts nothing: a frame or an array larger than its limit,
an array of objects, or a header that is not a JSON object ends the
conversation (ProtocolError), and what was read before stands.
"""
import io
import json
import struct

import numpy as np

# the most one frame's header, one array and one conversation may hold
HEADER_LIMIT = 1 << 20
ARRAY_LIMIT = 64 << 20
TOTAL_LIMIT = 256 << 20
LENGTH = struct.Struct('<Q')


class ProtocolError(Exception):
    """The other side sent something that is not a frame."""


def projection(seed, number, shape):
    """The random weights the runner sums a model's output number with
    before it takes the gradients it reports, drawn from the judge's seed
    (the judge draws the same to check them)."""
    return np.random.default_rng([seed, number]).standard_normal(
        shape).astype(np.float32)


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


class Reader:
    """Reads frames from a binary stream, within the limits."""

    def __init__(self, stream, total=TOTAL_LIMIT):
        """stream: what the other side writes to; total: the most bytes
        the whole conversation may hold."""
        self.stream, self.left = stream, total

    def exactly(self, size, limit):
        """Returns the next size bytes (b'' at a clean end of the
        stream)."""
        if size > limit or size > self.left:
            raise ProtocolError('a frame of {} bytes, beyond the limit of '
                                '{}'.format(size, min(limit, self.left)))
        chunks, wanted = [], size
        while wanted:
            chunk = self.stream.read(wanted)
            if not chunk:
                if wanted == size and size == LENGTH.size:
                    return b''
                raise ProtocolError('the stream ended inside a frame')
            chunks.append(chunk)
            wanted -= len(chunk)
        self.left -= size
        return b''.join(chunks)

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
        None at the end of the stream."""
        size = self.length(HEADER_LIMIT)
        if size is None:
            return None
        try:
            header = json.loads(self.exactly(size, HEADER_LIMIT).decode())
        except (UnicodeDecodeError, ValueError) as error:
            raise ProtocolError('a header that is not JSON: {}'.format(
                error)) from None
        names = header.get('arrays') if isinstance(header, dict) else None
        if not isinstance(names, list) or not all(
                isinstance(name, str) for name in names):
            raise ProtocolError('a header that is not a frame\'s')
        frame = {'header': header}
        for name in names:
            size = self.length(ARRAY_LIMIT)
            if size is None:
                raise ProtocolError('the stream ended inside a frame')
            try:
                array = np.load(io.BytesIO(self.exactly(size, ARRAY_LIMIT)),
                                allow_pickle=False)
            except (ValueError, OSError, EOFError) as error:
                raise ProtocolError('an array that is not a .npy file: '
                                    '{}'.format(error)) from None
            if not isinstance(array, np.ndarray) or array.dtype.hasobject:
                raise ProtocolError('an array of objects')
            frame[name] = array
        return frame
