"""dcmanager-subcloud-sim over real sockets, driven like dcmanager drives a subcloud.

One simulator child process serves the module; every test takes subclouds of its own from it, so
faults set by one test never leak into another. keystoneauth1 itself is the identity client.
"""

import itertools
import os
import resource
import signal
import socket
import subprocess
import sys
import threading
import time

from keystoneauth1 import exceptions as ks_exc
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import generic, v3
import pytest
import requests

from tests.integration import sim_fixture

PASSWORD = 'Sim-Secret-1'
COUNT = 24


@pytest.fixture(scope='module')
def sim(tmp_path_factory):
    yield from sim_fixture.running(tmp_path_factory, 'sim', count=COUNT,
                                   admin_password=PASSWORD, rehome_seconds=1)


@pytest.fixture(scope='module')
def _unused(sim):
    return itertools.count()


@pytest.fixture
def take(sim, _unused):
    """Hand out subcloud addresses nobody else in this module has used."""
    return lambda: sim.addresses[next(_unused)]


def _password_auth(sim, address, password=PASSWORD, plugin=v3.Password):
    return plugin(auth_url=sim.identity_url(address), username='admin', password=password,
                  project_name='admin', user_domain_id='default', project_domain_id='default')


def _token(sim, address):
    return ks_session.Session(auth=_password_auth(sim, address)).get_token()


def _audit(sim, address, token, body=None):
    return requests.patch(sim.agent_url(address) + '/v1/dcaudit', json=body or {'base_audit': ''},
                          headers={'X-Auth-Token': token}, timeout=10)


def _refused(address, port):
    with socket.socket() as s:
        s.settimeout(5)
        try:
            s.connect((address, port))
        except ConnectionRefusedError:
            return True
    return False


def test_fleet_listing_names_and_regions(sim):
    listing = sim.control('GET', '/v1/subclouds')['subclouds']
    assert [s['address'] for s in listing] == sim.addresses
    assert listing[0]['name'] == 'subcloud1' and listing[-1]['name'] == 'subcloud%d' % COUNT
    assert all(len(s['region_name']) == 32 and s['state'] == 'up' for s in listing)
    assert len({s['region_name'] for s in listing}) == COUNT
    assert all(s['admin_password'] == '<set>' for s in listing)
    by_name = sim.control('GET', '/v1/subclouds/subcloud2')
    assert by_name['address'] == sim.addresses[1]


def test_keystoneauth_password_session_gets_a_token(sim, take):
    address = take()
    auth = _password_auth(sim, address)
    session = ks_session.Session(auth=auth)
    assert session.get_token()
    assert sim.counters(address)['token_posts'] == 1
    assert sim.counters(address)['token_posts_ok'] == 1
    access = auth.get_access(session)
    region = sim.subcloud(address)['region_name']
    assert access.service_catalog.get_endpoints()['identity'][0]['region'] == region
    assert session.get_endpoint(service_type='identity', interface='public') == \
        sim.identity_url(address)
    session.get_token()  # cached by keystoneauth: no second POST
    assert sim.counters(address)['token_posts'] == 1


def test_generic_password_plugin_discovers_the_version(sim, take):
    address = take()
    auth = _password_auth(sim, address, plugin=generic.Password)
    auth.auth_url = sim.identity_url(address)[:-len('/v3')]  # root: discovery on GET /
    assert ks_session.Session(auth=auth).get_token()
    assert sim.counters(address)['token_posts_ok'] == 1


def test_wrong_password_is_401(sim, take):
    address = take()
    with pytest.raises(ks_exc.Unauthorized):
        ks_session.Session(auth=_password_auth(sim, address, password='nope')).get_token()
    counters = sim.counters(address)
    assert (counters['token_posts'], counters['token_posts_ok'], counters['unauthorized']) == \
        (1, 0, 1)
    resp = requests.post(sim.identity_url(address) + '/auth/tokens', timeout=10, json={
        'auth': {'identity': {'methods': ['password'], 'password': {'user': {
            'name': 'someone', 'domain': {'name': 'Default'}, 'password': PASSWORD}}}}})
    assert resp.status_code == 401 and resp.json()['error']['code'] == 401


def test_token_validation(sim, take):
    address = take()
    token = _token(sim, address)
    url = sim.identity_url(address) + '/auth/tokens'
    ok = requests.get(url, headers={'X-Auth-Token': token, 'X-Subject-Token': token}, timeout=10)
    assert ok.status_code == 200 and ok.headers['X-Subject-Token'] == token
    assert ok.json()['token']['project']['name'] == 'admin'
    head = requests.head(url, headers={'X-Auth-Token': token, 'X-Subject-Token': token},
                         timeout=10)
    assert head.status_code == 200
    bad = requests.get(url, headers={'X-Auth-Token': token, 'X-Subject-Token': token + 'x'},
                       timeout=10)
    assert bad.status_code == 404
    other = _token(sim, take())  # another subcloud's token is no good here
    unauth = requests.get(url, headers={'X-Auth-Token': other, 'X-Subject-Token': token},
                          timeout=10)
    assert unauth.status_code == 401
    assert sim.counters(address)['token_validations'] == 4


def test_audit_with_a_valid_token_reports_alarms_set_through_control(sim, take):
    address = take()
    token = _token(sim, address)
    assert _audit(sim, address, 'not-a-token').status_code == 401
    healthy = _audit(sim, address, token).json()
    assert healthy['base_audit'] == {'availability': 'online', 'inactive_sg': []}
    assert healthy['alarm_audit']['cloud_status'] == 'OK'
    sim.patch(address, critical_alarms=2, major_alarms=1, minor_alarms=3, warnings=4,
              availability='offline')
    result = _audit(sim, address, token, {'base_audit': '', 'alarm_audit': ''}).json()
    assert result['base_audit']['availability'] == 'offline'
    assert result['alarm_audit'] == {'critical_alarms': 2, 'major_alarms': 1, 'minor_alarms': 3,
                                     'warnings': 4, 'cloud_status': 'critical'}
    sim.patch(address, critical_alarms=0)
    assert _audit(sim, address, token).json()['alarm_audit']['cloud_status'] == 'degraded'
    detail = sim.subcloud(address)
    assert detail['counters']['audits'] == 3 and detail['counters']['unauthorized'] == 1
    assert detail['audit_requests'] == {'base_audit': 3, 'alarm_audit': 1}


def test_rotate_keys_invalidates_outstanding_tokens(sim, take):
    address = take()
    token = _token(sim, address)
    assert _audit(sim, address, token).status_code == 200
    assert sim.action(address, 'rotate-keys')['keys'] == {'primary': 2, 'ids': [2]}
    assert _audit(sim, address, token).status_code == 401


def test_rotate_keys_keeping_old_keys(sim, take):
    address = take()
    token = _token(sim, address)
    assert sim.action(address, 'rotate-keys', {'keep': 1})['keys']['ids'] == [2, 1]
    assert _audit(sim, address, token).status_code == 200
    sim.action(address, 'rotate-keys', {'keep': 1})
    assert _audit(sim, address, token).status_code == 401
    sim.control('POST', '/v1/subclouds/%s/rotate-keys' % address, {'keep': -1}, expect=400)


def test_keystoneauth_reauthenticates_once_after_rotation(sim, take):
    address = take()
    session = ks_session.Session(auth=_password_auth(sim, address))
    url = sim.agent_url(address) + '/v1/dcaudit'
    assert session.request(url, 'PATCH', json={'base_audit': ''}).status_code == 200
    sim.action(address, 'rotate-keys')
    assert session.request(url, 'PATCH', json={'base_audit': ''}).status_code == 200
    counters = sim.counters(address)
    assert (counters['token_posts'], counters['unauthorized'], counters['audits']) == (2, 1, 2)


def test_down_refuses_connections_and_up_serves_again(sim, take):
    address, neighbour = take(), take()
    token = _token(sim, address)
    session = requests.Session()  # keep-alive: the open connection must go too
    url = sim.agent_url(address) + '/v1/dcaudit'
    assert session.patch(url, json={}, headers={'X-Auth-Token': token}).status_code == 200
    assert sim.action(address, 'down')['state'] == 'down'
    assert _refused(address, sim.identity_port) and _refused(address, sim.agent_port)
    with pytest.raises(requests.ConnectionError):
        session.patch(url, json={}, headers={'X-Auth-Token': token}, timeout=5)
    assert _token(sim, neighbour)
    assert sim.action(address, 'up')['state'] == 'up'
    assert session.patch(url, json={}, headers={'X-Auth-Token': token}).status_code == 200


def test_status_fault(sim, take):
    address = take()
    token = _token(sim, address)
    sim.patch(address, status=500)
    assert _audit(sim, address, token).status_code == 500
    with pytest.raises(ks_exc.InternalServerError):
        ks_session.Session(auth=_password_auth(sim, address)).get_token()
    sim.patch(address, status=401)
    assert _audit(sim, address, token).status_code == 401
    sim.patch(address, status=None)
    assert _audit(sim, address, token).status_code == 200
    counters = sim.counters(address)
    assert (counters['token_posts'], counters['token_posts_ok'], counters['unauthorized']) == \
        (2, 1, 1)


def test_delay_fault_slows_one_subcloud_only(sim, take):
    slow, fast = take(), take()
    slow_token, fast_token = _token(sim, slow), _token(sim, fast)
    sim.patch(slow, delay=2)
    result = {}

    def call_slow():
        started = time.monotonic()
        result['status'] = _audit(sim, slow, slow_token).status_code
        result['seconds'] = time.monotonic() - started

    thread = threading.Thread(target=call_slow)
    thread.start()
    time.sleep(0.2)
    started = time.monotonic()
    assert _audit(sim, fast, fast_token).status_code == 200
    assert time.monotonic() - started < 1.0  # generous: the machine may be busy
    thread.join(10)
    assert result['status'] == 200 and result['seconds'] >= 1.9
    # Clearing the delay releases a request that is already waiting.
    sim.patch(slow, delay=30)
    thread = threading.Thread(target=call_slow)
    thread.start()
    time.sleep(0.3)
    sim.patch(slow, delay=0)
    thread.join(10)
    assert result['status'] == 200 and result['seconds'] < 5


def test_token_lifetime_is_respected(sim, take):
    address = take()
    sim.patch(address, token_lifetime=2)
    token = _token(sim, address)
    body = requests.get(sim.identity_url(address) + '/auth/tokens', timeout=10,
                        headers={'X-Auth-Token': token, 'X-Subject-Token': token}).json()
    issued, expires = body['token']['issued_at'], body['token']['expires_at']
    assert expires.endswith('Z') and len(expires) == len('2026-01-01T00:00:00.000000Z')
    assert issued < expires
    assert _audit(sim, address, token).status_code == 200
    time.sleep(2.2)
    assert _audit(sim, address, token).status_code == 401


def _rehome(sim, address, token, bootstrap):
    body = {'system_controller': {'address': '127.0.0.42', 'name': 'site2', 'region': 'RegionOne'}}
    if bootstrap is not None:
        body['bootstrap_address'] = bootstrap
    return requests.post(sim.agent_url(address) + '/v1/rehome', json=body, timeout=10,
                         headers={'X-Auth-Token': token})


def _rehome_state(sim, address, token):
    return requests.get(sim.agent_url(address) + '/v1/rehome', timeout=10,
                        headers={'X-Auth-Token': token}).json()


def _wait_rehome(sim, address, token, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = _rehome_state(sim, address, token)
        if state['state'] != 'rehoming':
            return state
        time.sleep(0.1)
    raise AssertionError('still rehoming after %s s' % timeout)


def test_rehome_succeeds_after_the_delay(sim, take):
    address = take()
    token = _token(sim, address)
    assert _rehome_state(sim, address, token)['state'] == 'idle'
    assert _rehome(sim, address, 'bad-token', address).status_code == 401
    started = time.monotonic()
    resp = _rehome(sim, address, token, address)
    assert resp.status_code == 200 and resp.json() == {'state': 'rehoming'}
    assert _rehome(sim, address, token, address).status_code == 409
    state = _wait_rehome(sim, address, token)
    assert time.monotonic() - started >= 0.9
    assert state == {'state': 'rehomed', 'reason': None, 'system_controller': {
        'address': '127.0.0.42', 'name': 'site2', 'region': 'RegionOne'}}
    assert sim.counters(address)['rehomes'] == 1


@pytest.mark.parametrize('bootstrap', ['127.9.9.9', None])
def test_rehome_fails_with_a_wrong_or_missing_bootstrap_address(sim, take, bootstrap):
    address = take()
    token = _token(sim, address)
    resp = _rehome(sim, address, token, bootstrap)
    assert resp.status_code == 200 and resp.json()['state'] == 'rehoming'
    state = _wait_rehome(sim, address, token)
    assert state['state'] == 'failed' and state['system_controller'] is None
    assert 'bootstrap' in state['reason']
    bad = requests.post(sim.agent_url(address) + '/v1/rehome', json={'bootstrap_address': address},
                        headers={'X-Auth-Token': token}, timeout=10)
    assert bad.status_code == 400


def test_control_api_errors_and_counters(sim, take):
    address = take()
    sim.control('GET', '/v1/subclouds/127.0.9.9', expect=404)
    sim.control('POST', '/v1/subclouds/127.0.9.9/down', expect=404)
    error = sim.control('PATCH', '/v1/subclouds/' + address, {'status': 'abc'}, expect=400)
    assert error['error']['code'] == 400 and 'status' in error['error']['message']
    sim.control('PATCH', '/v1/subclouds/' + address, {'delay': 1, 'nope': 1}, expect=400)
    assert sim.subcloud(address)['delay'] == 0  # all or nothing
    shown = sim.patch(address, admin_password='changed', rehome_seconds=3)
    assert shown['admin_password'] == '<set>' and shown['rehome_seconds'] == 3
    assert 'changed' not in str(shown)
    with pytest.raises(ks_exc.Unauthorized):
        ks_session.Session(auth=_password_auth(sim, address)).get_token()
    assert ks_session.Session(auth=_password_auth(sim, address, 'changed')).get_token()
    totals = sim.control('GET', '/v1/counters')['counters']
    assert totals['token_posts'] >= 2 and totals['requests'] >= totals['token_posts']
    sim.action(address, 'reset-counters')
    assert set(sim.counters(address).values()) == {0}


def test_state_file_survives_a_restart(tmp_path):
    state_file = tmp_path / 'state.json'
    options = dict(count=3, first_address='127.0.3.1', admin_password=PASSWORD,
                   rehome_seconds=0.2, state_file=state_file)
    with sim_fixture.Simulator(tmp_path, **options) as sim:
        rotated, rehomed = sim.addresses[0], sim.addresses[1]
        old = _token(sim, rotated)
        sim.action(rotated, 'rotate-keys')
        new = _token(sim, rotated)
        sim.patch(rotated, critical_alarms=7)
        token = _token(sim, rehomed)
        assert _rehome(sim, rehomed, token, rehomed).status_code == 200
        assert _wait_rehome(sim, rehomed, token)['state'] == 'rehomed'
    assert sim.proc.returncode == 0
    with sim_fixture.Simulator(tmp_path, **options) as again:
        assert _audit(again, rotated, new).status_code == 200
        assert _audit(again, rotated, old).status_code == 401
        detail = again.subcloud(rotated)
        assert detail['keys'] == {'primary': 2, 'ids': [2]} and detail['critical_alarms'] == 7
        state = _rehome_state(again, rehomed, token)
        assert state['state'] == 'rehomed'
        assert state['system_controller']['address'] == '127.0.0.42'
    assert again.proc.returncode == 0


def _run_cli(*args, preexec_fn=None):
    return subprocess.run([sys.executable, '-m', 'dcmanager.cmd.subcloud_sim', *args],
                          capture_output=True, text=True, timeout=60, preexec_fn=preexec_fn)


def test_refuses_a_non_loopback_first_address():
    result = _run_cli('--count', '2', '--first-address', '10.1.2.3', '--control-port', '0')
    assert result.returncode == 1 and 'loopback' in result.stderr and result.stdout == ''


def test_refuses_a_fleet_bigger_than_the_hard_open_file_limit():
    def low_limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (256, 512))
    result = _run_cli('--count', '1000', '--control-port', '0', preexec_fn=low_limit)
    assert result.returncode == 1 and 'RLIMIT_NOFILE' in result.stderr, result.stderr


def test_sigint_also_stops_cleanly(tmp_path):
    sim = sim_fixture.Simulator(tmp_path, count=2, first_address='127.0.4.1').start()
    try:
        os.kill(sim.proc.pid, signal.SIGINT)
        assert sim.proc.wait(timeout=10) == 0
    finally:
        sim.stop()


def _listeners(port):
    """How many sockets listen on TCP ``port`` (any address), from /proc/net/tcp."""
    count = 0
    with open('/proc/net/tcp') as table:
        next(table)
        for line in table:
            local, state = line.split()[1], line.split()[3]
            if state == '0A' and int(local.split(':')[1], 16) == port:
                count += 1
    return count


def test_one_port_for_identity_and_agent_is_one_listener_per_subcloud(tmp_path):
    """--identity-port equal to --agent-port: each subcloud serves both APIs on one socket
    (half the open files of two, for fleets near the open-file limit), told apart by path."""
    sim = sim_fixture.Simulator(tmp_path, count=12, first_address='127.0.17.1',
                                shared_port=True, admin_password=PASSWORD).start()
    try:
        assert sim.identity_port == sim.agent_port
        assert _listeners(sim.identity_port) == 12
        address = sim.addresses[3]
        token = _token(sim, address)
        resp = _audit(sim, address, token)
        assert resp.status_code == 200, resp.text
        assert requests.get(sim.agent_url(address) + '/v3', timeout=10).json()['version'][
            'id'] == 'v3.14'
        assert requests.patch(sim.agent_url(address) + '/v1/nothing', timeout=10,
                              headers={'X-Auth-Token': token}).status_code == 404
        counters = sim.counters(address)
        assert (counters['token_posts'], counters['audits']) == (1, 1)
        sim.action(address, 'down')
        assert _refused(address, sim.identity_port)
        assert _listeners(sim.identity_port) == 11
        sim.action(address, 'up')
        assert _audit(sim, address, token).status_code == 200
    finally:
        assert sim.stop() == 0, sim.log_tail()


def test_a_client_keeping_more_connections_than_the_open_file_limit_allows_is_still_served(
        tmp_path):
    """Clients that keep a connection to every subcloud (the audit) cannot take the simulator
    to EMFILE: past what its open-file limit leaves next to its listeners, the connection idle
    the longest is closed, and every new one is still accepted and answered."""
    # The least the simulator starts with (listeners + 1024): 1100 - 20 - 128 = 952 connections
    count, nofile = 20, 1100
    sim = sim_fixture.Simulator(tmp_path, count=count, first_address='127.0.18.1',
                                shared_port=True, nofile=nofile,
                                admin_password=PASSWORD).start()
    kept = []
    try:
        token = _token(sim, sim.addresses[0])
        request = ('GET /v3 HTTP/1.1\r\nHost: %s\r\n\r\n' % sim.addresses[0]).encode()
        for n in range(nofile + 400):
            conn = socket.create_connection((sim.addresses[n % count], sim.identity_port),
                                            timeout=10)
            kept.append(conn)
            conn.sendall(request)
            assert conn.recv(65536).startswith(b'HTTP/1.1 200'), n
        # The oldest were closed by the simulator (end of file), the newest still answer.
        kept[0].settimeout(10)
        assert kept[0].recv(1) == b''
        kept[-1].sendall(request)
        assert kept[-1].recv(65536).startswith(b'HTTP/1.1 200')
        assert _audit(sim, sim.addresses[0], token).status_code == 200
        assert 'Too many open files' not in sim.log_tail(100000)
    finally:
        for conn in kept:
            conn.close()
        assert sim.stop() == 0, sim.log_tail()
