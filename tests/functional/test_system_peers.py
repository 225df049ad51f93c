"""/v1.0/system-peers through the real WSGI stack, manager and database (api-ref/source).

Bodies as the real CLI sends them: underscore keys, the password in base64, numbers typed on the
command line as strings. Every refused request is checked to change nothing.
"""

import base64
import logging
import uuid

import pytest
import sqlalchemy as sa

from dcmanager import objects
from dcmanager.common import crypto, states
from dcmanager.db import api as db_api
from dcmanager.db.sqlalchemy import models

BASE = '/v1.0/system-peers'
JSON = {'Accept': 'application/json'}
PASSWORD = 'Peer-Secret*42'
PEER_UUID = '6d0c3a3e-7f6b-4c8e-9a51-2f1f5e1c9b70'
KEYS = {'id', 'peer-uuid', 'peer-name', 'manager-endpoint', 'manager-username',
        'peer-controller-gateway-address', 'administrative-state', 'heartbeat-interval',
        'heartbeat-failure-threshold', 'heartbeat-failure-policy',
        'heartbeat-maintenance-timeout', 'availability-state', 'created-at', 'updated-at'}


def _b64(text):
    return base64.b64encode(text.encode()).decode()


def _body(**kw):
    body = {'peer_uuid': PEER_UUID, 'peer_name': 'site-b',
            'manager_endpoint': 'http://127.0.0.1:25000/v3', 'manager_username': 'admin',
            'manager_password': _b64(PASSWORD),
            'peer_controller_gateway_address': '127.0.2.1'}
    body.update(kw)
    return {k: v for k, v in body.items() if v is not None}


def _create(api, **kw):
    return api.post_json(BASE + '/', _body(**kw)).json


def _state(api):
    return api.get(BASE).json


def _stored_password(peer_id):
    with db_api.get_engine().connect() as conn:
        return conn.execute(sa.select(models.SystemPeer.manager_password)
                            .where(models.SystemPeer.id == peer_id)).scalar_one()


def _associate(ctx, peer_id, name='pg1'):
    """A peer group and its association with the peer, written as the next issue's code will."""
    engine = db_api.get_engine()
    with engine.begin() as conn:
        group_id = conn.execute(sa.insert(models.SubcloudPeerGroup).values(
            peer_group_uuid=str(uuid.uuid4()), peer_group_name=name, group_priority=0,
            group_state='enabled', max_subcloud_rehoming=10, leader_term=1,
            system_leader_id=objects.LocalSystem.get(ctx).system_uuid,
            system_leader_name='SystemController')).inserted_primary_key[0]
        assoc_id = conn.execute(sa.insert(models.PeerGroupAssociation).values(
            peer_group_id=group_id, system_peer_id=peer_id, peer_group_priority=1,
            association_type='primary', sync_status='in-sync')).inserted_primary_key[0]
    return group_id, assoc_id


def _sync_status(assoc_id):
    with db_api.get_engine().connect() as conn:
        return conn.execute(sa.select(models.PeerGroupAssociation.sync_status)
                            .where(models.PeerGroupAssociation.id == assoc_id)).scalar_one()


# ------------------------------------------------------------------ create

def test_create_as_the_cli_sends_it(api):
    body = _body(heartbeat_interval='30', heartbeat_failure_threshold='5',
                 heartbeat_maintenance_timeout='900', heartbeat_failure_policy='alarm',
                 administrative_state='disabled')
    peer = api.post_json(BASE + '/', body).json
    assert set(peer) == KEYS
    assert peer['peer-uuid'] == PEER_UUID and peer['peer-name'] == 'site-b'
    assert peer['manager-endpoint'] == 'http://127.0.0.1:25000/v3'
    assert peer['peer-controller-gateway-address'] == '127.0.2.1'
    assert (peer['heartbeat-interval'], peer['heartbeat-failure-threshold'],
            peer['heartbeat-maintenance-timeout']) == (30, 5, 900)
    assert peer['administrative-state'] == 'disabled'
    assert peer['availability-state'] == 'created'
    assert api.get('%s/%d' % (BASE, peer['id'])).json == peer


def test_create_defaults(api):
    peer = _create(api)
    assert (peer['administrative-state'], peer['heartbeat-interval'],
            peer['heartbeat-failure-threshold'], peer['heartbeat-failure-policy'],
            peer['heartbeat-maintenance-timeout']) == ('enabled', 60, 3, 'alarm', 600)


def test_hyphenated_request_keys_are_accepted(api):
    body = {k.replace('_', '-'): v for k, v in _body().items()}
    assert api.post_json(BASE, body).json['peer-name'] == 'site-b'


def test_the_password_is_write_only_and_encrypted_at_rest(api, caplog):
    caplog.set_level(logging.DEBUG)
    peer = _create(api)
    texts = [api.get(BASE).text, api.get('%s/%d' % (BASE, peer['id'])).text,
             api.patch_json('%s/%d' % (BASE, peer['id']),
                            {'manager_password': _b64('Other-Secret*7')}).text]
    stored = _stored_password(peer['id'])
    assert crypto.decrypt(stored) == 'Other-Secret*7'
    for secret in (PASSWORD, _b64(PASSWORD), 'Other-Secret*7', _b64('Other-Secret*7')):
        assert secret not in stored
        assert not any(secret in text for text in texts)
        assert secret not in caplog.text


@pytest.mark.parametrize('missing', ['peer_uuid', 'peer_name', 'manager_endpoint',
                                     'manager_username', 'manager_password',
                                     'peer_controller_gateway_address'])
def test_required_fields(api, missing):
    body = _body()
    del body[missing]
    resp = api.post_json(BASE, body, headers=JSON, status=400)
    assert resp.json['description'] == '%s required' % missing
    assert _state(api) == {'system_peers': []}


@pytest.mark.parametrize('field, value, message', [
    ('peer_uuid', 'not-a-uuid', 'Invalid peer uuid'),
    ('peer_uuid', PEER_UUID + '0', 'Invalid peer uuid'),
    ('peer_name', '1234', 'Invalid peer name'),
    ('peer_name', 'site.b', 'Invalid peer name'),
    ('peer_name', PEER_UUID.replace('6d0c', '7d0c'), 'Invalid peer name'),
    ('peer_name', 'x' * 256, 'Invalid peer name'),
    ('peer_name', '', 'Invalid peer name'),
    ('manager_endpoint', 'ftp://127.0.0.1/v3', 'Invalid peer manager_endpoint'),
    ('manager_endpoint', 'httpfoo', 'Invalid peer manager_endpoint'),
    ('manager_endpoint', '', 'Invalid peer manager_endpoint'),
    ('manager_username', '', 'Invalid peer manager_username'),
    ('manager_username', 'u' * 255, 'Invalid peer manager_username'),
    ('manager_password', '', 'Invalid peer manager_password'),
    ('manager_password', 'not base64!', 'Invalid peer manager_password'),
    ('manager_password', _b64('p' * 256), 'Invalid peer manager_password'),
    ('peer_controller_gateway_address', '127.0.2', 'Invalid peer '
                                                   'peer_controller_gateway_address'),
    ('peer_controller_gateway_address', 'gateway', 'Invalid peer '
                                                   'peer_controller_gateway_address'),
    ('administrative_state', 'on', 'Invalid peer administrative_state'),
    ('heartbeat_failure_policy', 'reboot', 'Invalid peer heartbeat_failure_policy'),
    ('heartbeat_interval', '9', 'Invalid peer heartbeat_interval'),
    ('heartbeat_interval', 601, 'Invalid peer heartbeat_interval'),
    ('heartbeat_interval', 'sixty', 'Invalid peer heartbeat_interval'),
    ('heartbeat_failure_threshold', '0', 'Invalid peer heartbeat_failure_threshold'),
    ('heartbeat_failure_threshold', 31, 'Invalid peer heartbeat_failure_threshold'),
    ('heartbeat_maintenance_timeout', '299', 'Invalid peer heartbeat_maintenance_timeout'),
    ('heartbeat_maintenance_timeout', 36001, 'Invalid peer heartbeat_maintenance_timeout'),
])
def test_invalid_fields_are_400_and_create_nothing(api, field, value, message):
    resp = api.post_json(BASE, _body(**{field: value}), headers=JSON, status=400)
    assert resp.json['description'].startswith(message), resp.json
    assert _state(api) == {'system_peers': []}


@pytest.mark.parametrize('field, low, high', [('heartbeat_interval', 10, 600),
                                              ('heartbeat_failure_threshold', 1, 30),
                                              ('heartbeat_maintenance_timeout', 300, 36000)])
def test_range_bounds_are_accepted(api, field, low, high):
    key = field.replace('_', '-')
    assert _create(api, **{field: str(low)})[key] == low
    assert _create(api, peer_uuid=str(uuid.uuid4()), peer_name='site-c',
                   **{field: high})[key] == high


def test_unknown_field_is_400(api):
    resp = api.post_json(BASE, _body(password='x'), headers=JSON, status=400)
    assert resp.json['description'] == 'Unexpected field: password'


@pytest.mark.parametrize('clash', ['peer_uuid', 'peer_name'])
def test_duplicate_uuid_or_name_is_409(api, clash):
    _create(api)
    other = {'peer_uuid': str(uuid.uuid4()), 'peer_name': 'site-c'}
    other.pop(clash)
    before = _state(api)
    resp = api.post_json(BASE, _body(**other), headers=JSON, status=409)
    assert resp.json['description'] == 'A system peer with this UUID or name already exists'
    assert _state(api) == before


def test_the_uuid_is_compared_in_any_case(api):
    _create(api)
    api.post_json(BASE, _body(peer_uuid=PEER_UUID.upper(), peer_name='site-c'), status=409)
    assert api.get('%s/%s' % (BASE, PEER_UUID.upper())).json['peer-name'] == 'site-b'


def test_the_local_system_is_not_a_peer(api, ctx):
    local = objects.LocalSystem.get(ctx)
    resp = api.post_json(BASE, _body(peer_uuid=local.system_uuid), headers=JSON, status=400)
    assert 'local system' in resp.json['description']
    resp = api.post_json(BASE, _body(peer_name=local.system_name), headers=JSON, status=400)
    assert 'local system' in resp.json['description']
    peer = _create(api)
    api.patch_json('%s/%d' % (BASE, peer['id']), {'peer_uuid': local.system_uuid},
                   headers=JSON, status=400)
    assert api.get('%s/%d' % (BASE, peer['id'])).json == peer


# ------------------------------------------------------------------ show / list

def test_show_by_id_uuid_and_name(api):
    peer = _create(api)
    for ref in (str(peer['id']), PEER_UUID, 'site-b'):
        assert api.get('%s/%s' % (BASE, ref)).json == peer
    assert api.get(BASE).json == {'system_peers': [peer]}


@pytest.mark.parametrize('ref', ['99', 'nope', str(uuid.uuid4())])
def test_unknown_peer_is_404(api, ref):
    _create(api)
    resp = api.get('%s/%s' % (BASE, ref), status=404)
    assert 'System Peer not found' in resp.text
    api.patch_json('%s/%s' % (BASE, ref), {'heartbeat_interval': 20}, status=404)
    api.delete('%s/%s' % (BASE, ref), status=404)


# ------------------------------------------------------------------ update

def test_update_fields(api):
    peer = _create(api)
    changed = api.patch_json('%s/site-b' % BASE, {'heartbeat_interval': '120',
                                                  'peer_name': 'site-b2',
                                                  'administrative_state': 'disabled'}).json
    assert (changed['heartbeat-interval'], changed['peer-name'],
            changed['administrative-state']) == (120, 'site-b2', 'disabled')
    assert 'info_message' not in changed
    assert api.get('%s/%d' % (BASE, peer['id'])).json == changed


def test_update_nothing_is_400(api):
    peer = _create(api)
    resp = api.patch_json('%s/%d' % (BASE, peer['id']), {}, headers=JSON, status=400)
    assert resp.json['description'] in ('nothing to update', 'No fields given')
    resp = api.patch_json('%s/%d' % (BASE, peer['id']), {'heartbeat_interval': 0},
                          headers=JSON, status=400)
    assert resp.json['description'] == 'Invalid peer heartbeat_interval'
    assert api.get('%s/%d' % (BASE, peer['id'])).json == peer


@pytest.mark.parametrize('clash', ['peer_uuid', 'peer_name'])
def test_update_to_a_taken_uuid_or_name_is_409(api, clash):
    _create(api)
    other = _create(api, peer_uuid=str(uuid.uuid4()), peer_name='site-c')
    value = PEER_UUID if clash == 'peer_uuid' else 'site-b'
    resp = api.patch_json('%s/%d' % (BASE, other['id']), {clash: value}, headers=JSON,
                          status=409)
    assert resp.json['code'] == 409
    assert api.get('%s/%d' % (BASE, other['id'])).json == other


def test_a_gateway_change_marks_the_associations_out_of_sync(api, ctx):
    peer = _create(api)
    _, assoc_id = _associate(ctx, peer['id'])
    same = api.patch_json('%s/%d' % (BASE, peer['id']),
                          {'peer_controller_gateway_address': '127.0.2.1'}).json
    assert 'info_message' not in same and _sync_status(assoc_id) == 'in-sync'
    changed = api.patch_json('%s/%d' % (BASE, peer['id']),
                             {'peer_controller_gateway_address': '127.0.2.9'}).json
    assert changed['peer-controller-gateway-address'] == '127.0.2.9'
    assert _sync_status(assoc_id) == states.SYNC_OUT_OF_SYNC
    assert 'dcmanager peer-group-association sync %d' % assoc_id in changed['info_message']


# ------------------------------------------------------------------ delete

def test_delete(api):
    peer = _create(api)
    resp = api.delete('%s/%s' % (BASE, PEER_UUID))
    assert resp.status_int == 200 and resp.json is None
    assert _state(api) == {'system_peers': []}
    api.get('%s/%d' % (BASE, peer['id']), status=404)


def test_a_peer_in_use_by_an_association_is_not_deleted(api, ctx):
    peer = _create(api)
    _associate(ctx, peer['id'])
    resp = api.delete('%s/%d' % (BASE, peer['id']), headers=JSON, status=400)
    assert resp.json['description'] == ('Cannot delete a system peer which is associated with '
                                        'peer group.')
    assert api.get('%s/%d' % (BASE, peer['id'])).json == peer


# ------------------------------------------------------------------ peer groups of a peer

def test_the_peer_groups_of_a_peer(api, ctx):
    peer = _create(api)
    assert api.get('%s/%d/subcloud-peer-groups' % (BASE, peer['id'])).json == {
        'subcloud_peer_groups': []}
    group_id, _ = _associate(ctx, peer['id'])
    groups = api.get('%s/site-b/subcloud-peer-groups' % BASE).json['subcloud_peer_groups']
    assert [g['id'] for g in groups] == [group_id]
    assert groups[0]['peer_group_name'] == 'pg1' and groups[0]['group_priority'] == 0
    api.get('%s/nope/subcloud-peer-groups' % BASE, status=404)
