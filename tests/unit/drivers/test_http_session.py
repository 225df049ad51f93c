"""The HTTP sessions under the identity layer read the environment's proxy settings once.

A real HTTP server on 127.0.0.1 plays the proxy: a request sent through it arrives with the
absolute URL in its request line.
"""

import http.server
import threading

import pytest

from dcmanager.common import exception
from dcmanager.drivers import identity, subcloud, transport


class _Proxy(http.server.BaseHTTPRequestHandler):
    seen = []

    def do_POST(self):  # noqa: N802 - the http.server name
        self.seen.append(self.path)
        self.rfile.read(int(self.headers.get('Content-Length', 0)))
        self.send_response(401)
        self.send_header('Content-Length', '0')
        self.end_headers()

    def do_GET(self):  # noqa: N802 - the http.server name
        self.seen.append(self.path)
        body = b'{}'
        self.send_response(200)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def proxy():
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), _Proxy)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Proxy.seen = []
    try:
        yield 'http://127.0.0.1:%d' % server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def environment(monkeypatch):
    for name in ('http_proxy', 'https_proxy', 'no_proxy', 'all_proxy',
                 'HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'ALL_PROXY'):
        monkeypatch.delenv(name, raising=False)
    transport._environment_has_proxies.cache_clear()
    yield monkeypatch
    transport._environment_has_proxies.cache_clear()


def _session(url='http://127.0.1.77:5001/v3'):
    pool = identity.SessionPool(identity.TokenCache(identity.MemoryTokenStore(10)),
                                verify=False)
    return pool.get(url, 'admin', 'secret')


def test_without_proxy_variables_nothing_is_looked_up_per_request(environment):
    session = _session()
    assert session.session.trust_env is False
    assert session.session.proxies == {}


def test_a_proxy_from_the_environment_is_still_used(environment, proxy):
    environment.setenv('http_proxy', proxy)
    session = _session()
    resp = session.request('http://127.0.1.77:8326/v1/probe', 'GET', authenticated=False)
    assert resp.status_code == 200
    assert _Proxy.seen == ['http://127.0.1.77:8326/v1/probe']


def test_no_proxy_is_honoured(environment, proxy):
    environment.setenv('http_proxy', proxy)
    environment.setenv('no_proxy', '127.0.1.77')
    session = _session()
    assert not session.session.proxies.get('http')


def _client():
    pool = identity.SessionPool(identity.TokenCache(identity.MemoryTokenStore(10)),
                                timeout=(2.0, 5.0), verify=False)
    return subcloud.SubcloudClient(pool, 'http://127.0.1.77:5001/v3', 'http://127.0.1.77:8326',
                                   'admin', 'secret')


def test_an_audit_through_a_proxy_goes_the_keystoneauth_way(environment, proxy):
    # The thin path speaks to subclouds directly only: a proxy named by the environment is
    # still used, as for every other call.
    environment.setenv('http_proxy', proxy)
    client = _client()
    assert client.channel is None
    with pytest.raises(exception.AuthenticationRefused):
        client.audit()
    assert _Proxy.seen == ['http://127.0.1.77:5001/v3/auth/tokens']


def test_without_a_proxy_the_audit_takes_the_thin_path(environment):
    assert _client().channel is not None
