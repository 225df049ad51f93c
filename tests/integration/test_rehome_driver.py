"""The subcloud driver's rehome calls (``start_rehome``, ``rehome_state``, ``wait_rehome``) against
the simulator's rehome entry point over real sockets.

A rehome with the subcloud's own bootstrap address ends ``rehomed`` with the new system controller
recorded, a wrong one ends ``failed`` with the reason; a second start while one runs is the typed
409 (``RehomeInProgress``); a wrong password is ``AuthenticationRefused``; a hung agent (a real
listener that never answers, or the simulator's delay fault) and a rehome longer than the wait's
bound are ``TargetTimedOut``; a POST is never sent twice on a broken connection, a GET is.
"""

import contextlib
import socket
import threading

import pytest

from dcmanager.common import exception
from dcmanager.conf import CONF
from dcmanager.drivers import identity
from dcmanager.drivers import subcloud as subcloud_driver
from tests.integration import sim_fixture

PASSWORD = 'Sim-Rehome-Driver-5'
WRONG = 'Not-The-Rehome-Pw-8'
CONTROLLER = '127.0.0.1'
REHOME_SECONDS = 0.3
# Generous: the rehomes here take REHOME_SECONDS; this only bounds a broken test.
WITHIN = 20.0
POLL = 0.05


@pytest.fixture(scope='module')
def sim(tmp_path_factory):
    yield from sim_fixture.running(tmp_path_factory, 'rehomesim', count=8,
                                   first_address='127.0.14.1', admin_password=PASSWORD,
                                   rehome_seconds=REHOME_SECONDS)


def _pool(timeout=(0.5, 1.0)):
    cache = identity.TokenCache(identity.MemoryTokenStore(max_entries=100),
                                early_renewal_seconds=300, jitter_seconds=0, renewal_timeout=10)
    return identity.SessionPool(cache, timeout=timeout)


def _client(sim, address, password=PASSWORD, agent_url=None):
    return subcloud_driver.SubcloudClient(_pool(), sim.identity_url(address),
                                          agent_url or sim.agent_url(address), 'admin', password)


def _no_secret(error):
    for text in (str(error), repr(error.kwargs)):
        assert PASSWORD not in text and WRONG not in text


def test_a_rehome_to_the_right_address_ends_rehomed(sim):
    address = sim.addresses[0]
    client = _client(sim, address)
    assert client.rehome_state() == {'state': 'idle', 'system_controller': None, 'reason': None}
    assert client.start_rehome(CONTROLLER, address) == {'state': subcloud_driver.REHOMING}
    assert client.rehome_state()['state'] == subcloud_driver.REHOMING
    view = client.wait_rehome(within=WITHIN, poll=POLL)
    assert view == {'state': subcloud_driver.REHOMED,
                    'system_controller': {'address': CONTROLLER}, 'reason': None}
    # the subcloud itself says so (its control API), and got one rehome request
    detail = sim.subcloud(address)
    assert detail['rehome']['state'] == 'rehomed'
    assert detail['rehome']['system_controller'] == {'address': CONTROLLER}
    assert detail['counters']['rehomes'] == 1


def test_a_rehome_to_a_wrong_bootstrap_address_ends_failed_with_the_reason(sim):
    address = sim.addresses[1]
    client = _client(sim, address)
    client.start_rehome(CONTROLLER, '127.0.14.250')
    view = client.wait_rehome(within=WITHIN, poll=POLL)
    assert view['state'] == subcloud_driver.REHOME_FAILED
    assert view['system_controller'] is None
    assert '127.0.14.250' in view['reason'] and address in view['reason']


def test_a_second_start_while_rehoming_is_rehome_in_progress(sim):
    address = sim.addresses[2]
    sim.patch(address, rehome_seconds=1.0)
    try:
        client = _client(sim, address)
        client.start_rehome(CONTROLLER, address)
        with pytest.raises(exception.RehomeInProgress) as e:
            client.start_rehome('127.0.0.2', address)
    finally:
        sim.patch(address, rehome_seconds=REHOME_SECONDS)
    error = e.value
    assert isinstance(error, exception.AnswerRejected)  # still caught where answers are
    assert (error.status, error.kind, error.service, error.target) == \
        (409, 'in-progress', 'agent', sim.agent_url(address))
    assert 'already in progress' in str(error)
    # nothing changed by the refused one: the first rehome ends with its own controller
    view = client.wait_rehome(within=WITHIN, poll=POLL)
    assert view['state'] == subcloud_driver.REHOMED
    assert view['system_controller'] == {'address': CONTROLLER}
    assert sim.counters(address)['rehomes'] == 1


def test_a_wrong_password_is_authentication_refused_and_starts_nothing(sim):
    address = sim.addresses[3]
    client = _client(sim, address, password=WRONG)
    with pytest.raises(exception.AuthenticationRefused) as e:
        client.start_rehome(CONTROLLER, address)
    assert (e.value.status, e.value.service) == (401, 'identity')
    _no_secret(e.value)
    with pytest.raises(exception.AuthenticationRefused):
        client.rehome_state()
    with pytest.raises(exception.AuthenticationRefused):
        client.wait_rehome(within=WITHIN, poll=POLL)  # raised at once, not polled on
    detail = sim.subcloud(address)
    assert detail['rehome']['state'] == 'idle'
    assert detail['counters']['rehomes'] == 0


def test_a_hung_agent_is_target_timed_out(sim):
    address = sim.addresses[4]
    with sim_fixture.HangingListener(address, [0]) as hung:
        agent = 'http://%s:%d' % (address, hung.ports[0])
        client = _client(sim, address, agent_url=agent)
        with pytest.raises(exception.TargetTimedOut) as e:
            client.start_rehome(CONTROLLER, address)
        assert (e.value.kind, e.value.service, e.value.target) == ('read', 'agent', agent)
        assert hung.accepted == 1  # a timed-out POST is not sent again
        with pytest.raises(exception.TargetTimedOut):
            client.rehome_state()
        with pytest.raises(exception.TargetTimedOut) as e:
            client.wait_rehome(within=1.0, poll=POLL)
    assert (e.value.kind, e.value.service) == ('deadline', 'agent')
    assert 'did not end within 1 s' in str(e.value)
    assert 'no answer' in e.value.reason
    _no_secret(e.value)


def test_the_delay_fault_times_out_the_start_which_is_sent_once(sim):
    address = sim.addresses[5]
    client = _client(sim, address)
    client.rehome_state()  # the token is cached: the delay below holds only the agent's answer
    sim.action(address, 'reset-counters')
    sim.patch(address, delay=30.0)
    try:
        with pytest.raises(exception.TargetTimedOut) as e:
            client.start_rehome(CONTROLLER, address)
    finally:
        sim.patch(address, delay=0.0)
    assert (e.value.kind, e.value.service) == ('read', 'agent')
    assert sim.counters(address)['requests'] == 1


def test_the_wait_is_bounded_when_the_rehome_outlasts_it(sim):
    address = sim.addresses[6]
    sim.patch(address, rehome_seconds=30.0)
    client = _client(sim, address)
    client.start_rehome(CONTROLLER, address)
    with pytest.raises(exception.TargetTimedOut) as e:
        client.wait_rehome(within=0.5, poll=POLL)
    error = e.value
    assert (error.kind, error.service, error.target) == \
        ('deadline', 'agent', sim.agent_url(address))
    assert 'did not end within 0.5 s (still rehoming)' in str(error)
    assert client.rehome_state()['state'] == subcloud_driver.REHOMING


def test_the_wait_takes_its_bound_and_poll_from_the_configuration(sim):
    address = sim.addresses[7]
    sim.patch(address, rehome_seconds=30.0)
    client = _client(sim, address)
    client.start_rehome(CONTROLLER, address)
    CONF.set_override('rehome_timeout', 1.0, group='subcloud')
    CONF.set_override('rehome_poll_interval', 0.1, group='subcloud')
    try:
        with pytest.raises(exception.TargetTimedOut) as e:
            client.wait_rehome()
    finally:
        CONF.clear_override('rehome_timeout', group='subcloud')
        CONF.clear_override('rehome_poll_interval', group='subcloud')
    assert 'did not end within 1 s' in str(e.value)


@contextlib.contextmanager
def _server(address, answer=None):
    """A raw HTTP server on ``address`` that reads each request's header, then answers ``answer``
    (bytes) or, when None, closes the connection without a word; yields a list that receives
    each request's first line."""
    listener = socket.socket()
    listener.bind((address, 0))
    listener.listen(8)
    requests = []

    def serve():
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn, contextlib.suppress(OSError):
                conn.settimeout(5)
                data = b''
                while b'\r\n\r\n' not in data:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                requests.append(data.split(b'\r\n', 1)[0].decode())
                if answer is not None:
                    conn.sendall(answer)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1], requests
    finally:
        with contextlib.suppress(OSError):
            listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() (a close alone does not)
        listener.close()
        thread.join(5)


def test_a_broken_connection_resends_the_read_but_never_the_post(sim):
    address = sim.addresses[0]
    with _server(address) as (port, requests):
        client = _client(sim, address, agent_url='http://%s:%d' % (address, port))
        with pytest.raises(exception.TargetUnreachable) as e:
            client.start_rehome(CONTROLLER, address)
        assert e.value.service == 'agent'
        assert requests == ['POST /v1/rehome HTTP/1.1']
        del requests[:]
        with pytest.raises(exception.TargetUnreachable):
            client.rehome_state()
        assert requests == ['GET /v1/rehome HTTP/1.1'] * 2


def test_an_answer_without_a_known_state_is_answer_rejected(sim):
    address = sim.addresses[1]
    body = b'{"state": "sleeping"}'
    answer = b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n' \
             b'Connection: close\r\n\r\n%s' % (len(body), body)
    with _server(address, answer) as (port, _):
        client = _client(sim, address, agent_url='http://%s:%d' % (address, port))
        for call in (client.rehome_state, lambda: client.start_rehome(CONTROLLER, address)):
            with pytest.raises(exception.AnswerRejected) as e:
                call()
            assert (e.value.kind, e.value.service) == ('malformed', 'agent')
