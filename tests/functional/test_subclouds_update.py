"""/v1.0/subclouds: update (PATCH), manage/unmanage, delete, per-field authorization and the
recovery of transitory states, through the real WSGI stack, manager and database.

Requests are built as the CLI builds them (multipart). A subcloud "as enrolled" is made by adding
it through the API and then setting its deploy status and availability in the database: what an
enrollment against a real subcloud would leave (tests/integration/test_enroll.py does it for real).
"""

import json

import pytest
import sqlalchemy as sa
import yaml

from dcmanager import objects
from dcmanager.common import states
from dcmanager.db import api as db_api
from dcmanager.manager import recovery
from tests import harness
from tests import subcloud_forms as forms

BASE = '/v1.0/subclouds'
JSON = {'Accept': 'application/json'}


@pytest.fixture(autouse=True)
def unreachable(site):
    with forms.unreachable_subclouds() as port:
        yield port


def _add(api, name='sc1', n=1, **kw):
    form, files = forms.add_request(name, n, **kw)
    body = forms.post_add(api, form, files).json
    return forms.wait_settled(api, body['id'])


def _enrolled(api, ctx, name='sc1', n=1, availability='online', **values):
    """A subcloud as a successful enrollment leaves it: complete, with its region."""
    sc = _add(api, name, n)
    db_api.subcloud_update(ctx, sc['id'], dict(
        values, deploy_status=states.DEPLOY_COMPLETE, availability_status=availability,
        region_name='%032x' % n, error_description=states.DEFAULT_ERROR_DESCRIPTION))
    return api.get('%s/%d' % (BASE, sc['id'])).json


def _state(api):
    return api.get(BASE).json


def _patch(api, ref, status=200, **fields):
    return forms.patch_form(api, ref, fields, status=status, headers=JSON)


def _refused(api, ref, message, status=400, files=None, **fields):
    before = _state(api)
    resp = forms.patch_form(api, ref, fields, files=files, status=status, headers=JSON)
    assert resp.json['description'] == message
    assert _state(api) == before


# ------------------------------------------------------------------ simple fields

def test_update_description_location_answers_the_detail(api):
    sc = _add(api)
    body = _patch(api, 'sc1', description='new description', location='room 2').json
    assert body['description'] == 'new description' and body['location'] == 'room 2'
    assert {'endpoint_sync_status', 'oam_floating_ip', 'deploy_config_sync_status',
            'region_name', 'sync_status'} <= set(body)
    assert body['updated-at'] != sc['updated-at']
    shown = api.get(BASE + '/sc1').json
    assert shown['description'] == 'new description'


def test_update_accepts_json(api):
    _add(api)
    assert api.patch_json(BASE + '/sc1', {'location': 'here'}).json['location'] == 'here'


def test_update_group_by_name_or_id(api):
    _add(api)
    group = api.post_json('/v1.0/subcloud-groups', {
        'name': 'edge', 'description': 'Edge', 'update_apply_type': 'serial',
        'max_parallel_subclouds': 2}).json
    assert _patch(api, 'sc1', group_id='edge').json['group_id'] == group['id']
    assert _patch(api, 'sc1', group_id='1').json['group_id'] == 1
    assert api.patch_json(BASE + '/sc1', {'group_id': group['id']}).json['group_id'] == \
        group['id']


@pytest.mark.parametrize('fields,message', [
    ({'group_id': 'nope'}, 'Invalid group'),
    ({'group_id': '42'}, 'Invalid group'),
    ({'description': 'd' * 256}, 'Invalid description: a string of at most 255 characters'),
    ({'location': 'l' * 256}, 'Invalid location: a string of at most 255 characters'),
    ({'peer_group': 'pg1'}, 'Invalid peer group'),
    ({'peer_group': '3'}, 'Invalid peer group'),
    ({'management-state': 'managing'}, 'Invalid management-state'),
    ({'management-state': 'managed', 'force': 'maybe'}, 'Invalid force value'),
    ({'management-state': 'unmanaged', 'force': 'true'}, 'Invalid option: force'),
    ({'management-state': 'unmanaged', 'migrate': 'true'},
     'Invalid option: migrate (there is no subcloud peer group to migrate to yet)'),
    ({'release': '24.09'}, 'Unexpected field: release'),
    ({'bootstrap_address': '127.0.3'}, 'bootstrap_address invalid: not an IP address'),
    ({'sysadmin_password': 'not base64'},
     'Failed to decode subcloud sysadmin_password, verify the password is base64 encoded'),
    ({'name': 'Bad_Name'}, 'name invalid: Bad_Name is not a lower-case RFC 1123 host name '
                           '(letters, digits, "-" and "."), at most 255 characters'),
    ({'name': '42'}, 'name must contain alphabetic characters'),
    ({'management_subnet': '127.22.1.0/24'},
     'management_subnet, management_start_ip, management_end_ip, management_gateway_ip must '
     'be given together'),
])
def test_update_refuses_bad_input_and_changes_nothing(api, fields, message):
    _add(api)
    _refused(api, 'sc1', message, **fields)


def test_a_bad_field_among_good_ones_changes_nothing(api, ctx):
    _enrolled(api, ctx, availability='online')
    _refused(api, 'sc1', 'Invalid group', description='changed', location='moved',
             group_id='nope', **{'management-state': 'managed'})
    assert api.get(BASE + '/sc1').json['management-state'] == 'unmanaged'


def test_update_empty_or_unreadable_body(api):
    _add(api)
    before = _state(api)
    for body, content_type, message in (
            (b'', 'application/json', 'Body required'),
            (b'', 'multipart/form-data; boundary=x', 'Body required'),
            (b'--x\r\nContent-Disposition: form-data; name="location"\r\n\r\nhere\r\n--x--',
             'multipart/form-data', 'The multipart body has no boundary: send Content-Type: '
                                    'multipart/form-data; boundary=...')):
        resp = api.patch(BASE + '/sc1', body, headers={'Content-Type': content_type, **JSON},
                         status=400)
        assert resp.json['description'] == message
    assert _state(api) == before


def test_update_unknown_subcloud_is_404(api):
    resp = _patch(api, 'nope', status=404, description='x')
    assert resp.json['description'] == 'Subcloud not found'


def test_peer_group_none_is_accepted(api):
    _add(api)
    assert _patch(api, 'sc1', peer_group='none').json['peer_group_id'] is None
    assert _patch(api, 'sc1', peer_group='None').json['peer_group_id'] is None


# ------------------------------------------------------------------ rename

def test_rename_when_unmanaged_and_complete(api, ctx):
    sc = _enrolled(api, ctx)
    body = _patch(api, 'sc1', name='edge-1.site').json
    assert body['name'] == 'edge-1.site' and body['id'] == sc['id']
    api.get(BASE + '/sc1', status=404)
    assert api.get(BASE + '/edge-1.site').json['region-name'] == sc['region-name']
    subcloud = objects.Subcloud.get_by_id(ctx, sc['id'])
    assert subcloud.saved_payload()['name'] == 'edge-1.site'


def test_rename_needs_unmanaged_and_complete(api, ctx):
    _add(api)  # pre-enroll-failed
    _refused(api, 'sc1', 'A subcloud can only be renamed while it is unmanaged and its deploy '
                         'status is complete', name='sc9')
    _enrolled(api, ctx, 'sc2', 2, management_state=states.MANAGED)
    _refused(api, 'sc2', 'A subcloud can only be renamed while it is unmanaged and its deploy '
                         'status is complete', name='sc9')


def test_rename_to_a_taken_name_is_409(api, ctx):
    _enrolled(api, ctx, 'sc1', 1)
    _add(api, 'sc2', 2)
    _refused(api, 'sc1', 'Subcloud with name sc2 already exists', status=409, name='sc2')


def test_rename_to_the_same_name_is_a_no_op(api, ctx):
    sc = _add(api)
    assert _patch(api, 'sc1', name='sc1').json['updated-at'] == sc['updated-at']


def test_rename_while_busy_is_409(api, ctx):
    sc = _add(api)
    db_api.subcloud_update(ctx, sc['id'], {'deploy_status': states.DEPLOY_ENROLLING})
    _refused(api, 'sc1', 'Subcloud sc1 is busy (enrolling); try again when the operation has '
                         'ended', status=409, name='sc9')
    # what can always change still can
    assert _patch(api, 'sc1', description='x').json['description'] == 'x'


# ------------------------------------------------------------------ manage / unmanage

def _manage(api, ref, status=200, force=None, state='managed'):
    fields = {'management-state': state}
    if force is not None:
        fields['force'] = force
    return forms.patch_form(api, ref, fields, status=status, headers=JSON)


def test_manage_and_unmanage(api, ctx):
    sc = _enrolled(api, ctx)
    objects.Subcloud.set_endpoint_statuses(ctx, sc['id'], {None: states.SYNC_IN_SYNC})
    body = _manage(api, 'sc1').json
    assert body['management-state'] == 'managed'
    assert body['sync_status'] == 'in-sync'
    body = _manage(api, 'sc1', state='unmanaged').json
    assert body['management-state'] == 'unmanaged'
    # unmanaged: the sync of every endpoint but dc-cert is unknown again
    statuses = {e['endpoint_type']: e['sync_status'] for e in body['endpoint_sync_status']}
    assert statuses.pop('dc-cert') == 'in-sync'
    assert set(statuses.values()) == {'unknown'}
    assert body['sync_status'] == 'unknown'
    assert api.get(BASE).json['subclouds'][0]['sync_status'] == 'unknown'


def test_manage_needs_online_unless_forced(api, ctx):
    _enrolled(api, ctx, availability='offline')
    before = _state(api)
    resp = _manage(api, 'sc1', status=400)
    assert resp.json['description'] == 'Subcloud can be managed only if it is online (or with ' \
                                       'force)'
    assert _state(api) == before
    assert _manage(api, 'sc1', force='true').json['management-state'] == 'managed'


def test_manage_needs_complete_even_forced(api, ctx):
    _add(api)  # pre-enroll-failed
    for force in (None, 'true'):
        before = _state(api)
        resp = _manage(api, 'sc1', status=400, force=force)
        assert resp.json['description'] == 'Subcloud can be managed only if deploy status is ' \
                                           'complete'
        assert _state(api) == before


def test_already_managed_or_unmanaged_is_400(api, ctx):
    _enrolled(api, ctx)
    resp = _manage(api, 'sc1', status=400, state='unmanaged')
    assert resp.json['description'] == 'Subcloud is already unmanaged'
    _manage(api, 'sc1')
    resp = _manage(api, 'sc1', status=400)
    assert resp.json['description'] == 'Subcloud is already managed'


def test_manage_with_force_false_is_a_plain_manage(api, ctx):
    _enrolled(api, ctx)
    assert _manage(api, 'sc1', force='false').json['management-state'] == 'managed'


# ------------------------------------------------------------------ network, address, values

NETWORK = {'management_subnet': '127.22.1.0/24', 'management_start_ip': '127.22.1.10',
           'management_end_ip': '127.22.1.40', 'management_gateway_ip': '127.22.1.1'}


def test_update_management_network(api, ctx):
    _enrolled(api, ctx)
    body = _patch(api, 'sc1', **NETWORK).json
    assert body['management-subnet'] == '127.22.1.0/24'
    assert body['management-start-ip'] == '127.22.1.10'
    assert body['management-end-ip'] == '127.22.1.40'
    assert body['management-gateway-ip'] == '127.22.1.1'


def test_management_network_is_checked_like_on_add(api, ctx):
    _enrolled(api, ctx, 'sc1', 1)
    _enrolled(api, ctx, 'sc2', 2)
    _refused(api, 'sc1', 'management_start_ip invalid: greater than management_end_ip',
             **dict(NETWORK, management_start_ip='127.22.1.50'))
    _refused(api, 'sc1', 'management_gateway_ip invalid: inside the address range '
                         '127.22.1.10-127.22.1.40',
             **dict(NETWORK, management_gateway_ip='127.22.1.20'))
    _refused(api, 'sc1', 'management_end_ip invalid: not in the subnet 127.22.1.0/24',
             **dict(NETWORK, management_end_ip='127.23.1.40'))
    _refused(api, 'sc1', 'management address range 127.20.2.10-127.20.2.20 overlaps the range '
                         '127.20.2.2-127.20.2.50 of subcloud sc2',
             management_subnet='127.20.2.0/24', management_start_ip='127.20.2.10',
             management_end_ip='127.20.2.20', management_gateway_ip='127.20.2.1')


def test_management_network_only_while_unmanaged(api, ctx):
    _enrolled(api, ctx, management_state=states.MANAGED)
    _refused(api, 'sc1', 'The management network of a subcloud can only be changed while it is '
                         'unmanaged (and not in the request that manages it)', **NETWORK)


def test_update_bootstrap_address(api, ctx):
    sc = _enrolled(api, ctx)
    _patch(api, 'sc1', bootstrap_address='127.0.3.77')
    subcloud = objects.Subcloud.get_by_id(ctx, sc['id'])
    assert subcloud.bootstrap_address == '127.0.3.77'
    assert subcloud.saved_payload()['bootstrap-address'] == '127.0.3.77'
    _add(api, 'sc2', 2)
    _refused(api, 'sc2', 'bootstrap-address 127.0.3.77 is already used by subcloud sc1',
             bootstrap_address='127.0.3.77')


def test_update_bootstrap_values_replaces_payload_and_password(api, ctx):
    sc = _enrolled(api, ctx)
    values = forms.bootstrap_values('sc1', 1, admin_password='New-Adm1n-Pw',
                                    systemcontroller_gateway_address='127.19.0.9')
    body = forms.patch_form(api, 'sc1', {}, files={
        'bootstrap_values': ('obs/new.yaml', yaml.safe_dump(values))}).json
    assert body['systemcontroller-gateway-ip'] == '127.19.0.9'
    assert 'New-Adm1n-Pw' not in json.dumps(body)
    secrets = objects.Subcloud.get_secrets(ctx, sc['id'])
    assert secrets['admin_password'] == 'New-Adm1n-Pw'
    assert secrets['sysadmin_password'] == forms.SYSADMIN_PASSWORD
    subcloud = objects.Subcloud.get_by_id(ctx, sc['id'])
    assert subcloud.saved_payload()['systemcontroller_gateway_address'] == '127.19.0.9'
    assert subcloud.saved_payload()['bootstrap-address'] == '127.0.3.1'
    assert 'New-Adm1n-Pw' not in subcloud.rehome_data


def test_bootstrap_values_name_must_be_the_subclouds(api, ctx):
    _enrolled(api, ctx)
    values = forms.bootstrap_values('other', 1)
    _refused(api, 'sc1', 'the name other of the bootstrap values is not the subcloud\'s name '
                         'sc1', files={'bootstrap_values': ('b.yaml', yaml.safe_dump(values))})


def test_update_sysadmin_password_is_stored_encrypted(api, ctx):
    sc = _enrolled(api, ctx)
    body = _patch(api, 'sc1', sysadmin_password=forms.b64('Changed-Sys-Pw')).json
    assert 'Changed-Sys-Pw' not in json.dumps(body)
    assert objects.Subcloud.get_secrets(ctx, sc['id'])['sysadmin_password'] == 'Changed-Sys-Pw'
    with db_api.get_engine().connect() as conn:
        raw = conn.execute(sa.text('SELECT secrets FROM subclouds')).scalar_one()
    assert 'Changed-Sys-Pw' not in raw


def test_everything_at_once_as_one_change(api, ctx):
    _enrolled(api, ctx)
    body = _patch(api, 'sc1', name='sc-renamed', description='d2', location='l2',
                  **NETWORK).json
    assert (body['name'], body['description'], body['location'],
            body['management-start-ip']) == ('sc-renamed', 'd2', 'l2', '127.22.1.10')


# ------------------------------------------------------------------ delete

def test_delete_returns_200_null_and_cascades(api, ctx):
    sc = _add(api)
    resp = api.delete(BASE + '/sc1')
    assert resp.status_int == 200 and resp.content_type == 'application/json'
    assert resp.json is None
    api.get(BASE + '/sc1', status=404)
    with db_api.get_engine().connect() as conn:
        left = conn.execute(sa.text('SELECT count(*) FROM subcloud_status WHERE subcloud_id = '
                                    ':id'), {'id': sc['id']}).scalar_one()
    assert left == 0


def test_delete_by_id(api):
    sc = _add(api)
    api.delete('%s/%d' % (BASE, sc['id']))
    assert _state(api) == {'subclouds': []}


def _refused_delete(api, ref, message):
    before = _state(api)
    resp = api.delete('%s/%s' % (BASE, ref), status=400, headers=JSON)
    assert resp.json['description'] == message
    assert _state(api) == before


def test_delete_managed_is_refused(api, ctx):
    _enrolled(api, ctx, management_state=states.MANAGED)
    _refused_delete(api, 'sc1', 'Cannot delete a subcloud that is "managed" status')


@pytest.mark.parametrize('deploy_status', sorted(states.DELETE_BLOCKING_DEPLOY_STATES))
def test_delete_during_an_operation_is_refused(api, ctx, deploy_status):
    sc = _add(api)
    db_api.subcloud_update(ctx, sc['id'], {'deploy_status': deploy_status})
    _refused_delete(api, 'sc1', 'Cannot delete a subcloud during an active operation.')


def test_delete_in_a_peer_group_is_refused(api, ctx):
    sc = _add(api)
    with db_api.get_engine().begin() as conn:
        conn.execute(sa.text(
            "INSERT INTO subcloud_peer_group (id, peer_group_uuid, peer_group_name, "
            "group_priority, group_state, max_subcloud_rehoming, leader_term) "
            "VALUES (7, 'c0ffee00-0000-4000-8000-000000000007', 'pg1', 0, 'enabled', 10, 0)"))
    db_api.subcloud_update(ctx, sc['id'], {'peer_group_id': 7})
    _refused_delete(api, 'sc1', 'Cannot delete a subcloud that is part of a peer group on this '
                                'site')


def test_delete_unknown_is_404(api):
    api.delete(BASE + '/nope', status=404)


# ------------------------------------------------------------------ per-field authorization

_app_as = harness.app_as


def test_operator_may_manage_but_not_modify(api, ctx):
    _enrolled(api, ctx)
    operator = _app_as('operator')
    before = _state(api)
    # a body that manages *and* changes another field needs both rules
    resp = forms.patch_form(operator, 'sc1', {'management-state': 'managed',
                                              'description': 'sneaky'}, status=403, headers=JSON)
    assert 'dc_api:subclouds:modify' in resp.json['description']
    forms.patch_form(operator, 'sc1', {'description': 'sneaky'}, status=403)
    forms.patch_form(operator, 'sc1', {'name': 'sneaky'}, status=403)
    assert _state(api) == before
    body = forms.patch_form(operator, 'sc1', {'management-state': 'managed'}).json
    assert body['management-state'] == 'managed'
    assert forms.patch_form(operator, 'sc1', {'management-state': 'unmanaged'}).json[
        'management-state'] == 'unmanaged'
    operator.delete(BASE + '/sc1', status=403)
    form, files = forms.add_request('sc2', 2)
    forms.post_add(operator, form, files, status=403)
    assert [r['name'] for r in operator.get(BASE).json['subclouds']] == ['sc1']


@pytest.mark.parametrize('roles', [('configurator',), ('admin',)])
def test_configurator_and_admin_may_do_both(api, ctx, roles):
    _enrolled(api, ctx)
    body = forms.patch_form(_app_as(*roles), 'sc1', {'management-state': 'managed',
                                                     'description': 'both'}).json
    assert (body['management-state'], body['description']) == ('managed', 'both')


def test_reader_may_only_read(api, ctx):
    sc = _enrolled(api, ctx)
    reader = _app_as('reader')
    assert reader.get(BASE).json['subclouds'][0]['id'] == sc['id']
    assert reader.get(BASE + '/sc1/detail').json['id'] == sc['id']
    resp = forms.patch_form(reader, 'sc1', {'management-state': 'managed'}, status=403,
                            headers=JSON)
    assert 'dc_api:subclouds:manage_unmanage' in resp.json['description']
    reader.delete(BASE + '/sc1', status=403)


def test_other_projects_are_refused(api):
    _add(api)
    _app_as('admin', project_name='tenant1').get(BASE, status=403)


# ------------------------------------------------------------------ recovery

def test_recovery_moves_transitory_states_to_their_failure(site, api, ctx):
    # Written without an owner (as an older version left them): a starting manager recovers them.
    ids = [_add(api, 'sc%d' % n, n)['id'] for n in (1, 2, 3)]
    for sid, status in zip(ids, ('pre-enroll', 'enrolling', 'complete'), strict=True):
        db_api.subcloud_update(ctx, sid, {'deploy_status': status})
    assert recovery.recover_at_start(ctx, site.manager.host) == 2
    rows = {r['name']: r for r in api.get(BASE).json['subclouds']}
    assert rows['sc1']['deploy-status'] == 'pre-enroll-failed'
    assert rows['sc2']['deploy-status'] == 'enroll-failed'
    assert rows['sc3']['deploy-status'] == 'complete'
    assert 'stopped (restarted or died) while the subcloud was enrolling' in \
        rows['sc2']['error-description']
    assert recovery.recover_at_start(ctx, site.manager.host) == 0
