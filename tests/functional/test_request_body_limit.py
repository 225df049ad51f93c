"""``[api] max_request_body_size``: 413 in the house error shape, without reading the body.

Through webtest for the WSGI application as any server calls it (declared length, unknown length
as a streaming server passes a chunked body), and through the real waitress server that
dcmanager runs, over a loopback socket.
"""

import http.client
import io
import json

import pytest
import webob

from dcmanager.api import forms as api_forms
from dcmanager.conf import CONF
from tests import harness
from tests import subcloud_forms as forms

GROUPS = '/v1.0/subcloud-groups'
JSON = {'Accept': 'application/json'}
LIMIT = 64 * 1024


def _group_body(name, size=None):
    """A group create of exactly ``size`` bytes (padded with JSON whitespace)."""
    body = json.dumps({'name': name, 'description': 'Edge sites',
                       'update_apply_type': 'serial', 'max_parallel_subclouds': 3}).encode()
    return body if size is None else body[:-1] + b' ' * (size - len(body)) + b'}'


def _names(api):
    return [g['name'] for g in api.get(GROUPS).json['subcloud_groups']]


@pytest.fixture
def limited(site):
    """The API with a body limit of LIMIT bytes; the database emptied afterwards."""
    CONF.set_override('max_request_body_size', LIMIT, group='api')
    try:
        yield site.app()
    finally:
        CONF.clear_override('max_request_body_size', group='api')
        site.reset_database()


class _Stream(io.BytesIO):
    """A request body stream that counts what the application read from it."""

    consumed = 0

    def read(self, size=-1):
        data = super().read(size)
        self.consumed += len(data)
        return data

    def readline(self, size=-1):
        data = super().readline(size)
        self.consumed += len(data)
        return data


def _send(api, body, declared=True, accept='application/json'):
    """POST ``body`` to the groups; with ``declared`` False, as a streaming server passes a
    chunked body (no CONTENT_LENGTH, ``wsgi.input_terminated``). Returns (response, stream)."""
    stream = _Stream(body)
    environ = {'REQUEST_METHOD': 'POST', 'PATH_INFO': GROUPS, 'CONTENT_TYPE': 'application/json',
               'HTTP_ACCEPT': accept, 'wsgi.input': stream}
    if declared:
        environ['CONTENT_LENGTH'] = str(len(body))
    else:
        environ['wsgi.input_terminated'] = True
    request = api.RequestClass.blank(GROUPS, environ)
    return api.do_request(request, status='*', expect_errors=True), stream


def test_a_declared_body_beyond_the_limit_is_413_unread(limited):
    before = limited.get(GROUPS).json
    resp, stream = _send(limited, _group_body('big', LIMIT + 1))
    assert resp.status_int == 413
    assert resp.json == {'code': 413, 'title': 'Request Entity Too Large',
                         'error': 'RequestBodyTooLarge',
                         'description': 'The request body is larger than %d bytes '
                                        '([api] max_request_body_size).' % LIMIT}
    assert resp.headers['x-openstack-request-id'].startswith('req-')
    assert stream.consumed == 0
    assert limited.get(GROUPS).json == before


def test_the_413_page_is_the_html_the_cli_prints(limited):
    resp, _ = _send(limited, _group_body('big', 10 * LIMIT), accept='*/*')
    assert resp.status_int == 413 and resp.content_type == 'text/html'
    assert '<title>413 Request Entity Too Large</title>' in resp.text
    assert 'The request body is larger than %d bytes' % LIMIT in resp.text


def test_a_declared_body_at_the_limit_is_served(limited):
    resp, _ = _send(limited, _group_body('edge', LIMIT))
    assert resp.status_int == 200, resp.text
    assert _names(limited) == ['Default', 'edge']


def test_a_body_of_unknown_length_stops_being_read_at_the_limit(limited):
    before = limited.get(GROUPS).json
    resp, stream = _send(limited, _group_body('big', 100 * LIMIT), declared=False)
    assert resp.status_int == 413
    assert resp.json['error'] == 'RequestBodyTooLarge'
    assert stream.consumed <= LIMIT + 1
    assert limited.get(GROUPS).json == before


def test_a_body_of_unknown_length_within_the_limit_is_served(limited):
    resp, _ = _send(limited, _group_body('edge', LIMIT), declared=False)
    assert resp.status_int == 200, resp.text
    assert _names(limited) == ['Default', 'edge']


@pytest.mark.parametrize('declared', ['many', '-1', '1e6'])
def test_a_content_length_that_is_not_a_length_is_a_400(limited, declared):
    # Built by hand: webtest refuses to send such a request (a server might pass it on).
    request = webob.Request.blank(GROUPS, method='POST', body=_group_body('x'),
                                  headers={'Accept': 'application/json'})
    request.environ['CONTENT_LENGTH'] = declared
    resp = request.get_response(limited.app)
    assert resp.status_int == 400
    assert resp.json['description'] == 'The Content-Length header is not a length'
    assert _names(limited) == ['Default']


def test_the_default_holds_a_subcloud_add_with_every_file_at_its_largest(api):
    # The CLI uploads bootstrap values, deploy config and install values (each at most
    # forms.MAX_FILE_BYTES) and a few fields: the default limit must hold them all.
    assert CONF.api.max_request_body_size == 10 * 1024 * 1024
    padding = '#' * (api_forms.MAX_FILE_BYTES - 1024) + '\n'
    form, files = forms.add_request(files={
        'deploy_config': ('deploy.yaml', padding + 'x: 1\n'),
        'install_values': ('install.yaml', padding + 'bootstrap_interface: eno1\n')})
    files['bootstrap_values'] = (files['bootstrap_values'][0],
                                 padding + files['bootstrap_values'][1])
    body, _ = forms.cli_multipart(form, files)
    assert len(body) > 3 * (api_forms.MAX_FILE_BYTES - 1024)
    resp = forms.post_add(api, form, files, headers=JSON, status='*')
    assert resp.status_int != 413, resp.text


# ------------------------------------------------------------------ the real waitress server

def _post(port, body, chunked=False):
    connection = http.client.HTTPConnection('127.0.0.1', port, timeout=30)
    try:
        headers = {'Content-Type': 'application/json', 'Accept': 'application/json'}
        if chunked:
            pieces = [body[i:i + 8192] for i in range(0, len(body), 8192)]
            connection.request('POST', GROUPS, body=iter(pieces), encode_chunked=True,
                               headers=dict(headers, **{'Transfer-Encoding': 'chunked'}))
        else:
            connection.request('POST', GROUPS, body=body, headers=headers)
        resp = connection.getresponse()
        return resp.status, json.loads(resp.read())
    finally:
        connection.close()


@pytest.mark.parametrize('chunked', [False, True], ids=['content-length', 'chunked'])
def test_waitress_answers_413_in_the_house_shape(limited, chunked):
    with harness.served_by_waitress(limited.app) as port:
        status, body = _post(port, _group_body('big', 4 * LIMIT), chunked=chunked)
        assert status == 413
        assert body['error'] == 'RequestBodyTooLarge' and body['code'] == 413
        status, body = _post(port, _group_body('edge', LIMIT), chunked=chunked)
        assert status == 200, body
    assert _names(limited) == ['Default', 'edge']
