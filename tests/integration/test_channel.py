"""The audit's thin HTTP path (``drivers.channel``) against the simulator over real sockets.

What it must keep of the identity layer (one token per subcloud, shared with keystoneauth's
sessions; renewal after a 401) is tested through ``SubcloudClient.audit`` in
``test_identity_layer.py``, ``test_outbound_errors.py`` and ``test_audit_hung.py``; here, what is
its own: one kept connection per subcloud, its reuse, a reconnect when the subcloud closed it,
tokens shared both ways with the keystoneauth path, https on a plain-HTTP port.
"""

import contextlib
import datetime
import ipaddress
import itertools
import os
import socket
import ssl
import threading

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
import pytest

from dcmanager.common import exception
from dcmanager.drivers import identity
from dcmanager.drivers import subcloud as subcloud_driver
from tests.integration import sim_fixture

PASSWORD = 'Sim-Channel-5'


@pytest.fixture(scope='module')
def sim(tmp_path_factory):
    yield from sim_fixture.running(tmp_path_factory, 'chansim', count=8,
                                   first_address='127.0.19.1', admin_password=PASSWORD)


@pytest.fixture(scope='module')
def shared(tmp_path_factory):
    """Identity API and agent on one port, as a large fleet is served."""
    yield from sim_fixture.running(tmp_path_factory, 'chanshared', count=4,
                                   first_address='127.0.20.1', shared_port=True,
                                   admin_password=PASSWORD)


@pytest.fixture(scope='module')
def take(sim):
    unused = itertools.count()
    return lambda: sim.addresses[next(unused)]


def _pool(timeout=(2.0, 5.0)):
    cache = identity.TokenCache(identity.MemoryTokenStore(max_entries=100),
                                early_renewal_seconds=300, jitter_seconds=0, renewal_timeout=10)
    return identity.SessionPool(cache, timeout=timeout)


def _client(pool, sim, address, scheme='http'):
    return subcloud_driver.SubcloudClient(
        pool, '%s://%s:%d/v3' % (scheme, address, sim.identity_port),
        '%s://%s:%d' % (scheme, address, sim.agent_port), 'admin', PASSWORD)


def _hex_address(address, port):
    return '%s:%04X' % (socket.inet_aton(address)[::-1].hex().upper(), port)


def _connections_to(address, port):
    """Established TCP connections of this machine whose far end is ``address``:``port``
    (from /proc/net/tcp: the client sides)."""
    wanted = _hex_address(address, port)
    with open('/proc/net/tcp') as table:
        next(table)
        return sum(1 for line in table
                   if line.split()[2] == wanted and line.split()[3] == '01')


def test_audits_of_a_subcloud_reuse_one_kept_connection(site, sim, take):
    address = take()
    client = _client(_pool(), sim, address)
    for _ in range(5):
        assert client.audit()['base_audit']['availability'] == 'online'
    # One connection to the agent, kept; the token request's (another port) was not kept.
    assert _connections_to(address, sim.agent_port) == 1
    assert _connections_to(address, sim.identity_port) == 0
    counters = sim.counters(address)
    assert (counters['token_posts'], counters['audits']) == (1, 5)
    client.channel.close()
    assert _connections_to(address, sim.agent_port) == 0
    assert client.audit()['base_audit']['availability'] == 'online'  # usable after close


def test_one_connection_serves_the_token_request_and_the_audits_on_a_shared_port(site, shared):
    address = shared.addresses[0]
    client = _client(_pool(), shared, address)
    for _ in range(3):
        client.audit()
    assert _connections_to(address, shared.agent_port) == 1
    counters = shared.counters(address)
    assert (counters['token_posts'], counters['audits'], counters['requests']) == (1, 3, 4)


def test_a_connection_the_subcloud_closed_is_replaced_without_a_failure(site, sim, take):
    address = take()
    client = _client(_pool(), sim, address)
    client.audit()
    sim.action(address, 'down')  # a reboot: its connections are gone
    sim.action(address, 'up')
    sim.action(address, 'reset-counters')
    assert client.audit()['base_audit']['availability'] == 'online'
    counters = sim.counters(address)
    assert (counters['audits'], counters['token_posts']) == (1, 0)
    assert _connections_to(address, sim.agent_port) == 1


def test_a_token_of_the_keystoneauth_path_serves_the_audit_and_the_other_way_round(
        site, sim, take):
    pool = _pool()
    first, second = take(), take()
    # enrollment first (keystoneauth), then the audit (thin path)
    info = _client(pool, sim, first).identity_info()
    assert info['region_name']
    _client(pool, sim, first).audit()
    # the audit first, then what needs the token's catalog
    _client(pool, sim, second).audit()
    assert _client(pool, sim, second).identity_info()['region_name'] == \
        sim.subcloud(second)['region_name']
    for address in (first, second):
        assert sim.counters(address)['token_posts'] == 1


def test_https_on_a_plain_http_port_ends_at_the_connect_timeout(site, sim, take):
    # The TLS handshake is bounded by the connect timeout, never the (longer) read timeout;
    # as on the keystoneauth path, a timed-out audit is not probed for plain HTTP (a hung
    # subcloud would be probed at every audit: identity_info says it, see test_audit_hung).
    address = take()
    with pytest.raises(exception.TargetTimedOut) as e:
        _client(_pool(timeout=(0.5, 30.0)), sim, address, scheme='https').audit()
    assert (e.value.kind, e.value.service) == ('connect', 'identity')
    assert sim.counters(address)['token_posts'] == 0


def test_an_audit_past_its_deadline_is_a_timeout_and_is_not_retried(site, sim, take):
    address = take()
    with sim_fixture.HangingListener(address, [0]) as hung:
        client = subcloud_driver.SubcloudClient(
            _pool(), sim.identity_url(address), 'http://%s:%d' % (address, hung.ports[0]),
            'admin', PASSWORD)
        with pytest.raises(exception.TargetTimedOut) as e:
            client.audit(within=0.5)
        assert hung.accepted == 1
    assert (e.value.service, e.value.kind) == ('agent', 'read')


def _certificate(directory, address):
    """A self-signed certificate for ``address`` (its IP in the subject alternative names):
    the paths of the certificate (also the CA bundle that trusts it) and of its key."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, address)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address(address))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / 'cert.pem', directory / 'key.pem'
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_path), str(key_path)


class _TlsFront:
    """A TLS listener on ``address`` in front of a plain-HTTP one (the simulator's): each TLS
    connection is relayed to its own connection to ``backend``. ``accepted`` counts them."""

    def __init__(self, address, backend, cert, key):
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(cert, key)
        self.backend = backend
        self.listener = socket.socket()
        self.listener.bind((address, 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        self.accepted = 0
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self):
        while True:
            try:
                raw, _ = self.listener.accept()
            except OSError:
                return  # closed
            self.accepted += 1
            threading.Thread(target=self._relay, args=(raw,), daemon=True).start()

    def _relay(self, raw):
        try:
            front = self.context.wrap_socket(raw, server_side=True)
        except (OSError, ssl.SSLError):
            raw.close()
            return
        with front, socket.create_connection(self.backend, timeout=10) as back:
            pump = threading.Thread(target=self._pump, args=(back, front), daemon=True)
            pump.start()
            self._pump(front, back)
            pump.join(10)

    @staticmethod
    def _pump(source, sink):
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def close(self):
        self.listener.close()
        self._thread.join(5)


@pytest.fixture
def tls(shared, tmp_path):
    address = shared.addresses[1]
    cert, key = _certificate(tmp_path, address)
    front = _TlsFront(address, (address, shared.agent_port), cert, key)
    try:
        yield address, front, cert
    finally:
        front.close()


def test_over_tls_with_the_ca_bundle_one_connection_serves_the_token_and_the_audits(
        site, shared, tls):
    address, front, cert = tls
    cache = identity.TokenCache(identity.MemoryTokenStore(max_entries=10))
    pool = identity.SessionPool(cache, timeout=(2.0, 5.0), verify=cert)
    client = subcloud_driver.SubcloudClient(
        pool, 'https://%s:%d/v3' % (address, front.port), 'https://%s:%d' % (address, front.port),
        'admin', PASSWORD)
    for _ in range(3):
        assert client.audit()['base_audit']['availability'] == 'online'
    assert front.accepted == 1
    counters = shared.counters(address)
    assert (counters['token_posts'], counters['audits']) == (1, 3)
    # the token serves the keystoneauth path too (same CA bundle)
    assert client.identity_info()['region_name'] == shared.subcloud(address)['region_name']
    assert shared.counters(address)['token_posts'] == 1


def test_over_tls_a_certificate_the_ca_bundle_does_not_trust_is_answer_rejected(
        site, shared, tls, tmp_path_factory):
    address, front, _ = tls
    other, _ = _certificate(tmp_path_factory.mktemp('otherca'), address)
    pool = identity.SessionPool(identity.TokenCache(identity.MemoryTokenStore(max_entries=10)),
                                timeout=(2.0, 5.0), verify=other)
    client = subcloud_driver.SubcloudClient(
        pool, 'https://%s:%d/v3' % (address, front.port), 'https://%s:%d' % (address, front.port),
        'admin', PASSWORD)
    with pytest.raises(exception.AnswerRejected) as e:
        client.audit()
    assert (e.value.kind, e.value.service) == ('tls', 'identity')


def test_a_rotated_ca_bundle_is_used_from_the_next_connection(site, shared, tls, tmp_path_factory):
    address, front, cert = tls
    bundle = tmp_path_factory.mktemp('bundle') / 'ca.pem'
    other, _ = _certificate(tmp_path_factory.mktemp('oldca'), address)
    bundle.write_text(open(other).read())
    pool = identity.SessionPool(identity.TokenCache(identity.MemoryTokenStore(max_entries=10)),
                                timeout=(2.0, 5.0), verify=str(bundle))
    client = subcloud_driver.SubcloudClient(
        pool, 'https://%s:%d/v3' % (address, front.port), 'https://%s:%d' % (address, front.port),
        'admin', PASSWORD)
    with pytest.raises(exception.AnswerRejected):
        client.audit()
    bundle.write_text(open(cert).read())  # the CA that signed the subcloud's certificate
    os.utime(bundle, ns=(1, 1))  # a new modification time, however coarse the clock
    assert client.audit()['base_audit']['availability'] == 'online'


class _OneAnswerPerConnection:
    """An audit agent on ``address`` that answers the first request of each connection (keeping
    it open) and closes the connection, unanswered, at its second: a server closing an idle
    keep-alive connection just as the client sends on it. Counts connections and requests."""

    ANSWER = (b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 62\r\n\r\n'
              b'{"base_audit": {"availability": "online", "inactive_sg": []}}\n')

    def __init__(self, address):
        self.listener = socket.socket()
        self.listener.bind((address, 0))
        self.listener.listen(8)
        self.port = self.listener.getsockname()[1]
        self.connections = self.requests = 0
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        with conn, contextlib.suppress(OSError):
            conn.settimeout(10)
            for answered in (False, True):
                data = b''
                while b'\r\n\r\n' not in data:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    data += chunk
                self.requests += 1
                if answered:
                    return  # closed without an answer
                conn.sendall(self.ANSWER)

    def close(self):
        self.listener.close()
        self._thread.join(5)


def test_a_kept_connection_closed_as_the_audit_is_sent_is_tried_once_more(site, sim, take):
    address = take()
    agent = _OneAnswerPerConnection(address)
    try:
        client = subcloud_driver.SubcloudClient(
            _pool(), sim.identity_url(address), 'http://%s:%d' % (address, agent.port), 'admin',
            PASSWORD)
        for _ in range(3):
            assert client.audit()['base_audit']['availability'] == 'online'
        # each audit after the first: its kept connection closed unanswered, then a new one
        assert (agent.connections, agent.requests) == (3, 5)
    finally:
        agent.close()
