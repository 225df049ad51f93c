"""A failed rehome corrected on the non-primary site, between two real sites (``two_sites.py``).

A leads two groups associated with B: pg-r (sc1, sc2, and sc3 whose rehome data names a wrong
bootstrap address) and pg-f (sc4 alone, at a wrong address too: every rehome of it fails). B
migrates both with A up: pg-r ends with sc3 ``rehome-failed`` on both sites, pg-f with all of its
subclouds failed, and B leads both groups on both sites all the same. While A is up, B may not
correct sc3 (A is where it is corrected). A goes down; B corrects sc3's bootstrap address (only
the rehome data may change), migrates pg-r again and sc3 is rehomed to B. A comes back: it takes
B's newer term and steps down, B's audit pushes the corrected rehome data to A (A's own gateway
kept), and both associations are ``in-sync``. Then A migrates pg-r back (sc3 too, with the data
B pushed), and B steps down. pg-f, where A stayed up: A corrects sc4 itself and migrates it back.
After each step at most one site leads each group, no subcloud is managed on both sites, and no
password is in any answer or either site's log.
"""

import datetime
import json

import pytest

from tests import subcloud_forms as forms
from tests import waiting
from tests.integration import geo_checks as checks
from tests.integration import sim_fixture, two_sites
from tests.integration.geo_checks import Seen

pytestmark = pytest.mark.keystone

REPAIRED = 'sc3'
ALL_FAIL = 'sc4'
# Nothing listens there: a rehome to them cannot be run.
WRONG_ADDRESSES = {REPAIRED: '127.0.1.250', ALL_FAIL: '127.0.1.251'}
OPTIONS = ('[peer]\naudit_interval = 5\nmigration_online_timeout = 60\n'
           '[audit]\ninterval = 3\nscan_interval = 0.5\n')
PEER_TIMING = {'heartbeat_interval': '10', 'heartbeat_failure_threshold': '2'}


def _wait(what, check, timeout=60.0, seen=None):
    return waiting.until(what, check, timeout, interval=0.3, seen=seen)


def _in_sync(site, group_name, timeout=60):
    _wait('%s in-sync on %s' % (group_name, site.name),
          lambda: _association(site, group_name)['sync-status'] == 'in-sync', timeout=timeout,
          seen=lambda: _association(site, group_name))


@pytest.fixture(scope='module')
def sim(tmp_path_factory):
    yield from sim_fixture.running(tmp_path_factory, 'rehome-fix-sim', count=4,
                                   admin_password=forms.ADMIN_PASSWORD, rehome_seconds=0.5)


@pytest.fixture(scope='module')
def sites(tmp_path_factory, sim):
    with two_sites.two_sites(str(tmp_path_factory.mktemp('rehome-fix-sites')), sim,
                             options=OPTIONS) as (a, b):
        yield a, b


_patch = checks.patch_subcloud


_group = checks.group


def _members(site, name):
    return {s['name']: s for s in Seen.get(site, 'subcloud-peer-groups/%s/subclouds' % name)[
        'subclouds']}


def _association(site, group_name):
    group = _group(site, group_name)
    row, = [r for r in Seen.get(site, 'peer-group-associations')['peer_group_associations']
            if r['peer-group-id'] == group['id']]
    return row


def _migrate(site, name, expect=200):
    return Seen.call(site, 'PATCH', 'subcloud-peer-groups/%s/migrate' % name, expect=expect,
                     json={'sysadmin_password': forms.b64(forms.SYSADMIN_PASSWORD)}).json()


def _migrated(site, name, term):
    return _wait('%s migrated by %s in term %d' % (name, site.name, term), lambda: (
        lambda g: g if g['migration_status'] == 'complete' and g['leader_term'] == term
        else None)(_group(site, name)), timeout=90)


def _check_one_leader(up_sites):
    """At most one site leads each group (its leader is itself in the newest term seen), and
    no subcloud is managed on two sites."""
    for name in ('pg-r', 'pg-f'):
        groups = {site.name: _group(site, name) for site in up_sites}
        newest = max(g['leader_term'] for g in groups.values())
        leaders = [site.name for site in up_sites if groups[site.name]['system_leader_id'] ==
                   site.system_uuid and groups[site.name]['leader_term'] == newest]
        assert len(leaders) <= 1, (name, groups)
    managed = [{n for n, s in _members(site, group).items()
                if s['management-state'] == 'managed'}
               for site in up_sites for group in ('pg-r', 'pg-f')]
    everywhere = [n for n in ('sc1', 'sc2', 'sc3', 'sc4')
                  if sum(n in names for names in managed) > 1]
    assert not everywhere, everywhere


@pytest.fixture(scope='module')
def migrated(sites, sim):
    """The peers both ways, the two groups on A associated with B and in sync, both migrated
    by B with A up."""
    a, b = sites
    peer_b = Seen.call(a, 'POST', 'system-peers', json=dict(b.peer_credentials(),
                                                            **PEER_TIMING)).json()
    Seen.call(b, 'POST', 'system-peers', json=dict(a.peer_credentials(), **PEER_TIMING))
    groups = {name: Seen.call(a, 'POST', 'subcloud-peer-groups', json={
        'peer-group-name': name, 'max-subcloud-rehoming': '2'}).json()
        for name in ('pg-r', 'pg-f')}
    for n in range(1, 5):
        form, files = forms.add_request('sc%d' % n, n, address=sim.addresses[n - 1])
        body, content_type = forms.cli_multipart(form, files)
        Seen.call(a, 'POST', 'subclouds', data=body, headers={'Content-Type': content_type})
    for n in range(1, 5):
        _wait('sc%d online' % n, lambda n=n: (lambda s: s['deploy-status'] == 'complete' and
                                               s['availability-status'] == 'online')(
            Seen.get(a, 'subclouds/sc%d' % n)), timeout=90)
        _patch(a, 'sc%d' % n, {'management-state': 'managed'})
        _patch(a, 'sc%d' % n, {'peer_group': 'pg-f' if n == 4 else 'pg-r'})
    for name, address in WRONG_ADDRESSES.items():
        _patch(a, name, {'bootstrap_address': address})
    for group in groups.values():
        assoc = Seen.call(a, 'POST', 'peer-group-associations', json={
            'peer_group_id': str(group['id']), 'system_peer_id': str(peer_b['id']),
            'peer_group_priority': '2'}).json()
        done = _wait('in-sync', lambda assoc=assoc: (
            lambda x: x if x['sync-status'] != 'syncing' else None)(
            Seen.get(a, 'peer-group-associations/%d' % assoc['id'])))
        assert done['sync-status'] == 'in-sync', done['sync-message']
    for name in ('pg-r', 'pg-f'):
        _migrate(b, name)
    for name in ('pg-r', 'pg-f'):
        _migrated(b, name, 2)
    return groups


def test_even_a_group_whose_every_rehome_failed_is_led_by_the_target_on_both_sites(
        sites, migrated):
    a, b = sites
    assert _members(b, 'pg-f')[ALL_FAIL]['deploy-status'] == 'rehome-failed'
    assert {n: m['deploy-status'] for n, m in _members(b, 'pg-r').items()} == {
        'sc1': 'complete', 'sc2': 'complete', REPAIRED: 'rehome-failed'}
    for name in ('pg-r', 'pg-f'):
        _wait('A following B for %s' % name, lambda name=name: (
            lambda g: (g['system_leader_id'], g['leader_term']) == (b.system_uuid, 2))(
            _group(a, name)), timeout=30)
    _wait('A stepped down', lambda: {n: m['deploy-status'] for n, m in _members(
        a, 'pg-r').items()} == {'sc1': 'secondary', 'sc2': 'secondary',
                                REPAIRED: 'rehome-failed'}, timeout=60)
    _wait('sc4 rehome-failed on A', lambda: _members(a, 'pg-f')[ALL_FAIL][
        'deploy-status'] == 'rehome-failed', timeout=60)
    # The copies agree: the associations on A are in-sync once A stepped down.
    for name in ('pg-r', 'pg-f'):
        _in_sync(a, name, timeout=30)
    _check_one_leader((a, b))


def test_with_the_primary_site_up_the_fix_is_refused_on_b(sites, migrated, sim):
    _a, b = sites
    for name, n in ((REPAIRED, 3), (ALL_FAIL, 4)):
        refused = _patch(b, name, {'bootstrap_address': sim.addresses[n - 1]}, expect=409)
        assert 'its primary site site-a is available: correct the subcloud there' in \
            refused.json()['description'], refused.text
    assert _association(b, 'pg-r')['sync-status'] == 'in-sync'


def test_with_a_down_b_corrects_the_rehome_data_only(sites, migrated, sim):
    a, b = sites
    a.stop()
    _wait('A unavailable on B', lambda: Seen.get(b, 'system-peers/%s' % a.name)[
        'availability-state'] == 'unavailable', timeout=45)
    refused = _patch(b, REPAIRED, {'bootstrap_address': sim.addresses[2],
                                   'description': 'fixed'}, expect=400)
    assert 'only its bootstrap_values and bootstrap_address may be updated here' in \
        refused.json()['description'], refused.text
    values = forms.bootstrap_values(REPAIRED, 3, systemcontroller_gateway_address=b.gateway)
    _patch(b, REPAIRED, {'bootstrap_address': sim.addresses[2]},
           files={'bootstrap_values': ('values.yaml', json.dumps(values))})
    assert _association(b, 'pg-r')['sync-status'] == 'out-of-sync'
    row, = b.read_database('SELECT bootstrap_address FROM subclouds WHERE name = :name',
                           name=REPAIRED)
    assert row['bootstrap_address'] == sim.addresses[2]


def test_b_migrates_the_corrected_subcloud_with_a_down(sites, migrated, sim):
    _a, b = sites
    answer = _migrate(b, 'pg-r')
    assert [s['name'] for s in answer['subclouds']] == [REPAIRED]
    _migrated(b, 'pg-r', 3)
    _wait('sc3 managed and online on B', lambda: (lambda s: (
        s['deploy-status'], s['management-state'], s['availability-status']) == (
        'complete', 'managed', 'online'))(_members(b, 'pg-r')[REPAIRED]), timeout=60)
    rehome = sim.subcloud(sim.addresses[2])['rehome']
    assert (rehome['state'], rehome['system_controller']['address']) == ('rehomed', b.gateway)


def test_a_back_steps_down_and_holds_the_corrected_rehome_data(sites, migrated, sim):
    a, b = sites
    a.start()
    _wait('A following B in term 3', lambda: (lambda g: (g['system_leader_id'],
                                                         g['leader_term']))(
        _group(a, 'pg-r')) == (b.system_uuid, 3), timeout=60)
    _wait('sc3 secondary on A', lambda: _members(a, 'pg-r')[REPAIRED][
        'deploy-status'] == 'secondary', timeout=60)
    _in_sync(b, 'pg-r')
    _in_sync(a, 'pg-r')
    row, = a.read_database('SELECT bootstrap_address, rehome_data, secrets FROM subclouds '
                           'WHERE name = :name', name=REPAIRED)
    assert row['bootstrap_address'] == sim.addresses[2]
    payload = json.loads(row['rehome_data'])['saved_payload']
    # A's own gateway to its subclouds, never B's.
    assert payload['systemcontroller_gateway_address'] == a.gateway
    assert payload['bootstrap-address'] == sim.addresses[2]
    assert 'admin_password' not in payload
    assert forms.ADMIN_PASSWORD not in (row['secrets'] or '')
    _check_one_leader((a, b))


def test_a_migrates_the_group_back_and_b_steps_down(sites, migrated, sim):
    a, b = sites
    answer = _migrate(a, 'pg-r')
    assert sorted(s['name'] for s in answer['subclouds']) == ['sc1', 'sc2', REPAIRED]
    _check_one_leader((a, b))
    _migrated(a, 'pg-r', 4)
    _wait('every member complete on A', lambda: {m['deploy-status'] for m in _members(
        a, 'pg-r').values()} == {'complete'}, timeout=60)
    _wait('B stepped down', lambda: {m['deploy-status'] for m in _members(
        b, 'pg-r').values()} == {'secondary'}, timeout=60)
    _wait('managed on A', lambda: {m['management-state'] for m in _members(
        a, 'pg-r').values()} == {'managed'}, timeout=60)
    assert {m['management-state'] for m in _members(b, 'pg-r').values()} == {'unmanaged'}
    for site in (a, b):
        group = _group(site, 'pg-r')
        assert (group['system_leader_id'], group['leader_term']) == (a.system_uuid, 4)
    _check_one_leader((a, b))


def test_where_a_stayed_up_a_corrects_and_migrates_back(sites, migrated, sim):
    a, b = sites
    _patch(a, ALL_FAIL, {'bootstrap_address': sim.addresses[3]})
    _migrate(a, 'pg-f')
    _migrated(a, 'pg-f', 3)
    _wait('sc4 managed on A', lambda: (lambda s: (s['deploy-status'], s['management-state'])
                                       == ('complete', 'managed'))(
        _members(a, 'pg-f')[ALL_FAIL]), timeout=60)
    _wait('sc4 secondary on B', lambda: _members(b, 'pg-f')[ALL_FAIL][
        'deploy-status'] == 'secondary', timeout=60)
    _in_sync(a, 'pg-f')
    _check_one_leader((a, b))


def test_a_sync_meeting_a_copy_not_yet_stepped_down_waits_for_it(sites, migrated):
    """Right after a migration back, the peer may still hold a copy as released
    (``rehome-pending``) until its audit steps it down: a sync meeting it is ``out-of-sync``,
    saying so, not ``failed``, and this site's audit syncs it again once it is secondary."""
    a, b = sites
    _in_sync(a, 'pg-f')
    region = _members(b, 'pg-f')[ALL_FAIL]['region-name']
    uuid_ = _group(a, 'pg-f')['peer_group_uuid']
    # B's audit of the group held off (its lease taken by hand) until the sync has met the copy.
    until = (datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None) +
             datetime.timedelta(seconds=120)).strftime('%Y-%m-%d %H:%M:%S.%f')
    assert b.write_database(
        "UPDATE subcloud_peer_group SET audit_owner = 'held-by-the-test', "
        "audit_lease_until = :until WHERE peer_group_uuid = :uuid", until=until,
        uuid=uuid_) == 1
    try:
        assert b.write_database("UPDATE subclouds SET deploy_status = 'rehome-pending' "
                                "WHERE region_name = :region", region=region) == 1
        association = _association(a, 'pg-f')
        Seen.call(a, 'PATCH', 'peer-group-associations/%d/sync' % association['id'])
        done = _wait('the sync of pg-f ended', lambda: (
            lambda x: x if x['sync-status'] != 'syncing' else None)(
            Seen.get(a, 'peer-group-associations/%d' % association['id'])))
        assert done['sync-status'] == 'out-of-sync', done
        assert 'not yet stepped down on site-b (%s)' % ALL_FAIL in done['sync-message'], done
    finally:
        b.write_database("UPDATE subcloud_peer_group SET audit_owner = NULL, "
                         "audit_lease_until = NULL WHERE peer_group_uuid = :uuid", uuid=uuid_)
    # B's audit steps the copy down (A leads, its migration complete); A's audit syncs again.
    _wait('sc4 secondary on B again', lambda: _members(b, 'pg-f')[ALL_FAIL][
        'deploy-status'] == 'secondary', timeout=60)
    _in_sync(a, 'pg-f')


def test_no_password_in_any_answer_or_log(sites, migrated):
    a, b = sites
    secrets = list(forms.ALL_PASSWORDS) + [
        site.keystone.users[two_sites.PEER_USER].password for site in (a, b)]
    texts = Seen.bodies + [a.log_text(), b.log_text()]
    for secret in secrets:
        assert not [t for t in texts if secret in t], secret
