"""The geo-redundancy commands between two real sites behind their own Keystones, driven by the
CLI alone (Keystone password mode, ``--os-interface public``): system peers both ways, simulated
subclouds added and managed on A and put in two peer groups, each associated with B and synced
(``peer-group-association sync --wait``); B lists the secondary copies only with ``--all``; B
migrates ``pg-ok`` with ``--wait`` (every member complete: exit 0) and ``pg-bad``, one of whose
members has a wrong bootstrap address (its FAILED line, exit 1); progress lines on stderr without
control characters, results on stdout.

The tests of this module run in order on the same two sites.
"""

import re

import pytest
import yaml

from tests import subcloud_forms as forms
from tests.integration import two_sites
from tests.integration.cli import columns, harness
from tests.integration.cli.conftest import consistent, wait_for

pytestmark = pytest.mark.keystone

WRONG_ADDRESS = '127.0.1.250'  # nothing listens there: a rehome to it fails
GROUPS = {'pg-ok': ['geo-sc1', 'geo-sc2'], 'pg-bad': ['geo-sc3', 'geo-sc4']}
BAD = 'geo-sc4'
MIGRATE = re.compile(r'^migrate (?P<group>[\w-]+): (?P<c>\d+)/(?P<n>\d+) complete, '
                     r'(?P<f>\d+) failed, (?P<r>\d+) remaining, \d+(\.\d+)? s elapsed$')
SYNC = re.compile(r'^sync association (?P<id>\d+): (?P<status>[\w-]+), \d+(\.\d+)? s elapsed$')
CONFIRM = 'Type "yes" to continue: '
CANCELLED = 'ERROR (app) Cancelled: nothing was changed'
WAIT = ('--wait', '--poll-interval', '0.5', '--wait-timeout', '300')


@pytest.fixture(scope='module')
def a(geo):
    return geo.a


@pytest.fixture(scope='module')
def b(geo):
    return geo.b


@pytest.fixture(scope='module')
def cli_a(geo):
    return geo.cli(geo.a)


@pytest.fixture(scope='module')
def cli_b(geo):
    return geo.cli(geo.b)


def _add_peer(cli, there):
    peer = there.keystone.users[two_sites.PEER_USER]
    return cli('system-peer', 'add', '--peer-uuid', there.system_uuid, '--peer-name',
               there.name, '--manager-endpoint', there.keystone.url, '--manager-username',
               peer.name, '--manager-password', peer.password,
               '--peer-controller-gateway-address', there.gateway, '--heartbeat-interval',
               '10', '-f', 'json').json()


@pytest.fixture(scope='module')
def peers(a, b, cli_a, cli_b):
    return {'on-a': _add_peer(cli_a, b), 'on-b': _add_peer(cli_b, a)}


def _online(site, name):
    body = site.get('subclouds/%s' % name)
    return body['deploy-status'] == 'complete' and body['availability-status'] == 'online'


@pytest.fixture(scope='module')
def grouped(geo, a, cli_a, peers):
    """The four subclouds on A, managed, in their groups; geo-sc4's bootstrap address wrong."""
    names = [name for members in GROUPS.values() for name in members]
    for n, name in enumerate(names):
        path = 'bootstrap-%s.yaml' % name
        with open('%s/%s' % (cli_a.home, path), 'w') as f:
            f.write(yaml.safe_dump(forms.bootstrap_values(name, 11 + n)))
        cli_a('subcloud', 'add', '--bootstrap-address', geo.addresses[n], '--bootstrap-values',
              path, '--sysadmin-password', forms.SYSADMIN_PASSWORD).ok()
    for name in names:
        wait_for('%s online on A' % name, lambda name=name: _online(a, name))
        cli_a('subcloud', 'manage', name).ok()
    for group, members in GROUPS.items():
        cli_a('subcloud-peer-group', 'add', '--peer-group-name', group,
              '--max-subcloud-rehoming', '2').ok()
        for name in members:
            cli_a('subcloud', 'update', name, '--peer-group', group).ok()
    cli_a('subcloud', 'update', BAD, '--bootstrap-address', WRONG_ADDRESS).ok()
    return {group: a.get('subcloud-peer-groups/%s' % group) for group in GROUPS}


def _settled(site, association_id):
    body = site.get('peer-group-associations/%d' % association_id)
    return body if body['sync-status'] not in ('syncing',) else None


@pytest.fixture(scope='module')
def associated(a, cli_a, peers, grouped):
    made = {}
    for group, body in grouped.items():
        made[group] = cli_a('peer-group-association', 'add', '--peer-group-id', body['id'],
                            '--system-peer-id', peers['on-a']['id'], '--peer-group-priority',
                            '2', '-f', 'json').json()
    for group, assoc in made.items():
        done = wait_for('%s synced' % group, lambda assoc=assoc: _settled(a, assoc['id']))
        assert done['sync-status'] == 'in-sync', done
    return made


def test_system_peers_both_ways(a, b, cli_a, peers):
    assert peers['on-a']['peer uuid'] == b.system_uuid
    assert peers['on-b']['peer uuid'] == a.system_uuid
    body = a.get('system-peers/%s' % b.system_uuid)
    assert peers['on-a']['manager endpoint'] == body['manager-endpoint'] == b.keystone.url
    assert list(peers['on-a']) == list(columns.SYSTEM_PEER_SHOW)


def test_association_list_and_show(a, cli_a, associated):
    every, listed = consistent(lambda: a.get('peer-group-associations'),
                               lambda: cli_a('peer-group-association', 'list').ok())
    header, _ = harness.table(listed.out)
    assert header == list(columns.ASSOCIATION_LIST)
    assert harness.table_dicts(listed.out) == [
        {k: str(v) for k, v in columns.shown(columns.ASSOCIATION_LIST, body).items()}
        for body in every['peer_group_associations']]
    for assoc in associated.values():
        # the peer audit touches updated_at every few seconds: read while it does not
        body, shown = consistent(
            lambda assoc=assoc: a.get('peer-group-associations/%d' % assoc['id']),
            lambda assoc=assoc: cli_a('peer-group-association', 'show', assoc['id'], '-f',
                                      'json').json())
        assert list(shown) == list(columns.ASSOCIATION_SHOW)
        assert shown == columns.shown(columns.ASSOCIATION_SHOW, body)
        assert body['association-type'] == 'primary'


def test_the_system_peers_peer_groups(a, b, cli_a, associated):
    got = cli_a('system-peer', 'list-subcloud-peer-groups', b.system_uuid, '-f', 'json').json()
    expected = a.get('system-peers/%s/subcloud-peer-groups' % b.system_uuid)
    assert got == [columns.shown(columns.PEER_GROUP_OF_PEER, g)
                   for g in expected['subcloud_peer_groups']]
    assert sorted(g['peer_group_name'] for g in got) == sorted(GROUPS)


def test_update_then_sync_wait(a, cli_a, associated):
    assoc = associated['pg-ok']
    updated = cli_a('peer-group-association', 'update', assoc['id'], '--peer-group-priority',
                    '3', '-f', 'json').json()
    assert updated['peer_group_priority'] == 3
    wait_for('the update synced', lambda: _settled(a, assoc['id']))
    got = cli_a('peer-group-association', 'sync', assoc['id'], *WAIT)
    assert got.code == 0, got
    assert harness.show_table(got.out)['id'] == str(assoc['id'])
    assert not harness.CONTROL.search(got.err), repr(got.err)
    lines = got.err.splitlines()
    assert lines and all(SYNC.match(line) and SYNC.match(line).group('id') == str(assoc['id'])
                         for line in lines), got.err
    assert SYNC.match(lines[-1]).group('status') == 'in-sync', got.err
    assert a.get('peer-group-associations/%d' % assoc['id'])['sync-status'] == 'in-sync'


def test_an_association_and_its_group_deleted(a, b, cli_a, peers, associated):
    cli_a('subcloud-peer-group', 'add', '--peer-group-name', 'pg-tmp').ok()
    group = a.get('subcloud-peer-groups/pg-tmp')
    assoc = cli_a('peer-group-association', 'add', '--peer-group-id', group['id'],
                  '--system-peer-id', peers['on-a']['id'], '--peer-group-priority', '2',
                  '-f', 'json').json()
    done = wait_for('pg-tmp synced', lambda: _settled(a, assoc['id']))
    assert done['sync-status'] == 'in-sync', done
    wait_for('the copy of pg-tmp on B', lambda: b.call(
        'GET', 'subcloud-peer-groups/pg-tmp', expect=None).status_code == 200)
    asked = cli_a('peer-group-association', 'delete', assoc['id'], stdin='no\n',
                  env={'CLI_CONFIRMATIONS': 'enabled'})
    assert asked.code == 1 and asked.err.rstrip('\n').endswith(CANCELLED), asked
    a.get('peer-group-associations/%d' % assoc['id'])
    deleted = cli_a('peer-group-association', 'delete', assoc['id'], stdin='yes\n',
                    env={'CLI_CONFIRMATIONS': 'enabled'})
    assert deleted.code == 0 and deleted.out == '' and 'ERROR' not in deleted.err, deleted
    a.call('GET', 'peer-group-associations/%d' % assoc['id'], expect=404)
    # the copy on B goes with the association
    wait_for('the copy of pg-tmp gone from B', lambda: b.call(
        'GET', 'subcloud-peer-groups/pg-tmp', expect=None).status_code == 404)
    gone = cli_a('subcloud-peer-group', 'delete', 'pg-tmp', '--yes')
    assert (gone.code, gone.out, gone.err) == (0, '', ''), gone
    a.call('GET', 'subcloud-peer-groups/pg-tmp', expect=404)


def test_b_shows_the_secondary_copies_only_with_all(b, cli_b, associated):
    names = [name for members in GROUPS.values() for name in members]
    wait_for('the copies on B', lambda: {s['name'] for s in b.get('subclouds')['subclouds']}
             >= set(names))
    plain = harness.table_dicts(cli_b('subcloud', 'list').ok().out)
    assert not {r['name'] for r in plain} & set(names), plain
    every = harness.table_dicts(cli_b('subcloud', 'list', '--all').ok().out)
    copies = {r['name']: r['deploy status'] for r in every if r['name'] in names}
    assert copies == {name: 'secondary' for name in names}, every


def test_migrate_asks_first(b, cli_b, associated):
    def states():
        return {m['name']: m['deploy-status'] for m in b.get(
            'subcloud-peer-groups/pg-ok/subclouds')['subclouds']}

    before = states()
    assert before == {name: 'secondary' for name in GROUPS['pg-ok']}
    asked = cli_b('subcloud-peer-group', 'migrate', 'pg-ok', '--sysadmin-password',
                  forms.SYSADMIN_PASSWORD, *WAIT, stdin='n\n',
                  env={'CLI_CONFIRMATIONS': 'enabled'})
    assert asked.code == 1 and asked.out == '', asked
    assert asked.err.startswith('Migrate subcloud peer group pg-ok to this site? %s'
                                % CONFIRM), asked
    assert asked.err.rstrip('\n').endswith(CANCELLED), asked
    assert states() == before
    assert b.get('subcloud-peer-groups/pg-ok')['migration_status'] in (None, 'none')


def _progress(err, group, total):
    lines = err.splitlines()
    progress = [MIGRATE.match(line) for line in lines]
    head = [m for m in progress if m]
    assert head, err
    for match in head:
        assert match.group('group') == group and int(match.group('n')) == total, err
        assert sum(int(match.group(k)) for k in 'cfr') == total, err
    return lines, head


def test_migrate_wait_every_member_complete(b, cli_b, associated):
    got = cli_b('subcloud-peer-group', 'migrate', 'pg-ok', '--sysadmin-password',
                forms.SYSADMIN_PASSWORD, *WAIT, timeout=400)
    assert got.code == 0, got
    assert not harness.CONTROL.search(got.err), repr(got.err)
    # stdout: the migrate answer, detail21 rows as a table
    header, _ = harness.table(got.out)
    assert header == list(columns.SUBCLOUD_DETAIL21)
    assert sorted(r['name'] for r in harness.table_dicts(got.out)) == GROUPS['pg-ok']
    lines, progress = _progress(got.err, 'pg-ok', 2)
    assert len(lines) == len(progress), got.err  # nothing but progress lines
    assert progress[-1].group('c', 'f', 'r') == ('2', '0', '0'), got.err
    members = b.get('subcloud-peer-groups/pg-ok/subclouds')['subclouds']
    assert {m['name']: m['deploy-status'] for m in members} == \
        {name: 'complete' for name in GROUPS['pg-ok']}
    assert b.get('subcloud-peer-groups/pg-ok')['system_leader_id'] == b.system_uuid


def test_status_and_list_subclouds_after_the_migration(b, cli_b, associated):
    # the rehomed subclouds are managed on B once online: compared when they are
    wait_for('pg-ok managed on B', lambda: b.get('subcloud-peer-groups/pg-ok/status')[
        'managed'] == 2)
    status, got = consistent(lambda: b.get('subcloud-peer-groups/pg-ok/status'), lambda: cli_b(
        'subcloud-peer-group', 'status', 'pg-ok', '-f', 'json').json())
    assert got == columns.shown(columns.PEER_GROUP_STATUS, status)
    assert got['complete'] == 2
    listed = cli_b('subcloud-peer-group', 'list-subclouds', 'pg-ok').ok()
    header, _ = harness.table(listed.out)
    assert header == list(columns.SUBCLOUD_DETAIL21)
    assert sorted(r['name'] for r in harness.table_dicts(listed.out)) == GROUPS['pg-ok']


def test_migrate_wait_with_a_failing_member(b, cli_b, associated):
    got = cli_b('subcloud-peer-group', 'migrate', 'pg-bad', '--sysadmin-password',
                forms.SYSADMIN_PASSWORD, *WAIT, timeout=400)
    assert got.code == 1, got
    assert not harness.CONTROL.search(got.err), repr(got.err)
    assert sorted(r['name'] for r in harness.table_dicts(got.out)) == GROUPS['pg-bad']
    lines, progress = _progress(got.err, 'pg-bad', 2)
    assert progress[-1].group('c', 'f', 'r') == ('1', '1', '0'), got.err
    bad = b.get('subclouds/%s' % BAD)
    assert bad['deploy-status'] == 'rehome-failed'
    assert lines[-1] == 'FAILED %s: rehome-failed: %s' % (BAD, bad['error-description']), \
        got.err
    assert len(lines) == len(progress) + 1, got.err
