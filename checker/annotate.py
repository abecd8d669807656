"""The self-check's result as GitHub shows it (the Action, action.yml): a
Markdown table in the job's summary, and each failure on the grader's
engine as an annotation on its line of the learner's file.

    python -m checker.annotate RESULT.json FOLDER [--outputs FILE]

RESULT.json is what `python -m checker FOLDER --json RESULT.json` wrote.
The summary goes to the file $GITHUB_STEP_SUMMARY names (standard output
where it is unset); the annotations (`::error file=...,line=...::...`) to
standard output, where the runner reads them. The exit status is 1 where
a counted check failed, as the checker's own.
"""
import argparse
import json
import os
import re
import sys

# where a message names a line of the learner's file: 'line 12', '(line
# 12)', 'line 12:80', '0-vanilla.py:12'
LINE = re.compile(r'\bline (\d+)|\.py:(\d+)')
# the most annotations GitHub shows for one step
MOST = 10


def escaped(text, property_value=False):
    """Returns text as a workflow command carries it (GitHub's escapes:
    %, CR and LF, and in a property also : and ,)."""
    text = text.replace('%', '%25').replace('\r', '%0D').replace('\n', '%0A')
    if property_value:
        text = text.replace(':', '%3A').replace(',', '%2C')
    return text


def rows(result):
    """Returns the result's checks as (task, engine, check, verdict,
    counted, message) in order."""
    found = []
    for test in result.get('tests', []):
        extra = test.get('extra_data') or {}
        found.append((extra.get('task', ''), extra.get('engine', ''),
                      extra.get('check', test.get('name', '')),
                      extra.get('verdict', test.get('status', '')),
                      bool(extra.get('counted')),
                      test.get('output', '')))
    return found


def annotations(result, folder):
    """Returns the workflow commands that mark each counted failure on
    its task file's line (the file's first line where the message names
    none), at most MOST."""
    commands = []
    for task, engine, check, verdict, counted, message in rows(result):
        if verdict != 'fail' or not counted or task == 'folder':
            continue
        first = message.split('\n')[0]
        match = LINE.search(first)
        line = int(next(g for g in match.groups() if g)) if match else 1
        path = os.path.normpath(os.path.join(folder, task + '.py'))
        title = escaped(check + (' [{}]'.format(engine) if engine else ''),
                        True)
        where = 'file={},line={},'.format(escaped(path, True), line) \
            if os.path.isfile(path) else ''
        command = '::error ' + where + 'title=' + title + '::'
        commands.append(command + escaped(first))
    return commands[:MOST]


def summary(result, folder):
    """Returns the Markdown summary: the score, then a row per task of the
    counted checks that failed, each with its message."""
    score = '**{} / {}**'.format(result.get('score', 0),
                                 result.get('max_score', 0))
    lines = ['## Autoencoders self-check: ' + folder, '', score +
             ' checks pass on the grader\'s engine (TensorFlow 2.15 / '
             'Keras 2).', '']
    failed = [row for row in rows(result) if row[3] == 'fail' and row[4]]
    if not failed:
        lines.append('Every counted check passes.')
        return '\n'.join(lines) + '\n'
    lines += ['| task | check | what is wrong |', '|---|---|---|']
    for task, engine, check, _, _, message in failed:
        first = message.split('\n')[0].replace('|', '\\|')
        lines.append('| {} | {}{} | {} |'.format(
            task, check, ' [{}]'.format(engine) if engine else '', first))
    return '\n'.join(lines) + '\n'


def main(argv=None):
    """Writes the summary (and with --outputs, the score as the step's
    outputs) and prints the annotations; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog='python -m checker.annotate', description='The self-check\'s '
        'result as GitHub shows it: the job summary and annotations.')
    parser.add_argument('result', help='the JSON python -m checker wrote')
    parser.add_argument('folder', help='the task files\' folder, relative '
                        'to the repository')
    parser.add_argument('--outputs', help='a file to add score=N and '
                        'max-score=N to ($GITHUB_OUTPUT)')
    arguments = parser.parse_args(argv)
    with open(arguments.result, encoding='utf-8') as f:
        result = json.load(f)
    text = summary(result, arguments.folder)
    target = os.environ.get('GITHUB_STEP_SUMMARY')
    if target:
        with open(target, 'a', encoding='utf-8') as f:
            f.write(text)
    else:
        print(text)
    if arguments.outputs:
        with open(arguments.outputs, 'a', encoding='utf-8') as f:
            f.write('score={}\nmax-score={}\n'.format(
                result.get('score', 0), result.get('max_score', 0)))
    for command in annotations(result, arguments.folder):
        print(command)
    return 1 if any(row[3] == 'fail' and row[4]
                    for row in rows(result)) else 0


if __name__ == '__main__':
    sys.exit(main())
