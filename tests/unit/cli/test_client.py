"""The CLI's HTTP client against a real HTTP server on loopback: URL joining, the headers and
bodies it sends, only 200 counting as success, and the one-line errors of a server that is down
or does not answer."""

import http.server
import json
import socket

import pytest

from dcmanager.cli import client, errors, settings
from tests.unit.cli import loopback


@pytest.mark.parametrize('base, expected', [
    ('http://127.0.0.1:8119', 'http://127.0.0.1:8119/v1.0/subclouds'),
    ('http://127.0.0.1:8119/', 'http://127.0.0.1:8119/v1.0/subclouds'),
    ('http://127.0.0.1:8119/v1.0', 'http://127.0.0.1:8119/v1.0/subclouds'),
    ('http://127.0.0.1:8119/v1.0/', 'http://127.0.0.1:8119/v1.0/subclouds'),
    ('http://127.0.0.1:8119/dc//', 'http://127.0.0.1:8119/dc/v1.0/subclouds'),
    ('http://127.0.0.1:8119/dc/v1.0//', 'http://127.0.0.1:8119/dc/v1.0/subclouds'),
])
def test_join(base, expected):
    assert client.join(base, 'subclouds') == expected
    assert client.join(base, '/subclouds') == expected


def test_ref_is_one_path_segment():
    assert client.ref('subcloud1') == 'subcloud1'
    assert client.ref(7) == '7'
    assert client.ref('a/b?c#d e') == 'a%2Fb%3Fc%23d%20e'


class _Handler(http.server.BaseHTTPRequestHandler):
    """Answers by path; records every request (method, path, headers, body)."""

    def log_message(self, *args):
        pass

    def _answer(self):
        length = int(self.headers.get('Content-Length') or 0)
        body = self.rfile.read(length) if length else b''
        self.server.seen.append((self.command, self.path, dict(self.headers), body))
        status, payload = self.server.routes.get(self.path, (404, b'{"description": "nope"}'))
        self.send_response(status)
        self.send_header('Content-Length', str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PATCH = do_DELETE = _answer


@pytest.fixture
def server():
    with loopback.serving(_Handler) as srv:
        yield srv


def make(url, token=None, timeout='5'):
    return client.Client(settings.Settings(dcmanager_url=url, token=token,
                                           timeout=float(timeout), timeout_text=timeout))


def test_get_sends_json_accept_and_the_token(server):
    server.routes['/v1.0/subcloud-groups'] = (200, b'{"subcloud_groups": []}')
    assert make(server.url, token='tok-1').get('subcloud-groups') == {'subcloud_groups': []}
    method, path, headers, body = server.seen[0]
    assert (method, path, body) == ('GET', '/v1.0/subcloud-groups', b'')
    assert headers['Accept'] == 'application/json'
    assert headers['X-Auth-Token'] == 'tok-1'


def test_no_token_no_header(server):
    server.routes['/v1.0/alarms'] = (200, b'{"alarm_summary": []}')
    make(server.url + '/v1.0/').get('alarms')
    assert 'X-Auth-Token' not in server.seen[0][2]


def test_json_body_and_empty_sync_body(server):
    server.routes['/v1.0/subcloud-groups'] = (200, b'{"id": 2}')
    server.routes['/v1.0/peer-group-associations/3/sync'] = (200, b'{"id": 3}')
    c = make(server.url)
    c.send_json('POST', 'subcloud-groups', {'name': 'edge', 'max_parallel_subclouds': '3'})
    c.send_json('PATCH', 'peer-group-associations/3/sync', None)
    _, _, headers, body = server.seen[0]
    assert headers['content-type'] == 'application/json'
    assert json.loads(body) == {'name': 'edge', 'max_parallel_subclouds': '3'}
    method, path, headers, body = server.seen[1]
    assert (method, body, headers['Content-Length']) == ('PATCH', b'', '0')
    assert headers['content-type'] == 'application/json'


def test_delete_null_and_empty_are_none(server):
    server.routes['/v1.0/subcloud-groups/edge'] = (200, b'null')
    server.routes['/v1.0/subcloud-groups/other'] = (200, b'')
    assert make(server.url).delete('subcloud-groups/edge') is None
    assert make(server.url).delete('subcloud-groups/other') is None


@pytest.mark.parametrize('status', [201, 202, 404, 409])
def test_only_200_is_success(server, status):
    server.routes['/v1.0/subcloud-groups'] = (status, b'{"description": "said the server"}')
    with pytest.raises(errors.CommandError) as info:
        make(server.url).get('subcloud-groups')
    assert str(info.value) == 'said the server'


def test_204_is_an_error_too(server):
    server.routes['/v1.0/subcloud-groups/edge'] = (204, b'')
    with pytest.raises(errors.CommandError) as info:
        make(server.url).delete('subcloud-groups/edge')
    assert str(info.value) == 'HTTP 204 with an empty body'


def test_401_without_keystone_is_not_repeated(server):
    server.routes['/v1.0/subclouds'] = (401, b'{"description": "Authentication required"}')
    with pytest.raises(errors.CommandError, match='^Authentication required$'):
        make(server.url, token='old').get('subclouds')
    assert len(server.seen) == 1


def test_200_that_is_not_json(server):
    server.routes['/v1.0/subclouds'] = (200, b'<html>hello</html>')
    with pytest.raises(errors.CommandError, match='with a body that is not JSON'):
        make(server.url).get('subclouds')


def test_refused(server):
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    url = 'http://127.0.0.1:%d' % s.getsockname()[1]
    s.close()
    with pytest.raises(errors.CommandError) as info:
        make(url).get('subclouds')
    assert str(info.value) == 'Unable to reach dcmanager at %s: connection refused' % url


def test_silent_server_is_bounded():
    listener = socket.socket()
    listener.bind(('127.0.0.1', 0))
    listener.listen(5)  # accepts connections (the kernel does), never answers
    url = 'http://127.0.0.1:%d/v1.0' % listener.getsockname()[1]
    try:
        with pytest.raises(errors.CommandError) as info:
            make(url, timeout='0.3').get('subclouds')
    finally:
        listener.close()
    assert str(info.value) == 'dcmanager at %s did not answer within 0.3 s' % url
