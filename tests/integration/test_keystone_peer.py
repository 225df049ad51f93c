"""Who the peer site is, against a real Keystone: the peer role ([peer] role) in the token, and
nothing else. A ``User-Agent: dcmanager/1.0`` (the reference's only test of a peer) from an
admin or a reader grants none of the peer site's writes.
"""

import base64
import uuid

import pytest
import yaml

from tests import subcloud_forms as forms

pytestmark = pytest.mark.keystone

JSON = {'Accept': 'application/json'}
FORGED = {'User-Agent': 'dcmanager/1.0'}
GROUPS = '/v1.0/subcloud-peer-groups'
ASSOCIATIONS = '/v1.0/peer-group-associations'
SUBCLOUDS = '/v1.0/subclouds'
SITE_A = str(uuid.uuid4())
REGION = 'a' * 32


@pytest.fixture(scope='module')
def tokens(keystone_auth):
    return {name: keystone_auth.token(name) for name in ('dc-admin', 'dc-reader', 'dc-peer')}


def _as(tokens, user, forged=False):
    return dict(JSON, **{'X-Auth-Token': tokens[user]}, **(FORGED if forged else {}))


@pytest.fixture
def site_a(keystone_api, tokens):
    return keystone_api.post_json('/v1.0/system-peers', {
        'peer_uuid': SITE_A, 'peer_name': 'site-a',
        'manager_endpoint': 'http://127.0.0.1:25000/v3', 'manager_username': 'dcmanager',
        'manager_password': base64.b64encode(b'Peer-Secret*42').decode(),
        'peer_controller_gateway_address': '127.0.2.1'}, headers=_as(tokens, 'dc-admin')).json


def _copy():
    return {'peer-group-name': 'pg-a', 'group-priority': '2', 'system-leader-id': SITE_A,
            'system-leader-name': 'site-a', 'peer-group-uuid': str(uuid.uuid4())}


def _secondary_form():
    return forms.add_request('sc1', 1, sysadmin_password=None, secondary='true',
                             region_name=REGION)


def _groups(api, tokens):
    return api.get(GROUPS, headers=_as(tokens, 'dc-admin')).json['subcloud_peer_groups']


def _subclouds(api, tokens):
    return api.get(SUBCLOUDS, headers=_as(tokens, 'dc-admin')).json['subclouds']


@pytest.mark.parametrize('user,status', [('dc-admin', 400), ('dc-reader', 403)])
def test_a_forged_user_agent_writes_no_copy(keystone_api, tokens, site_a, user, status):
    resp = keystone_api.post_json(GROUPS, _copy(), headers=_as(tokens, user, forged=True),
                                  status=status)
    assert resp.json['code'] == status
    form, files = _secondary_form()
    resp = forms.post_add(keystone_api, form, files, status=403,
                          headers=_as(tokens, user, forged=True))
    # The admin is refused the peer's rule; the reader any rule of an add.
    assert ('dc_api:subclouds:secondary' if user == 'dc-admin' else 'dc_api:subclouds:') in \
        resp.json['description']
    assert _groups(keystone_api, tokens) == []
    assert _subclouds(keystone_api, tokens) == []


def test_the_peer_role_writes_the_copies(keystone_api, tokens, site_a):
    peer = _as(tokens, 'dc-peer')
    group = keystone_api.post_json(GROUPS, _copy(), headers=peer).json
    assert (group['group_priority'], group['system_leader_id']) == (2, SITE_A)
    assoc = keystone_api.post_json(ASSOCIATIONS, {'peer_group_id': group['id'],
                                                  'system_peer_id': site_a['id']},
                                   headers=peer).json
    assert assoc['association-type'] == 'non-primary'
    form, files = _secondary_form()
    secondary = forms.post_add(keystone_api, form, files, headers=peer).json
    assert (secondary['deploy-status'], secondary['region-name']) == ('secondary', REGION)
    joined = forms.patch_form(keystone_api, REGION, {'peer_group': str(group['id'])},
                              headers=peer).json
    assert joined['peer_group_id'] == group['id']

    # Neither the admin nor the reader may touch them, whatever their User-Agent.
    admin = _as(tokens, 'dc-admin', forged=True)
    path = '%s/%d' % (ASSOCIATIONS, assoc['id'])
    resp = keystone_api.patch_json(path, {'sync_status': 'in-sync'}, headers=admin, status=400)
    assert 'sync_status is written by the site that leads the group' in resp.json['description']
    keystone_api.delete(path, headers=admin, status=400)
    resp = forms.patch_form(keystone_api, REGION, {'description': 'mine'}, headers=admin,
                            status=400)
    assert resp.json['error'] == 'SubcloudIsSecondary'
    keystone_api.delete('%s/%s' % (SUBCLOUDS, REGION), headers=admin, status=400)
    keystone_api.delete('%s/%d' % (GROUPS, group['id']), headers=admin, status=400)
    reader = _as(tokens, 'dc-reader', forged=True)
    keystone_api.patch_json(path, {'sync_status': 'in-sync'}, headers=reader, status=403)
    keystone_api.delete('%s/%s' % (SUBCLOUDS, REGION), headers=reader, status=403)

    # The peer says how its sync went, and cleans up: subcloud, association, group.
    done = keystone_api.patch_json(path, {'sync_status': 'in-sync'}, headers=peer).json
    assert done['sync-status'] == 'in-sync'
    values = forms.bootstrap_values('sc1', 1, description='moved')
    changed = forms.patch_form(keystone_api, REGION, {'description': 'moved'},
                               files={'bootstrap_values': ('b.yaml', yaml.safe_dump(values))},
                               headers=peer).json
    assert changed['description'] == 'moved'
    keystone_api.delete('%s/%s' % (SUBCLOUDS, REGION), headers=peer)
    keystone_api.delete(path, headers=peer)
    keystone_api.delete('%s/%d' % (GROUPS, group['id']), headers=peer)
    assert _groups(keystone_api, tokens) == []
    assert _subclouds(keystone_api, tokens) == []


def test_the_peer_role_writes_nothing_of_this_sites_own(keystone_api, tokens, site_a):
    peer = _as(tokens, 'dc-peer')
    keystone_api.post_json('/v1.0/subcloud-groups', {'name': 'edge'}, headers=peer, status=403)
    keystone_api.post_json(GROUPS, {'peer-group-name': 'pg1'}, headers=peer, status=400)
    primary = keystone_api.post_json(GROUPS, {'peer-group-name': 'pg1'},
                                     headers=_as(tokens, 'dc-admin')).json
    resp = keystone_api.patch_json('%s/%d' % (GROUPS, primary['id']), {'group-state': 'disabled'},
                                   headers=peer, status=409)
    assert resp.json['error'] == 'SubcloudPeerGroupIsPrimary'
    keystone_api.delete('/v1.0/system-peers/%d' % site_a['id'], headers=peer, status=403)
    assert _groups(keystone_api, tokens) == [primary]
