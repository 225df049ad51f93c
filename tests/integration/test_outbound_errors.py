"""Typed outbound errors over real sockets: each failure of a call to a subcloud is raised as its
own ``OutboundError`` class, with structured attributes and a message that holds no secret.

A closed port (unreachable), a name that does not resolve, a listener that never answers
(``HangingListener``: timed out), the simulator with a wrong password or a 403 fault
(authentication refused), a 500 fault, a raw server answering something that is not JSON, and an
https URL against the simulator's plain-HTTP port (answer rejected).
"""

import contextlib
import socket
import threading

import pytest

from dcmanager.common import exception
from dcmanager.drivers import identity
from dcmanager.drivers import subcloud as subcloud_driver
from tests.integration import sim_fixture

PASSWORD = 'Sim-Typed-Errors-7'
WRONG = 'Not-The-Typed-Pw-3'
COUNT = 6


@pytest.fixture(scope='module')
def sim(tmp_path_factory):
    yield from sim_fixture.running(tmp_path_factory, 'typedsim', count=COUNT,
                                   first_address='127.0.10.1', admin_password=PASSWORD)


def _pool(timeout=(0.5, 1.0)):
    cache = identity.TokenCache(identity.MemoryTokenStore(max_entries=100),
                                early_renewal_seconds=300, jitter_seconds=0, renewal_timeout=10)
    return identity.SessionPool(cache, timeout=timeout)


def _client(identity_url, agent_url, password=PASSWORD, pool=None):
    return subcloud_driver.SubcloudClient(pool or _pool(), identity_url, agent_url, 'admin',
                                          password)


def _closed_port(address):
    with socket.socket() as s:
        s.bind((address, 0))
        return s.getsockname()[1]


def _no_secret(error):
    for text in (str(error), repr(error.kwargs)):
        assert PASSWORD not in text and WRONG not in text


@contextlib.contextmanager
def _raw_server(address, answer):
    """A one-shot HTTP server on ``address`` that answers every request with ``answer``
    (bytes); yields its port."""
    listener = socket.socket()
    listener.bind((address, 0))
    listener.listen(8)

    def serve():
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(5)
                data = b''
                with contextlib.suppress(OSError):
                    while b'\r\n\r\n' not in data:
                        chunk = conn.recv(65536)
                        if not chunk:
                            break
                        data += chunk
                    conn.sendall(answer)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        listener.close()
        thread.join(5)


def test_a_closed_identity_port_is_target_unreachable(site):
    port = _closed_port('127.0.10.200')
    url = 'http://127.0.10.200:%d/v3' % port
    with pytest.raises(exception.TargetUnreachable) as e:
        _client(url, 'http://127.0.10.200:%d' % port).identity_info()
    error = e.value
    assert (error.target, error.kind, error.service, error.status) == \
        (url, 'refused', 'identity', None)
    assert int(error.code) == 502
    assert 'unreachable (connection refused)' in str(error)
    _no_secret(error)


def test_a_name_that_does_not_resolve_is_target_unreachable(site):
    url = 'http://subcloud.invalid:5000/v3'
    with pytest.raises(exception.TargetUnreachable) as e:
        _client(url, 'http://subcloud.invalid:8080').identity_info()
    assert e.value.kind == 'dns'
    assert 'does not resolve' in str(e.value)


def test_a_closed_agent_port_is_target_unreachable(site, sim):
    address = sim.addresses[0]
    agent = 'http://%s:%d' % (address, _closed_port(address))
    with pytest.raises(exception.TargetUnreachable) as e:
        _client(sim.identity_url(address), agent).audit()
    error = e.value
    assert (error.target, error.kind, error.service) == (agent, 'refused', 'agent')
    assert 'connection failed' in str(error)
    _no_secret(error)


def test_a_token_request_never_answered_is_target_timed_out(site):
    with sim_fixture.HangingListener('127.0.10.201', [0]) as hung:
        url = 'http://127.0.10.201:%d/v3' % hung.ports[0]
        with pytest.raises(exception.TargetTimedOut) as e:
            _client(url, url).identity_info()
    error = e.value
    assert (error.target, error.kind, error.service) == (url, 'read', 'identity')
    assert int(error.code) == 504  # a gateway timeout, not a bad gateway
    assert 'identity service timed out' in str(error)
    # still caught where every outbound failure is
    assert isinstance(error, exception.OutboundError)


def test_an_agent_that_never_answers_is_target_timed_out(site, sim):
    address = sim.addresses[1]
    pool = _pool()
    with sim_fixture.HangingListener(address, [0]) as hung:
        agent = 'http://%s:%d' % (address, hung.ports[0])
        with pytest.raises(exception.TargetTimedOut) as e:
            _client(sim.identity_url(address), agent, pool=pool).audit()
    assert (e.value.target, e.value.kind, e.value.service) == (agent, 'read', 'agent')
    assert 'no answer within the time allowed' in str(e.value)


def test_a_wrong_password_is_authentication_refused(site, sim):
    address = sim.addresses[2]
    client = _client(sim.identity_url(address), sim.agent_url(address), password=WRONG)
    with pytest.raises(exception.AuthenticationRefused) as e:
        client.identity_info()
    error = e.value
    assert (error.kind, error.status, error.service) == ('unauthorized', 401, 'identity')
    assert error.target == sim.identity_url(address)
    assert 'HTTP 401' in str(error)
    _no_secret(error)


def test_a_forbidden_token_request_is_authentication_refused(site, sim):
    address = sim.addresses[3]
    sim.patch(address, status=403)
    try:
        with pytest.raises(exception.AuthenticationRefused) as e:
            _client(sim.identity_url(address), sim.agent_url(address)).audit()
    finally:
        sim.patch(address, status=None)
    assert (e.value.kind, e.value.status) == ('forbidden', 403)
    _no_secret(e.value)


def test_an_unexpected_status_of_the_agent_is_answer_rejected(site, sim):
    address = sim.addresses[4]
    client = _client(sim.identity_url(address), sim.agent_url(address))
    client.audit()  # the token is cached: the 500 below is the agent's
    sim.patch(address, status=500)
    try:
        with pytest.raises(exception.AnswerRejected) as e:
            client.audit()
    finally:
        sim.patch(address, status=None)
    error = e.value
    assert (error.kind, error.status, error.service) == ('status', 500, 'agent')
    assert error.target == sim.agent_url(address)
    assert int(error.code) == 502
    _no_secret(error)


def test_an_agent_answer_that_is_not_json_is_answer_rejected(site, sim):
    address = sim.addresses[5]
    answer = b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 8\r\n' \
             b'Connection: close\r\n\r\nnot json'
    with _raw_server(address, answer) as port:
        agent = 'http://%s:%d' % (address, port)
        with pytest.raises(exception.AnswerRejected) as e:
            _client(sim.identity_url(address), agent).audit()
    assert (e.value.kind, e.value.service, e.value.target) == ('malformed', 'agent', agent)
    assert 'not JSON' in str(e.value)


def test_plain_http_on_an_https_port_is_answer_rejected(site, sim):
    address = sim.addresses[0]
    url = 'https://%s:%d/v3' % (address, sim.identity_port)
    client = _client(url, 'https://%s:%d' % (address, sim.agent_port), pool=_pool((1.0, 5.0)))
    with pytest.raises(exception.AnswerRejected) as e:
        client.identity_info()
    assert (e.value.kind, e.value.target) == ('plain-http', url)
    assert e.value.reason == subcloud_driver.PLAIN_HTTP


def test_the_attributes_survive_the_rpc_rebuild():
    # oslo.messaging rebuilds a remote exception as cls(message, **kwargs)
    error = exception.TargetTimedOut(target='http://127.0.10.9:5000/v3', reason='r',
                                     kind='connect', service='identity')
    rebuilt = type(error)(str(error), **error.kwargs)
    assert str(rebuilt) == str(error)
    assert (rebuilt.target, rebuilt.kind, rebuilt.service, rebuilt.reason) == \
        ('http://127.0.10.9:5000/v3', 'connect', 'identity', 'r')
