"""Requests that must be refused (or served) by the method and the path alone, whatever the
query string and the body say: through the real WSGI stack, manager and database.

Every refused request is checked to change nothing: every group and every subcloud, listed
before and after.
"""

import json
import logging

from pecan import rest
import pytest

from dcmanager import objects
from dcmanager.api.controllers import base
from dcmanager.api.controllers import root as root_controller
from dcmanager.common import states
from tests import subcloud_forms as forms

GROUPS = '/v1.0/subcloud-groups'
SUBCLOUDS = '/v1.0/subclouds'
JSON = {'Accept': 'application/json'}
GROUP = {'name': 'edge', 'description': 'Edge sites', 'update_apply_type': 'serial',
         'max_parallel_subclouds': 3}


def _everything(api):
    """What a refused request must leave untouched."""
    return api.get(GROUPS).json, api.get(SUBCLOUDS).json


@pytest.fixture
def site_state(api, ctx):
    """A group ``edge`` holding the subcloud ``sc1``; their ids are whatever the database gave
    (a PostgreSQL sequence is not reset between tests)."""
    group = api.post_json(GROUPS, GROUP).json
    objects.Subcloud(name='sc1', group_id=group['id'], management_state=states.UNMANAGED,
                     availability_status=states.OFFLINE, deploy_status=states.DEPLOY_COMPLETE,
                     error_description=states.DEFAULT_ERROR_DESCRIPTION,
                     management_start_ip='127.0.9.10', management_end_ip='127.0.9.19',
                     openstack_installed=False, audit_fail_count=0,
                     first_identity_sync_complete=False, rehomed=False,
                     enrolled_with_vcsr=False).create(ctx)
    return _everything(api)


def _unchanged(api, before):
    assert _everything(api) == before


# ------------------------------------------------------------------ arguments only from the path

@pytest.mark.parametrize('method', ['PATCH', 'DELETE', 'PUT'])
@pytest.mark.parametrize('path', [GROUPS, GROUPS + '/', SUBCLOUDS, SUBCLOUDS + '/'])
def test_a_collection_refuses_item_methods_with_405(api, site_state, method, path):
    resp = api.request(path, method=method, headers=JSON, status=405,
                       body=b'{"description": "changed"}', content_type='application/json')
    assert resp.headers['Allow'] == 'GET, POST'
    assert resp.json == {
        'code': 405, 'title': 'Method Not Allowed', 'error': 'MethodNotAllowed',
        'description': 'Method %s is not allowed on this resource (allowed: GET, POST).'
                       % method}
    _unchanged(api, site_state)


@pytest.mark.parametrize('method', ['DELETE', 'PATCH'])
@pytest.mark.parametrize('path, where', [
    (GROUPS + '?group_ref=edge', 'query'), (GROUPS, 'json'), (GROUPS, 'form'),
    (SUBCLOUDS + '?ref=sc1', 'query'), (SUBCLOUDS, 'json'), (SUBCLOUDS, 'form'),
])
def test_no_argument_is_taken_from_the_query_string_or_the_body(api, site_state, method, path,
                                                                where):
    # The name of the handler's argument (group_ref, ref), given anywhere but in the path.
    name = 'group_ref' if path.startswith(GROUPS) else 'ref'
    value = 'edge' if name == 'group_ref' else 'sc1'
    body, content_type = {
        'query': (b'{"description": "changed"}', 'application/json'),
        'json': (json.dumps({name: value, 'description': 'changed'}).encode(),
                 'application/json'),
        'form': (('%s=%s&description=changed' % (name, value)).encode(),
                 'application/x-www-form-urlencoded'),
    }[where]
    resp = api.request(path, method=method, body=body, content_type=content_type,
                       headers=JSON, status=405)
    assert resp.headers['Allow'] == 'GET, POST'
    _unchanged(api, site_state)


def _ids(site_state):
    groups, subclouds = site_state
    group = next(g for g in groups['subcloud_groups'] if g['name'] == 'edge')
    return {'group': group['id'], 'sc': subclouds['subclouds'][0]['id']}


def test_the_list_filters_still_come_from_the_query_string(api, site_state):
    edge = _ids(site_state)['group']
    assert [sc['name'] for sc in api.get(SUBCLOUDS + '?group_id=%d' % edge).json['subclouds']
            ] == ['sc1']
    assert api.get(SUBCLOUDS + '?group_id=1').json['subclouds'] == []
    resp = api.get(SUBCLOUDS + '?name=sc1', headers=JSON, status=400)
    assert resp.json['description'] == 'Unexpected field: name'


# ------------------------------------------------------------------ no _method override

@pytest.mark.parametrize('override', ['post', 'POST', 'patch', 'delete', 'put'])
def test_a_get_with_method_override_is_a_plain_get(api, site_state, override):
    body = json.dumps(dict(GROUP, name='viaget', description='changed')).encode()
    listed = api.request(GROUPS + '?_method=' + override, method='GET', body=body,
                         content_type='application/json', headers=JSON)
    assert listed.json == site_state[0]
    shown = api.request(GROUPS + '/edge?_method=' + override, method='GET', body=body,
                        content_type='application/json', headers=JSON)
    assert shown.json['name'] == 'edge' and shown.json['description'] == 'Edge sites'
    _unchanged(api, site_state)


@pytest.mark.parametrize('where', ['query', 'form'])
def test_a_post_with_method_override_is_a_plain_post(api, site_state, where):
    for path in (GROUPS + '/edge', SUBCLOUDS + '/sc1'):
        query, body = ('?_method=delete', b'') if where == 'query' else ('', b'_method=delete')
        resp = api.request(path + query, method='POST', body=body, headers=JSON, status=405,
                           content_type='application/x-www-form-urlencoded')
        assert resp.headers['Allow'] == 'DELETE, GET, PATCH'
    _unchanged(api, site_state)


def test_a_patch_with_method_override_is_a_plain_patch(api, site_state):
    resp = api.request(GROUPS + '/edge?_method=delete', method='PATCH',
                       body=b'{"description": "patched"}', content_type='application/json',
                       headers=JSON)
    assert resp.json['description'] == 'patched'
    assert api.get(GROUPS + '/edge').json['description'] == 'patched'


# ------------------------------------------------------------------ 405 and Allow everywhere

# Every URL shape of the API and exactly the methods it serves.
SERVED = [
    ('/', 'GET'),
    ('/v1.0', 'GET'),
    ('/v1.0/alarms', 'GET'),
    (SUBCLOUDS, 'GET, POST'),
    (SUBCLOUDS + '/sc1', 'DELETE, GET, PATCH'),
    (SUBCLOUDS + '/{sc}/detail', 'GET'),
    (GROUPS, 'GET, POST'),
    (GROUPS + '/edge', 'DELETE, GET, PATCH'),
    (GROUPS + '/{group}/subclouds', 'GET'),
]
METHODS = ('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE')


@pytest.mark.parametrize('path, allow', SERVED)
def test_every_other_method_is_405_with_the_served_methods(api, site_state, path, allow):
    path = path.format(**_ids(site_state))
    for method in METHODS:
        if method in allow.split(', '):
            continue
        resp = api.request(path, method=method, headers=JSON, status=405)
        assert resp.headers['Allow'] == allow, (method, path)
        assert resp.json['title'] == 'Method Not Allowed'
        assert resp.json['description'] == (
            'Method %s is not allowed on this resource (allowed: %s).' % (method, allow))
    _unchanged(api, site_state)


@pytest.mark.parametrize('path, allow', SERVED)
def test_every_method_in_allow_is_served(api, site_state, path, allow):
    path = path.format(**_ids(site_state))
    # DELETE last: it may succeed.
    for method in sorted(allow.split(', '), key=lambda m: (m == 'DELETE', m)):
        if method == 'GET':
            assert api.get(path).status_int == 200
            continue
        # An empty body: the handler runs and refuses it (not 404, not 405).
        resp = api.request(path, method=method, headers=JSON, expect_errors=True)
        assert resp.status_int not in (404, 405), (method, path, resp.text)


@pytest.mark.parametrize('accept', ['*/*', 'text/html'])
def test_the_405_page_is_the_html_the_cli_prints(api, accept):
    resp = api.put(GROUPS + '/1', headers={'Accept': accept}, status=405)
    assert resp.content_type == 'text/html'
    assert resp.headers['Allow'] == 'DELETE, GET, PATCH'
    assert '<title>405 Method Not Allowed</title>' in resp.text
    assert 'The method PUT is not allowed for this resource.' in resp.text
    assert 'Method PUT is not allowed on this resource (allowed: DELETE, GET, PATCH).' in resp.text
    assert '400' not in resp.text and 'malformed' not in resp.text


@pytest.mark.parametrize('path', [
    SUBCLOUDS + '/sc1/nothing', SUBCLOUDS + '/1/detail/x', GROUPS + '/edge/nothing',
    GROUPS + '/2/subclouds/x', '/v1.0/alarms/x', '/v1.0/nothing',
    # attributes of the controllers are not paths
    '/v1.0/__class__', SUBCLOUDS + '/1/__class__', GROUPS + '/2/__init__',
    GROUPS + '/2/subclouds/__dict__', '/_route', '/v1.0/_find_controller',
])
@pytest.mark.parametrize('method', ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'])
def test_a_path_no_handler_serves_is_404(api, site_state, path, method):
    resp = api.request(path, method=method, headers=JSON, status=404)
    assert resp.json['code'] == 404 and 'Allow' not in resp.headers
    _unchanged(api, site_state)


def _controllers(node):
    """``node`` and every controller object below it (routed by name or by pecan.route)."""
    yield node
    for name in dir(node):
        child = getattr(node, name, None)
        if name.startswith('_') or callable(child):
            continue
        if isinstance(child, rest.RestController) or \
                type(child).__module__.startswith('dcmanager.api.controllers'):
            yield from _controllers(child)


def test_every_controller_routes_on_the_method_and_the_path_only():
    # A controller that does not inherit base.RestController would bring pecan's _method
    # override and its argument filling back.
    found = list(_controllers(root_controller.RootController()))
    assert len(found) >= 7
    for controller in found:
        assert isinstance(controller, base.RestController), type(controller)


# ------------------------------------------------------------------ bodies

def test_json_nested_10000_levels_is_a_400(api, site_state):
    deep = b'{"name": ' + b'[' * 10000 + b']' * 10000 + b'}'
    for method, path in (('POST', GROUPS), ('PATCH', GROUPS + '/edge'), ('POST', SUBCLOUDS),
                         ('PATCH', SUBCLOUDS + '/sc1')):
        resp = api.request(path, method=method, body=deep, content_type='application/json',
                           headers=JSON, status=400)
        assert resp.json['description'] == 'The request body is nested more than 32 levels deep'
    _unchanged(api, site_state)


def test_yaml_nested_10000_levels_is_a_400(api, site_state):
    deep = '[' * 10000 + ']' * 10000
    for name in ('bootstrap_values', 'install_values'):
        form, files = forms.add_request(name='sc2', n=2)
        files[name] = ('obs/%s.yaml' % name, deep)
        resp = forms.post_add(api, form, files, status=400, headers=JSON)
        assert resp.json['description'] == '%s is nested more than 32 levels deep' % name
    resp = forms.patch_form(api, 'sc1', {}, {'bootstrap_values': ('b.yaml', deep)},
                            status=400, headers=JSON)
    assert resp.json['description'] == 'bootstrap_values is nested more than 32 levels deep'
    _unchanged(api, site_state)


@pytest.mark.parametrize('content_type', [
    'application/x-www-form-urlencoded; charset=utf-16',
    'multipart/form-data; boundary=x; charset=utf-16'])
def test_a_form_in_another_charset_is_a_400(api, site_state, content_type):
    body = 'description=changed'.encode('utf-16')
    for method, path in (('POST', SUBCLOUDS), ('PATCH', SUBCLOUDS + '/sc1')):
        resp = api.request(path, method=method, body=body, content_type=content_type,
                           headers=JSON, status=400)
        assert resp.json['description'] == ('A form body must be UTF-8; the Content-Type '
                                            'declares another charset')
    _unchanged(api, site_state)


def test_a_multipart_type_without_boundary_is_never_a_500(api, site_state):
    body = b'--x\r\nContent-Disposition: form-data; name="description"\r\n\r\nc\r\n--x--\r\n'
    for method, path in (('POST', SUBCLOUDS), ('PATCH', SUBCLOUDS + '/sc1')):
        resp = api.request(path, method=method, body=body, content_type='multipart/form-data',
                           headers=JSON, status=400)
        assert resp.json['description'] == ('The multipart body has no boundary: send '
                                            'Content-Type: multipart/form-data; boundary=...')
    for method, path in (('GET', SUBCLOUDS), ('GET', GROUPS + '/edge'), ('PUT', GROUPS),
                         ('DELETE', SUBCLOUDS)):
        resp = api.request(path, method=method, body=body, content_type='multipart/form-data',
                           headers=JSON, expect_errors=True)
        assert resp.status_int < 500, (method, path)
    _unchanged(api, site_state)
    # A DELETE has no use for a body: it is served whatever the body's type.
    api.request(SUBCLOUDS + '/sc1', method='DELETE', body=body,
                content_type='multipart/form-data', headers=JSON)
    assert api.get(SUBCLOUDS).json['subclouds'] == []


@pytest.mark.parametrize('raw, message', [
    (b'{"name":\n x}', 'The request body is not valid JSON: Expecting value (line 2, column 2)'),
    (b'[{"name": "x"}]', 'The request body must be a JSON object'),
    (b'{}', 'No fields given'),
    (b'{"description": "caf\xe9"}', 'The request body is not valid UTF-8 (byte offset 20)'),
])
def test_each_fault_of_a_json_body_says_what_is_wrong(api, site_state, raw, message):
    for method, path in (('POST', GROUPS), ('PATCH', GROUPS + '/edge'), ('POST', SUBCLOUDS),
                         ('PATCH', SUBCLOUDS + '/sc1')):
        resp = api.request(path, method=method, body=raw, content_type='application/json',
                           headers=JSON, status=400)
        assert resp.json['description'] == message, (method, path)
    _unchanged(api, site_state)


def test_a_wrong_multipart_boundary_says_so(api, site_state):
    form, files = forms.add_request(name='sc2', n=2)
    body, content_type = forms.cli_multipart(form, files)
    for method, path in (('POST', SUBCLOUDS), ('PATCH', SUBCLOUDS + '/sc1')):
        resp = api.request(path, method=method, body=body, headers=JSON, status=400,
                           content_type='multipart/form-data; boundary=not-the-one')
        assert resp.json['description'] == ('The multipart body has no part with the boundary '
                                            'not-the-one')
    _unchanged(api, site_state)


def test_a_multipart_part_without_a_name_is_a_400(api, site_state):
    # found by the fuzz tier: a part with no Content-Disposition name was a 500 (TypeError)
    for method, path in (('POST', SUBCLOUDS), ('PATCH', SUBCLOUDS + '/sc1')):
        resp = api.request(path, method=method, body=b'--B\r\n?\xc2\xbe--B--\r\n',
                           headers=JSON, status=400,
                           content_type='multipart/form-data; boundary=B')
        assert resp.json['description'] == 'A part of the multipart body has no name'
    _unchanged(api, site_state)


@pytest.mark.parametrize('path, methods, message', [
    (GROUPS + '/%FF', ('GET', 'DELETE', 'PATCH'), 'The URL path is not valid UTF-8'),
    (SUBCLOUDS + '/sc%C3', ('GET', 'DELETE', 'PATCH'), 'The URL path is not valid UTF-8'),
    (SUBCLOUDS + '?group_id=%FF', ('GET',), 'The query string is not valid UTF-8'),
])
def test_a_url_that_is_not_utf8_is_a_400_logged_without_traceback(api, site_state, caplog, path,
                                                                  methods, message):
    with caplog.at_level(logging.DEBUG):
        for method in methods:
            resp = api.request(path, method=method, headers=JSON, status=400)
            assert resp.json['description'] == message
    _assert_refusals_logged_quietly(caplog, len(methods), message)
    _unchanged(api, site_state)


def test_a_body_that_is_not_utf8_is_logged_without_traceback(api, site_state, caplog):
    with caplog.at_level(logging.DEBUG):
        api.post(GROUPS, b'{"name": "\xff"}', content_type='application/json', headers=JSON,
                 status=400)
    _assert_refusals_logged_quietly(caplog, 1, 'The request body is not valid UTF-8')
    _unchanged(api, site_state)


def _assert_refusals_logged_quietly(caplog, count, message):
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []
    assert [r for r in caplog.records if r.exc_info] == []
    refused = [r.getMessage() for r in caplog.records
               if r.levelno == logging.INFO and 'refused: 400' in r.getMessage()]
    assert len(refused) == count and all(message in line for line in refused)


def test_a_refusal_cannot_forge_a_log_line(api, caplog):
    with caplog.at_level(logging.INFO):
        api.post_json(GROUPS, dict(GROUP, **{'x\nERROR forged': 1}), status=400)
    refused = [r.getMessage() for r in caplog.records if 'refused' in r.getMessage()]
    assert len(refused) == 1 and '\n' not in refused[0] and 'x\\x0aERROR forged' in refused[0]
