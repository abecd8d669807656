"""Readies a grading machine, as root, once its environments are made (the
platforms' set-up runs it: Gradescope's setup.sh, the Dockerfile that
PrairieLearn and the batch use):

    .venv/bin/python -m checker.harden [--no-user]

- makes the runner's unprivileged users, which the learners' code then
  runs as: autoencoders-runner (checker.sandbox.RUNNER_USER) and
  autoencoders-runner-1 to autoencoders-runner-15, one for each job that
  may run at once (system users, no home, no shell; --no-user leaves the
  users as they are);
- leaves the grader's own task files (the reference solution) readable
  by root only;
- leaves the environments and the MNIST cache readable by everyone (the
  runner reads them);
- gives the runner a Python it can read: where an environment's Python
  (its bin/python's link followed, and pyvenv.cfg's home) lies where the
  runner's users cannot read it (pyenv's under /root, uv's under
  ~/.local), copies that installation (the interpreter, libpython, the
  standard library without its site-packages and tests) into
  .venv-python/ beside the environments, its library paths (RUNPATH)
  made relative, checks the copy as the runner's user, and points the
  environment at it (bin/python's links and pyvenv.cfg's home);
- prints the sandbox line a runner now gets, and exits 1 where the runner
  would not run as its own user: then one line says why and what to do.
"""
import argparse
import filecmp
import hashlib
import os
import pwd
import shutil
import stat
import struct
import subprocess
import sys

from aelib import ROOT
from aelib.files import write_atomically
from checker import cli, engines, sandbox, tasks

# where the copies of the environments' Pythons go, beside the
# environments (ignored by git and the linters as .venv* is)
PYTHON_COPIES = '.venv-python'
# what a copy of a Python installation leaves out of its standard
# library: its own packages (an environment has its own) and its test
# suite (and everywhere, static libraries)
LEFT_OUT_DIRS = ('site-packages', 'test')
# ELF's dynamic section: the string table, RPATH and RUNPATH
PT_LOAD, PT_DYNAMIC = 1, 2
DT_NULL, DT_STRTAB, DT_RPATH, DT_RUNPATH = 0, 5, 15, 29


class Unreadable(Exception):
    """The runner's users cannot be given a readable Python: the message
    says what to do."""


def runner_users():
    """Returns the names of the runner's users, one for each job that may
    run at once (checker.sandbox.RUNNERS): autoencoders-runner, then
    autoencoders-runner-1 to autoencoders-runner-15."""
    return [sandbox.RUNNER_USER] + ['{}-{}'.format(sandbox.RUNNER_USER, n)
                                    for n in range(1, sandbox.RUNNERS)]


def make_user(name=sandbox.RUNNER_USER):
    """Makes the user name where it does not exist (a system user with no
    home and no shell)."""
    try:
        pwd.getpwnam(name)
        return
    except KeyError:
        pass
    for command in (['useradd', '--system', '--no-create-home',
                     '--home-dir', '/nonexistent', '--shell',
                     '/usr/sbin/nologin', name],
                    ['adduser', '-S', '-H', '-h', '/nonexistent', '-s',
                     '/sbin/nologin', name]):
        try:
            subprocess.run(command, check=True, capture_output=True)
            return
        except (OSError, subprocess.CalledProcessError):
            continue
    raise SystemExit('checker.harden: could not make the user {} '
                     '(useradd and adduser failed): make it yourself, a '
                     'system user with no home and no shell, and run '
                     'checker.harden again'.format(name))


def make_users():
    """Makes every one of the runner's users that does not exist."""
    for name in runner_users():
        make_user(name)


def private(root):
    """Makes the reference task files readable by root only; returns the
    paths changed."""
    changed = []
    for task in tasks.TASKS:
        path = os.path.join(root, task + '.py')
        if os.path.exists(path):
            os.chmod(path, 0o700)
            changed.append(path)
    return changed


def readable(folder):
    """Lets everyone read folder and what is beneath it (and search its
    folders), as uv and pip leave an environment anyway."""
    for top, folders, files in os.walk(folder):
        for name in [top] + [os.path.join(top, f) for f in files]:
            try:
                mode = os.lstat(name).st_mode
            except OSError:
                continue
            if stat.S_ISLNK(mode):
                continue
            wanted = mode | stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH
            if stat.S_ISDIR(mode) or mode & stat.S_IXUSR:
                wanted |= stat.S_IXGRP | stat.S_IXOTH
            if wanted != mode:
                os.chmod(name, wanted)


def blocker(path, uid, gid):
    """Returns the first folder above path (or path itself) that uid:gid
    cannot enter or read, with its mode: '/root (mode 700)'; None where
    it reaches path."""
    path = os.path.realpath(path)
    parts = path.split(os.sep)
    for depth in range(1, len(parts) + 1):
        current = os.sep.join(parts[:depth]) or os.sep
        if not sandbox.reachable(current, uid, gid):
            try:
                mode = '{:o}'.format(os.stat(current).st_mode & 0o7777)
            except OSError:
                return current
            return '{} (mode {})'.format(current, mode)
    return None


def venv_config(folder):
    """Returns the environment's pyvenv.cfg as {key: value}."""
    found = {}
    with open(os.path.join(folder, 'pyvenv.cfg')) as f:
        for line in f:
            key, sign, value = line.partition('=')
            if sign:
                found[key.strip()] = value.strip()
    return found


def base_python(folder):
    """Returns (the interpreter, its installation's folder, 'X.Y') of the
    Python an environment was made from: its bin/python's links followed,
    or where that is a copy in the environment, the one in pyvenv.cfg's
    home."""
    config = venv_config(folder)
    version = '.'.join((config.get('version_info') or
                        config.get('version', '')).split('.')[:2])
    python = os.path.realpath(os.path.join(folder, 'bin', 'python'))
    inside = python.startswith(os.path.realpath(folder) + os.sep)
    if inside and config.get('home'):
        for name in (os.path.basename(python), 'python' + version,
                     'python3', 'python'):
            candidate = os.path.join(config['home'], name)
            if os.path.isfile(candidate):
                python = os.path.realpath(candidate)
                break
    return python, os.path.dirname(os.path.dirname(python)), version


def elf_paths(path):
    """Returns [(file offset, the string)] of the RPATH and RUNPATH of the
    ELF file at path (its dynamic section's search paths for libraries);
    [] where it is not an ELF file or has none."""
    with open(path, 'rb') as f:
        head = f.read(64)
        if len(head) < 52 or head[:4] != b'\x7fELF':
            return []
        wide, order = head[4] == 2, '<' if head[5] == 1 else '>'
        if wide:
            phoff, = struct.unpack_from(order + 'Q', head, 32)
            phentsize, phnum = struct.unpack_from(order + 'HH', head, 54)
            header, entry = order + 'IIQQQQQQ', order + 'qQ'
        else:
            phoff, = struct.unpack_from(order + 'I', head, 28)
            phentsize, phnum = struct.unpack_from(order + 'HH', head, 42)
            header, entry = order + 'IIIIIIII', order + 'iI'
        loads, dynamic = [], None
        for number in range(phnum):
            f.seek(phoff + number * phentsize)
            fields = struct.unpack(header, f.read(struct.calcsize(header)))
            if wide:
                kind, offset, vaddr, filesz = (fields[0], fields[2],
                                               fields[3], fields[5])
            else:
                kind, offset, vaddr, filesz = fields[0], fields[1], \
                    fields[2], fields[4]
            if kind == PT_LOAD:
                loads.append((vaddr, offset, filesz))
            elif kind == PT_DYNAMIC:
                dynamic = (offset, filesz)
        if dynamic is None:
            return []
        f.seek(dynamic[0])
        data = f.read(dynamic[1])
        size = struct.calcsize(entry)
        table, wanted = None, []
        for start in range(0, len(data) - size + 1, size):
            tag, value = struct.unpack_from(entry, data, start)
            if tag == DT_NULL:
                break
            if tag == DT_STRTAB:
                table = value
            elif tag in (DT_RPATH, DT_RUNPATH):
                wanted.append(value)
        if table is None or not wanted:
            return []
        base = next((offset + table - vaddr for vaddr, offset, filesz in
                     loads if vaddr <= table < vaddr + filesz), None)
        if base is None:
            return []
        found = []
        for value in sorted(set(wanted)):
            f.seek(base + value)
            text = f.read(4096).split(b'\0', 1)[0]
            found.append((base + value, text.decode('utf-8', 'replace')))
        return found


def relocate(path, old, new):
    """Rewrites, in the ELF file path (a copy under new of a file under
    old), the RPATH and RUNPATH folders under old as folders relative to
    the file ($ORIGIN/...), in place; raises Unreadable where one would be
    longer than the old text."""
    for offset, text in elf_paths(path):
        parts = []
        for part in text.split(':'):
            if part == old or part.startswith(old + os.sep):
                target = os.path.join(new, os.path.relpath(part, old))
                relative = os.path.relpath(target, os.path.dirname(path))
                part = '$ORIGIN' if relative == '.' else \
                    '$ORIGIN/' + relative
            parts.append(part)
        changed = ':'.join(parts)
        if changed == text:
            continue
        if len(changed.encode()) > len(text.encode()):
            raise Unreadable('the library path {} of {} is too short to be '
                             'made relative'.format(text, path))
        with open(path, 'r+b') as f:
            f.seek(offset)
            f.write(changed.encode().ljust(len(text.encode()) + 1, b'\0'))


def copy_python(python, prefix, version, into):
    """Copies the Python installation prefix (whose interpreter is python)
    into into: the interpreter and its pythonX.Y and python3 names,
    libpython, and the standard library without its site-packages and
    tests; makes the copy's library paths relative and everything readable;
    returns the copy's interpreter."""
    stdlib = os.path.join(prefix, 'lib', 'python' + version)
    if not os.path.isfile(os.path.join(stdlib, 'os.py')):
        raise Unreadable('no standard library at {}'.format(stdlib))
    os.makedirs(os.path.join(into, 'bin'))
    name = os.path.basename(python)
    shutil.copy2(python, os.path.join(into, 'bin', name))
    for alias in ('python' + version, 'python3', 'python'):
        if alias != name:
            os.symlink(name, os.path.join(into, 'bin', alias))
    os.makedirs(os.path.join(into, 'lib'))
    for entry in os.listdir(os.path.join(prefix, 'lib')):
        if entry.startswith('libpython'):
            source = os.path.join(prefix, 'lib', entry)
            target = os.path.join(into, 'lib', entry)
            if os.path.islink(source):
                os.symlink(os.readlink(source), target)
            elif os.path.isfile(source):
                shutil.copy2(source, target)

    def left_out(folder, names):
        """The names a copy leaves out: folders of LEFT_OUT_DIRS at the
        standard library's top, static libraries."""
        top = os.path.realpath(folder) == os.path.realpath(stdlib)
        return [entry for entry in names if entry.endswith('.a') or (
            top and entry in LEFT_OUT_DIRS)]
    copied = os.path.join(into, 'lib', 'python' + version)
    shutil.copytree(stdlib, copied, symlinks=True, ignore=left_out)
    os.mkdir(os.path.join(copied, 'site-packages'))
    for top, _, files in os.walk(into):
        for entry in files:
            path = os.path.join(top, entry)
            if not os.path.islink(path):
                relocate(path, prefix, into)
    readable(into)
    return os.path.join(into, 'bin', name)


def run_as(uid, gid, command):
    """Runs command as uid:gid; returns (its exit status, what it
    printed)."""
    def demote():
        """Becomes uid:gid before the command runs."""
        os.setgroups([])
        os.setgid(gid)
        os.setuid(uid)
    try:
        done = subprocess.run(command, preexec_fn=demote, cwd='/',
                              stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, env={},
                              universal_newlines=True, timeout=120)
    except (OSError, subprocess.SubprocessError) as error:
        return 1, str(error)
    return done.returncode, done.stdout.strip()


def readable_python(python, prefix, version, user):
    """Returns a copy of the Python installation prefix that user, (name,
    uid, gid), can read and run: one made earlier, or a new one in
    .venv-python/ (made aside, checked as user, then renamed into
    place)."""
    name, uid, gid = user
    copies = os.path.join(ROOT, PYTHON_COPIES)
    into = os.path.join(copies, '{}-{}'.format(
        os.path.basename(prefix), hashlib.sha1(prefix.encode()).hexdigest()[
            :8]))
    mark = os.path.join(into, '.source')
    copied = os.path.join(into, 'bin', os.path.basename(python))
    try:
        with open(mark) as f:
            if f.read().strip() == prefix:
                return copied
    except OSError:
        pass
    os.makedirs(copies, exist_ok=True)
    readable(copies)
    aside = into + '.tmp-{}'.format(os.getpid())
    shutil.rmtree(aside, ignore_errors=True)
    try:
        interpreter = copy_python(python, prefix, version, aside)
        status, said = run_as(uid, gid, [
            interpreter, '-I', '-c', 'import sys, encodings, json, ctypes; '
            'print(sys.prefix)'])
        if status or said.splitlines()[-1:] != [aside]:
            raise Unreadable('the copy in {} does not run as {}: {}'.format(
                aside, name, said.splitlines()[-1:] or status))
        with open(os.path.join(aside, '.source'), 'w') as f:
            f.write(prefix + '\n')
        os.chmod(os.path.join(aside, '.source'), 0o644)
        shutil.rmtree(into, ignore_errors=True)
        os.rename(aside, into)
    except (OSError, shutil.Error) as error:
        raise Unreadable('could not copy it into {}: {}'.format(
            copies, error))
    finally:
        shutil.rmtree(aside, ignore_errors=True)
    return copied


def point(folder, python, version, copied):
    """Points the environment folder at the interpreter copied (a copy of
    python): its bin/python, python3 and pythonX.Y where they are links
    by absolute path or copies of python (the others link to these), and
    pyvenv.cfg's home; each replaced whole (a file also linked elsewhere,
    say by cp -al, is left as it is)."""
    bin_folder = os.path.join(folder, 'bin')
    for entry in ('python', 'python3', 'python' + version):
        path = os.path.join(bin_folder, entry)
        if os.path.islink(path):
            if not os.path.isabs(os.readlink(path)):
                continue
        elif not os.path.isfile(path) or \
                not filecmp.cmp(path, python, shallow=False):
            continue
        temporary = path + '.tmp-{}'.format(os.getpid())
        os.symlink(copied, temporary)
        os.replace(temporary, path)
    lines = []
    with open(os.path.join(folder, 'pyvenv.cfg')) as f:
        for line in f:
            key, sign, _ = line.partition('=')
            if sign and key.strip() == 'home':
                line = 'home = {}\n'.format(os.path.dirname(copied))
            elif sign and key.strip() == 'executable':
                line = 'executable = {}\n'.format(copied)
            lines.append(line)
    write_atomically(os.path.join(folder, 'pyvenv.cfg'), ''.join(lines))


def give_python(folder, user, target='venv-core'):
    """Makes sure user, (name, uid, gid), can run the environment folder's
    Python (which make target makes): where it cannot read the
    installation the environment was made from, points the environment at
    a readable copy of it; returns the line that says what was done, or
    None. Raises Unreadable, saying what to do, where user cannot reach
    the environment itself or no copy works."""
    name, uid, gid = user
    blocked = blocker(folder, uid, gid)
    if blocked:
        raise Unreadable(
            '{} cannot enter {}, above the environment {}: put the grader '
            'in a folder every user may enter (clone it under /opt or '
            '/srv, say), make its environments there (make {}) and run '
            'checker.harden there'.format(name, blocked, folder, target))
    python, prefix, version = base_python(folder)
    needed = [python, os.path.join(prefix, 'lib', 'python' + version,
                                   'os.py')]
    if all(sandbox.reachable(path, uid, gid) for path in needed):
        return None
    blocked = next(blocker(path, uid, gid) for path in needed
                   if not sandbox.reachable(path, uid, gid))
    try:
        copied = readable_python(python, prefix, version, user)
    except Unreadable as error:
        raise Unreadable(
            '{} cannot read {}, the Python of {} ({} is in the way), and '
            '{}: make the environment again from a Python every user may '
            'read (rm -rf {f}, then make {t} PYTHON=/usr/bin/python{v} '
            'after apt-get install python{v}, or UV_PYTHON_INSTALL_DIR='
            '/opt/autoencoders/python make {t} where uv may download one) '
            'and run checker.harden again'.format(
                name, python, folder, blocked, error, f=folder, t=target,
                v=version))
    point(folder, python, version, copied)
    return 'python: {} cannot read {} ({} is in the way): {} now runs a ' \
        'copy, {}'.format(name, python, blocked, os.path.relpath(folder,
                                                                 ROOT),
                          copied)


def main(argv=None):
    """Readies the machine; prints the runner's sandbox line."""
    parser = argparse.ArgumentParser(
        prog='python -m checker.harden', description=__doc__.split('\n\n')[0])
    parser.add_argument('--no-user', action='store_true', help='do not make '
                        'the runner\'s users (the runner is then {} where '
                        'it exists, else nobody)'.format(sandbox.RUNNER_USER))
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        raise SystemExit('checker.harden: run it as root (the platforms\' '
                         'set-up does); as another user the runner is '
                         'sandboxed by Landlock and seccomp alone')
    if not args.no_user:
        make_users()
    private(ROOT)
    user = sandbox.runner_user()
    problems = []
    for engine in tasks.ENGINES:
        if engines.interpreter(engine):
            folder = engines.environment_folder(engine)
            readable(folder)
            try:
                said = give_python(folder, user, 'venv-core' if engine ==
                                   'keras2' else 'venv-{}-core'.format(
                                       engine))
            except Unreadable as error:
                problems.append(str(error))
                continue
            if said:
                print(said)
    data = engines.mnist_folder()
    readable(data)
    blocked = blocker(data, user[1], user[2])
    if blocked:
        problems.append('{} cannot enter {}, above the MNIST cache {}: set '
                        'MNIST_DATA_DIR to a folder every user may enter '
                        '(/opt/autoencoders/data, say) and run '
                        'checker.harden again'.format(user[0], blocked, data))
    line, enforced = cli.sandbox_line([tasks.GRADER_ENGINE], engines.TIMEOUT)
    print(line)
    layers = engines.layers_for(tasks.GRADER_ENGINE)
    if problems:
        sys.exit('checker.harden: ' + problems[0])
    if not enforced or not layers['user']:
        sys.exit(1)


if __name__ == '__main__':
    main()
