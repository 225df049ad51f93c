"""The harness itself: its parsers read what cliff prints, and its secret check fails a run that
prints a secret (or its base64 form) - so the "no password in any output" of every other test
can fail."""

import base64

import pytest

from tests.integration.cli import harness
from tests.services import free_port

TABLE = """+----+---------+-------------+
| id | name    | description |
+----+---------+-------------+
| 1  | Default | a long      |
|    |         | description |
| 2  | edge    |             |
+----+---------+-------------+
"""


def test_table_joins_wrapped_cells():
    assert harness.table_dicts(TABLE) == [
        {'id': '1', 'name': 'Default', 'description': 'a long\ndescription'},
        {'id': '2', 'name': 'edge', 'description': ''}]


def test_show_table_and_shell():
    show = '+-------+-------+\n| Field | Value |\n+-------+-------+\n| id    | 7     |\n' \
           '| name  | g "1" |\n+-------+-------+\n'
    assert harness.show_table(show) == {'id': '7', 'name': 'g "1"'}
    assert harness.shell_vars('id="7"\nname="g \\"1\\""\n') == {'id': '7', 'name': 'g "1"'}


def test_a_row_of_the_wrong_width_is_not_a_table():
    with pytest.raises(AssertionError):
        harness.table(TABLE.replace('| 2  | edge    |             |', '| 2  | edge    |'))


def test_a_printed_secret_fails_the_run(tmp_path):
    # The URL is in the "Unable to reach" line: call it a secret, and the run must fail.
    url = 'http://127.0.0.1:%d' % free_port()
    cli = harness.Cli(tmp_path, secrets=[url])
    with pytest.raises(AssertionError, match='a secret was printed'):
        cli('--dcmanager-url', url, 'subcloud', 'list')


def test_a_printed_secret_in_base64_fails_the_run(tmp_path):
    secret = 'Hidden-Pa55'
    url = 'http://127.0.0.1:%d/%s' % (free_port(), base64.b64encode(secret.encode()).decode())
    cli = harness.Cli(tmp_path, secrets=[secret])
    with pytest.raises(AssertionError, match='a secret was printed'):
        cli('--dcmanager-url', url, 'subcloud', 'list')
