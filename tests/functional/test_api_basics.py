"""Platform behaviour of the API: version document, routing, content negotiation, error shapes."""

import pytest


def test_version_document(api):
    body = api.get('/').json
    assert body == {'versions': [{'status': 'CURRENT', 'id': 'v1.0', 'updated': '2017-10-2',
                                  'links': [{'rel': 'self',
                                             'href': 'http://localhost/v1.0/'}]}]}


@pytest.mark.parametrize('method', ['post', 'put', 'patch', 'delete'])
def test_version_document_other_methods_405(api, method):
    assert getattr(api, method)('/', status=405).status_int == 405


@pytest.mark.parametrize('path', ['/v1.0/nothing', '/v2.0/subcloud-groups', '/v1.0/nothing/1',
                                  '/v1/subcloud-groups'])
def test_unknown_resources_are_404(api, path):
    resp = api.get(path, status=404, headers={'Accept': 'application/json'})
    assert resp.json['code'] == 404 and resp.json['error'] == 'NotFound'
    assert resp.json['description']


@pytest.mark.parametrize('accept', ['text/html', 'text/plain', 'application/xml', '*/*', ''])
def test_success_is_json_whatever_the_accept_header(api, accept):
    resp = api.get('/v1.0/subcloud-groups', headers={'Accept': accept})
    assert resp.content_type == 'application/json'
    assert resp.json['subcloud_groups'][0]['name'] == 'Default'


@pytest.mark.parametrize('accept,marker', [('*/*', '<h1>404 Not Found</h1>'),
                                           ('text/html', '<h1>404 Not Found</h1>'),
                                           ('application/json', '"error": "SubcloudGroupNotFound"'),
                                           ('text/plain', '404 Not Found\n')])
def test_error_body_follows_accept(api, accept, marker):
    resp = api.get('/v1.0/subcloud-groups/nope', status=404, headers={'Accept': accept})
    assert marker in resp.text
    assert 'Subcloud Group not found' in resp.text


def test_method_not_allowed_keeps_allow_header(api):
    resp = api.put('/v1.0/subcloud-groups/1', status=405,
                   headers={'Accept': 'application/json'})
    assert resp.json['code'] == 405 and resp.json['error'] == 'MethodNotAllowed'
