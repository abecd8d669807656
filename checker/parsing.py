"""Python's parser for the judge's threads. CPython 3.11 builds an AST with
a recursion counter shared by the whole interpreter (CPython issue
gh-106905): two threads building one at once can raise "SystemError: AST
constructor recursion depth mismatch". The judge builds them in several
threads: the file checks beside the readers of the runners' reports (each
array's .npy header is a Python literal) and numpy's own reading of .npy
files. Its parses take turns (numpy's MNIST reads holding LOCK too), and
one that meets another's all the same is parsed again."""
import ast
import threading

LOCK = threading.Lock()
# a parse that meets another thread's is parsed again, at most this often
TRIES = 5


def parse(data, **keywords):
    """Returns ast.parse(data, **keywords), one thread at a time."""
    for attempt in range(TRIES):
        with LOCK:
            try:
                return ast.parse(data, **keywords)
            except SystemError as error:
                if 'recursion depth mismatch' not in str(error) or \
                        attempt == TRIES - 1:
                    raise


def literal(text):
    """Returns ast.literal_eval(text), parsed as parse() parses."""
    return ast.literal_eval(parse(text.lstrip(' \t'), mode='eval'))
