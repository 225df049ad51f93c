"""/v1.0/subcloud-groups through the real WSGI stack, manager and database
(api-ref/source/subcloud-groups.inc)."""

import pytest

from tests import records

BASE = '/v1.0/subcloud-groups'
GROUP_KEYS = {'id', 'name', 'description', 'update_apply_type', 'max_parallel_subclouds',
              'created-at', 'updated-at'}


def _body(**kw):
    body = {'name': 'edge', 'description': 'Edge sites', 'update_apply_type': 'serial',
            'max_parallel_subclouds': 4}
    body.update(kw)
    return body


def _create(api, **kw):
    return api.post_json(BASE + '/', _body(**kw)).json


def _add_subcloud(ctx, name, group_id, n):
    return records.subcloud(ctx, name, n, group_id=group_id)


def _state(api):
    """Everything a failed request must leave untouched."""
    return api.get(BASE).json


# ------------------------------------------------------------------ list / show

def test_list_has_default_group_with_count(api):
    groups = api.get(BASE + '/').json['subcloud_groups']
    assert len(groups) == 1
    default = groups[0]
    assert set(default) == GROUP_KEYS | {'subcloud_count'}
    assert default['id'] == 1 and default['name'] == 'Default'
    assert default['description'] == 'Default Subcloud Group'
    assert default['update_apply_type'] == 'parallel'
    assert default['max_parallel_subclouds'] == 2
    assert default['subcloud_count'] == 0


def test_list_counts_subclouds(api, ctx):
    group = _create(api)
    _add_subcloud(ctx, 'sc1', group['id'], 1)
    _add_subcloud(ctx, 'sc2', group['id'], 2)
    _add_subcloud(ctx, 'sc3', 1, 3)
    counts = {g['name']: g['subcloud_count'] for g in api.get(BASE).json['subcloud_groups']}
    assert counts == {'Default': 1, 'edge': 2}


def test_show_by_id_and_name(api):
    group = _create(api)
    by_id = api.get('%s/%d' % (BASE, group['id'])).json
    by_name = api.get(BASE + '/edge').json
    assert by_id == by_name == group
    assert set(by_id) == GROUP_KEYS
    assert api.get(BASE + '/Default').json['id'] == 1


@pytest.mark.parametrize('ref', ['999', 'nope'])
def test_show_unknown_is_404(api, ref):
    resp = api.get('%s/%s' % (BASE, ref), status=404, headers={'Accept': 'application/json'})
    assert resp.json['description'] == 'Subcloud Group not found'


def test_double_slashes_and_trailing_slash(api):
    _create(api)
    assert api.get('/v1.0//subcloud-groups//edge').json['name'] == 'edge'
    assert len(api.get('/v1.0/subcloud-groups/').json['subcloud_groups']) == 2


def test_group_subclouds(api, ctx):
    group = _create(api)
    _add_subcloud(ctx, 'sc1', group['id'], 1)
    _add_subcloud(ctx, 'sc2', 1, 2)
    rows = api.get('%s/%d/subclouds' % (BASE, group['id'])).json['subclouds']
    assert [r['name'] for r in rows] == ['sc1']
    required = {'id', 'name', 'description', 'location', 'software-version', 'management-state',
                'availability-status', 'deploy-status', 'management-subnet',
                'management-start-ip', 'management-end-ip', 'management-gateway-ip',
                'systemcontroller-gateway-ip', 'created-at', 'updated-at', 'group_id'}
    assert required <= set(rows[0])
    # The reference CLI's table breaks on extra columns: a group's list-subclouds rows never
    # carry endpoint_sync_status
    assert 'endpoint_sync_status' not in rows[0]
    # nor any secret-bearing field
    assert not {'data_install', 'rehome_data'} & set(rows[0])
    assert api.get(BASE + '/edge/subclouds').json['subclouds'][0]['name'] == 'sc1'
    assert api.get(BASE + '/Default/subclouds').json['subclouds'][0]['name'] == 'sc2'


def test_group_subclouds_unknown_group_404(api):
    api.get(BASE + '/nope/subclouds', status=404)


def test_unknown_sub_path_is_404(api):
    api.get(BASE + '/1/whatever', status=404)


# ------------------------------------------------------------------ create

def test_create_returns_200_and_object(api):
    resp = api.post_json(BASE + '/', _body())
    assert resp.status_int == 200
    group = resp.json
    assert set(group) == GROUP_KEYS
    assert group['name'] == 'edge' and group['max_parallel_subclouds'] == 4
    assert group['update_apply_type'] == 'serial'
    assert group['created-at'] and group['updated-at'] is None
    assert api.get('%s/%d' % (BASE, group['id'])).json == group


def test_create_accepts_numbers_as_strings(api):
    # The CLI sends a typed --max_parallel_subclouds as a JSON string.
    group = _create(api, max_parallel_subclouds='3')
    assert group['max_parallel_subclouds'] == 3


@pytest.mark.parametrize('field', ['name', 'description', 'update_apply_type',
                                   'max_parallel_subclouds'])
def test_create_requires_every_field(api, field):
    before = _state(api)
    body = _body()
    del body[field]
    resp = api.post_json(BASE, body, status=400, headers={'Accept': 'application/json'})
    assert field in resp.json['description']
    assert _state(api) == before


@pytest.mark.parametrize('field,value,message', [
    ('name', 'Default', 'Invalid group name'),
    ('name', 'dEfAuLt', 'Invalid group name'),
    ('name', '', 'Invalid group name'),
    ('name', '123', 'Invalid group name'),
    ('name', 'a.b', 'Invalid group name'),
    ('name', 'x' * 256, 'Invalid group name'),
    ('name', 7, 'Invalid group name'),
    ('description', '', 'Invalid group description'),
    ('description', 'd' * 256, 'Invalid group description'),
    ('update_apply_type', 'random', 'Invalid group update_apply_type'),
    ('max_parallel_subclouds', 0, 'Invalid group max_parallel_subclouds'),
    ('max_parallel_subclouds', 5001, 'Invalid group max_parallel_subclouds'),
    ('max_parallel_subclouds', '5001', 'Invalid group max_parallel_subclouds'),
    ('max_parallel_subclouds', 'many', 'Invalid group max_parallel_subclouds'),
    ('max_parallel_subclouds', 2.5, 'Invalid group max_parallel_subclouds'),
    ('max_parallel_subclouds', [], 'Invalid group max_parallel_subclouds'),
])
def test_create_rejects_bad_values(api, field, value, message):
    before = _state(api)
    resp = api.post_json(BASE, _body(**{field: value}), status=400,
                         headers={'Accept': 'application/json'})
    assert resp.json['description'] == message
    assert _state(api) == before


def test_create_limits_are_inclusive(api):
    assert _create(api, name='one', max_parallel_subclouds=1)['max_parallel_subclouds'] == 1
    assert _create(api, name='max', max_parallel_subclouds=5000)['max_parallel_subclouds'] == 5000
    assert _create(api, name='x' * 255)['name'] == 'x' * 255


def test_create_rejects_unknown_field(api):
    before = _state(api)
    api.post_json(BASE, _body(colour='blue'), status=400)
    assert _state(api) == before


@pytest.mark.parametrize('raw, message', [
    (b'', 'Body required'), (b'   ', 'Body required'),
    (b'{not json', 'The request body is not valid JSON: Expecting property name enclosed in '
                   'double quotes (line 1, column 2)'),
    (b'[]', 'The request body must be a JSON object'),
    (b'{}', 'No fields given'), (b'"text"', 'The request body must be a JSON object')])
def test_create_needs_a_json_object_body(api, raw, message):
    before = _state(api)
    resp = api.post(BASE, raw, content_type='application/json', status=400,
                    headers={'Accept': 'application/json'})
    assert resp.json['description'] == message
    assert _state(api) == before


def test_create_duplicate_name_is_409_and_changes_nothing(api):
    _create(api)
    before = _state(api)
    resp = api.post_json(BASE, _body(description='other'), status=409,
                         headers={'Accept': 'application/json'})
    assert resp.json['description'] == 'A subcloud group with this name already exists'
    assert _state(api) == before


# ------------------------------------------------------------------ update

def test_update_fields(api):
    group = _create(api)
    updated = api.patch_json('%s/%d' % (BASE, group['id']),
                             {'description': 'new', 'max_parallel_subclouds': '9',
                              'update_apply_type': 'parallel'}).json
    assert updated['description'] == 'new'
    assert updated['max_parallel_subclouds'] == 9
    assert updated['update_apply_type'] == 'parallel'
    assert updated['name'] == 'edge'
    assert updated['updated-at'] is not None
    assert api.get(BASE + '/edge').json == updated


def test_rename_by_name_ref(api):
    _create(api)
    assert api.patch_json(BASE + '/edge', {'name': 'core'}).json['name'] == 'core'
    api.get(BASE + '/edge', status=404)
    assert api.get(BASE + '/core').json['name'] == 'core'


@pytest.mark.parametrize('name', ['Renamed', 'default', 'DEFAULT'])
def test_default_group_cannot_be_renamed(api, name):
    before = _state(api)
    resp = api.patch_json(BASE + '/Default', {'name': name}, status=400,
                          headers={'Accept': 'application/json'})
    assert resp.json['description'] == 'Default group name cannot be changed'
    assert _state(api) == before


def test_default_group_keeping_its_name_is_fine(api):
    updated = api.patch_json(BASE + '/1', {'name': 'Default', 'description': 'all'}).json
    assert updated['name'] == 'Default' and updated['description'] == 'all'


def test_update_default_group_fields_but_not_name(api):
    updated = api.patch_json(BASE + '/Default', {'max_parallel_subclouds': 10}).json
    assert updated['max_parallel_subclouds'] == 10
    before = _state(api)
    resp = api.patch_json(BASE + '/1', {'name': 'Renamed', 'description': 'x'}, status=400,
                          headers={'Accept': 'application/json'})
    assert resp.json['description'] == 'Default group name cannot be changed'
    assert _state(api) == before


def test_update_duplicate_name_is_409(api):
    _create(api)
    _create(api, name='core')
    before = _state(api)
    resp = api.patch_json(BASE + '/core', {'name': 'edge'}, status=409,
                          headers={'Accept': 'application/json'})
    assert resp.json['description'] == 'A subcloud group with this name already exists'
    assert _state(api) == before


@pytest.mark.parametrize('body,message', [
    ({'name': 'default'}, 'Invalid group name'),
    ({'update_apply_type': 'sideways'}, 'Invalid group update_apply_type'),
    ({'max_parallel_subclouds': '0'}, 'Invalid group max_parallel_subclouds'),
    ({'description': ''}, 'Invalid group description'),
])
def test_update_rejects_bad_values(api, body, message):
    _create(api)
    before = _state(api)
    resp = api.patch_json(BASE + '/edge', body, status=400,
                          headers={'Accept': 'application/json'})
    assert resp.json['description'] == message
    assert _state(api) == before


def test_update_bad_value_among_good_ones_changes_nothing(api):
    _create(api)
    before = _state(api)
    api.patch_json(BASE + '/edge', {'description': 'fine', 'max_parallel_subclouds': 0},
                   status=400)
    assert _state(api) == before


def test_update_empty_body(api):
    _create(api)
    resp = api.patch(BASE + '/edge', b'', content_type='application/json', status=400,
                     headers={'Accept': 'application/json'})
    assert resp.json['description'] == 'Body required'


def test_update_unknown_group_404(api):
    api.patch_json(BASE + '/nope', {'description': 'x'}, status=404)


# ------------------------------------------------------------------ delete

def test_delete_returns_200_null(api):
    group = _create(api)
    resp = api.delete('%s/%d' % (BASE, group['id']))
    assert resp.status_int == 200
    assert resp.content_type == 'application/json'
    assert resp.json is None
    api.get('%s/%d' % (BASE, group['id']), status=404)


def test_delete_by_name(api):
    _create(api)
    api.delete(BASE + '/edge')
    assert [g['name'] for g in _state(api)['subcloud_groups']] == ['Default']


@pytest.mark.parametrize('ref', ['1', 'Default'])
def test_delete_default_refused(api, ref):
    resp = api.delete('%s/%s' % (BASE, ref), status=400, headers={'Accept': 'application/json'})
    assert resp.json['description'] == 'Default Subcloud Group may not be deleted'
    assert api.get(BASE + '/1').json['name'] == 'Default'


def test_delete_non_empty_refused(api, ctx):
    group = _create(api)
    _add_subcloud(ctx, 'sc1', group['id'], 1)
    before = _state(api)
    resp = api.delete(BASE + '/edge', status=400, headers={'Accept': 'application/json'})
    assert resp.json['description'] == 'Subcloud Group not empty'
    assert _state(api) == before


def test_delete_unknown_404(api):
    api.delete(BASE + '/nope', status=404)


# ------------------------------------------------------------------ error bodies the CLI prints

def test_error_body_is_html_for_accept_any(api):
    resp = api.get(BASE + '/nope', status=404, headers={'Accept': '*/*'})
    text = resp.text
    assert '<body>' in text and '<h1>404 Not Found</h1>' in text
    # what python-dcmanagerclient prints: line 2 of the body text, then the detail
    lines = [line.strip() for line in
             text.split('<body>')[1].split('</body>')[0].replace('<br />', '\n').splitlines()]
    lines = [line for line in lines if line and not line.startswith('<h1>')]
    assert lines == ['The resource could not be found.', 'Subcloud Group not found']


def test_request_id_header(api):
    resp = api.get(BASE)
    assert resp.headers['x-openstack-request-id'].startswith('req-')


@pytest.mark.parametrize('name', ['default', 'Default'])
def test_other_group_cannot_take_the_default_name(api, name):
    _create(api)
    before = _state(api)
    resp = api.patch_json(BASE + '/edge', {'name': name}, status=400,
                          headers={'Accept': 'application/json'})
    assert resp.json['description'] == 'Invalid group name'
    assert _state(api) == before
