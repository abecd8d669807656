"""tools/test_times.py: the TEST_TIMES records summed per file, fixture and
test, against sums by hand."""
import json

from tools import test_times


def test_records_are_summed_per_file_fixture_and_test(tmp_path):
    records = [
        {'test': 'tests/a.py::one', 'phase': 'setup', 'cpu': 1.0,
         'wall': 2.0},
        {'test': 'tests/a.py::one', 'phase': 'call', 'cpu': 3.0,
         'wall': 3.5},
        {'test': 'tests/b.py::two', 'phase': 'call', 'cpu': 0.5,
         'wall': 0.5},
        {'fixture': 'run', 'scope': 'module', 'test': 'tests/a.py::one',
         'cpu': 0.9, 'wall': 1.9},
    ]
    path = tmp_path / 'times.jsonl'
    path.write_text(''.join(json.dumps(r) + '\n' for r in records))
    phases = [r for r in records if 'phase' in r]
    assert test_times.sums(phases, lambda r: r['test'].split('::')[0]) == \
        [('tests/a.py', 4.0, 5.5), ('tests/b.py', 0.5, 0.5)]
    text = test_times.summary(str(path))
    assert text.startswith('## {}: 2 tests, 4 CPU s, 6 wall s'.format(path))
    assert '| `run (module)` | 0.9 | 1.9 |' in text
    assert '| `tests/a.py::one` | 4.0 | 5.5 |' in text
