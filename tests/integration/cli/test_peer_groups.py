"""``dcmanager subcloud-peer-group ...`` and ``system-peer ...`` on the noauth site (one site:
no association syncs here, the geo tests do that): add, list, show, update, delete, status,
list-subclouds, list-subcloud-peer-groups in the contract's columns; migrate's confirmation
prompt, and its server message on a primary site; a system peer's password is required without
a terminal and never printed; an empty association list is one row of ``<none>``."""

import uuid

import pytest

from tests.integration.cli import columns, harness
from tests.integration.cli.conftest import consistent
from tests.services import free_port

CONFIRM = 'Type "yes" to continue: '
CANCELLED = 'ERROR (app) Cancelled: nothing was changed'
PEER_PASSWORD = 'Peer-Pa55-Okapi'


@pytest.fixture(scope='module')
def cli(noauth_site):
    return noauth_site.cli.derive(secrets=[PEER_PASSWORD])


@pytest.fixture(scope='module')
def peer_group(cli, noauth_site):
    cli('subcloud-peer-group', 'add', '--peer-group-name', 'cli-pg',
        '--max-subcloud-rehoming', '4').ok()
    return noauth_site.get('subcloud-peer-groups/cli-pg')


def _peer_args(name, peer_uuid):
    return ['--peer-uuid', peer_uuid, '--peer-name', name, '--manager-endpoint',
            'http://127.0.0.1:%d/v3' % free_port(), '--peer-controller-gateway-address',
            '127.0.2.9']


@pytest.fixture(scope='module')
def system_peer(cli, noauth_site):
    peer_uuid = str(uuid.uuid4())
    cli('system-peer', 'add', *_peer_args('cli-peer', peer_uuid), '--manager-username',
        'dc-peer', '--manager-password', PEER_PASSWORD, '--heartbeat-interval', '30').ok()
    return noauth_site.get('system-peers/%s' % peer_uuid)


def test_peer_group_add_list_show(cli, noauth_site, peer_group):
    assert (peer_group['max_subcloud_rehoming'], peer_group['group_state']) == (4, 'enabled')
    shown = cli('subcloud-peer-group', 'show', 'cli-pg', '-f', 'json').json()
    assert shown == columns.shown(columns.PEER_GROUP, peer_group)
    assert list(shown) == list(columns.PEER_GROUP)
    listed = cli('subcloud-peer-group', 'list').ok()
    header, _ = harness.table(listed.out)
    assert header == list(columns.PEER_GROUP)
    assert {k: str(v) for k, v in shown.items()} in harness.table_dicts(listed.out)


def test_peer_group_update(cli, noauth_site, peer_group):
    got = cli('subcloud-peer-group', 'update', 'cli-pg', '--group-state', 'disabled',
              '--max-subcloud-rehoming', '6', '-f', 'json').json()
    body = noauth_site.get('subcloud-peer-groups/cli-pg')
    assert (body['group_state'], body['max_subcloud_rehoming']) == ('disabled', 6)
    assert got == columns.shown(columns.PEER_GROUP, body)


def test_peer_group_status_and_list_subclouds(cli, noauth_site, peer_group):
    status = noauth_site.get('subcloud-peer-groups/cli-pg/status')
    got = cli('subcloud-peer-group', 'status', 'cli-pg', '-f', 'json').json()
    assert got == columns.shown(columns.PEER_GROUP_STATUS, status)
    assert list(got) == list(columns.PEER_GROUP_STATUS)
    header, rows = harness.table(cli('subcloud-peer-group', 'list-subclouds', 'cli-pg').ok().out)
    assert header == list(columns.SUBCLOUD_DETAIL21) and rows == [['<none>'] * 21]


def test_migrate_asks_and_is_cancelled(cli, noauth_site, peer_group):
    before = noauth_site.get('subcloud-peer-groups/cli-pg')
    asked = cli('subcloud-peer-group', 'migrate', 'cli-pg', '--sysadmin-password', 'x',
                stdin='no\n', env={'CLI_CONFIRMATIONS': 'enabled'})
    assert asked.code == 1 and asked.out == '', asked
    assert asked.err.startswith('Migrate subcloud peer group cli-pg to this site? %s'
                                % CONFIRM), asked
    assert 'cannot be undone' not in asked.err
    assert asked.err.rstrip('\n').endswith(CANCELLED), asked
    assert noauth_site.get('subcloud-peer-groups/cli-pg') == before


def test_migrate_on_the_primary_site_prints_the_servers_refusal(cli, noauth_site, peer_group):
    body = {'sysadmin_password': 'eA=='}
    refused = noauth_site.api('PATCH', 'subcloud-peer-groups/cli-pg/migrate', json=body,
                              expect=400).json()['description']
    assert 'Nothing to migrate' in refused
    assert cli('subcloud-peer-group', 'migrate', 'cli-pg', '--sysadmin-password', 'x',
               '--yes').error() == refused


def test_system_peer_add_list_show(cli, noauth_site, system_peer):
    assert system_peer['heartbeat-interval'] == 30
    assert system_peer['manager-username'] == 'dc-peer'
    # the heartbeat moves the availability: read while it does not
    body, shown = consistent(
        lambda: noauth_site.get('system-peers/%s' % system_peer['peer-uuid']),
        lambda: cli('system-peer', 'show', system_peer['peer-uuid'], '-f', 'json').json())
    expected = columns.shown(columns.SYSTEM_PEER_SHOW, body)
    assert list(shown) == list(expected) and shown == expected
    by_id = cli('system-peer', 'show', str(system_peer['id']), '-f', 'json').json()
    assert by_id['peer name'] == 'cli-peer'
    listed = cli('system-peer', 'list').ok()
    header, _ = harness.table(listed.out)
    assert header == list(columns.SYSTEM_PEER_LIST)
    assert {k: str(v) for k, v in columns.shown(columns.SYSTEM_PEER_LIST, system_peer).items()} \
        in harness.table_dicts(listed.out)


def test_system_peer_update(cli, noauth_site, system_peer):
    ref = system_peer['peer-uuid']
    got = cli('system-peer', 'update', ref, '--heartbeat-failure-threshold', '5',
              '--heartbeat-failure-policy', 'alarm', '--administrative-state', 'disabled',
              '-f', 'json').json()
    body = noauth_site.get('system-peers/%s' % ref)
    assert (body['heartbeat-failure-threshold'], body['heartbeat-failure-policy'],
            body['administrative-state']) == (5, 'alarm', 'disabled')
    assert got['heartbeat failure threshold'] == 5
    # a new password: sent, and never printed
    again = cli('system-peer', 'update', ref, '--manager-password', PEER_PASSWORD + '-2')
    assert again.code == 0, again
    assert PEER_PASSWORD not in again.out


def test_system_peer_list_subcloud_peer_groups(cli, noauth_site, system_peer):
    got = cli('system-peer', 'list-subcloud-peer-groups', system_peer['peer-uuid']).ok()
    header, rows = harness.table(got.out)
    assert header == list(columns.PEER_GROUP_OF_PEER)
    expected = noauth_site.get('system-peers/%s/subcloud-peer-groups'
                               % system_peer['peer-uuid'])['subcloud_peer_groups']
    if expected:
        assert rows == [[str(g[k]) for k in columns.PEER_GROUP_OF_PEER.values()]
                        for g in expected]
    else:
        assert rows == [['<none>'] * len(header)]


def test_system_peer_add_without_a_terminal_needs_the_password(cli, noauth_site):
    def names():
        return [p['peer-name'] for p in noauth_site.get('system-peers')['system_peers']]

    before = names()
    got = cli('system-peer', 'add', *_peer_args('cli-peer-2', str(uuid.uuid4())),
              stdin=PEER_PASSWORD + '\n')
    assert got.error() == '--manager-password is required'
    assert names() == before and 'cli-peer-2' not in before


def test_no_association_is_one_row_of_none(cli):
    got = cli('peer-group-association', 'list').ok()
    header, rows = harness.table(got.out)
    assert header == list(columns.ASSOCIATION_LIST)
    assert rows == [['<none>'] * 6]


@pytest.mark.parametrize('argv, path', [
    (['subcloud-peer-group', 'show', 'no-such-pg'], 'subcloud-peer-groups/no-such-pg'),
    (['subcloud-peer-group', 'status', 'no-such-pg'], 'subcloud-peer-groups/no-such-pg'),
    (['subcloud-peer-group', 'delete', 'no-such-pg', '--yes'],
     'subcloud-peer-groups/no-such-pg'),
    (['system-peer', 'show', 'no-such-peer'], 'system-peers/no-such-peer'),
    (['system-peer', 'delete', 'no-such-peer', '--yes'], 'system-peers/no-such-peer'),
    (['peer-group-association', 'show', '999'], 'peer-group-associations/999'),
    (['peer-group-association', 'sync', '999'], 'peer-group-associations/999'),
    (['peer-group-association', 'delete', '999', '--yes'], 'peer-group-associations/999'),
])
def test_unknown_refs_print_the_servers_message(cli, noauth_site, argv, path):
    missing = noauth_site.api('GET', path, expect=404).json()['description']
    assert cli(*argv).error() == missing


def test_delete_the_peer_group_and_the_system_peer(cli, noauth_site, peer_group, system_peer):
    for argv, path in ((['subcloud-peer-group', 'delete', 'cli-pg'],
                        'subcloud-peer-groups/cli-pg'),
                       (['system-peer', 'delete', system_peer['peer-uuid']],
                        'system-peers/%s' % system_peer['peer-uuid'])):
        asked = cli(*argv, stdin='', env={'CLI_CONFIRMATIONS': 'enabled'})
        assert asked.code == 1 and asked.err.rstrip('\n').endswith(CANCELLED), asked
        noauth_site.get(path)
        done = cli(*argv, '--yes', env={'CLI_CONFIRMATIONS': 'enabled'})
        assert (done.code, done.out, done.err) == (0, '', ''), done
        noauth_site.api('GET', path, expect=404)
