"""``dcmanager subcloud-group ...`` on the noauth site: add (the reference's defaults and its
underscore options), list, show by name and id, update, delete with and without confirmation,
list-subclouds of an empty group, and the server's messages for an unknown or a duplicate
group."""

import pytest

from tests.integration.cli import columns, harness

CONFIRM = 'Type "yes" to continue: '
CANCELLED = 'ERROR (app) Cancelled: nothing was changed'


@pytest.fixture(scope='module')
def cli(noauth_site):
    return noauth_site.cli


def test_add_with_the_defaults(cli, noauth_site):
    got = cli('subcloud-group', 'add', '--name', 'grp-defaults', '-f', 'json').json()
    body = noauth_site.get('subcloud-groups/grp-defaults')
    assert got == columns.shown(columns.SUBCLOUD_GROUP_SHOW, body)
    assert (body['description'], body['update_apply_type'], body['max_parallel_subclouds']) \
        == ('No description provided', 'parallel', 2)


def test_add_update_show_delete(cli, noauth_site):
    added = cli('subcloud-group', 'add', '--name', 'grp-a', '--description', 'first',
                '--update_apply_type', 'serial', '--max_parallel_subclouds', '5').ok()
    assert harness.show_table(added.out)['update apply type'] == 'serial'
    body = noauth_site.get('subcloud-groups/grp-a')
    assert body['max_parallel_subclouds'] == 5
    by_id = cli('subcloud-group', 'show', str(body['id']), '-f', 'json').json()
    assert by_id == columns.shown(columns.SUBCLOUD_GROUP_SHOW, body)
    updated = cli('subcloud-group', 'update', 'grp-a', '--name', 'grp-b', '--description',
                  'second', '--max_parallel_subclouds', '7', '-f', 'json').json()
    body = noauth_site.get('subcloud-groups/grp-b')
    assert (body['name'], body['description'], body['max_parallel_subclouds'],
            body['update_apply_type']) == ('grp-b', 'second', 7, 'serial')
    assert updated == columns.shown(columns.SUBCLOUD_GROUP_SHOW, body)
    empty = cli('subcloud-group', 'list-subclouds', 'grp-b').ok()
    header, rows = harness.table(empty.out)
    assert header == list(columns.SUBCLOUD_DETAIL21)
    assert rows == [['<none>'] * 21]
    deleted = cli('subcloud-group', 'delete', 'grp-b')
    assert (deleted.code, deleted.out, deleted.err) == (0, '', ''), deleted
    noauth_site.api('GET', 'subcloud-groups/grp-b', expect=404)


@pytest.mark.parametrize('answer', ['', 'no\n', 'nope\n', '\n'])
def test_delete_is_cancelled_unless_yes(cli, noauth_site, answer):
    cli('subcloud-group', 'add', '--name', 'grp-keep').ok()
    try:
        asked = cli('subcloud-group', 'delete', 'grp-keep', stdin=answer,
                    env={'CLI_CONFIRMATIONS': 'enabled'})
        assert asked.code == 1 and asked.out == '', asked
        assert 'grp-keep' in asked.err.split(CONFIRM)[0], asked
        assert asked.err.split(CONFIRM)[0].startswith('Delete subcloud'), asked
        assert 'This cannot be undone.' in asked.err, asked
        assert asked.err.rstrip('\n').endswith(CANCELLED), asked
        assert asked.err.count('ERROR') == 1
        noauth_site.get('subcloud-groups/grp-keep')
    finally:
        cli('subcloud-group', 'delete', 'grp-keep', '--yes').ok()


@pytest.mark.parametrize('answer', ['yes\n', 'y\n', 'YES\n', 'Y\n'])
def test_delete_proceeds_on_yes(cli, noauth_site, answer):
    cli('subcloud-group', 'add', '--name', 'grp-go').ok()
    got = cli('subcloud-group', 'delete', 'grp-go', stdin=answer,
              env={'CLI_CONFIRMATIONS': 'enabled'})
    assert got.code == 0 and got.out == '' and CONFIRM in got.err, got
    assert 'ERROR' not in got.err
    noauth_site.api('GET', 'subcloud-groups/grp-go', expect=404)


def test_without_confirmations_enabled_delete_does_not_ask(cli, noauth_site):
    cli('subcloud-group', 'add', '--name', 'grp-quiet').ok()
    got = cli('subcloud-group', 'delete', 'grp-quiet', stdin='')
    assert (got.code, got.out, got.err) == (0, '', ''), got
    noauth_site.api('GET', 'subcloud-groups/grp-quiet', expect=404)


@pytest.mark.parametrize('argv', [
    ['subcloud-group', 'show', 'no-such-group'],
    ['subcloud-group', 'update', 'no-such-group', '--description', 'x'],
    ['subcloud-group', 'delete', 'no-such-group', '--yes'],
    ['subcloud-group', 'list-subclouds', 'no-such-group'],
])
def test_an_unknown_group_prints_the_servers_message(cli, noauth_site, argv):
    missing = noauth_site.api('GET', 'subcloud-groups/no-such-group',
                              expect=404).json()['description']
    assert cli(*argv).error() == missing


def test_a_duplicate_name_prints_the_servers_message(cli, noauth_site):
    body = {'name': 'Default', 'description': 'No description provided',
            'update_apply_type': 'parallel', 'max_parallel_subclouds': 2}
    refused = noauth_site.api('POST', 'subcloud-groups', expect=None, json=body)
    assert 400 <= refused.status_code < 500
    assert cli('subcloud-group', 'add', '--name', 'Default').error() == \
        refused.json()['description']
