"""/v1.0/subclouds: add, list, show through the real WSGI stack, manager and database
(api-ref/source; README.md, compatibility with the dcmanager CLI). Requests are built as the
CLI builds them.

The enrollment that follows an add runs for real: the subclouds' bootstrap addresses are
loopback addresses on which nothing listens, so it ends in pre-enroll-failed.
"""

import json
import logging

import pytest
import sqlalchemy as sa
import yaml

from dcmanager import objects
from dcmanager.common import states
from dcmanager.db import api as db_api
from tests import subcloud_forms as forms

BASE = forms.BASE
JSON = forms.JSON
# What Subcloud.from_payload of the CLI needs, positionally (a missing one is a TypeError).
REQUIRED_KEYS = {'id', 'name', 'description', 'location', 'software-version', 'management-state',
                 'availability-status', 'deploy-status', 'management-subnet',
                 'management-start-ip', 'management-end-ip', 'management-gateway-ip',
                 'systemcontroller-gateway-ip', 'created-at', 'updated-at', 'group_id'}
OBJECT_KEYS = REQUIRED_KEYS | {'backup-status', 'backup-datetime', 'error-description',
                               'region-name', 'openstack-installed', 'prestage-status',
                               'prestage-versions', 'peer_group_id'}
# The reference's list rows carry the endpoint statuses too; only the rows of a group's (and a
# peer group's) list-subclouds and of migrate leave them out (the reference CLI's table breaks
# on them).
LIST_KEYS = OBJECT_KEYS | {'sync_status', 'endpoint_sync_status'}
SHOW_KEYS = LIST_KEYS
SORTED_ENDPOINT_TYPES = sorted(states.ENDPOINT_TYPES)
DETAIL_KEYS = SHOW_KEYS | {'oam_floating_ip', 'deploy_config_sync_status', 'region_name'}


@pytest.fixture(autouse=True)
def unreachable(site):
    with forms.unreachable_subclouds() as port:
        yield port


_add = forms.add_settled
_state = forms.list_state
_bad_add = forms.refused_add


def _complete(ctx, subcloud_id, **values):
    """Make a subcloud look enrolled (what the enrollment against a real subcloud does)."""
    values.setdefault('deploy_status', states.DEPLOY_COMPLETE)
    db_api.subcloud_update(ctx, subcloud_id, values)


# ------------------------------------------------------------------ add

def test_add_as_the_cli_sends_it(api):
    form, files = forms.add_request('sc1', 1, description='first one', location='lab')
    resp = forms.post_add(api, form, files)
    assert resp.status_int == 200 and resp.content_type == 'application/json'
    body = resp.json
    assert set(body) == DETAIL_KEYS
    assert body['name'] == 'sc1' and body['description'] == 'first one'
    assert body['location'] == 'lab'
    assert body['deploy-status'] == 'pre-enroll'
    assert body['management-state'] == 'unmanaged'
    assert body['availability-status'] == 'offline'
    assert body['error-description'] == 'No errors present'
    assert body['management-subnet'] == '127.20.1.0/24'
    assert body['management-start-ip'] == '127.20.1.2'
    assert body['management-end-ip'] == '127.20.1.50'
    assert body['management-gateway-ip'] == '127.20.1.1'
    assert body['systemcontroller-gateway-ip'] == '127.19.0.1'
    assert body['group_id'] == 1 and body['peer_group_id'] is None
    assert body['sync_status'] == 'unknown'
    assert [e['endpoint_type'] for e in body['endpoint_sync_status']] == SORTED_ENDPOINT_TYPES
    assert {e['sync_status'] for e in body['endpoint_sync_status']} == {'unknown'}
    assert body['oam_floating_ip'] == 'unavailable'
    assert body['deploy_config_sync_status'] == 'unknown'


def test_add_takes_description_and_location_from_the_bootstrap_values(api):
    body = _add(api, settle=False)
    assert body['description'] == 'Subcloud sc1' and body['location'] == 'Rack 1'


def test_add_json_body(api):
    form, _files = forms.add_request('sc1', 1)
    form['bootstrap_values'] = forms.bootstrap_values('sc1', 1)
    form['group_id'] = 1
    body = api.post_json(BASE, form).json
    assert body['name'] == 'sc1' and body['group_id'] == 1


def test_enrollment_of_an_unreachable_subcloud_fails_with_a_reason(api):
    body = _add(api, settle=False)
    settled = forms.wait_settled(api, body['id'])
    assert settled['deploy-status'] == 'pre-enroll-failed'
    assert 'unreachable' in settled['error-description']
    assert '127.0.3.1' in settled['error-description']
    assert settled['region-name'] is None
    for password in forms.ALL_PASSWORDS:
        assert password not in settled['error-description']


def test_add_with_group_by_name_or_id_as_typed(api):
    group = api.post_json('/v1.0/subcloud-groups', {
        'name': 'edge', 'description': 'Edge', 'update_apply_type': 'serial',
        'max_parallel_subclouds': 2}).json
    assert _add(api, 'sc1', 1, group_id='edge')['group_id'] == group['id']
    assert _add(api, 'sc2', 2, group_id=str(group['id']))['group_id'] == group['id']
    assert _add(api, 'sc3', 3)['group_id'] == 1


def test_add_with_release_and_install_values(api):
    form, files = forms.add_request('sc1', 1, release='24.09',
                                    bmc_password=forms.b64(forms.BMC_PASSWORD))
    files['install_values'] = ('obs/install.yaml', yaml.safe_dump({
        'bootstrap_interface': 'eno1', 'bmc_address': '127.0.4.1', 'bmc_username': 'root',
        'bmc_password': forms.b64(forms.BMC_PASSWORD)}))
    body = forms.post_add(api, form, files).json
    assert body['software-version'] == '24.09'


def test_add_with_an_admin_network(api):
    boot = forms.bootstrap_values('sc1', 1, management_gateway_address=None,
                                  admin_subnet='127.21.1.0/24', admin_start_address='127.21.1.10',
                                  admin_end_address='127.21.1.20',
                                  admin_gateway_address='127.21.1.1')
    form, files = forms.add_request('sc1', 1, bootstrap=boot)
    body = forms.post_add(api, form, files).json
    assert body['management-subnet'] == '127.21.1.0/24'
    assert body['management-start-ip'] == '127.21.1.10'
    assert body['management-gateway-ip'] == '127.21.1.1'


def test_add_duplicate_name_is_409_and_changes_nothing(api):
    _add(api)
    form, files = forms.add_request('sc1', 2)
    _bad_add(api, form, files, 'Subcloud with name sc1 already exists', status=409)


# ------------------------------------------------------------------ secrets

def test_passwords_are_encrypted_at_rest_and_never_shown(api, ctx, caplog):
    caplog.set_level(logging.DEBUG)
    form, files = forms.add_request('sc1', 1, bmc_password=forms.b64(forms.BMC_PASSWORD))
    created = forms.post_add(api, form, files)
    settled = forms.wait_settled(api, created.json['id'])
    with db_api.get_engine().connect() as conn:
        raw = conn.execute(sa.text('SELECT secrets, rehome_data FROM subclouds')).one()
    for password in forms.ALL_PASSWORDS + (forms.b64(forms.SYSADMIN_PASSWORD),
                                           forms.b64(forms.BMC_PASSWORD)):
        assert password not in raw.secrets
        assert password not in raw.rehome_data
    assert objects.Subcloud.get_secrets(ctx, settled['id']) == {
        'admin_password': forms.ADMIN_PASSWORD, 'sysadmin_password': forms.SYSADMIN_PASSWORD,
        'bmc_password': forms.BMC_PASSWORD}
    saved = json.loads(raw.rehome_data)['saved_payload']
    assert saved['bootstrap-address'] == '127.0.3.1' and saved['name'] == 'sc1'
    assert saved['docker_registries'] == {'defaults': {'username': 'reg-user'}}
    assert 'admin_password' not in saved
    # Not in any answer, not in any log line.
    texts = [created.text, api.get(BASE).text, api.get(BASE + '/sc1').text,
             api.get(BASE + '/sc1/detail').text, api.get('/v1.0/subcloud-groups/1/subclouds').text]
    for text in texts:
        assert 'password' not in text.lower()
        assert 'rehome_data' not in text and 'data_install' not in text
        for password in forms.ALL_PASSWORDS:
            assert password not in text
    logged = '\n'.join(record.getMessage() for record in caplog.records)
    assert 'Added subcloud' in logged
    for password in forms.ALL_PASSWORDS + (forms.b64(forms.SYSADMIN_PASSWORD),):
        assert password not in logged


# ------------------------------------------------------------------ list

def test_list_empty(api):
    resp = api.get(BASE)
    assert resp.json == {'subclouds': []} and resp.content_type == 'application/json'


def test_list_rows(api, ctx):
    first = _add(api, 'sc1', 1)
    second = _add(api, 'sc2', 2)
    resp = api.get(BASE + '/')
    # written column by column (views.list_json): exactly what json.dumps writes
    assert resp.body == json.dumps(resp.json).encode('ascii')
    rows = resp.json['subclouds']
    assert [r['id'] for r in rows] == [first['id'], second['id']]
    for row in rows:
        assert set(row) == LIST_KEYS
        assert isinstance(row['id'], int) and isinstance(row['group_id'], int)
        assert row['openstack-installed'] is False
        assert isinstance(row['error-description'], str)
        assert row['sync_status'] == 'unknown'
        assert row['endpoint_sync_status'] == [
            {'endpoint_type': endpoint, 'sync_status': 'unknown'}
            for endpoint in SORTED_ENDPOINT_TYPES]
    # A list row is the show body.
    assert rows[1] == api.get(BASE + '/sc2').json
    assert rows[0] == api.get(BASE + '/sc1').json


def test_list_endpoint_statuses_are_each_subclouds_own_by_type(api, ctx):
    ids = [_add(api, 'sc%d' % n, n, settle=False)['id'] for n in (1, 2, 3)]
    for sid in ids:
        forms.wait_settled(api, sid)
    objects.Subcloud.set_endpoint_statuses(ctx, ids[0], {None: states.SYNC_IN_SYNC})
    objects.Subcloud.set_endpoint_statuses(ctx, ids[1], {'software': states.SYNC_OUT_OF_SYNC,
                                                         'dc-cert': states.SYNC_IN_SYNC})
    # A subcloud without status rows (the reference's inner join would drop it) lists [].
    with db_api.get_engine().begin() as conn:
        conn.execute(sa.text('DELETE FROM subcloud_status WHERE subcloud_id = :id'),
                     {'id': ids[2]})
    expected = {
        ids[0]: {endpoint: 'in-sync' for endpoint in SORTED_ENDPOINT_TYPES},
        ids[1]: dict({endpoint: 'unknown' for endpoint in SORTED_ENDPOINT_TYPES},
                     software='out-of-sync', **{'dc-cert': 'in-sync'}),
        ids[2]: {},
    }

    def listed(query=''):
        return {row['id']: [(e['endpoint_type'], e['sync_status'])
                            for e in row['endpoint_sync_status']]
                for row in api.get(BASE + query).json['subclouds']}

    want = {sid: sorted(statuses.items()) for sid, statuses in expected.items()}
    assert listed() == want
    # pages and filters carry the statuses of their own rows only
    assert listed('?limit=1') == {ids[0]: want[ids[0]]}
    assert listed('?limit=1&marker=%d' % ids[0]) == {ids[1]: want[ids[1]]}
    assert listed('?marker=%d' % ids[1]) == {ids[2]: []}
    db_api.subcloud_update(ctx, ids[1], {'deploy_status': states.DEPLOY_COMPLETE})
    assert listed('?deploy_status=complete') == {ids[1]: want[ids[1]]}
    for sid in ids:
        show = api.get('%s/%d' % (BASE, sid)).json['endpoint_sync_status']
        assert [(e['endpoint_type'], e['sync_status']) for e in show] == want[sid]


def test_list_timestamps_match_show_even_without_microseconds(api, ctx):
    created = _add(api, settle=False)
    forms.wait_settled(api, created['id'])
    with db_api.get_engine().begin() as conn:
        conn.execute(sa.text("UPDATE subclouds SET created_at = '2024-01-02 03:04:05.000000', "
                             "backup_datetime = '2024-01-02 03:04:05.000001'"))
    row = api.get(BASE).json['subclouds'][0]
    show = api.get(BASE + '/sc1').json
    assert row['created-at'] == show['created-at'] == '2024-01-02 03:04:05'
    assert row['backup-datetime'] == show['backup-datetime'] == '2024-01-02 03:04:05.000001'


def test_list_is_the_same_through_the_cli_paths(api):
    _add(api)
    assert api.get('/v1.0//subclouds/').json == api.get(BASE).json


def test_aggregate_sync_status(api, ctx):
    sc = _add(api)
    sid = sc['id']

    def aggregate():
        return api.get(BASE).json['subclouds'][0]['sync_status']

    objects.Subcloud.set_endpoint_statuses(ctx, sid, {None: states.SYNC_IN_SYNC})
    assert aggregate() == 'in-sync'
    assert api.get(BASE + '/sc1').json['sync_status'] == 'in-sync'
    objects.Subcloud.set_endpoint_statuses(ctx, sid, {'firmware': states.SYNC_UNKNOWN})
    # finding F12: in-sync mixed with unknown is unknown, not out-of-sync
    assert aggregate() == 'unknown'
    objects.Subcloud.set_endpoint_statuses(ctx, sid, {'identity': states.SYNC_OUT_OF_SYNC})
    assert aggregate() == 'out-of-sync'
    objects.Subcloud.set_endpoint_statuses(ctx, sid, {None: states.SYNC_IN_SYNC})
    assert aggregate() == 'in-sync'
    statuses = api.get(BASE + '/sc1').json['endpoint_sync_status']
    assert {e['sync_status'] for e in statuses} == {'in-sync'}


def _seed(api, ctx, count):
    ids = [_add(api, 'sc%d' % n, n, settle=False)['id'] for n in range(1, count + 1)]
    for sid in ids:
        forms.wait_settled(api, sid)
    return ids


def test_pagination(api, ctx):
    ids = _seed(api, ctx, 5)
    page = api.get(BASE + '?limit=2').json
    assert [r['id'] for r in page['subclouds']] == ids[:2]
    assert page['next'] == 'http://localhost/v1.0/subclouds?limit=2&marker=%d' % ids[1]
    page = api.get(page['next']).json
    assert [r['id'] for r in page['subclouds']] == ids[2:4]
    page = api.get(page['next']).json
    assert [r['id'] for r in page['subclouds']] == ids[4:]
    assert 'next' not in page
    # exactly one full page: no next link
    assert 'next' not in api.get(BASE + '?limit=5').json
    assert api.get(BASE + '?marker=%d' % ids[-1]).json == {'subclouds': []}
    assert [r['id'] for r in api.get(BASE + '?marker=%d' % ids[2]).json['subclouds']] == ids[3:]


def test_filters(api, ctx):
    ids = _seed(api, ctx, 4)
    group = api.post_json('/v1.0/subcloud-groups', {
        'name': 'edge', 'description': 'Edge', 'update_apply_type': 'serial',
        'max_parallel_subclouds': 2}).json
    _complete(ctx, ids[0], availability_status='online', management_state='managed',
              group_id=group['id'])
    _complete(ctx, ids[1], availability_status='online')

    def names(query):
        return [r['name'] for r in api.get(BASE + '?' + query).json['subclouds']]

    assert names('availability=online') == ['sc1', 'sc2']
    assert names('availability=offline') == ['sc3', 'sc4']
    assert names('management=managed') == ['sc1']
    assert names('deploy_status=complete') == ['sc1', 'sc2']
    assert names('deploy_status=pre-enroll-failed') == ['sc3', 'sc4']
    assert names('group_id=%d' % group['id']) == ['sc1']
    assert names('group_id=1&availability=online') == ['sc2']
    assert names('peer_group_id=7') == []
    page = api.get(BASE + '?availability=offline&limit=1').json
    assert page['next'].endswith('?availability=offline&limit=1&marker=%d' % ids[2])
    assert [r['name'] for r in api.get(page['next']).json['subclouds']] == ['sc4']


@pytest.mark.parametrize('query,message', [
    ('limit=0', 'Invalid limit: a positive integer'),
    ('limit=x', 'Invalid limit: a positive integer'),
    ('limit=-1', 'Invalid limit: a positive integer'),
    ('marker=abc', 'Invalid marker: the id of the last subcloud of the previous page'),
    ('availability=maybe', 'Invalid availability: online or offline'),
    ('management=managing', 'Invalid management: managed or unmanaged'),
    ('deploy_status=done', 'Invalid deploy_status'),
    ('group_id=x', 'Invalid group_id: a subcloud group id'),
    ('peer_group_id=0', 'Invalid peer_group_id: a subcloud peer group id'),
    ('colour=blue', 'Unexpected field: colour'),
    ('limit=1&limit=2', 'Invalid limit: a positive integer'),
])
def test_bad_list_queries_are_400(api, query, message):
    resp = api.get(BASE + '?' + query, status=400, headers=JSON)
    assert resp.json['description'] == message


# ------------------------------------------------------------------ show

def test_show_by_id_and_name(api):
    sc = _add(api)
    by_id = api.get('%s/%d' % (BASE, sc['id'])).json
    by_name = api.get(BASE + '/sc1').json
    assert by_id == by_name
    assert set(by_id) == SHOW_KEYS
    assert [e['endpoint_type'] for e in by_id['endpoint_sync_status']] == SORTED_ENDPOINT_TYPES


def test_show_detail(api):
    sc = _add(api)
    detail = api.get('%s/%d/detail' % (BASE, sc['id'])).json
    assert set(detail) == DETAIL_KEYS
    assert detail['oam_floating_ip'] == 'unavailable'
    assert detail['deploy_config_sync_status'] == 'unknown'
    assert detail['region_name'] == detail['region-name']
    assert api.get(BASE + '/sc1/detail/').json == detail


@pytest.mark.parametrize('path', ['/999', '/nope', '/999/detail', '/nope/detail'])
def test_show_unknown_is_404(api, path):
    resp = api.get(BASE + path, status=404, headers=JSON)
    assert resp.json['description'] == 'Subcloud not found'


@pytest.mark.parametrize('path', ['/1/whatever', '/1/detail/more', '/1/status'])
def test_unknown_sub_paths_are_404(api, path):
    _add(api, settle=False)
    api.get(BASE + path, status=404)


def test_error_page_the_cli_prints(api):
    resp = api.get(BASE + '/nope', status=404, headers={'Accept': '*/*'})
    assert '<h1>404 Not Found</h1>' in resp.text and 'Subcloud not found' in resp.text


def test_group_subclouds_rows_are_t1_safe(api):
    _add(api)
    rows = api.get('/v1.0/subcloud-groups/1/subclouds').json['subclouds']
    assert [r['name'] for r in rows] == ['sc1']
    assert set(rows[0]) == OBJECT_KEYS
    assert 'endpoint_sync_status' not in rows[0]
