"""/v1.0/peer-group-associations through the real WSGI stack, manager and database
(api-ref/source/peer-group-associations.inc): the API half. The cross-site sync is the
manager's (recorded as an operation it owns:
``syncing`` with an owner, recovered if that manager dies).

Bodies as the CLI sends them: ids as strings, ``sync`` with an empty body.
"""

import base64
import datetime
import uuid

import pytest
import sqlalchemy as sa

from dcmanager.common import states
from dcmanager.db import api as db_api
from dcmanager.db.sqlalchemy import models
from dcmanager.manager import recovery
from tests import records

BASE = '/v1.0/peer-group-associations'
JSON = {'Accept': 'application/json'}
KEYS = {'id', 'peer-group-id', 'system-peer-id', 'peer-group-priority', 'association-type',
        'sync-status', 'sync-message', 'created-at', 'updated-at'}


def _pair(api, endpoint):
    group = api.post_json('/v1.0/subcloud-peer-groups', {'peer-group-name': 'pg1'}).json
    peer = api.post_json('/v1.0/system-peers', {
        'peer_uuid': str(uuid.uuid4()), 'peer_name': 'site-b',
        'manager_endpoint': endpoint, 'manager_username': 'admin',
        'manager_password': base64.b64encode(b'Peer-Secret*42').decode(),
        'peer_controller_gateway_address': '127.0.2.1'}).json
    return group['id'], peer['id']


@pytest.fixture
def pair(api, hanging_peer_url):
    """A peer group this site leads and a system peer that hangs (its syncs stay under way):
    (group id, peer id)."""
    return _pair(api, hanging_peer_url)


def _create(api, pair, priority='2'):
    return api.post_json(BASE + '/', {'peer_group_id': str(pair[0]),
                                      'system_peer_id': str(pair[1]),
                                      'peer_group_priority': priority}).json


def _row(association_id):
    with db_api.get_engine().connect() as conn:
        return conn.execute(sa.select(models.PeerGroupAssociation)
                            .where(models.PeerGroupAssociation.id == association_id)).one()


def _set(association_id, **values):
    with db_api.get_engine().begin() as conn:
        conn.execute(sa.update(models.PeerGroupAssociation)
                     .where(models.PeerGroupAssociation.id == association_id).values(**values))


def _state(api):
    return api.get(BASE).json


def test_create_records_the_sync_as_the_managers_operation(api, pair, site):
    assoc = _create(api, pair)
    assert set(assoc) == KEYS
    assert (assoc['peer-group-id'], assoc['system-peer-id'], assoc['peer-group-priority'],
            assoc['association-type'], assoc['sync-status'], assoc['sync-message']) == (
        pair[0], pair[1], 2, 'primary', 'syncing', None)
    assert _row(assoc['id']).sync_owner == site.manager.host
    assert api.get('%s/%d' % (BASE, assoc['id'])).json == assoc
    listed = api.get(BASE).json['peer_group_associations']
    assert listed == [{k: v for k, v in assoc.items() if k != 'sync-message'}]


def test_the_pair_is_unique(api, pair):
    _create(api, pair)
    before = _state(api)
    resp = api.post_json(BASE, {'peer_group_id': pair[0], 'system_peer_id': pair[1],
                                'peer_group_priority': 3}, headers=JSON, status=409)
    assert resp.json['description'] == ('A Peer group association with same peer_group_id, '
                                        'system_peer_id already exists')
    assert _state(api) == before


@pytest.mark.parametrize('body, message', [
    ({'peer_group_id': 99}, 'Invalid peer_group_id'),
    ({'system_peer_id': 99}, 'Invalid system_peer_id'),
    ({'peer_group_id': 'x'}, 'Invalid peer_group_id'),
    ({'peer_group_priority': 0}, 'Invalid peer_group_priority'),
    ({'peer_group_priority': '65537'}, 'Invalid peer_group_priority'),
    ({'peer_group_priority': None}, 'peer_group_priority required'),
    ({'extra': 1}, 'Unexpected field: extra'),
])
def test_invalid_create_is_400_and_creates_nothing(api, pair, body, message):
    full = {'peer_group_id': pair[0], 'system_peer_id': pair[1], 'peer_group_priority': 2}
    full.update(body)
    full = {k: v for k, v in full.items() if v is not None}
    resp = api.post_json(BASE, full, headers=JSON, status=400)
    assert resp.json['description'] == message
    assert _state(api) == {'peer_group_associations': []}


def test_a_group_this_site_does_not_lead_is_not_associated_here(api, pair):
    with db_api.get_engine().begin() as conn:
        conn.execute(sa.update(models.SubcloudPeerGroup).values(group_priority=1))
    resp = api.post_json(BASE, {'peer_group_id': pair[0], 'system_peer_id': pair[1],
                                'peer_group_priority': 2}, headers=JSON, status=400)
    assert resp.json['description'] == 'Cannot update a peer group from a non-primary site.'
    assert _state(api) == {'peer_group_associations': []}


def test_the_id_must_be_digits(api):
    resp = api.get(BASE + '/abc', headers=JSON, status=400)
    assert resp.json['description'] == 'Peer Group Association ID must be an integer'
    resp = api.get(BASE + '/99', headers=JSON, status=404)
    assert resp.json['description'] == 'Peer Group Association not found'


def test_sync_takes_an_empty_body_and_a_second_request_is_the_first(api, pair):
    assoc = _create(api, pair)
    again = api.patch('%s/%d/sync' % (BASE, assoc['id']), b'',
                      content_type='application/json').json
    assert again == assoc
    _set(assoc['id'], sync_status='failed', sync_message='it failed', sync_owner=None)
    synced = api.patch('%s/%d/sync' % (BASE, assoc['id']), b'',
                       content_type='application/json').json
    assert (synced['sync-status'], synced['sync-message']) == ('syncing', None)
    assert _row(assoc['id']).sync_owner is not None


def test_priority_update(api, pair):
    assoc = _create(api, pair)
    api.patch_json('%s/%d' % (BASE, assoc['id']), {'peer_group_priority': 5}, headers=JSON,
                   status=409)  # syncing
    _set(assoc['id'], sync_status='in-sync', sync_owner=None)
    changed = api.patch_json('%s/%d' % (BASE, assoc['id']), {'peer_group_priority': '5'}).json
    assert (changed['peer-group-priority'], changed['sync-status']) == (5, 'syncing')


@pytest.mark.parametrize('body, message', [
    ({'peer_group_priority': 2, 'sync_status': 'in-sync'},
     'peer_group_priority and sync_status cannot be updated at the same time.'),
    ({'sync_status': 'bogus'}, 'Invalid sync_status'),
    ({'peer_group_priority': 0}, 'Invalid peer_group_priority'),
])
def test_invalid_update_is_400(api, pair, body, message):
    assoc = _create(api, pair)
    _set(assoc['id'], sync_status='in-sync', sync_owner=None)
    before = api.get('%s/%d' % (BASE, assoc['id'])).json
    resp = api.patch_json('%s/%d' % (BASE, assoc['id']), body, headers=JSON, status=400)
    assert resp.json['description'] == message
    assert api.get('%s/%d' % (BASE, assoc['id'])).json == before


def test_a_non_primary_association_is_the_peer_sites(api, pair):
    assoc = _create(api, pair)
    _set(assoc['id'], association_type='non-primary', sync_status='in-sync', sync_owner=None)
    for call in (lambda: api.patch('%s/%d/sync' % (BASE, assoc['id']), b'',
                                   content_type='application/json', headers=JSON, status=400),
                 lambda: api.patch_json('%s/%d' % (BASE, assoc['id']),
                                        {'peer_group_priority': 3}, headers=JSON, status=400),
                 lambda: api.delete('%s/%d' % (BASE, assoc['id']), headers=JSON, status=400)):
        assert 'non-primary' in call().json['description']
    assert api.get('%s/%d' % (BASE, assoc['id'])).json['sync-status'] == 'in-sync'


def test_delete_of_copies_an_unreachable_peer_holds_is_refused_unless_forced(
        api, refused_peer_url):
    pair = _pair(api, refused_peer_url)
    assoc = _create(api, pair)
    resp = api.delete('%s/%d' % (BASE, assoc['id']), headers=JSON, status=409)
    assert resp.json['error'] == 'PeerCleanupFailed'
    assert 'could not be reached' in resp.json['description']
    assert [a['id'] for a in _state(api)['peer_group_associations']] == [assoc['id']]
    resp = api.delete('%s/%d?force=yes' % (BASE, assoc['id']), headers=JSON, status=400)
    assert resp.json['description'] == 'Invalid force value: "true" or "false"'
    resp = api.delete('%s/%d?force=true' % (BASE, assoc['id']))
    assert resp.status_int == 200 and resp.json is None
    assert _state(api) == {'peer_group_associations': []}
    with db_api.get_engine().connect() as conn:
        left = conn.execute(sa.select(models.PeerCleanup)).all()
    assert [(row.system_peer_id, row.peer_group_name) for row in left] == [(pair[1], 'pg1')]
    api.delete('%s/%d' % (BASE, assoc['id']), status=404)
    # Now the peer and the group may go.
    api.delete('/v1.0/system-peers/%d' % pair[1])
    api.delete('/v1.0/subcloud-peer-groups/%d' % pair[0])


def test_a_dead_managers_sync_is_recovered_as_failed(api, pair, ctx):
    assoc = _create(api, pair)
    _set(assoc['id'], sync_owner='a-manager-that-died')
    moved = recovery.recover_at_start(ctx, 'this-manager')
    assert moved >= 1
    shown = api.get('%s/%d' % (BASE, assoc['id'])).json
    assert shown['sync-status'] == states.ASSOCIATION_SYNC_FAILED
    assert 'peer-group-association sync' in shown['sync-message']
    assert _row(assoc['id']).sync_owner is None


def test_a_sync_to_an_unreachable_peer_fails_saying_so(api, refused_peer_url):
    assoc = _create(api, _pair(api, refused_peer_url))
    assert assoc['sync-status'] == 'syncing'
    done = records.settled_association(api, assoc['id'])
    assert done['sync-status'] == 'failed'
    assert done['sync-message'].startswith('Site site-b could not be reached: ')
    assert 'connection refused' in done['sync-message']
    assert _row(assoc['id']).sync_owner is None
    # Asked again, it runs again (and fails again, the peer being still down).
    again = api.patch('%s/%d/sync' % (BASE, assoc['id']), b'',
                      content_type='application/json').json
    assert again['sync-status'] == 'syncing'
    assert records.settled_association(api, assoc['id'])['sync-status'] == 'failed'


def test_a_finished_sync_does_not_write_over_a_new_row_with_its_id(api, ctx, site,
                                                                   hanging_peer_url):
    from dcmanager import objects
    assoc = _create(api, _pair(api, hanging_peer_url))
    stale = objects.PeerGroupAssociation.get_by_id(ctx, assoc['id'])
    # The row is deleted and another takes its id (SQLite reuses the last one).
    _set(assoc['id'], created_at=stale.created_at.replace(tzinfo=None) -
         datetime.timedelta(seconds=1))
    assert not stale.write_owned(ctx, site.manager.host, sync_status='failed')
    assert _row(assoc['id']).sync_status == 'syncing'
    fresh = objects.PeerGroupAssociation.get_by_id(ctx, assoc['id'])
    assert fresh.write_owned(ctx, site.manager.host, sync_status='failed')
