#!/usr/bin/env python3
"""What grading costs (`make grade-cost`): one folder graded as Gradescope
grades it (checker.grade, its layout in a temporary folder), on the
grader's engine alone and on both engines, each process after the other
(--jobs 1); then a class of learner-style folders graded by the batch
(`python -m checker --batch`) with --jobs 1 and --jobs 2; and one folder
graded inside a control group set as Gradescope's default container (768
MB, half a CPU), where the machine lets root make one.

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
from checker import sandbox, tasks  # noqa: E402

FOLDER = os.path.join('tests', 'learners', 'functional')
# Gradescope's default container: 768 MB of memory, half a CPU, 10 minutes
GRADESCOPE = {'memory_mb': 768, 'cpus': 0.5, 'minutes': 10}
BEGIN, END = report.markers('grading', '`make grade-cost` '
                            '(tools/grade_cost.py)')


def tree_rss_mib(pid):
    """Returns the resident memory of pid and all its descendants, MiB."""
    return sandbox.held_mib(pid, 'VmRSS')


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


CGROUPS = '/sys/fs/cgroup'


def in_container(engines):
    """Grades the learner-style folder inside a control group set as
    Gradescope's default container (768 MB of memory, page cache
    included, half a CPU), the system's file cache dropped first so that
    TensorFlow's libraries are read and charged again; returns the run's
    row, or one saying why it could not run (cgroup v1 and root
    needed)."""
    memory = os.path.join(CGROUPS, 'memory', 'grade-cost')
    cpu = os.path.join(CGROUPS, 'cpu', 'grade-cost')
    row = {'run': 'container', 'engines': engines,
           'memory_mb': GRADESCOPE['memory_mb'], 'cpus': GRADESCOPE['cpus']}
    try:
        for folder in (memory, cpu):
            os.makedirs(folder, exist_ok=True)
        settings = ((memory, 'memory.limit_in_bytes',
                     GRADESCOPE['memory_mb'] * 10 ** 6),
                    (memory, 'memory.max_usage_in_bytes', 0),
                    (cpu, 'cpu.cfs_period_us', 100000),
                    (cpu, 'cpu.cfs_quota_us',
                     int(100000 * GRADESCOPE['cpus'])))
        for folder, name, value in settings:
            with open(os.path.join(folder, name), 'w') as f:
                f.write(str(value))
        os.sync()
        with open('/proc/sys/vm/drop_caches', 'w') as f:
            f.write('3')
    except OSError as error:
        return dict(row, skipped='no control groups to set here ({})'
                    .format(error))
    with tempfile.TemporaryDirectory() as root:
        shutil.copytree(os.path.join(ROOT, FOLDER),
                        os.path.join(root, 'submission'))
        enter = 'echo $$ > {}/cgroup.procs; echo $$ > {}/cgroup.procs; ' \
            'exec "$@"'.format(memory, cpu)
        status, wall, cpu_seconds, _ = measured(
            ['sh', '-c', enter, 'sh', sys.executable, '-m', 'checker.grade',
             'gradescope', '--root', root, '--jobs', '1', '--engines'] +
            engines)
        result = report.read_json(os.path.join(root, 'results',
                                               'results.json'))
    with open(os.path.join(memory, 'memory.max_usage_in_bytes')) as f:
        peak = int(f.read()) / 10 ** 6
    with open(os.path.join(memory, 'memory.oom_control')) as f:
        kills = int(dict(line.split() for line in f).get('oom_kill', 0))
    return dict(row, status=status, score='{}/{}'.format(
        result['score'], sum(t['max_score'] for t in result['tests'])),
        wall_seconds=round(wall, 1), cpu_seconds=round(cpu_seconds, 1),
        peak_mb=round(peak), oom_kills=kills)


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
        if run['run'] == 'container':
            continue
        what = ('one folder, {}'.format(' and '.join(run['engines']))
                if run['run'] == 'one folder' else
                'a class of {} folders, `--jobs {}`'.format(
                    run['learners'], run['jobs']))
        rows.append([what, '{:.0f} s'.format(run['wall_seconds']),
                     '{:.0f} s'.format(run['cpu_seconds']),
                     '{} MiB'.format(run['peak_mib']),
                     run.get('score') or '{} folders an hour'.format(
                         run['folders_per_hour'])])
    box = next(run for run in record['runs'] if run['run'] == 'container')
    limit = GRADESCOPE
    if 'skipped' in box:
        container = 'Not measured in a container like Gradescope\'s: {}.' \
            .format(box['skipped'])
    else:
        full = box['peak_mb'] >= limit['memory_mb']
        fits = box['oom_kills'] == 0 and box['status'] == 0
        container = (
            'In a container like Gradescope\'s default ({} MB of memory, '
            'page cache included, and {} CPU: a control group, the file '
            'cache dropped first), one folder on the grader\'s engine '
            'scored {} in {:.0f} s; its memory {} {} MB, and {} '
            'out-of-memory kill{}: it {}, within the {} minutes. (The peak '
            'resident memory above counts TensorFlow\'s libraries in full; '
            'under the limit the system drops their pages and reads them '
            'again.) Keras 3 as well needs about three times the time and '
            'more memory: give it a larger container, or leave it out '
            '(`setup.sh`\'s default). With `--total` 600 s, the grader\'s '
            'default, a slower container still ends in a written result, '
            'not a silent 0.'.format(
                limit['memory_mb'], limit['cpus'], box['score'],
                box['wall_seconds'], 'reached the limit of' if full else
                'peaked at', limit['memory_mb'] if full else box['peak_mb'],
                'no' if box['oom_kills'] == 0 else box['oom_kills'],
                '' if box['oom_kills'] == 1 else 's',
                'fits' if fits else 'does not fit', limit['minutes']))
    return '\n'.join([BEGIN, ''] + report.table(
        ['grading', 'wall', 'CPU', 'peak resident memory (all processes)',
         'score / throughput'], rows) + [
        '', container, '',
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
        runs.append(in_container([tasks.GRADER_ENGINE]))
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
