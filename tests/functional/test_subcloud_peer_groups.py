"""/v1.0/subcloud-peer-groups through the real WSGI stack, manager and database (api-ref/source).

Request keys hyphenated, as the CLI sends them; numbers as strings or integers. Every refused
request is checked to change nothing.
"""

import uuid

import pytest
import sqlalchemy as sa

from dcmanager import objects
from dcmanager.common import states
from dcmanager.db import api as db_api
from dcmanager.db.sqlalchemy import models
from tests import records

BASE = '/v1.0/subcloud-peer-groups'
JSON = {'Accept': 'application/json'}
KEYS = {'id', 'peer_group_name', 'group_priority', 'group_state', 'system_leader_id',
        'system_leader_name', 'max_subcloud_rehoming', 'migration_status', 'peer_group_uuid',
        'leader_term', 'created-at', 'updated-at'}


def _create(api, name='pg1', **kw):
    return api.post_json(BASE + '/', dict({'peer-group-name': name}, **kw)).json


def _state(api):
    return api.get(BASE).json


def _member(ctx, name, group_id, n, deploy_status=states.DEPLOY_COMPLETE,
            management_state=states.UNMANAGED):
    sc = records.subcloud(ctx, name, n, management=management_state,
                          availability=states.ONLINE, deploy=deploy_status)
    with db_api.get_engine().begin() as conn:
        conn.execute(sa.update(models.Subcloud).where(models.Subcloud.id == sc.id)
                     .values(peer_group_id=group_id))
    return sc


def _peer_and_association(group_id):
    with db_api.get_engine().begin() as conn:
        peer_id = conn.execute(sa.insert(models.SystemPeer).values(
            peer_uuid=str(uuid.uuid4()), peer_name='site-b', manager_endpoint='http://127.0.0.1/v3',
            manager_username='admin', administrative_state='enabled', heartbeat_interval=60,
            heartbeat_failure_threshold=3, heartbeat_failure_policy='alarm',
            heartbeat_maintenance_timeout=600,
            availability_state='created')).inserted_primary_key[0]
        conn.execute(sa.insert(models.PeerGroupAssociation).values(
            peer_group_id=group_id, system_peer_id=peer_id, peer_group_priority=1,
            association_type='primary', sync_status='in-sync'))


def _set(group_id, **values):
    with db_api.get_engine().begin() as conn:
        conn.execute(sa.update(models.SubcloudPeerGroup)
                     .where(models.SubcloudPeerGroup.id == group_id).values(**values))


# ------------------------------------------------------------------ create

def test_create_is_primary_and_led_by_this_site(api, ctx):
    group = _create(api, **{'max-subcloud-rehoming': '20'})
    local = objects.LocalSystem.get(ctx)
    assert set(group) == KEYS
    assert group['peer_group_name'] == 'pg1'
    assert (group['group_priority'], group['group_state'], group['max_subcloud_rehoming'],
            group['migration_status'], group['leader_term']) == (0, 'enabled', 20, None, 1)
    assert group['system_leader_id'] == local.system_uuid
    assert group['system_leader_name'] == local.system_name
    assert str(uuid.UUID(group['peer_group_uuid'])) == group['peer_group_uuid']
    assert api.get('%s/%d' % (BASE, group['id'])).json == group
    assert api.get('%s/pg1' % BASE).json == group


def test_each_group_has_its_own_uuid(api):
    assert _create(api)['peer_group_uuid'] != _create(api, 'pg2')['peer_group_uuid']


def test_leader_fields_may_name_this_site(api, ctx):
    local = objects.LocalSystem.get(ctx)
    group = _create(api, **{'group-priority': '0', 'system-leader-id': local.system_uuid.upper(),
                            'system-leader-name': local.system_name, 'group-state': 'disabled'})
    assert group['group_state'] == 'disabled' and group['system_leader_id'] == local.system_uuid


@pytest.mark.parametrize('body, message', [
    ({'group-priority': 1}, 'Invalid group-priority'),
    ({'system-leader-id': str(uuid.uuid4())}, 'Invalid system-leader-id'),
    ({'system-leader-name': 'OtherSite'}, 'Invalid system-leader-name'),
    ({'group-priority': 65537}, 'Invalid group-priority'),
    ({'group-state': 'on'}, 'Invalid group-state'),
    ({'max-subcloud-rehoming': 0}, 'Invalid max-subcloud-rehoming'),
    ({'max-subcloud-rehoming': '251'}, 'Invalid max-subcloud-rehoming'),
    ({'system-leader-id': 'not-a-uuid'}, 'Invalid system-leader-id'),
    ({'peer-group-name': 'None'}, 'Invalid peer-group-name'),
    ({'peer-group-name': '42'}, 'Invalid peer-group-name'),
    ({'peer-group-name': 'pg.1'}, 'Invalid peer-group-name'),
    ({'peer-group-name': 'x' * 256}, 'Invalid peer-group-name'),
    ({'peer_group_name': 'pg1'}, 'Unexpected field: peer_group_name'),
])
def test_invalid_create_is_400_and_creates_nothing(api, body, message):
    resp = api.post_json(BASE, dict({'peer-group-name': 'pg1'}, **body), headers=JSON,
                         status=400)
    assert resp.json['description'].startswith(message), resp.json
    assert _state(api) == {'subcloud_peer_groups': []}


def test_name_required_and_unique(api):
    resp = api.post_json(BASE, {'group-state': 'enabled'}, headers=JSON, status=400)
    assert resp.json['description'] == 'peer-group-name required'
    _create(api)
    before = _state(api)
    resp = api.post_json(BASE, {'peer-group-name': 'pg1'}, headers=JSON, status=409)
    assert resp.json['description'] == 'A subcloud peer group with this name already exists'
    assert _state(api) == before


def test_empty_body_is_400(api):
    resp = api.post(BASE, b'', content_type='application/json', headers=JSON, status=400)
    assert resp.json['error'] == 'BodyRequired'


# ------------------------------------------------------------------ update

def test_update(api):
    group = _create(api)
    changed = api.patch_json('%s/pg1' % BASE, {'peer-group-name': 'pg9', 'group-state': 'disabled',
                                               'max-subcloud-rehoming': '5'}).json
    assert (changed['peer_group_name'], changed['group_state'],
            changed['max_subcloud_rehoming']) == ('pg9', 'disabled', 5)
    assert changed['peer_group_uuid'] == group['peer_group_uuid']
    assert api.get('%s/%d' % (BASE, group['id'])).json == changed


@pytest.mark.parametrize('body', [{'group-priority': 0}, {'system-leader-id': str(uuid.uuid4())},
                                  {'system-leader-name': 'x'}, {'migration_status': 'complete'}])
def test_leadership_fields_are_not_changed_by_operators(api, body):
    group = _create(api)
    resp = api.patch_json('%s/%d' % (BASE, group['id']), body, headers=JSON, status=400)
    assert 'follows the group\'s leadership' in resp.json['description']
    assert api.get('%s/%d' % (BASE, group['id'])).json == group


def test_update_checks(api):
    group = _create(api)
    _create(api, 'pg2')
    resp = api.patch_json('%s/%d' % (BASE, group['id']), {'peer-group-name': 'pg2'},
                          headers=JSON, status=409)
    assert resp.json['error'] == 'SubcloudPeerGroupNameTaken'
    resp = api.patch_json('%s/%d' % (BASE, group['id']), {'max-subcloud-rehoming': 0},
                          headers=JSON, status=400)
    assert resp.json['description'] == 'Invalid max-subcloud-rehoming'
    resp = api.patch_json('%s/%d' % (BASE, group['id']), {}, headers=JSON, status=400)
    assert api.get('%s/%d' % (BASE, group['id'])).json == group
    api.patch_json('%s/nope' % BASE, {'group-state': 'disabled'}, status=404)


def test_a_non_primary_copy_is_read_only_to_operators(api):
    group = _create(api)
    _set(group['id'], group_priority=2)
    resp = api.patch_json('%s/%d' % (BASE, group['id']), {'group-state': 'disabled'},
                          headers=JSON, status=400)
    assert resp.json['description'] == 'Cannot update a peer group from a non-primary site.'
    assert api.get('%s/%d' % (BASE, group['id'])).json['group_state'] == 'enabled'


def test_a_group_led_by_another_site_is_not_changed_here(api):
    group = _create(api)
    _set(group['id'], system_leader_id=str(uuid.uuid4()), system_leader_name='site-b')
    resp = api.patch_json('%s/%d' % (BASE, group['id']), {'group-state': 'disabled'},
                          headers=JSON, status=409)
    assert 'is led by site-b' in resp.json['description']
    assert api.get('%s/%d' % (BASE, group['id'])).json['group_state'] == 'enabled'


# ------------------------------------------------------------------ delete

def test_delete_detaches_the_members(api, ctx):
    group = _create(api)
    sc = _member(ctx, 'sc1', group['id'], 1)
    resp = api.delete('%s/pg1' % BASE)
    assert resp.status_int == 200 and resp.json is None
    assert _state(api) == {'subcloud_peer_groups': []}
    assert objects.Subcloud.get_by_id(ctx, sc.id).peer_group_id is None


def test_a_group_with_an_association_is_not_deleted(api, ctx):
    group = _create(api)
    sc = _member(ctx, 'sc1', group['id'], 1)
    _peer_and_association(group['id'])
    resp = api.delete('%s/%d' % (BASE, group['id']), headers=JSON, status=400)
    assert resp.json['description'] == ('Cannot delete a peer group which is associated with '
                                        'a system peer.')
    assert api.get('%s/%d' % (BASE, group['id'])).json == group
    assert objects.Subcloud.get_by_id(ctx, sc.id).peer_group_id == group['id']


def test_unknown_group_is_404(api):
    for method in ('get', 'delete'):
        resp = getattr(api, method)('%s/nope' % BASE, status=404)
        assert 'Subcloud Peer Group not found' in resp.text
    api.get('%s/99/subclouds' % BASE, status=404)
    api.get('%s/99/status' % BASE, status=404)


# ------------------------------------------------------------------ subclouds and status

def test_subclouds_and_status(api, ctx):
    group = _create(api)
    other = _create(api, 'pg2')
    _member(ctx, 'sc1', group['id'], 1)
    _member(ctx, 'sc2', group['id'], 2, management_state=states.MANAGED)
    _member(ctx, 'sc3', group['id'], 3, deploy_status='secondary')
    _member(ctx, 'sc4', group['id'], 4, deploy_status='rehome-failed')
    _member(ctx, 'sc5', group['id'], 5, deploy_status='rehome-prep-failed')
    _member(ctx, 'sc6', group['id'], 6, deploy_status='rehoming')
    _member(ctx, 'sc7', other['id'], 7)
    subclouds = api.get('%s/pg1/subclouds' % BASE).json['subclouds']
    assert [sc['name'] for sc in subclouds] == ['sc1', 'sc2', 'sc3', 'sc4', 'sc5', 'sc6']
    assert all(sc['peer_group_id'] == group['id'] for sc in subclouds)
    assert not any('password' in key or 'secret' in key or key == 'rehome_data'
                   for sc in subclouds for key in sc)
    assert api.get('%s/%d/status' % (BASE, group['id'])).json == {
        'peer_group_id': group['id'], 'peer_group_name': 'pg1', 'total_subclouds': 6,
        'complete': 2, 'waiting_for_migrate': 1, 'rehoming': 1, 'rehome_failed': 2,
        'managed': 1, 'unmanaged': 5}


def test_status_of_an_empty_group(api):
    group = _create(api)
    assert api.get('%s/pg1/status' % BASE).json == {
        'peer_group_id': group['id'], 'peer_group_name': 'pg1', 'total_subclouds': 0,
        'complete': 0, 'waiting_for_migrate': 0, 'rehoming': 0, 'rehome_failed': 0,
        'managed': 0, 'unmanaged': 0}
