"""GET /v1.0/openapi.json: a valid OpenAPI 3.1 document, generated from the controllers, that
covers every route the API serves (and no other), whose schemas are the ones the handlers
validate with, and whose response schemas the real answers match. Through the real WSGI stack.
"""

import re

import jsonschema
import pecan
from pecan import rest
import pytest

from dcmanager.api import openapi
from dcmanager.api.controllers import root
from dcmanager.api.schemas import subcloud_groups as group_schema
from dcmanager.api.schemas import subclouds as subcloud_schema
from dcmanager.api.schemas import system_peers as peer_schema
from tests import subcloud_forms as forms

DOC = '/v1.0/openapi.json'
METHODS = ('get', 'post', 'put', 'patch', 'delete')


@pytest.fixture(autouse=True)
def unreachable(site):
    with forms.unreachable_subclouds() as port:
        yield port


@pytest.fixture
def document(api):
    return api.get(DOC).json


@pytest.fixture
def refs(api):
    """A value for each path parameter: a real group, subcloud and system peer."""
    group = api.post_json('/v1.0/subcloud-groups', {
        'name': 'edge', 'description': 'Edge sites', 'update_apply_type': 'serial',
        'max_parallel_subclouds': 2}).json
    subcloud = forms.add_settled(api)
    peer = api.post_json('/v1.0/system-peers', {
        'peer_uuid': '6d0c3a3e-7f6b-4c8e-9a51-2f1f5e1c9b70', 'peer_name': 'site-b',
        'manager_endpoint': 'http://127.0.0.1:25000/v3', 'manager_username': 'admin',
        'manager_password': 'UGVlci1TZWNyZXQqNDI=',
        'peer_controller_gateway_address': '127.0.2.1'}).json
    peer_group = api.post_json('/v1.0/subcloud-peer-groups', {'peer-group-name': 'pg1'}).json
    association = api.post_json('/v1.0/peer-group-associations', {
        'peer_group_id': peer_group['id'], 'system_peer_id': peer['id'],
        'peer_group_priority': 2}).json
    return {'group_ref': str(group['id']), 'ref': str(subcloud['id']),
            'peer_ref': str(peer['id']), 'peer_group_ref': str(peer_group['id']),
            'association_ref': str(association['id'])}


def _url(path, refs):
    return re.sub(r'\{(\w+)\}', lambda m: refs[m.group(1)], path)


def test_the_document_is_valid_openapi_3_1(document):
    validator = pytest.importorskip('openapi_spec_validator')
    validator.validate(document)
    assert document['openapi'] == '3.1.0'


def test_the_document_is_generated_from_the_controllers(document):
    assert document == openapi.document(root.RootController())


def test_request_schemas_are_those_the_handlers_validate_with(document):
    paths = document['paths']
    body = paths['/v1.0/subcloud-groups']['post']['requestBody']['content']
    assert body['application/json']['schema'] == group_schema.CREATE
    body = paths['/v1.0/subcloud-groups/{group_ref}']['patch']['requestBody']['content']
    assert body['application/json']['schema'] == group_schema.UPDATE
    body = paths['/v1.0/subclouds']['post']['requestBody']['content']
    assert body['application/json']['schema'] == subcloud_schema.CREATE
    assert set(body['multipart/form-data']['schema']['properties']) == set(
        subcloud_schema.CREATE['properties'])
    query = {p['name']: p['schema'] for p in paths['/v1.0/subclouds']['get']['parameters']}
    assert query == subcloud_schema.LIST_QUERY['properties']
    body = paths['/v1.0/system-peers']['post']['requestBody']['content']
    assert body['application/json']['schema'] == peer_schema.CREATE
    body = paths['/v1.0/system-peers/{peer_ref}']['patch']['requestBody']['content']
    assert body['application/json']['schema'] == peer_schema.UPDATE


def test_every_documented_route_is_served(api, document, refs):
    # Deletes last: the others need what they would delete.
    routes = sorted(((path, method) for path, item in document['paths'].items()
                     for method in item), key=lambda route: route[1] == 'delete')
    for path, method in routes:
        resp = getattr(api, method)(_url(path, refs), headers=forms.JSON, expect_errors=True)
        # A 400 says the body was wrong and a 409 that the resource's state refused it (an
        # association's sync runs), so the route exists; 404/405 would say it does not. A
        # route of the peer role's alone refuses the admin with its own rule.
        peer_only = resp.status_int == 403 and ':non_primary ' in resp.json['description']
        assert resp.status_int in (200, 400, 409) or peer_only, (method, path, resp.status,
                                                                 resp.body[:300])


def _documented(document, method, url):
    return any(method in item and re.fullmatch(re.sub(r'\{\w+\}', '[^/]+', path), url)
               for path, item in document['paths'].items())


def test_no_route_is_served_that_is_not_documented(api, document, refs):
    urls = {_url(path, refs) for path in document['paths']}
    for url in sorted(urls | {u.rstrip('/') + '/x' for u in urls}):
        for method in METHODS:
            if _documented(document, method, url):
                continue
            resp = getattr(api, method)(url, headers=forms.JSON, expect_errors=True)
            assert resp.status_int in (404, 405), (method, url, resp.status, resp.body[:300])


class _Undeclared(rest.RestController):
    @pecan.expose('json')
    def get_one(self, thing_ref):
        return {}


class _Root(rest.RestController):
    things = _Undeclared()

    @openapi.operation('The root')
    @pecan.expose('json')
    def get_all(self):
        return {}


def test_a_handler_without_a_declaration_fails_the_document():
    with pytest.raises(openapi.Undocumented) as info:
        openapi.document(_Root())
    assert '_Undeclared.get_one serves GET' in str(info.value)
    _Undeclared.get_one = openapi.operation('A thing')(_Undeclared.get_one)
    try:
        assert openapi.routes(_Root()) == [('/', 'get'), ('/things/{thing_ref}', 'get')]
    finally:
        del _Undeclared.get_one._dcmanager_openapi


def _schema_of(document, path, method):
    content = document['paths'][path][method]['responses']['200']['content']
    return content['application/json']['schema']


def test_answers_match_their_documented_schemas(api, document, refs):
    checked = 0
    for path, item in document['paths'].items():
        if 'get' not in item:
            continue
        resp = api.get(_url(path, refs))
        jsonschema.Draft202012Validator(_schema_of(document, path, 'get')).validate(resp.json)
        checked += 1
    assert checked == 20
    created = api.post_json('/v1.0/subcloud-groups', {
        'name': 'core', 'description': 'Core', 'update_apply_type': 'parallel',
        'max_parallel_subclouds': 3}).json
    jsonschema.Draft202012Validator(
        _schema_of(document, '/v1.0/subcloud-groups', 'post')).validate(created)
    deleted = api.delete('/v1.0/subcloud-groups/core').json
    jsonschema.Draft202012Validator(
        _schema_of(document, '/v1.0/subcloud-groups/{group_ref}', 'delete')).validate(deleted)


def test_errors_match_the_documented_error_schema(api, document):
    resp = api.get('/v1.0/subcloud-groups/nope', headers=forms.JSON, status=404)
    jsonschema.Draft202012Validator(document['components']['schemas']['Error']).validate(
        resp.json)


def test_creates_link_to_the_operations_on_what_they_created(document):
    links = document['paths']['/v1.0/subcloud-groups']['post']['responses']['200']['links']
    assert {link['operationId'] for link in links.values()} == {
        'SubcloudGroupsController.get_one', 'SubcloudGroupsController.patch',
        'SubcloudGroupsController.delete', 'GroupSubcloudsController.get_all'}
    assert all(link['parameters'] == {'group_ref': '$response.body#/id'}
               for link in links.values())
