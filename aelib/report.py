"""Records and the README sections drawn from them.

Every application writes one JSON file: flat "rows" (one record per method
and setting) beside the run's environment and wall time, and rewrites its
own README section, between markers, from that file alone. Every place a
run will write is checked before it trains (one line and exit status 1 if
one cannot be written); the record is written first, atomically, then the
figures.
"""
import argparse
import importlib.metadata
import json
import math
import os
import platform
import re
import sys
import tempfile
import time

import numpy as np

from aelib.files import write_atomically


def machine():
    """Returns a short description of this machine's CPU and memory."""
    model = platform.processor() or platform.machine()
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    model = line.split(':', 1)[1].strip()
                    break
        with open('/proc/meminfo') as f:
            memory = int(f.readline().split()[1]) / (1 << 20)
        memory = ', {:.0f} GiB'.format(memory)
    except OSError:
        memory = ''
    return '{}, {} cores{}, {} {}'.format(model, os.cpu_count(), memory,
                                          platform.system(),
                                          platform.machine())


def cpu_flags():
    """Returns the set of the CPU's feature flags (/proc/cpuinfo), empty
    where the system does not say."""
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('flags'):
                    return set(line.split(':', 1)[1].split())
    except OSError:
        pass
    return set()


def matmul_gflops(size=2048, repeats=20):
    """Measures float32 matrix multiplication speed with TensorFlow on this
    machine: what the CPU achieves at best, to compare the models with."""
    import tensorflow as tf
    a = tf.random.uniform((size, size))
    b = tf.random.uniform((size, size))
    tf.linalg.matmul(a, b).numpy()
    start = time.perf_counter()
    for _ in range(repeats):
        c = tf.linalg.matmul(a, b)
    c.numpy()
    seconds = time.perf_counter() - start
    return 2 * size ** 3 * repeats / seconds / 1e9


def host_name(cpu, flags, gflops):
    """Returns a host's short name: its CPU family, its widest vector
    instructions and its float32 matmul rate rounded down to a power of
    two (one host's measurements vary by a third: 136 to 227 GFLOP/s in
    one session), e.g. 'epyc-avx512-256' (256 to 511 GFLOP/s) or
    'xeon-avx2-64'; a part not recorded is left out ('epyc-128').
    """
    if cpu == 'not recorded':
        return 'not-recorded'
    words = re.findall('[a-z0-9]+', cpu.lower())
    parts = [next((word for word in ('epyc', 'xeon', 'ryzen', 'core')
                   if word in words), words[0] if words else 'cpu')]
    if flags:
        parts.append('avx512' if 'avx512f' in flags else 'avx2'
                     if 'avx2' in flags else 'sse')
    if gflops:
        parts.append(str(2 ** int(math.log2(max(gflops, 1)))))
    return '-'.join(parts)


def host(repeats=5):
    """Returns this host: its CPU and memory, the vector instructions that
    matter for TensorFlow (AVX-512, VNNI, AMX), whether TensorFlow turns
    oneDNN on by itself here, its float32 matmul rate (the best of three
    measurements of repeats products, in GFLOP/s; about a second at 5)
    and its short name."""
    flags = cpu_flags()
    gflops = round(max(matmul_gflops(repeats=repeats) for _ in range(3)), 1)
    cpu = machine()
    return {'name': host_name(cpu, flags, gflops), 'cpu': cpu,
            'cpu_flags': sorted(flag for flag in flags if flag.startswith(
                ('avx', 'amx', 'fma', 'sse4'))),
            # TensorFlow's DefaultOneDnnPolicy: these instructions, or AMX
            'onednn_by_default': bool(flags & {
                'avx512_vnni', 'avx512_bf16', 'avx_vnni'}) or
            any(flag.startswith('amx') for flag in flags),
            'matmul_gflops': gflops}


def record_host(record):
    """Returns the host a record (or its 'environment') names: its 'host',
    or, in a record older than hosts, what it kept of the machine (its CPU,
    flags and matmul rate where it measured them) under a name without the
    parts it did not keep."""
    environment = record.get('environment') or {}
    for place in (record, environment):
        if 'host' in place:
            host = place['host']
            # the name follows from what was measured, by one rule
            return dict(host, name=host_name(host['cpu'],
                                             host.get('cpu_flags'),
                                             host.get('matmul_gflops')))
    kept = record if ('cpu' in record or 'matmul_gflops' in record) \
        else environment or record
    cpu = kept.get('cpu') or kept.get('machine') or \
        environment.get('machine') or 'not recorded'
    flags = kept.get('cpu_flags')
    gflops = kept.get('matmul_gflops')
    return {'name': host_name(cpu, flags, gflops), 'cpu': cpu,
            'cpu_flags': flags, 'matmul_gflops': gflops}


def record_host_name(record):
    """Returns the short name of the host a record was measured on."""
    return record_host(record)['name']


def host_text(host):
    """Returns how a page names a host: its short name, then its CPU,
    instructions and matmul rate (or that they were not recorded)."""
    wide = [flag for flag in host.get('cpu_flags') or ()
            if flag in ('avx512f', 'avx512_vnni', 'avx_vnni', 'amx_tile')]
    details = [host['cpu']]
    if host.get('cpu_flags') is None:
        details.append('vector instructions not recorded')
    else:
        details.append(', '.join(wide) or 'no AVX-512')
    details.append('{:.0f} GFLOP/s float32 matmul'.format(
        host['matmul_gflops']) if host.get('matmul_gflops') else
        'matmul rate not recorded')
    name = host_name(host['cpu'], host.get('cpu_flags'),
                     host.get('matmul_gflops'))
    return 'host `{}` ({})'.format(name, '; '.join(details))


def environment():
    """Returns the versions and host a run's numbers belong to."""
    import tensorflow as tf
    return {'tensorflow': tf.__version__,
            'keras': importlib.metadata.version('keras'),
            'numpy': np.__version__,
            'python': platform.python_version(),
            'machine': machine(), 'host': host()}


def environment_text(record):
    """Returns one sentence naming the record's host and versions."""
    return ('{}; TensorFlow {tensorflow}, Keras {keras}, numpy '
            '{numpy}, Python {python}'.format(
                host_text(record_host({'environment': record})), **record))


def write_json(path, record):
    """Writes record to path as indented JSON (atomically) and says so on
    stderr."""
    write_atomically(path, json.dumps(record, indent=1) + '\n')
    print('wrote {}'.format(path), file=sys.stderr)


def check_folder(folder, flag):
    """Makes sure files can be written in folder (creating it if needed);
    otherwise exits with one line naming flag, the folder and the reason."""
    try:
        os.makedirs(folder or '.', exist_ok=True)
        tempfile.TemporaryFile(dir=folder or '.').close()
    except OSError as error:
        sys.exit('error: cannot write to {} {}: {}'.format(
            flag, folder, error.strerror or error))


def check_file(path, flag):
    """Makes sure path can be written (its folder too); otherwise exits
    with one line naming flag, the path and the reason."""
    if os.path.isdir(path):
        sys.exit('error: cannot write {} {}: it is a folder'.format(flag,
                                                                    path))
    check_folder(os.path.dirname(path), flag)
    if os.path.exists(path) and not os.access(path, os.W_OK):
        sys.exit('error: cannot write {} {}: permission denied'.format(
            flag, path))


def check_outputs(args, begin, end):
    """Checks, before any training, every place the run will write: the
    figures' folder --out, the record --json and, with --readme, the
    README (readable, writable, holding the markers begin ... end). Exits
    with one line naming the first that fails."""
    if not args.render:
        check_folder(args.out, '--out')
        check_file(args.json, '--json')
    if args.readme:
        check_file(args.readme, '--readme')
        try:
            with open(args.readme) as f:
                text = f.read()
        except OSError as error:
            sys.exit('error: cannot read --readme {}: {}'.format(
                args.readme, error.strerror or error))
        if begin not in text or end not in text:
            sys.exit('error: --readme {} has no markers {} ... {}'.format(
                args.readme, begin, end))


def read_json(path):
    """Returns the record in the JSON file at path."""
    with open(path) as f:
        return json.load(f)


def read_record(path):
    """Returns the record in the JSON file path (given as --json), or exits
    with one line saying why it cannot be read."""
    try:
        return read_json(path)
    except (OSError, ValueError) as error:
        sys.exit('error: cannot read --json {}: {}'.format(
            path, getattr(error, 'strerror', None) or error))


def markers(name, command):
    """Returns the lines that open and close the README section name."""
    return ('<!-- {}: generated by {}, do not edit by hand -->'.format(
        name, command), '<!-- end of {} -->'.format(name))


def update_readme(path, begin, end, section):
    """Replaces what stands between the markers begin and end in the README
    at path (the markers included) by section, which holds them again."""
    with open(path) as f:
        text = f.read()
    if begin not in text or end not in text:
        raise SystemExit('error: {} has no markers {} ... {}'.format(
            path, begin, end))
    head, rest = text.split(begin, 1)
    tail = rest.split(end, 1)[1]
    write_atomically(path, head + section + tail)
    print('updated {}'.format(path), file=sys.stderr)


def table(header, rows):
    """Returns a Markdown table: header is a list of column titles, rows a
    list of lists of cells (already formatted)."""
    lines = ['| ' + ' | '.join(header) + ' |',
             '|' + '---|' * len(header)]
    lines += ['| ' + ' | '.join(str(cell) for cell in row) + ' |'
              for row in rows]
    return lines


def positive_int(text):
    """argparse type: an integer of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            'expected a positive integer, got {!r}'.format(text)) from None
    if value < 1:
        raise argparse.ArgumentTypeError(
            'expected a positive integer, got {}'.format(value))
    return value


def parser(doc, name, epochs, readme='README.md'):
    """Returns an argument parser with the flags every application takes:
    --epochs (default epochs), --limit, --out, --json (default
    results/NAME.json), --readme [FILE] (alone: readme) and --render.
    doc: the application's docstring, its first paragraph the
    description."""
    result = argparse.ArgumentParser(
        description=doc.split('\n\n')[0], epilog=doc.split('\n\n', 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    result.add_argument('--epochs', type=positive_int, default=epochs,
                        metavar='N', help='training epochs (default: {})'
                        .format(epochs))
    result.add_argument('--limit', type=positive_int, metavar='N',
                        help='use only the first N images of every split '
                        '(quick runs; default: all)')
    result.add_argument('--out', default='results', metavar='DIR',
                        help='folder for the figures (default: results)')
    result.set_defaults(command=name)
    path = 'results/{}.json'.format(name)
    result.add_argument('--json', default=path, metavar='FILE',
                        help='where to write the rows (default: {})'
                        .format(path))
    result.add_argument('--readme', metavar='FILE', nargs='?', const=readme,
                        help='also rewrite the {} section of FILE '
                        '(default: {})'.format(name, readme))
    result.add_argument('--render', action='store_true',
                        help='only rewrite the README section from --json')
    result.add_argument('--fresh', action='store_true',
                        help='discard the progress an interrupted run of the '
                        'same command kept, and start afresh')
    return result


# the flags that say where a run writes, not what it computes
OUTPUT_FLAGS = ('out', 'json', 'readme', 'render', 'fresh', 'no_show',
                'metrics', 'figures', 'command')


def open_progress(args, command):
    """Opens the progress of the command (its name) run with args, and
    keeps it in args.progress."""
    from aelib import progress
    flags = {key: value for key, value in sorted(vars(args).items())
             if key not in OUTPUT_FLAGS}
    args.progress = progress.Progress(command, flags, fresh=args.fresh)
    return args.progress


def run_application(args, run, render, begin, end):
    """Runs an application: first checks every place it will write; then
    run(args) returns the record, written to args.json (with --render, the
    record is read from it instead), then the figures run() drew (kept in
    args.pending until the record is safe); then, with --readme,
    render(record) replaces the README section between the markers begin
    and end. Missing data exits with its one-line message.

    The run keeps its progress in args.progress (aelib.progress): run()
    trains through args.progress.fit and keeps each finished model's or
    experiment's results through args.progress.step, so that the same
    command run again after an interruption resumes; the progress is
    removed once the record and figures are written. The record's
    wall_seconds count the work of every run it took (sessions: how many,
    when more than one)."""
    from aelib import plots
    from aelib.datasets import DataError
    if args.render and not args.readme:
        sys.exit('error: --render needs --readme FILE')
    check_outputs(args, begin, end)
    if args.render:
        record = read_record(args.json)
    else:
        progress = open_progress(args, args.command)
        args.pending = []
        try:
            record = run(args)
        except DataError as error:
            sys.exit('error: {}'.format(error))
        record['wall_seconds'] = round(progress.elapsed(), 1)
        if progress.manifest['sessions'] > 1:
            record['sessions'] = progress.manifest['sessions']
        with progress.critical():
            write_json(args.json, record)
            plots.write_pending(args)
        progress.finish()
    if args.readme:
        update_readme(args.readme, begin, end, render(record))


def figure_links(names, folder='results'):
    """Returns the Markdown lines showing the figures folder/NAME.png."""
    return ['![{}]({}/{}.png)'.format(name, folder, name) for name in names]
