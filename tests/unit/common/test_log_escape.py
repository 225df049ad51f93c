"""dcmanager.common.log_escape: a client-provided value can never write a log line of its own.

The end-to-end checks run the real logging set-up of every service (``dcmanager.cmd.common.prepare``
with oslo.log writing a real file) in a child process and read what it wrote.
"""

import json
import logging
import re
import subprocess
import sys

import pytest

from dcmanager.common import log_escape

FORGED = '2026-12-03 08:00:00.000 1 INFO dcmanager.api forged line'
# Every line oslo.log writes starts with its timestamp and pid.
_LINE = re.compile(r'^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} \d+ ')

_CHILD = '''
import json
import sys
from oslo_log import log as logging
from dcmanager.cmd import common
common.prepare(sys.argv[1:])
value = json.loads(sys.stdin.read())  # JSON: a lone surrogate can be passed
log = logging.getLogger('dcmanager.manager.subcloud_groups')
log.info('Created subcloud group %(id)s (%(name)s)', {'id': 2, 'name': value})
log.warning('Request %s failed: %r', 'req-1', value)
log.error(value)
log.info('%d groups, %.1f%% of %x', 3, 12.5, 255)
'''


def _log_of(tmp_path, value):
    log_file = tmp_path / 'dcmanager.log'
    subprocess.run([sys.executable, '-c', _CHILD, '--log-file', str(log_file),
                    '--config-dir', str(tmp_path)],
                   input=json.dumps(value), text=True, check=True, timeout=60, cwd=tmp_path,
                   env={'PATH': '/usr/bin:/bin', 'HOME': str(tmp_path),
                        'XDG_DATA_HOME': str(tmp_path)})
    return log_file.read_text(encoding='utf-8')


@pytest.mark.parametrize('separator', ['\n', '\r\n', '\r', '\u2028', '\x85', '\x0b'])
def test_a_value_with_a_line_break_cannot_forge_a_line(tmp_path, separator):
    text = _log_of(tmp_path, 'edge' + separator + FORGED)
    lines = text.splitlines()
    assert len(lines) == 4, text
    assert all(_LINE.match(line) for line in lines), text
    assert not any(line.startswith(FORGED) for line in lines)
    assert 'Created subcloud group 2 (edge%s%s)' % (log_escape.escape(separator), FORGED) \
        in lines[0]
    assert lines[3].endswith('3 groups, 12.5% of ff')


def test_bidirectional_and_control_characters_are_escaped(tmp_path):
    text = _log_of(tmp_path, 'ed\u202ege\x00\x1b[31m\ud800')
    assert 'Created subcloud group 2 (ed\\u202ege\\x00\\x1b[31m\\ud800)' in text
    assert '\u202e' not in text and '\x1b' not in text


@pytest.mark.parametrize('text, escaped', [
    ('edge', 'edge'), ('Été 東京 edge site', 'Été 東京 edge site'), ('a\nb', 'a\\x0ab'),
    ('a\tb', 'a\\x09b'), ('\u202e', '\\u202e'), ('\u00a0', '\\xa0'), ('\U000e0001', '\\U000e0001'),
])
def test_escape(text, escaped):
    assert log_escape.escape(text) == escaped


def test_records_keep_numbers_and_escape_everything_else():
    record = logging.LogRecord('x', logging.INFO, __file__, 1, '%s %r %d %s %(x)s', None, None)
    record.args = ('a\nb', 'c\nd', 7, ValueError('e\nf'))
    log_escape.escape_record(record)
    assert record.args[2] == 7
    assert [str(a) for a in record.args[:1] + record.args[3:]] == ['a\\x0ab', 'e\\x0af']
    assert repr(record.args[1]) == repr('c\nd')
    mapping = logging.LogRecord('x', logging.INFO, __file__, 1, '%(n)s %(i)d',
                                ({'n': 'a\nb', 'i': 1},), None)
    log_escape.escape_record(mapping)
    assert mapping.getMessage() == 'a\\x0ab 1'
