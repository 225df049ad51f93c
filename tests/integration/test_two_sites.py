"""Two real sites in sync (``two_sites.py``): system peers both ways, a peer group of five
subclouds on A associated with B, edits and removals synced, B stopped and back (heartbeat,
alarm, associations), a forced delete cleaned on B once it is back; and no password in any
answer or log of either site.

Each site is a real ``dcmanager-all`` with its own SQLite database and its own real Keystone;
A calls B's API as B's ``dc-peer`` user (the peer role only), through B's catalog. The subclouds
are the simulator's.
"""

import base64
import time
import uuid

import pytest
import yaml

from tests import subcloud_forms as forms
from tests import waiting
from tests.integration import sim_fixture, two_sites

pytestmark = pytest.mark.keystone

MEMBERS = 5
INTERVAL = 10  # the smallest heartbeat interval
THRESHOLD = 2
# The heartbeat's detection bound: interval x threshold + 2 s.
DETECT_WITHIN = INTERVAL * THRESHOLD + 2
# The audit runs often here, so that a cleanup does not wait for the default 60 s.
OPTIONS = '[peer]\naudit_interval = 5\n'


def _wait(what, check, timeout=60.0):
    return waiting.until(what, check, timeout, interval=0.2)


@pytest.fixture(scope='module')
def sim(tmp_path_factory):
    yield from sim_fixture.running(tmp_path_factory, 'two-sites-sim', count=MEMBERS + 1,
                                   admin_password=forms.ADMIN_PASSWORD)


@pytest.fixture(scope='module')
def sites(tmp_path_factory, sim):
    with two_sites.two_sites(str(tmp_path_factory.mktemp('two-sites')), sim,
                             options=OPTIONS) as (a, b):
        yield a, b


def _add(site, sim, n):
    """Add subcloud ``sc<n>`` at the simulator's n-th address, on ``site``, as the CLI does."""
    name = 'sc%d' % n
    form, files = forms.add_request(name, n, address=sim.addresses[n - 1])
    body, content_type = forms.cli_multipart(form, files)
    return site.call('POST', 'subclouds', data=body,
                     headers={'Content-Type': content_type}).json()


def _patch(site, ref, fields, user=two_sites.ADMIN_USER, expect=200, files=None):
    body, content_type = forms.cli_multipart(fields, files)
    return site.call('PATCH', 'subclouds/%s' % ref, user=user, data=body, expect=expect,
                     headers={'Content-Type': content_type}).json()


def _association(site, assoc_id):
    return site.get('peer-group-associations/%d' % assoc_id)


def _settled(site, assoc_id, timeout=60.0):
    return _wait('settled', lambda: (lambda a: a if a['sync-status'] != 'syncing' else None)(
        _association(site, assoc_id)), timeout)


def _copies(site):
    return {s['region-name']: s for s in site.get('subclouds')['subclouds']}


@pytest.fixture(scope='module')
def synced(sites, sim):
    """The peers both ways, five members of pg1 on A, pg1 associated with B and in sync."""
    a, b = sites
    peer_b = a.call('POST', 'system-peers', json=dict(
        b.peer_credentials(), heartbeat_interval=str(INTERVAL),
        heartbeat_failure_threshold=str(THRESHOLD))).json()
    b.call('POST', 'system-peers', json=dict(a.peer_credentials(),
                                             heartbeat_interval=str(INTERVAL)))
    for n in range(1, MEMBERS + 1):
        _add(a, sim, n)
    for n in range(1, MEMBERS + 1):
        _wait('sc%d complete and online' % n, lambda n=n: (
            lambda s: s['deploy-status'] == 'complete' and s['availability-status'] == 'online'
        )(a.get('subclouds/sc%d' % n)), timeout=90)
        _patch(a, 'sc%d' % n, {'management-state': 'managed'})
    group = a.call('POST', 'subcloud-peer-groups', json={'peer-group-name': 'pg1'}).json()
    for n in range(1, MEMBERS + 1):
        _patch(a, 'sc%d' % n, {'peer_group': 'pg1'})
    assoc = a.call('POST', 'peer-group-associations', json={
        'peer_group_id': str(group['id']), 'system_peer_id': str(peer_b['id']),
        'peer_group_priority': '2'}).json()
    done = _settled(a, assoc['id'])
    assert done['sync-status'] == 'in-sync', done['sync-message']
    return {'group': group, 'peer_b': peer_b, 'association': assoc}


def test_b_holds_the_copies_in_sync(sites, synced, sim):
    a, b = sites
    group = synced['group']
    copy = b.get('subcloud-peer-groups/%s' % group['peer_group_uuid'])
    assert (copy['group_priority'], copy['system_leader_id'], copy['system_leader_name'],
            copy['leader_term'], copy['peer_group_name']) == (
        2, a.system_uuid, 'site-a', group['leader_term'], 'pg1')
    copy_assoc, = b.get('peer-group-associations')['peer_group_associations']
    assert (copy_assoc['association-type'], copy_assoc['sync-status'],
            copy_assoc['peer-group-id']) == ('non-primary', 'in-sync', copy['id'])
    originals = {s['region-name']: s for s in a.get('subclouds')['subclouds']}
    copies = _copies(b)
    assert set(copies) == set(originals) and len(copies) == MEMBERS
    for region, copy_sc in copies.items():
        assert (copy_sc['name'], copy_sc['deploy-status'], copy_sc['management-state'],
                copy_sc['peer_group_id']) == (originals[region]['name'], 'secondary',
                                              'unmanaged', copy['id'])
        # B's own gateway to the subclouds, never A's (LP#2089715).
        assert copy_sc['systemcontroller-gateway-ip'] == b.gateway
        assert originals[region]['systemcontroller-gateway-ip'] != b.gateway
    # A's copy of B's view: B's members are secondary, A's are not.
    assert b.get('subcloud-peer-groups/%d/status' % copy['id'])['waiting_for_migrate'] == \
        MEMBERS


def test_an_edit_on_a_is_out_of_sync_then_synced(sites, synced):
    a, b = sites
    assoc_id = synced['association']['id']
    _patch(a, 'sc1', {'description': 'moved to rack 9'})
    # out-of-sync, unless the audit already started its sync again.
    assert _association(a, assoc_id)['sync-status'] in ('out-of-sync', 'syncing')
    a.call('PATCH', 'peer-group-associations/%d/sync' % assoc_id, data=b'',
           headers={'Content-Type': 'application/json'})
    assert _settled(a, assoc_id)['sync-status'] == 'in-sync'
    region = a.get('subclouds/sc1')['region-name']
    assert b.get('subclouds/%s' % region)['description'] == 'moved to rack 9'


def test_a_member_removed_on_a_is_removed_on_b(sites, synced):
    a, b = sites
    assoc_id = synced['association']['id']
    region = a.get('subclouds/sc5')['region-name']
    _patch(a, 'sc5', {'peer_group': 'none'})
    a.call('PATCH', 'peer-group-associations/%d/sync' % assoc_id, data=b'',
           headers={'Content-Type': 'application/json'})
    assert _settled(a, assoc_id)['sync-status'] == 'in-sync'
    assert region not in _copies(b) and len(_copies(b)) == MEMBERS - 1


def test_a_forged_user_agent_on_b_writes_nothing(sites, synced):
    a, b = sites
    region = a.get('subclouds/sc1')['region-name']
    resp = b.call('PATCH', 'subclouds/%s' % region, json={'description': 'forged'},
                  expect=400, headers={'User-Agent': 'dcmanager/1.0'})
    assert resp.json()['error'] == 'SubcloudIsSecondary'
    assert b.get('subclouds/%s' % region)['description'] != 'forged'


def test_b_stopped_then_back(sites, synced):
    a, b = sites
    assoc_id = synced['association']['id']
    b.stop()
    stopped = time.monotonic()
    _wait('B unavailable on A', lambda: a.get('system-peers/site-b')[
        'availability-state'] == 'unavailable', timeout=DETECT_WITHIN + 10)
    detected = time.monotonic() - stopped
    assert detected <= DETECT_WITHIN, detected
    alarm, = a.get('site-alarms')['site_alarms']
    assert (alarm['alarm_id'], alarm['entity']) == ('280.004', 'peer=%s' % b.system_uuid)
    assert _association(a, assoc_id)['sync-status'] == 'unknown'
    b.start()
    _wait('B available on A', lambda: a.get('system-peers/site-b')[
        'availability-state'] == 'available', timeout=INTERVAL * 2 + 10)
    assert a.get('site-alarms')['site_alarms'] == []
    assert _association(a, assoc_id)['sync-status'] == 'in-sync'
    assert b.get('peer-group-associations')['peer_group_associations'][0][
        'sync-status'] == 'in-sync'


def test_new_credentials_count_from_the_next_call(sites, synced):
    a, b = sites
    assoc_id = synced['association']['id']
    peer_id = synced['peer_b']['id']
    right = b.peer_credentials()['manager_password']
    a.call('PATCH', 'system-peers/%d' % peer_id, json={
        'manager_password': base64.b64encode(b'Not-The-Password-1').decode()})
    a.call('PATCH', 'peer-group-associations/%d/sync' % assoc_id, data=b'',
           headers={'Content-Type': 'application/json'})
    failed = _settled(a, assoc_id)
    assert failed['sync-status'] == 'failed'
    assert 'Could not authenticate' in failed['sync-message']
    a.call('PATCH', 'system-peers/%d' % peer_id, json={'manager_password': right})
    a.call('PATCH', 'peer-group-associations/%d/sync' % assoc_id, data=b'',
           headers={'Content-Type': 'application/json'})
    assert _settled(a, assoc_id)['sync-status'] == 'in-sync'


def test_a_hanging_peer_holds_nothing_else_on_a(sites, synced):
    """A peer whose Keystone accepts connections and never answers: its sync and heartbeats
    wait their bounded time in their own threads; A's API goes on answering (the figures are
    bench/peer_sync.py's, not asserted here)."""
    a, _b = sites
    with sim_fixture.HangingListener('127.0.0.1', [0]) as hung:
        creds = {'peer_uuid': str(uuid.uuid4()), 'peer_name': 'site-hung',
                 'manager_endpoint': 'http://127.0.0.1:%d/v3' % hung.ports[0],
                 'manager_username': 'dc-peer',
                 'manager_password': base64.b64encode(b'Hung-Peer-Pass-1').decode(),
                 'peer_controller_gateway_address': '127.0.2.9',
                 'heartbeat_interval': str(INTERVAL)}
        peer = a.call('POST', 'system-peers', json=creds).json()
        group = a.call('POST', 'subcloud-peer-groups', json={'peer-group-name': 'pg-hung'}).json()
        assoc = a.call('POST', 'peer-group-associations', json={
            'peer_group_id': group['id'], 'system_peer_id': peer['id'],
            'peer_group_priority': 3}).json()
        assert assoc['sync-status'] == 'syncing'
        _wait('the hanging peer called', lambda: hung.accepted >= 1, timeout=20)
        for _ in range(20):
            started = time.monotonic()
            a.get('subclouds')
            assert time.monotonic() - started < 5, 'the API waited on the hanging peer'
        done = _settled(a, assoc['id'], timeout=60)
        assert done['sync-status'] == 'failed'
        assert done['sync-message'].startswith('Site site-hung could not be reached')
        a.call('DELETE', 'peer-group-associations/%d?force=true' % assoc['id'])
        a.call('DELETE', 'system-peers/%d' % peer['id'])


def test_a_copy_removed_on_b_is_made_again_by_the_audit(sites, synced):
    a, b = sites
    assoc_id = synced['association']['id']
    uuid_ = synced['group']['peer_group_uuid']
    copy = b.get('subcloud-peer-groups/%s' % uuid_)
    copy_assoc, = b.get('peer-group-associations')['peer_group_associations']
    b.call('DELETE', 'peer-group-associations/%d' % copy_assoc['id'], user=two_sites.PEER_USER)
    b.call('DELETE', 'subcloud-peer-groups/%d' % copy['id'], user=two_sites.PEER_USER)
    # A's audit finds the copy gone, marks the association out-of-sync and syncs it again.
    _wait('the copy made again on B', lambda: b.call(
        'GET', 'subcloud-peer-groups/%s' % uuid_, expect=None).status_code == 200,
        timeout=30)
    assert _settled(a, assoc_id)['sync-status'] == 'in-sync'
    again = b.get('subcloud-peer-groups/%s' % uuid_)
    assert b.get('subcloud-peer-groups/%d/status' % again['id'])['waiting_for_migrate'] == \
        MEMBERS - 1


def test_a_member_missing_on_b_is_pushed_again_by_the_audit(sites, synced):
    """A secondary copy gone from B: A's audit compares the members, marks the association
    out-of-sync naming it, and syncs it again."""
    a, b = sites
    assoc_id = synced['association']['id']
    member = sorted(_copies(b))[0]
    b.call('DELETE', 'subclouds/%s' % member, user=two_sites.PEER_USER)
    _wait('the copy made again on B', lambda: member in _copies(b), timeout=30)
    assert _settled(a, assoc_id)['sync-status'] == 'in-sync'
    assert '1 subcloud(s) missing there' in a.log_text()


def test_a_copy_naming_a_in_a_newer_term_gives_a_that_term(sites, synced):
    """B's copy says A leads in a newer term than A has (A lost its own record): A takes that
    term, still leading, and syncs the group again."""
    a, b = sites
    assoc_id = synced['association']['id']
    uuid_ = synced['group']['peer_group_uuid']
    copy = b.get('subcloud-peer-groups/%s' % uuid_)
    term = copy['leader_term'] + 5
    b.call('PATCH', 'subcloud-peer-groups/%d' % copy['id'], user=two_sites.PEER_USER,
           json={'leader-term': str(term)})
    _wait('A at the newer term', lambda: a.get(
        'subcloud-peer-groups/%s' % uuid_)['leader_term'] == term, timeout=30)
    group = a.get('subcloud-peer-groups/%s' % uuid_)
    assert group['system_leader_id'] == a.system_uuid
    assert _settled(a, assoc_id)['sync-status'] == 'in-sync'
    assert not [x for x in a.get('site-alarms')['site_alarms'] if x['alarm_id'] == '280.005']


def _lead_on_b(b, uuid_, leader, term):
    """B's copy of the group led by ``leader`` in ``term``, as B's migration writes it (the
    next part of the work): written in B's database here."""
    assert b.write_database(
        'UPDATE subcloud_peer_group SET system_leader_id = :id, system_leader_name = :name, '
        'leader_term = :term WHERE peer_group_uuid = :uuid', id=leader.system_uuid,
        name=leader.name, term=term, uuid=uuid_) == 1


def _alarms(site, alarm_id):
    return [x for x in site.get('site-alarms')['site_alarms'] if x['alarm_id'] == alarm_id]


def test_b_leading_the_group_is_followed_by_a_with_the_alarm(sites, synced):
    """B leads the group in a newer term: A's audit is refused, A takes B's leadership (its
    operators and its sync no longer write the group) and raises 280.005, A being the
    preferred site; once A leads again in a newer term, the alarm is cleared and the group
    synced again."""
    a, b = sites
    assoc_id = synced['association']['id']
    uuid_ = synced['group']['peer_group_uuid']
    term = a.get('subcloud-peer-groups/%s' % uuid_)['leader_term'] + 1
    _lead_on_b(b, uuid_, b, term)
    _wait('A following B', lambda: a.get(
        'subcloud-peer-groups/%s' % uuid_)['system_leader_id'] == b.system_uuid, timeout=30)
    group = a.get('subcloud-peer-groups/%s' % uuid_)
    assert (group['leader_term'], group['system_leader_name']) == (term, b.name)
    followed = _association(a, assoc_id)
    assert followed['sync-status'] == 'failed'
    assert 'is led by %s now' % b.name in followed['sync-message']
    alarm, = _wait('the alarm', lambda: _alarms(a, '280.005'), timeout=30)
    assert alarm['severity'] == 'major' and alarm['entity'] == 'peer_group=%s' % uuid_
    assert 'migrate' in alarm['repair']
    refused = a.call('PATCH', 'subcloud-peer-groups/%s' % uuid_, expect=None,
                     json={'max-subcloud-rehoming': '3'})
    assert refused.status_code == 409, refused.text
    refused = a.call('PATCH', 'peer-group-associations/%d/sync' % assoc_id, data=b'',
                     headers={'Content-Type': 'application/json'}, expect=None)
    assert refused.status_code == 409, refused.text
    # Several audits later the alarm is still one alarm, logged once.
    time.sleep(12)
    assert len(_alarms(a, '280.005')) == 1
    assert a.log_text().count('alarm 280.005 raised') == 1
    _lead_on_b(b, uuid_, a, term + 1)
    _wait('A leading again', lambda: a.get(
        'subcloud-peer-groups/%s' % uuid_)['system_leader_id'] == a.system_uuid, timeout=30)
    _wait('the alarm cleared', lambda: not _alarms(a, '280.005'), timeout=30)
    assert _settled(a, assoc_id)['sync-status'] == 'in-sync'


def test_delete_with_b_down_is_refused_then_forced_and_cleaned_on_b(sites, synced):
    a, b = sites
    assoc_id = synced['association']['id']
    b.stop()
    try:
        resp = a.call('DELETE', 'peer-group-associations/%d' % assoc_id, expect=409)
        assert resp.json()['error'] == 'PeerCleanupFailed'
        a.call('DELETE', 'peer-group-associations/%d?force=true' % assoc_id)
    finally:
        b.start()
    # B answers again: A's heartbeat sees it and its audit removes the copies there.
    _wait('the copies gone from B', lambda: b.get('subclouds')['subclouds'] == [] and
          b.get('subcloud-peer-groups')['subcloud_peer_groups'] == [], timeout=INTERVAL * 3)
    assert b.get('peer-group-associations')['peer_group_associations'] == []


def test_no_password_in_any_log_of_either_site(sites, synced):
    a, b = sites
    secrets = [forms.ADMIN_PASSWORD, forms.SYSADMIN_PASSWORD,
               a.keystone.users[two_sites.PEER_USER].password,
               b.keystone.users[two_sites.PEER_USER].password]
    encoded = [base64.b64encode(s.encode()).decode() for s in secrets]
    for site in (a, b):
        text = site.log_text()
        for secret in secrets + encoded:
            assert secret not in text, '%s logged a password' % site.name
    for site in (a, b):
        for path in ('subclouds', 'system-peers', 'subcloud-peer-groups',
                     'peer-group-associations'):
            body = yaml.safe_dump(site.get(path))
            for secret in secrets + encoded:
                assert secret not in body
