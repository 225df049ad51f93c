"""Subcloud membership of a peer group: ``PATCH /v1.0/subclouds/<ref>`` with ``peer_group``
(a group's name or id, or ``none``), as ``dcmanager subcloud update --peer-group`` sends it.

A subcloud joins only managed, online and complete, a group this site leads; while in a group
its management state is not changed here; a member that joins, leaves or changes marks the
group's primary associations out-of-sync in the same transaction.
"""

import base64
import uuid

import pytest
import sqlalchemy as sa

from dcmanager import objects
from dcmanager.common import states
from dcmanager.db import api as db_api
from dcmanager.db.sqlalchemy import models
from tests import records

SUBCLOUDS = '/v1.0/subclouds'
JSON = {'Accept': 'application/json'}


@pytest.fixture
def group(api):
    return api.post_json('/v1.0/subcloud-peer-groups', {'peer-group-name': 'pg1'}).json


@pytest.fixture
def association(api, group, hanging_peer_url):
    peer = api.post_json('/v1.0/system-peers', {
        'peer_uuid': str(uuid.uuid4()), 'peer_name': 'site-b',
        'manager_endpoint': hanging_peer_url, 'manager_username': 'admin',
        'manager_password': base64.b64encode(b'Peer-Secret*42').decode(),
        'peer_controller_gateway_address': '127.0.2.1'}).json
    assoc = api.post_json('/v1.0/peer-group-associations', {
        'peer_group_id': group['id'], 'system_peer_id': peer['id'],
        'peer_group_priority': 2}).json
    _set_assoc(assoc['id'], sync_status='in-sync', sync_owner=None)
    return assoc['id']


def _subcloud(ctx, name='sc1', n=1, management=states.MANAGED, availability=states.ONLINE,
              deploy=states.DEPLOY_COMPLETE):
    return records.subcloud(ctx, name, n, management=management, availability=availability,
                            deploy=deploy)


def _set_assoc(assoc_id, **values):
    with db_api.get_engine().begin() as conn:
        conn.execute(sa.update(models.PeerGroupAssociation)
                     .where(models.PeerGroupAssociation.id == assoc_id).values(**values))


def _assoc_status(assoc_id):
    with db_api.get_engine().connect() as conn:
        return conn.execute(sa.select(models.PeerGroupAssociation.sync_status)
                            .where(models.PeerGroupAssociation.id == assoc_id)).scalar_one()


def _peer_group_of(ctx, sc):
    return objects.Subcloud.get_by_id(ctx, sc.id).peer_group_id


def test_join_by_name_or_id_and_leave(api, ctx, group):
    sc = _subcloud(ctx)
    shown = api.patch_json('%s/sc1' % SUBCLOUDS, {'peer_group': 'pg1'}).json
    assert shown['peer_group_id'] == group['id'] == _peer_group_of(ctx, sc)
    listed = api.get('/v1.0/subcloud-peer-groups/pg1/subclouds').json['subclouds']
    assert [s['name'] for s in listed] == ['sc1']
    api.patch_json('%s/sc1' % SUBCLOUDS, {'peer_group': 'None'})
    assert _peer_group_of(ctx, sc) is None
    api.patch_json('%s/%d' % (SUBCLOUDS, sc.id), {'peer_group': str(group['id'])})
    assert _peer_group_of(ctx, sc) == group['id']


def test_an_unknown_group_is_400(api, ctx, group):
    sc = _subcloud(ctx)
    resp = api.patch_json('%s/sc1' % SUBCLOUDS, {'peer_group': 'nope'}, headers=JSON,
                          status=400)
    assert resp.json['description'] == 'Invalid peer group'
    assert _peer_group_of(ctx, sc) is None


@pytest.mark.parametrize('state', [
    {'management': states.UNMANAGED}, {'availability': states.OFFLINE},
    {'deploy': 'enroll-failed'}])
def test_only_a_managed_online_complete_subcloud_joins(api, ctx, group, state):
    sc = _subcloud(ctx, **state)
    resp = api.patch_json('%s/sc1' % SUBCLOUDS, {'peer_group': 'pg1'}, headers=JSON,
                          status=400)
    assert 'must be managed, online and complete' in resp.json['description']
    assert _peer_group_of(ctx, sc) is None


def test_only_a_group_this_site_leads_is_joined(api, ctx, group):
    sc = _subcloud(ctx)
    with db_api.get_engine().begin() as conn:
        conn.execute(sa.update(models.SubcloudPeerGroup).values(group_priority=1))
    resp = api.patch_json('%s/sc1' % SUBCLOUDS, {'peer_group': 'pg1'}, headers=JSON,
                          status=400)
    assert resp.json['description'] == 'Cannot update a peer group from a non-primary site.'
    assert _peer_group_of(ctx, sc) is None


def test_a_members_management_state_follows_the_group(api, ctx, group):
    sc = _subcloud(ctx)
    api.patch_json('%s/sc1' % SUBCLOUDS, {'peer_group': 'pg1'})
    resp = api.patch_json('%s/sc1' % SUBCLOUDS, {'management-state': 'unmanaged'},
                          headers=JSON, status=400)
    assert 'is in peer group pg1' in resp.json['description']
    assert objects.Subcloud.get_by_id(ctx, sc.id).management_state == states.MANAGED


def test_joining_leaving_and_changing_mark_the_associations_out_of_sync(api, ctx, group,
                                                                         association):
    _subcloud(ctx)
    api.patch_json('%s/sc1' % SUBCLOUDS, {'peer_group': 'pg1'})
    assert _assoc_status(association) == states.ASSOCIATION_SYNC_OUT_OF_SYNC
    _set_assoc(association, sync_status='in-sync')
    api.patch_json('%s/sc1' % SUBCLOUDS, {'description': 'moved to rack 7'})
    assert _assoc_status(association) == states.ASSOCIATION_SYNC_OUT_OF_SYNC
    _set_assoc(association, sync_status='in-sync')
    api.patch_json('%s/sc1' % SUBCLOUDS, {'peer_group': 'none'})
    assert _assoc_status(association) == states.ASSOCIATION_SYNC_OUT_OF_SYNC


def test_a_refused_join_marks_nothing(api, ctx, group, association):
    _subcloud(ctx, management=states.UNMANAGED)
    api.patch_json('%s/sc1' % SUBCLOUDS, {'peer_group': 'pg1'}, headers=JSON, status=400)
    assert _assoc_status(association) == 'in-sync'


def test_a_member_is_not_deleted(api, ctx, group):
    _subcloud(ctx, management=states.MANAGED)
    api.patch_json('%s/sc1' % SUBCLOUDS, {'peer_group': 'pg1'})
    api.delete('%s/sc1' % SUBCLOUDS, headers=JSON, status=400)
