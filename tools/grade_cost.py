#!/usr/bin/env python3
"""What grading costs (`make grade-cost`): one folder graded as Gradescope
grades it (checker.grade, its layout in a temporary folder), on the
grader's engine alone and on both engines, each process after the other
(--jobs 1); then a class of learner-style folders graded by the batch
(`python -m checker --batch`) with --jobs 1 and --jobs 2.

Each run's wall time, CPU seconds (the grader and every process under it)
and peak memory (the resident memory of all its processes at once,
sampled every 50 ms) go to results/grading.json, and docs/self-check.md's
section on grading a class is rewritten from it.
"""
import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from aelib import report  # noqa: E402
from checker import tasks  # noqa: E402

FOLDER = os.path.join('tests', 'learners', 'functional')
# Gradescope's default container: 768 MB of memory, half a CPU, 10 minutes
GRADESCOPE = {'memory_mb': 768, 'cpus': 0.5, 'minutes': 10}
BEGIN, END = report.markers('grading', '`make grade-cost` '
                            '(tools/grade_cost.py)')


def tree_rss_mib(pid):
    """Returns the resident memory of pid and all its descendants, MiB."""
    children = {}
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open('/proc/{}/stat'.format(entry)) as f:
                parent = int(f.read().rsplit(')', 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(entry))
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        todo += children.get(current, [])
        try:
            with open('/proc/{}/status'.format(current)) as f:
                for line in f:
                    if line.startswith('VmRSS:'):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def measured(command):
    """Runs command from the repository; returns (exit status, wall s, CPU
    s of it and its descendants, peak resident MiB of them all)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.monotonic()
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    peak = 0.0
    while process.poll() is None:
        peak = max(peak, tree_rss_mib(process.pid))
        time.sleep(0.05)
    wall = time.monotonic() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime -
                                                before.ru_stime)
    return process.returncode, wall, cpu, peak


def one_folder(engines):
    """Grades the learner-style folder as Gradescope would; returns the
    run's row."""
    with tempfile.TemporaryDirectory() as root:
        shutil.copytree(os.path.join(ROOT, FOLDER),
                        os.path.join(root, 'submission'))
        status, wall, cpu, peak = measured(
            [sys.executable, '-m', 'checker.grade', 'gradescope', '--root',
             root, '--jobs', '1', '--engines'] + engines)
        result = report.read_json(os.path.join(root, 'results',
                                               'results.json'))
    return {'run': 'one folder', 'engines': engines, 'status': status,
            'score': '{}/{}'.format(result['score'], sum(
                t['max_score'] for t in result['tests'])),
            'wall_seconds': round(wall, 1), 'cpu_seconds': round(cpu, 1),
            'peak_mib': round(peak)}


def a_class(learners, jobs):
    """Grades learners copies of the learner-style folder with the batch,
    jobs at a time; returns the run's row."""
    with tempfile.TemporaryDirectory() as work:
        submissions = os.path.join(work, 'class')
        for n in range(learners):
            shutil.copytree(os.path.join(ROOT, FOLDER), os.path.join(
                submissions, 'learner{:02d}'.format(n)))
        status, wall, cpu, peak = measured(
            [sys.executable, '-m', 'checker', '--batch', submissions,
             '--out', os.path.join(work, 'grades'), '--jobs', str(jobs)])
    return {'run': 'batch', 'engines': [tasks.GRADER_ENGINE],
            'learners': learners, 'jobs': jobs, 'status': status,
            'wall_seconds': round(wall, 1), 'cpu_seconds': round(cpu, 1),
            'peak_mib': round(peak),
            'folders_per_hour': round(learners * 3600 / wall)}


def render(record):
    """Returns docs/self-check.md's section."""
    rows = []
    for run in record['runs']:
        what = ('one folder, {}'.format(' and '.join(run['engines']))
                if run['run'] == 'one folder' else
                'a class of {} folders, `--jobs {}`'.format(
                    run['learners'], run['jobs']))
        rows.append([what, '{:.0f} s'.format(run['wall_seconds']),
                     '{:.0f} s'.format(run['cpu_seconds']),
                     '{} MiB'.format(run['peak_mib']),
                     run.get('score') or '{} folders an hour'.format(
                         run['folders_per_hour'])])
    alone = next(run for run in record['runs'] if run['run'] ==
                 'one folder' and run['engines'] == [tasks.GRADER_ENGINE])
    limit = GRADESCOPE
    fits = alone['peak_mib'] * 2 ** 20 <= limit['memory_mb'] * 1e6
    half = alone['cpu_seconds'] / limit['cpus']
    return '\n'.join([BEGIN, ''] + report.table(
        ['grading', 'wall', 'CPU', 'peak memory (all processes)',
         'score / throughput'], rows) + [
        '',
        'On Gradescope\'s default container ({} MB, {} CPU, {} minutes): '
        'grading one folder on the grader\'s engine alone held at most {} '
        'MiB ({:.0f} MB), which {} {} MB; its {:.0f} CPU seconds take about '
        '{:.0f} s on half a CPU, {} the {} minutes (with `--total` {} s, '
        'the grader\'s default, a slower container ends in a written result '
        'rather than a silent 0). Keras 3 as well needs more memory and '
        'time than that: give it a larger container, or leave it out (the '
        'default of `setup.sh`).'.format(
            limit['memory_mb'], limit['cpus'], limit['minutes'],
            alone['peak_mib'], alone['peak_mib'] * 2 ** 20 / 1e6,
            'fits in' if fits else 'does not fit in', limit['memory_mb'],
            alone['cpu_seconds'], half, 'within' if half < 60 *
            limit['minutes'] else 'beyond', limit['minutes'], 600),
        '',
        'Run: `{}` on {} on {}, {:.0f} s in all.'.format(
            record['command'], report.host_text(record['host']),
            record['date'], record['wall_seconds']),
        '', END])


def main(argv=None):
    """Measures (or, with --render, only rewrites the page)."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--learners', type=int, default=8,
                        help='folders in the class (default: 8)')
    parser.add_argument('--json', default='results/grading.json')
    parser.add_argument('--readme', nargs='?', const='docs/self-check.md')
    parser.add_argument('--render', action='store_true')
    args = parser.parse_args(argv)
    if not args.render:
        began = time.monotonic()
        runs = []
        for engines in ([tasks.GRADER_ENGINE], list(tasks.ENGINES)):
            runs.append(one_folder(engines))
            print(runs[-1], file=sys.stderr)
        for jobs in (1, 2):
            runs.append(a_class(args.learners, jobs))
            print(runs[-1], file=sys.stderr)
        report.write_json(args.json, {
            'command': ' '.join(['tools/grade_cost.py'] + (argv or
                                                           sys.argv[1:])),
            'host': report.host(), 'date': time.strftime('%Y-%m-%d'),
            'runs': runs, 'wall_seconds': round(time.monotonic() - began,
                                                1)})
    record = report.read_record(args.json)
    if args.readme:
        report.update_readme(args.readme, BEGIN, END, render(record))


if __name__ == '__main__':
    main()
