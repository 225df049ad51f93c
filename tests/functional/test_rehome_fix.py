"""Correcting a failed rehome on the non-primary site: the operators here may update only the
``bootstrap_values`` and ``bootstrap_address`` of a ``rehome-failed`` member of a group whose
primary site is another, only while that site is not available, and the group's association
here becomes ``out-of-sync`` (the audit pushes the correction there once the subcloud is managed
and online here; tests/integration/test_two_sites_rehome_fix.py). A migration of the corrected
member then uses the corrected data.
"""

import base64
import time
import uuid

import pytest
import sqlalchemy as sa
import yaml

from dcmanager import objects
from dcmanager.common import states
from dcmanager.db import api as db_api
from dcmanager.db.sqlalchemy import models
from tests import harness
from tests import subcloud_forms as forms

GROUPS = '/v1.0/subcloud-peer-groups'
ASSOCIATIONS = '/v1.0/peer-group-associations'
JSON = {'Accept': 'application/json'}
SITE_A = str(uuid.uuid4())
PASSWORD = {'sysadmin_password': base64.b64encode(b'Sysadmin*Pass1').decode()}
NEW_ADMIN_PASSWORD = 'N3w-Admin*Pass'


@pytest.fixture
def failed(api, refused_peer_url):
    """site-a's copy here of its group pg-a with two members, migrated here: both rehomes
    failed (their addresses serve nothing), so both are ``rehome-failed``; site-a, the primary
    site, refuses every call (it is not ``available``)."""
    peer = harness.app_as('dcmanager-peer', project_name='services')
    site_a = api.post_json('/v1.0/system-peers', {
        'peer_uuid': SITE_A, 'peer_name': 'site-a', 'manager_endpoint': refused_peer_url,
        'manager_username': 'dcmanager',
        'manager_password': base64.b64encode(b'Peer-Secret*42').decode(),
        'peer_controller_gateway_address': '127.0.2.1'}).json
    group = peer.post_json(GROUPS, {
        'peer-group-name': 'pg-a', 'group-priority': '2', 'system-leader-id': SITE_A,
        'system-leader-name': 'site-a', 'peer-group-uuid': str(uuid.uuid4()),
        'leader-term': '3', 'max-subcloud-rehoming': '5'}).json
    association = peer.post_json(ASSOCIATIONS, {'peer_group_id': group['id'],
                                                'system_peer_id': site_a['id']}).json
    peer.patch_json('%s/%d' % (ASSOCIATIONS, association['id']), {'sync_status': 'in-sync'})
    for n in (1, 2):
        form, files = forms.add_request('sc%d' % n, n, sysadmin_password=None,
                                        secondary='true', region_name='%032x' % n,
                                        peer_group=str(group['id']))
        forms.post_add(peer, form, files)
    api.patch_json('%s/%d/migrate' % (GROUPS, group['id']), PASSWORD)
    deadline = time.monotonic() + 30
    while api.get('%s/%d' % (GROUPS, group['id'])).json['migration_status'] == 'migrating':
        assert time.monotonic() < deadline, 'still migrating'
        time.sleep(0.1)
    assert {s['deploy-status'] for s in _members(api, group)} == {'rehome-failed'}
    return {'group': group, 'association': association, 'site_a': site_a}


def _members(api, group):
    return api.get('%s/%d/subclouds' % (GROUPS, group['id'])).json['subclouds']


def _association(api, failed):
    return api.get('%s/%d' % (ASSOCIATIONS, failed['association']['id'])).json


def _set(model, row_id, **values):
    with db_api.get_engine().begin() as conn:
        conn.execute(sa.update(model).where(model.id == row_id).values(**values))


def _values_file(name, n, **changes):
    values = forms.bootstrap_values(name, n, **changes)
    return {'bootstrap_values': ('values.yaml', yaml.safe_dump(values))}


def test_the_rehome_data_of_a_failed_rehome_is_corrected_here(api, ctx, failed):
    before = api.get('/v1.0/subclouds/sc1/detail').json
    changed = forms.patch_form(api, 'sc1', {'bootstrap_address': '127.0.1.77'},
                               files=_values_file('sc1', 1, admin_password=NEW_ADMIN_PASSWORD))
    assert changed.json['deploy-status'] == 'rehome-failed'
    stored = objects.Subcloud.get_by_name(ctx, 'sc1')
    assert stored.bootstrap_address == '127.0.1.77'
    payload = stored.saved_payload()
    assert payload['bootstrap-address'] == '127.0.1.77'
    assert 'admin_password' not in payload
    assert objects.Subcloud.get_secrets(ctx, stored.id)['admin_password'] == NEW_ADMIN_PASSWORD
    assert NEW_ADMIN_PASSWORD not in changed.text
    # This site's copy now holds what the primary site has not.
    assert _association(api, failed)['sync-status'] == 'out-of-sync'
    # Nothing else changed.
    after = api.get('/v1.0/subclouds/sc1/detail').json
    assert {k: v for k, v in after.items() if k != 'updated-at'} == \
        {k: v for k, v in before.items() if k != 'updated-at'}


@pytest.mark.parametrize('form,fields', [
    ({'bootstrap_address': '127.0.1.77', 'description': 'fixed'}, 'description'),
    ({'location': 'there'}, 'location'),
    ({'description': 'fixed', 'location': 'there'}, 'description, location'),
])
def test_only_the_rehome_data_may_change(api, failed, form, fields):
    before = forms.list_state(api)
    resp = forms.patch_form(api, 'sc1', form, status=400, headers=JSON)
    assert resp.json['error'] == 'RehomeDataFieldsOnly'
    assert ('only its bootstrap_values and bootstrap_address may be updated here (to correct '
            'a failed rehome), not %s' % fields) in resp.json['description']
    assert forms.list_state(api) == before
    assert _association(api, failed)['sync-status'] == 'in-sync'


def test_with_the_primary_site_available_it_is_corrected_there(api, failed):
    _set(models.SystemPeer, failed['site_a']['id'],
         availability_state=states.PEER_AVAILABLE)
    before = forms.list_state(api)
    resp = forms.patch_form(api, 'sc1', {'bootstrap_address': '127.0.1.77'}, status=409,
                            headers=JSON)
    assert resp.json['error'] == 'RehomeDataNotEditable'
    assert ('its primary site site-a is available: correct the subcloud there'
            in resp.json['description'])
    assert forms.list_state(api) == before
    assert _association(api, failed)['sync-status'] == 'in-sync'


def test_only_a_failed_rehome_is_corrected(api, failed):
    sc2 = [s for s in _members(api, failed['group']) if s['name'] == 'sc2'][0]
    _set(models.Subcloud, sc2['id'], deploy_status=states.DEPLOY_COMPLETE)
    resp = forms.patch_form(api, 'sc2', {'bootstrap_address': '127.0.1.78'}, status=409,
                            headers=JSON)
    assert resp.json['error'] == 'RehomeDataNotEditable'
    assert ('its deploy status is complete; it may be corrected only when it is '
            'rehome-failed' in resp.json['description'])
    # Its other fields follow the rules they had (this site leads the group now).
    assert forms.patch_form(api, 'sc2', {'description': 'mine'}).json['description'] == 'mine'


def test_a_secondary_copy_is_still_the_peer_sites_alone(api, ctx, failed):
    sc2 = objects.Subcloud.get_by_name(ctx, 'sc2')
    _set(models.Subcloud, sc2.id, deploy_status=states.DEPLOY_SECONDARY)
    resp = forms.patch_form(api, 'sc2', {'bootstrap_address': '127.0.1.78'}, status=400,
                            headers=JSON)
    assert resp.json['error'] == 'SubcloudIsSecondary'


def test_a_corrected_member_is_migrated_with_its_corrected_data(api, ctx, failed):
    forms.patch_form(api, 'sc1', {'bootstrap_address': '127.0.1.77'})
    api.patch_json('%s/%d/migrate' % (GROUPS, failed['group']['id']), PASSWORD)
    deadline = time.monotonic() + 30
    while objects.Subcloud.get_by_name(ctx, 'sc1').deploy_status != states.DEPLOY_REHOME_FAILED \
            or api.get('%s/%d' % (GROUPS, failed['group']['id'])).json[
                'migration_status'] == 'migrating':
        assert time.monotonic() < deadline
        time.sleep(0.1)
    detail = api.get('/v1.0/subclouds/sc1/detail').json
    # 127.0.1.77 serves nothing either: the rehome was tried there.
    assert '127.0.1.77' in detail['error-description'], detail['error-description']
