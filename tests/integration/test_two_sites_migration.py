"""A peer group migrated between two real sites (``two_sites.py``): A leads a group of three
subclouds (one with a wrong bootstrap address) associated with B; B migrates it. The fence
gives B the leadership in a new term on both sites before any subcloud is touched; the two good
subclouds are rehomed to B (the simulator's rehome entry point) and managed there once online,
and are secondary copies on A; the bad one is rehome-failed on both sites; the migration ends
complete and both sites agree that B leads; A, the preferred site, raises 280.005.
"""


import pytest

from tests import subcloud_forms as forms
from tests import waiting
from tests.integration import sim_fixture, two_sites

pytestmark = pytest.mark.keystone

MEMBERS = 3
BAD = 'sc3'
# Nothing listens there: the bad subcloud's rehome cannot reach it.
WRONG_ADDRESS = '127.0.1.250'
INTERVAL = 10
OPTIONS = ('[peer]\naudit_interval = 5\nmigration_online_timeout = 60\n'
           '[audit]\ninterval = 3\nscan_interval = 0.5\n')


def _wait(what, check, timeout=60.0):
    return waiting.until(what, check, timeout, interval=0.3)


@pytest.fixture(scope='module')
def sim(tmp_path_factory):
    yield from sim_fixture.running(tmp_path_factory, 'migration-sim', count=MEMBERS,
                                   admin_password=forms.ADMIN_PASSWORD, rehome_seconds=0.5)


@pytest.fixture(scope='module')
def sites(tmp_path_factory, sim):
    with two_sites.two_sites(str(tmp_path_factory.mktemp('migration-sites')), sim,
                             options=OPTIONS) as (a, b):
        yield a, b


def _patch(site, ref, fields):
    body, content_type = forms.cli_multipart(fields, None)
    return site.call('PATCH', 'subclouds/%s' % ref, data=body,
                     headers={'Content-Type': content_type}).json()


def _members(site, uuid_):
    return {s['name']: s for s in site.get('subcloud-peer-groups/%s/subclouds' % uuid_)[
        'subclouds']}


@pytest.fixture(scope='module')
def synced(sites, sim):
    """The peers both ways; pg-m of three subclouds on A (sc3 at a wrong address in its
    rehome data), associated with B and in sync."""
    a, b = sites
    peer_b = a.call('POST', 'system-peers', json=dict(
        b.peer_credentials(), heartbeat_interval=str(INTERVAL))).json()
    b.call('POST', 'system-peers', json=dict(a.peer_credentials(),
                                             heartbeat_interval=str(INTERVAL)))
    group = a.call('POST', 'subcloud-peer-groups', json={
        'peer-group-name': 'pg-m', 'max-subcloud-rehoming': '2'}).json()
    for n in range(1, MEMBERS + 1):
        form, files = forms.add_request('sc%d' % n, n, address=sim.addresses[n - 1])
        body, content_type = forms.cli_multipart(form, files)
        a.call('POST', 'subclouds', data=body, headers={'Content-Type': content_type})
    for n in range(1, MEMBERS + 1):
        _wait('sc%d online' % n, lambda n=n: (lambda s: s['deploy-status'] == 'complete' and
                                               s['availability-status'] == 'online')(
            a.get('subclouds/sc%d' % n)), timeout=90)
        _patch(a, 'sc%d' % n, {'management-state': 'managed'})
        _patch(a, 'sc%d' % n, {'peer_group': 'pg-m'})
    _patch(a, BAD, {'bootstrap_address': WRONG_ADDRESS})
    assoc = a.call('POST', 'peer-group-associations', json={
        'peer_group_id': str(group['id']), 'system_peer_id': str(peer_b['id']),
        'peer_group_priority': '2'}).json()
    done = _wait('in-sync', lambda: (lambda x: x if x['sync-status'] != 'syncing' else None)(
        a.get('peer-group-associations/%d' % assoc['id'])))
    assert done['sync-status'] == 'in-sync', done['sync-message']
    return {'group': group, 'association': assoc}


def test_b_migrates_the_group(sites, synced, sim):
    a, b = sites
    uuid_ = synced['group']['peer_group_uuid']
    answer = b.call('PATCH', 'subcloud-peer-groups/%s/migrate' % uuid_, json={
        'sysadmin_password': forms.b64(forms.SYSADMIN_PASSWORD)}).json()
    assert sorted(s['name'] for s in answer['subclouds']) == ['sc1', 'sc2', 'sc3']
    # The fence: B leads in term 2 on both sites before the rehomes end.
    for site in (b, a):
        group = _wait('B leading on %s' % site.name, lambda site=site: (
            lambda g: g if g['system_leader_id'] == b.system_uuid else None)(
            site.get('subcloud-peer-groups/%s' % uuid_)), timeout=30)
        assert group['leader_term'] == 2
    done = _wait('the migration complete', lambda: (
        lambda g: g if g['migration_status'] == 'complete' else None)(
        b.get('subcloud-peer-groups/%s' % uuid_)), timeout=60)
    assert done['system_leader_name'] == b.name
    on_b = _members(b, uuid_)
    assert {n: m['deploy-status'] for n, m in on_b.items()} == {
        'sc1': 'complete', 'sc2': 'complete', 'sc3': 'rehome-failed'}
    failed = b.get('subclouds/%s/detail' % BAD)
    assert 'could not be run' in failed['error-description'], failed['error-description']
    # Rehomed to B: the simulator's subclouds point at B's gateway now.
    for n in (1, 2):
        rehome = sim.subcloud(sim.addresses[n - 1])['rehome']
        assert rehome['state'] == 'rehomed'
        assert rehome['system_controller']['address'] == b.gateway
    _wait('sc1 and sc2 managed on B', lambda: all(
        m['management-state'] == 'managed' and m['availability-status'] == 'online'
        for n, m in _members(b, uuid_).items() if n != BAD), timeout=60)


def test_a_steps_down(sites, synced):
    a, b = sites
    uuid_ = synced['group']['peer_group_uuid']
    _wait('A stepped down', lambda: {n: m['deploy-status'] for n, m in _members(
        a, uuid_).items()} == {'sc1': 'secondary', 'sc2': 'secondary', 'sc3': 'rehome-failed'},
        timeout=60)
    assert all(m['management-state'] == 'unmanaged' for m in _members(a, uuid_).values())
    group = a.get('subcloud-peer-groups/%s' % uuid_)
    assert (group['system_leader_id'], group['leader_term']) == (b.system_uuid, 2)
    alarm, = [x for x in a.get('site-alarms')['site_alarms'] if x['alarm_id'] == '280.005']
    assert alarm['entity'] == 'peer_group=%s' % uuid_
    # A's operators no longer change the group; a sync of it from A is refused.
    a.call('PATCH', 'subcloud-peer-groups/%s' % uuid_, json={'max-subcloud-rehoming': '3'},
           expect=409)
    a.call('PATCH', 'peer-group-associations/%d/sync' % synced['association']['id'],
           data=b'', headers={'Content-Type': 'application/json'}, expect=409)
    # One leader: B's term is the newest, and only B says it leads.
    leaders = {site.name: site.get('subcloud-peer-groups/%s' % uuid_)['system_leader_id']
               for site in (a, b)}
    assert set(leaders.values()) == {b.system_uuid}


def test_a_second_migration_of_the_migrated_group_has_nothing_but_the_failed_one(sites,
                                                                                  synced):
    _a, b = sites
    uuid_ = synced['group']['peer_group_uuid']
    again = b.call('PATCH', 'subcloud-peer-groups/%s/migrate' % uuid_, json={
        'sysadmin_password': forms.b64(forms.SYSADMIN_PASSWORD)}).json()
    assert [s['name'] for s in again['subclouds']] == [BAD]
    done = _wait('the second migration complete', lambda: (
        lambda g: g if g['migration_status'] == 'complete' else None)(
        b.get('subcloud-peer-groups/%s' % uuid_)), timeout=60)
    assert done['leader_term'] == 3
    assert b.get('subclouds/%s' % BAD)['deploy-status'] == 'rehome-failed'
