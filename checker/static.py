"""The checks that only read the files: the folder's README, and each task
file's shebang, final newline, executable bit, pycodestyle, docstrings and
imports. Nothing here runs the learner's code.

Each check returns a result: a dict with the check's id, its verdict
('pass', 'fail', 'skip' or 'warn'), a one-line message when it did not pass
and a hint where the fix is known.
"""
import ast
import os
import stat

from checker.parsing import parse

SHEBANG = '#!/usr/bin/env python3'
ALLOWED_IMPORT = 'import tensorflow.keras as keras'
PYCODESTYLE = '2.11.1'


def result(check, verdict='pass', message='', hint=''):
    """Returns one check's result."""
    return {'check': check, 'verdict': verdict, 'message': message,
            'hint': hint}


def check_readme(folder):
    """The school's checker requires a README.md that is not empty."""
    path = os.path.join(folder, 'README.md')
    if not os.path.isfile(path):
        return result('readme', 'fail', 'no README.md in {}: the project '
                      'requires one'.format(folder))
    with open(path, 'rb') as f:
        if not f.read().strip():
            return result('readme', 'fail', 'README.md is empty')
    return result('readme')


def check_shebang(data):
    """The first line is exactly #!/usr/bin/env python3."""
    first = data.split(b'\n', 1)[0]
    if first.endswith(b'\r'):
        return result('shebang', 'fail', 'the first line ends in a carriage '
                      'return (CRLF line endings): the system looks for '
                      "'python3\\r'", 'convert the file to Unix line endings '
                      '(dos2unix FILE, or your editor\'s "LF" setting)')
    if first != SHEBANG.encode():
        return result('shebang', 'fail', 'first line {!r}; the '
                      'specification asks for exactly {!r}'.format(
                          first.decode('utf-8', 'replace')[:60], SHEBANG))
    return result('shebang')


def check_newline(data):
    """The file ends with a newline."""
    if not data.endswith(b'\n'):
        return result('newline', 'fail', 'the file does not end with a '
                      'newline', 'add a line break after the last line')
    return result('newline')


def check_executable(path):
    """The file is executable (chmod +x)."""
    if not os.stat(path).st_mode & stat.S_IXUSR:
        return result('executable', 'fail', 'the file is not executable',
                      'chmod +x {}'.format(os.path.basename(path)))
    return result('executable')


def check_pycodestyle(path, shown=3):
    """pycodestyle 2.11.1 reports nothing; the first violations are shown."""
    import pycodestyle

    class Collect(pycodestyle.StandardReport):
        """pycodestyle's report, collecting 'line L:C: code text' strings
        instead of printing them."""

        def __init__(self, options):
            """Starts with no violations."""
            super().__init__(options)
            self.found = []

        def error(self, line_number, offset, text, check):
            """Records one violation."""
            code = super().error(line_number, offset, text, check)
            if code:
                self.found.append('line {}:{}: {}'.format(
                    line_number, offset + 1, text))
            return code

        def get_file_results(self):
            """Prints nothing."""
            return self.file_errors

    lines = pycodestyle.StyleGuide(reporter=Collect).check_files(
        [path]).found
    if not lines:
        return result('pycodestyle')
    note = '' if pycodestyle.__version__ == PYCODESTYLE else \
        ' (pycodestyle {} here, the school uses {})'.format(
            pycodestyle.__version__, PYCODESTYLE)
    return result('pycodestyle', 'fail', '{} violation{}{}{}: {}'.format(
        len(lines), 's' if len(lines) > 1 else '', note,
        ', the first {}'.format(shown) if len(lines) > shown else '',
        '; '.join(lines[:shown])), 'pycodestyle {} lists them all'.format(
            os.path.basename(path)) if len(lines) > shown else '')


DEFINITIONS = (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)


def definitions(tree):
    """Returns (what the grader reaches through __doc__: the module's
    classes and functions and their classes' methods, at any depth of
    classes; what it does not: functions defined inside functions)."""
    reached, nested = [], []

    def visit(node, inside_function):
        """Sorts the definitions below node."""
        for child in ast.iter_child_nodes(node):
            if isinstance(child, DEFINITIONS):
                (nested if inside_function else reached).append(child)
                visit(child, inside_function or not isinstance(
                    child, ast.ClassDef))
            else:
                visit(child, inside_function)
    visit(tree, False)
    return reached, nested


def named(node):
    """Returns 'function f (line 3)' or 'class C (line 1)'."""
    return '{} {} (line {})'.format(
        'class' if isinstance(node, ast.ClassDef) else 'function',
        node.name, node.lineno)


def docstring(node):
    """Returns node's docstring without its blanks ('' where it has none,
    or one of blanks alone: ast.get_docstring keeps a line of spaces)."""
    return (ast.get_docstring(node) or '').strip()


def check_documented(tree):
    """The module, every class and every function (methods included) have
    a docstring that is not blank, as `__import__(...).__doc__` would see
    it; a function defined inside another, which the grader cannot reach,
    only earns a note."""
    missing = []
    if not docstring(tree):
        missing.append('the module')
    reached, nested = definitions(tree)
    missing += [named(node) for node in reached if not docstring(node)]
    if missing:
        return result('documented', 'fail', 'no docstring (or a blank '
                      'one): {}; the specification asks for one on the '
                      'module, every class and every function'.format(
                          ', '.join(missing)))
    inner = [named(node) for node in nested if not docstring(node)]
    if inner:
        return result('documented', 'note', 'no docstring: {}, defined '
                      'inside another function, where the grader\'s '
                      '__doc__ checks do not reach (not counted)'.format(
                          ', '.join(inner)), 'a docstring there costs a '
                      'line and reads well')
    return result('documented')


# what reaches a module, or the grader's code beside the learner's, without
# an import statement: names, attributes (frames and their globals, the
# modules loaded, Keras's loading of an object by its module's name) and
# the functions that take an attribute's name
REACHING_NAMES = ('__import__', 'importlib', 'exec', 'eval', 'compile',
                  '__builtins__', 'globals', 'locals', 'vars', 'breakpoint',
                  '__loader__', '__spec__', 'open')
REACHING_ATTRIBUTES = ('modules', 'f_globals', 'f_locals', 'f_back',
                       'f_builtins', 'f_code', 'gi_frame', 'cr_frame',
                       'ag_frame', 'tb_frame', 'tb_next', '_getframe',
                       'import_module', 'deserialize_keras_object',
                       'deserialize', 'get_registered_object',
                       'model_from_config', 'model_from_json',
                       'model_from_yaml', 'load_model', 'get_objects',
                       'get_referrers', 'get_referents', 'fdopen')
# the special attributes a task file may use (a class's initializer, a
# name, a docstring, the protocols of numbers and containers); every other
# leads from an object to others (a function's globals, a class's
# subclasses, a package's internals)
PLAIN_DUNDERS = ('__init__', '__name__', '__doc__', '__call__', '__class__',
                 '__len__', '__getitem__', '__iter__', '__float__',
                 '__int__', '__index__', '__bool__', '__version__')
BY_NAME = ('getattr', 'setattr', 'delattr')


def dunder(name):
    """Whether name is a special name that leads from an object to others
    (a function's globals, a class's subclasses, ...)."""
    return name.startswith('__') and name.endswith('__') and \
        len(name) > 4 and name not in PLAIN_DUNDERS


def rooted(node, name):
    """Whether an expression is an attribute chain from the name name
    (keras.losses, say)."""
    while isinstance(node, ast.Attribute):
        node = node.value
    return isinstance(node, ast.Name) and node.id == name


def reaching(tree):
    """Returns [(what, line)] of the ways the file reaches a module, or
    the grader's code, without an import statement."""
    found = []
    named = set()
    for node in ast.walk(tree):
        # keras.losses.get('mse'): an object by its own name, not a
        # configuration the file builds (which may name any module)
        if isinstance(node, ast.Call) and node.args and isinstance(
                node.args[0], ast.Constant) and isinstance(
                    node.args[0].value, str):
            named.add(id(node.func))
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr == 'get' and \
                rooted(node.value, 'keras') and id(node) not in named:
            found.append(('{}.get of an object the file builds'.format(
                ast.unparse(node.value)), node.lineno))
        elif isinstance(node, ast.Name) and (
                node.id in REACHING_NAMES or dunder(node.id)):
            found.append((node.id, node.lineno))
        elif isinstance(node, ast.Attribute) and (
                node.attr in REACHING_ATTRIBUTES or dunder(node.attr)):
            found.append(('.' + node.attr, node.lineno))
        elif isinstance(node, ast.Dict) and any(
                isinstance(key, ast.Constant) and key.value == 'module'
                for key in node.keys):
            found.append(('a configuration naming a module', node.lineno))
        elif isinstance(node, ast.Call) and isinstance(
                node.func, ast.Name) and node.func.id in BY_NAME:
            name = node.args[1] if len(node.args) > 1 else None
            if not (isinstance(name, ast.Constant) and isinstance(
                    name.value, str)) or dunder(name.value) or \
                    name.value in REACHING_ATTRIBUTES:
                found.append(('{}() of a name {}'.format(
                    node.func.id, 'the file computes' if not isinstance(
                        name, ast.Constant) else repr(name.value)),
                    node.lineno))
    return found


def parsed(folder, task):
    """Returns the syntax tree of task's file in folder: None where it is
    not there or does not parse (its import fails as well), False where
    the grader cannot read it through (nested beyond what ast reads)."""
    if refused(folder, task + '.py'):
        return None
    try:
        with open(os.path.join(folder, task + '.py'), 'rb') as f:
            return parse(f.read())
    except (OSError, SyntaxError, ValueError):
        return None
    except (RecursionError, MemoryError):
        return False


def reaching_in(folder, task):
    """Returns [(what, line)] of the ways task's file in folder reaches a
    module without an import statement ([] where it cannot be read; where
    the grader cannot read it through, that, so that it is not run)."""
    tree = parsed(folder, task)
    if tree is False:
        return [('code nested deeper than the grader reads', 1)]
    return [] if tree is None else reaching(tree)


def prints(tree):
    """Returns [(line, function, what)] of what prints in the file's
    functions and methods (print, Keras's print_tensor, a model's
    summary()): what autoencoder() runs while it builds the models, or
    Keras while it fits or uses them. The module's top level is left out
    (imports_cleanly names what the import prints)."""
    found = []

    def visit(node, inside):
        """Walks node; inside: the names of the functions around it."""
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef,
                                  ast.Lambda)):
                visit(child, inside + [getattr(child, 'name', 'lambda')])
                continue
            if isinstance(child, ast.Call) and inside:
                function = child.func
                if isinstance(function, ast.Name) and function.id == 'print':
                    found.append((child.lineno, inside[-1], 'the print'))
                elif isinstance(function, ast.Attribute) and \
                        function.attr in ('print_tensor', 'summary'):
                    found.append((child.lineno, inside[-1], 'the {}()'.format(
                        function.attr)))
            visit(child, inside)
    visit(tree, [])
    return found


def prints_in(folder, task):
    """Returns prints() of task's file in folder ([] where it cannot be
    read)."""
    tree = parsed(folder, task)
    return prints(tree) if tree else []


def check_imports(tree):
    """The only import is `import tensorflow.keras as keras`, and nothing
    else reaches a module (__import__, importlib, sys.modules, exec, eval,
    compile, __builtins__, frames and their globals)."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [('import {}{}'.format(alias.name, ' as ' + alias.asname
                                            if alias.asname else ''),
                       node.lineno)
                      for alias in node.names
                      if (alias.name, alias.asname) !=
                      ('tensorflow.keras', 'keras')]
        elif isinstance(node, ast.ImportFrom):
            found.append(('from {} import {}'.format(
                '.' * node.level + (node.module or ''),
                ', '.join(alias.name for alias in node.names)), node.lineno))
    other = reaching(tree)
    if found or other:
        found.sort(key=lambda item: item[1])
        other.sort(key=lambda item: item[1])
        said = [', '.join('{} (line {})'.format(*item) for item in found)] \
            if found else []
        if other:
            listed = ', '.join('{} (line {})'.format(*item)
                               for item in other[:6])
            more = ' and {} more'.format(len(other) - 6) \
                if len(other) > 6 else ''
            said.append('reaches modules or files another way: {}{}'.format(
                listed, more))
        hints = [hint for hint in (import_hint(statement)
                                   for statement, _ in found) if hint]
        if other:
            hints.append('reach everything through keras, by its '
                         'attributes: keras.layers.Dense, keras.Model, '
                         'keras.backend.exp, ...')
        return result('imports', 'fail', '{}; the only import allowed is '
                      '{!r}'.format('; '.join(said), ALLOWED_IMPORT),
                      '; '.join(dict.fromkeys(hints)))
    return result('imports')


def import_hint(statement):
    """Returns how to do without a forbidden import."""
    if statement.startswith('import tensorflow.keras as '):
        return 'write import tensorflow.keras as keras and use keras.' \
            'layers, keras.Model, keras.backend, ... through that name'
    if 'tensorflow' in statement:
        return 'reach everything through keras: keras.layers.Dense, ' \
            'keras.Model, keras.backend.exp, ...'
    if 'numpy' in statement:
        return 'the models need no numpy: keras.backend has exp, sum, ' \
            'square, random_normal on TensorFlow 2.15'
    return ''


def check_python39(data, path):
    """The file runs on Python 3.9, the grader's: no syntax, annotation or
    library feature of a later Python (ast, then vermin where installed)."""
    try:
        parse(data, filename=path, feature_version=(3, 9))
    except SyntaxError as error:
        # where this Python is newer than 3.9, the file parses on it
        try:
            tree = parse(data)
        except SyntaxError:
            tree = None
        matches = [node.lineno for node in ast.walk(tree)
                   if type(node).__name__ == 'Match'] if tree else []
        return result('python39', 'fail', 'line {}: {}; the grader runs '
                      'Python 3.9'.format(*(
                          (matches[0], 'a match statement needs Python 3.10 '
                           'or later') if matches else
                          (error.lineno, error.msg))))
    found = union_annotations(parse(data))
    lines = {text.split(':')[0] for text in found}
    found += [text for text in vermin_violations(path)
              if text.split(':')[0] not in lines]
    if found:
        return result('python39', 'fail', '{}; the grader runs Python '
                      '3.9'.format('; '.join(found[:3])))
    return result('python39')


def union_annotations(tree):
    """Returns 'line L: ...' for each X | Y in an annotation that Python
    3.9 evaluates (a function's, or a module's or class's variable's),
    which raises TypeError there when the file is imported."""
    annotations = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            arguments = node.args
            annotations += [a.annotation for a in
                            arguments.posonlyargs + arguments.args +
                            arguments.kwonlyargs +
                            [arguments.vararg, arguments.kwarg]
                            if a is not None and a.annotation is not None]
            annotations += [node.returns] if node.returns else []
        elif isinstance(node, ast.AnnAssign):
            annotations.append(node.annotation)
    found = []
    for annotation in annotations:
        if any(isinstance(n, ast.BinOp) and isinstance(n.op, ast.BitOr)
               for n in ast.walk(annotation)):
            found.append('line {}: the annotation {} needs Python 3.10 or '
                         'later (3.9 raises TypeError on it when the file '
                         'is imported; leave the annotation out)'.format(
                             annotation.lineno, ast.unparse(annotation)))
    return found


def vermin_violations(path):
    """Returns vermin's 'line L: feature requires 3.N' findings beyond
    Python 3.9 ([] where vermin is not installed)."""
    import re
    import subprocess
    import sys
    try:
        done = subprocess.run(
            [sys.executable, '-c', 'import sys, vermin; sys.exit(vermin.'
             'main())', '--target=3.9-', '--violations',
             '--no-tips', '--eval-annotations', '--feature', 'union-types',
             '--no-parse-comments', '-vvv', '--processes', '1', path],
            capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return []
    found = []
    for line, what in re.findall(r'^\s*L(\d+)(?: C\d+)?: (.+?) requires? ',
                                 done.stdout, re.M):
        found.append('line {}: {} needs Python 3.10 or later'.format(
            line, what.strip("'")))
    return found


# the largest task file or README.md the checker reads (bytes)
LARGEST = 1 << 20


def refused(folder, name):
    """Returns why the checker does not read folder's file name, a
    symbolic link (it could name any file of the machine) or one larger
    than LARGEST, or None."""
    path = os.path.join(folder, name)
    if os.path.islink(path):
        return '{} is a symbolic link: the checker does not follow it (it ' \
            'could name any file of the machine); put the file itself ' \
            'there'.format(name)
    if os.path.isfile(path) and os.path.getsize(path) > LARGEST:
        return '{} is {:.1f} MiB, more than the {:g} MiB a task file may ' \
            'be: the checker does not read it'.format(
                name, os.path.getsize(path) / 2 ** 20, LARGEST / 2 ** 20)
    return None


def check_exists(folder, task):
    """Returns the exists result of the task's file in folder and the
    file's bytes (None where it failed): the one file check the engine
    checks wait on."""
    path = os.path.join(folder, task + '.py')
    reason = refused(folder, task + '.py')
    if reason:
        return result('exists', 'fail', reason), None
    if not os.path.isfile(path):
        return result('exists', 'fail', 'no {}.py in {}'.format(
            task, folder)), None
    with open(path, 'rb') as f:
        data = f.read()
    try:
        data.decode('utf-8')
        binary = b'\0' in data
    except UnicodeDecodeError as error:
        binary = error
    if binary:
        return result('exists', 'fail', '{}.py is not Python text: {} (a '
                      'binary file, or text in another encoding); save it '
                      'as UTF-8 text'.format(task, 'it holds NUL bytes'
                                             if binary is True else
                                             'byte {} is not UTF-8'.format(
                                                 binary.start))), None
    return result('exists'), data


def check_file(folder, task):
    """Returns the results of FILE_CHECKS for the task's file in folder."""
    path = os.path.join(folder, task + '.py')
    exists, data = check_exists(folder, task)
    if data is None:
        return [exists]
    results = [exists, check_shebang(data), check_newline(data),
               check_executable(path), check_pycodestyle(path)]
    try:
        tree = parse(data, filename=path)
        results.append(check_python39(data, path))
    except (SyntaxError, ValueError, RecursionError, MemoryError) as error:
        line = getattr(error, 'lineno', None)
        message = 'the file does not parse: {}{}'.format(
            getattr(error, 'msg', error), ' (line {})'.format(line)
            if line else '')
        return results + [result(check, 'fail', message) for check in
                          ('python39', 'documented', 'imports')]
    return results + [check_documented(tree), check_imports(tree)]
