"""Every output format of cliff on a real answer (subcloud groups of the noauth site): ``-f
table|json|yaml|value|csv`` for a list, ``table|json|yaml|value|shell`` for a show, ``-c``,
``--noindent``, ``--max-width`` and ``--quote``; each one carries the server's values under the
contract's column names."""

import json

import pytest

from tests.integration.cli import columns, harness

NAME = 'fmt-group'
# spaces, a double quote, and long enough to be wrapped by --max-width
DESCRIPTION = 'Edge sites of the "north" region, ' + ' '.join(['row after row of racks'] * 3)


@pytest.fixture(scope='module')
def group(noauth_site):
    noauth_site.cli('subcloud-group', 'add', '--name', NAME, '--description', DESCRIPTION,
                    '--max_parallel_subclouds', '3').ok()
    return noauth_site.get('subcloud-groups/%s' % NAME)


@pytest.fixture(scope='module')
def cli(noauth_site):
    return noauth_site.cli


def _listed(noauth_site):
    return [columns.shown(columns.SUBCLOUD_GROUP_LIST, g)
            for g in noauth_site.get('subcloud-groups')['subcloud_groups']]


def test_list_table(cli, group, noauth_site):
    header, rows = harness.table(cli('subcloud-group', 'list').ok().out)
    assert header == list(columns.SUBCLOUD_GROUP_LIST)
    assert rows == [[str(v) for v in row.values()] for row in _listed(noauth_site)]


def test_list_json_and_yaml(cli, group, noauth_site):
    expected = _listed(noauth_site)
    got = cli('subcloud-group', 'list', '-f', 'json').json()
    assert got == expected and [list(r) for r in got] == [list(r) for r in expected]
    assert harness.yaml_doc(cli('subcloud-group', 'list', '-f', 'yaml').ok().out) == expected


def test_list_value_and_columns(cli, group):
    got = cli('subcloud-group', 'list', '-f', 'value', '-c', 'id', '-c', 'name').ok()
    assert '%d %s' % (group['id'], NAME) in harness.value_lines(got.out)


def test_list_csv_and_quote(cli, group, noauth_site):
    got = cli('subcloud-group', 'list', '-f', 'csv').ok()
    header, rows = harness.csv_rows(got.out)
    assert header == list(columns.SUBCLOUD_GROUP_LIST)
    assert rows == [[str(v) for v in row.values()] for row in _listed(noauth_site)]
    quoted = cli('subcloud-group', 'list', '-f', 'csv', '--quote', 'all', '-c', 'id').ok()
    assert quoted.out.splitlines()[:2] == ['"id"', '"1"'], quoted.out
    bare = cli('subcloud-group', 'list', '-f', 'csv', '--quote', 'none', '-c', 'id').ok()
    assert bare.out.splitlines()[:2] == ['id', '1'], bare.out


def test_show_table_json_yaml(cli, group):
    expected = columns.shown(columns.SUBCLOUD_GROUP_SHOW, group)
    table = harness.show_table(cli('subcloud-group', 'show', NAME).ok().out)
    assert list(table) == list(expected)
    assert table == {k: str(v) for k, v in expected.items()}
    got = cli('subcloud-group', 'show', NAME, '-f', 'json').json()
    assert got == expected and list(got) == list(expected)
    assert harness.yaml_doc(cli('subcloud-group', 'show', NAME, '-f', 'yaml').ok().out) == \
        expected


def test_show_value_and_shell(cli, group):
    expected = columns.shown(columns.SUBCLOUD_GROUP_SHOW, group)
    got = cli('subcloud-group', 'show', NAME, '-f', 'value').ok()
    assert harness.value_lines(got.out) == [str(v) for v in expected.values()]
    shell = harness.shell_vars(cli('subcloud-group', 'show', NAME, '-f', 'shell').ok().out)
    assert shell == {k.replace(' ', '_'): str(v) for k, v in expected.items()}
    assert shell['description'] == DESCRIPTION
    prefixed = cli('subcloud-group', 'show', NAME, '-f', 'shell', '--prefix', 'g_', '-c',
                   'name').ok()
    assert prefixed.out == 'g_name="%s"\n' % NAME


def test_columns_choose_and_order(cli, group):
    got = cli('subcloud-group', 'show', NAME, '-f', 'json', '-c', 'max parallel subclouds',
              '-c', 'name').json()
    assert got == {'name': NAME, 'max parallel subclouds': group['max_parallel_subclouds']}


def test_noindent(cli, group):
    indented = cli('subcloud-group', 'show', NAME, '-f', 'json').ok().out
    flat = cli('subcloud-group', 'show', NAME, '-f', 'json', '--noindent').ok().out
    assert len(indented.strip().splitlines()) > 1
    assert len(flat.strip().splitlines()) == 1
    assert json.loads(flat) == json.loads(indented)


def test_max_width_wraps_the_table(cli, group):
    wide = cli('subcloud-group', 'list').ok().out
    assert max(len(line) for line in wide.splitlines()) > 60
    narrow = cli('subcloud-group', 'list', '--max-width', '60').ok().out
    assert max(len(line) for line in narrow.splitlines()) <= 60, narrow
    rows = harness.table_dicts(narrow)
    row, = [r for r in rows if r['name'] == NAME]
    # the wrapped description is the same words
    assert row['description'].split() == DESCRIPTION.split()
