"""The pages (README.md, docs/*.md, tests/README.md) hold together: every
relative link, anchor and image resolves, and every `make` target and
command-line flag they name exists."""
import glob
import json
import os
import re
import subprocess

import pytest

from conftest import ROOT

PAGES = [os.path.join(ROOT, 'README.md'), os.path.join(ROOT, 'tests',
                                                       'README.md')] + \
    sorted(glob.glob(os.path.join(ROOT, 'docs', '*.md')))
LINK = re.compile(r'\]\(([^)\s]+)\)')
MAKE = re.compile(r'(?:`|^|\n)make ([a-z][a-z0-9-]*)')
FLAG = re.compile(r'(?<![\w-])(--[a-z][a-z0-9_-]*)')
# flags that the pages name only as part of a committed record's command,
# made by an earlier version, and say so beside it
RECORDED = {'--deep-epochs': 'results/compression.json, made before '
            'compression.py left the deep model to dimensionality.py'}


def read(path):
    """Returns the text of a file."""
    with open(path, encoding='utf-8') as f:
        return f.read()


def anchors(path):
    """Returns the anchors GitHub makes of a page's headings."""
    found = set()
    for line in read(path).splitlines():
        if line.startswith('#'):
            title = line.lstrip('#').strip().lower()
            found.add(re.sub(r'[^\w\- ]', '', title).replace(' ', '-'))
    return found


def test_anchors_are_made_as_github_makes_them(tmp_path):
    page = tmp_path / 'page.md'
    page.write_text('# A title\n## Hinton & Salakhutdinov (2006), '
                    'reproduced\n### `make check`\n')
    assert anchors(str(page)) == {'a-title',
                                  'hinton--salakhutdinov-2006-reproduced',
                                  'make-check'}


@pytest.mark.parametrize('page', PAGES, ids=lambda p: os.path.relpath(
    p, ROOT))
def test_every_relative_link_anchor_and_image_resolves(page):
    broken = []
    for target in LINK.findall(read(page)):
        if re.match(r'[a-z]+:', target):
            continue
        path, _, anchor = target.partition('#')
        resolved = os.path.normpath(os.path.join(os.path.dirname(page),
                                                 path)) if path else page
        if not os.path.exists(resolved):
            broken.append(target + ' (no such file)')
        elif anchor and resolved.endswith('.md') and \
                anchor not in anchors(resolved):
            broken.append(target + ' (no such heading)')
    assert broken == []


def makefile_targets():
    """Returns the targets the Makefile defines."""
    return set(re.findall(r'^([a-z][a-z0-9-]*):', read(
        os.path.join(ROOT, 'Makefile')), re.M))


@pytest.mark.parametrize('page', PAGES, ids=lambda p: os.path.relpath(
    p, ROOT))
def test_every_make_target_named_exists(page):
    named = set(MAKE.findall(read(page)))
    assert named, 'a page that names no make target: the pattern is wrong'
    assert named - makefile_targets() == set()


def project_sources():
    """Returns the text of every tracked Python file and the Makefile."""
    names = subprocess.run(['git', 'ls-files', '*.py', 'Makefile'],
                           cwd=ROOT, capture_output=True, text=True,
                           check=True).stdout.split()
    return '\n'.join(read(os.path.join(ROOT, name)) for name in names)


def test_every_flag_named_is_one_the_project_defines_or_passes():
    sources = project_sources()
    named = set()
    for page in PAGES:
        named |= set(FLAG.findall(read(page)))
    assert '--epochs' in named
    missing = sorted(flag for flag in named
                     if "'{}'".format(flag) not in sources
                     and flag + '=' not in sources
                     and flag + ' ' not in sources
                     and flag not in RECORDED)
    assert missing == []


def recorded_commands():
    """Returns {record: its command} for every committed record that says
    which command made it."""
    found = {}
    for path in sorted(glob.glob(os.path.join(ROOT, 'results', '*.json'))):
        with open(path) as f:
            command = json.load(f).get('command')
        if command:
            found[os.path.relpath(path, ROOT)] = command
    return found


def test_every_recorded_command_runs_with_the_flags_it_names():
    # each record's command is a script of the project and flags that
    # script (or the parser every application shares) still defines
    commands = recorded_commands()
    assert 'results/learn.json' in commands
    shared = read(os.path.join(ROOT, 'aelib', 'report.py'))
    wrong = []
    for record, command in commands.items():
        words = command.split()
        if words[0] == 'python' and words[1] == '-m':
            script = os.path.join(*words[2].split('.')) + '.py'
        else:
            script = words[0]
        source = read(os.path.join(ROOT, script))
        for flag in FLAG.findall(command):
            if "'{}'".format(flag) not in source + shared:
                wrong.append('{}: {} {}'.format(record, script, flag))
    assert wrong == []


def test_make_applications_reruns_each_application_as_its_record_ran():
    # the flags of each record's command (but where its page goes) are the
    # ones make applications passes to that application
    makefile = read(os.path.join(ROOT, 'Makefile'))
    passed = dict(re.findall(r'^APP_FLAGS_(\w+) \?= (.*)$', makefile,
                             re.M))
    default = re.search(r'^APPS \?= (.*)$', makefile, re.M).group(1).split()
    commands = recorded_commands()
    for app in default:
        command = commands['results/{}.json'.format(app)].split()
        assert command[0] == 'applications/{}.py'.format(app)
        flags = ' '.join(word for word in command[1:]
                         if word not in ('--readme', '--fresh'))
        assert flags == passed.get(app, ''), app


def test_make_help_lists_every_target():
    makefile = read(os.path.join(ROOT, 'Makefile'))
    targets = re.search(r'^\.PHONY: (.*)$', makefile, re.M).group(1).split()
    helped = set(re.findall(r'@echo "make ([a-z0-9-]+)', makefile))
    assert sorted(set(targets) - helped - {'help'}) == []
