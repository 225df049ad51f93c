"""dcmanager.api.server: the bind check, and the limits on client connections.

check_bind only reads the configuration (noauth trusts every caller, so it only ever listens on
loopback). The limits are tested on real processes (dcmanager-all, dcmanager-api with workers)
with real slow clients on loopback sockets.
"""

import contextlib
import http.client
import socket
import threading
import time

import pytest
from waitress import buffers as waitress_buffers

from dcmanager.api import server
from dcmanager.common import exception
from dcmanager.conf import CONF
from tests import harness
from tests.unit.cmd import test_processes as procs


@pytest.fixture
def override(site):
    """CONF.set_override for one test; afterwards every option has its previous value again.

    ``site`` has parsed CONF and overrides some options itself (auth_strategy = noauth), so an
    override is not simply cleared: the site's value is put back.
    """
    saved = []

    def set_override(name, value, group=None):
        saved.append((name, group, (CONF[group] if group else CONF)[name]))
        CONF.set_override(name, value, group=group)

    yield set_override
    for name, group, value in reversed(saved):
        CONF.clear_override(name, group=group)
        if (CONF[group] if group else CONF)[name] != value:
            CONF.set_override(name, value, group=group)


@pytest.mark.parametrize('host', ['0.0.0.0', '::', '10.1.2.3', 'fd00::1', 'dc.example.com',
                                  '::ffff:127.0.0.1'])
def test_noauth_refuses_a_non_loopback_bind_host(override, host):
    override('auth_strategy', 'noauth')
    override('bind_host', host, group='api')
    with pytest.raises(exception.DCManagerException) as info:
        server.check_bind()
    assert 'noauth' in info.value.message
    assert host in info.value.message


@pytest.mark.parametrize('host', ['127.0.0.1', '127.0.1.7', '127.255.255.254', '::1',
                                  'localhost'])
def test_noauth_accepts_loopback(override, host):
    override('auth_strategy', 'noauth')
    override('bind_host', host, group='api')
    server.check_bind()


@pytest.mark.parametrize('host', ['0.0.0.0', '::', '127.0.0.1'])
def test_keystone_may_listen_anywhere(override, host):
    override('auth_strategy', 'keystone')
    override('bind_host', host, group='api')
    server.check_bind()


def test_site_is_still_noauth_on_loopback(site):
    # Runs after the tests above: their overrides are gone and the site's own override is back.
    assert CONF.auth_strategy == 'noauth'
    assert CONF.api.bind_host == '127.0.0.1'


def test_freeze_heap_takes_the_start_up_heap_out_of_collections():
    import gc

    kept = [object() for _ in range(10)]
    try:
        server.freeze_heap()
        assert gc.get_freeze_count() >= len(kept)
    finally:
        gc.unfreeze()


# ------------------------------------------------------------------ slow clients

HEADER_TIMEOUT = 2
# The header timeout, the server's check of it (every second) and the time to accept and answer
# on a shared machine: well below the idle timeout (120 s), the only other way out.
ANSWER_BOUND = HEADER_TIMEOUT + 4


class _SlowClients:
    """``count`` connections that never finish a request header: half of them send nothing,
    half send a header line every half second (so that they are never idle)."""

    def __init__(self, port, count):
        self.socks = []
        self.stopping = threading.Event()
        for i in range(count):
            sock = socket.create_connection(('127.0.0.1', port), timeout=10)
            if i % 2:
                sock.sendall(b'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n')
            self.socks.append(sock)
        self.thread = threading.Thread(target=self._trickle, daemon=True)
        self.thread.start()

    def _trickle(self):
        while not self.stopping.wait(0.5):
            for sock in self.socks[1::2]:
                with contextlib.suppress(OSError):
                    sock.sendall(b'X-Slow: 1\r\n')

    def closed_by_the_server(self, timeout):
        """How many of the connections the server closed within ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        closed = 0
        for sock in self.socks:
            sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                closed += sock.recv(1024) == b''
            except ConnectionResetError:
                closed += 1
            except TimeoutError:
                pass
        return closed

    def close(self):
        self.stopping.set()
        self.thread.join(5)
        for sock in self.socks:
            sock.close()


def _time_to_answer(port):
    started = time.monotonic()
    status, versions = procs._request(port, 'GET', '/')
    assert status == 200 and versions['versions'][0]['id'] == 'v1.0'
    return time.monotonic() - started


def _locked_out_at_most_the_header_timeout(port, slow_count):
    slow = _SlowClients(port, slow_count)
    try:
        waited = _time_to_answer(port)
        assert waited < ANSWER_BOUND, 'a good client waited %.1f s' % waited
        # Every slow connection is closed, those that waited in the backlog a header timeout
        # after they were accepted.
        assert slow.closed_by_the_server(2 * ANSWER_BOUND) == slow_count
    finally:
        slow.close()


_LIMITS = {'api__header_timeout': HEADER_TIMEOUT, 'api__idle_timeout': 120}


def test_slow_clients_beyond_the_connection_limit_lock_nobody_out(tmp_path):
    conf, port = procs._config(tmp_path, api__connection_limit=20, **_LIMITS)
    with procs.running(tmp_path, 'dcmanager-all', '--config-file', conf) as site:
        procs._wait_serving(site, port)
        _locked_out_at_most_the_header_timeout(port, 20 + 10)


def test_api_workers_have_the_same_limits(tmp_path):
    conf, port = procs._config(tmp_path, auth_strategy='noauth', api__workers=2,
                               api__connection_limit=10, **_LIMITS)
    with procs.running(tmp_path, 'dcmanager-api', '--config-file', conf) as api:
        procs._wait_serving(api, port)
        deadline = time.monotonic() + procs.START_TIMEOUT
        while len(api.children()) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        _locked_out_at_most_the_header_timeout(port, 2 * 10 + 10)


def test_a_complete_request_is_served_while_slow_clients_wait(tmp_path):
    """Below the limit, slow clients do not delay anybody at all, and keep-alive requests on one
    connection are not cut by the header timeout."""
    conf, port = procs._config(tmp_path, api__connection_limit=50, **_LIMITS)
    with procs.running(tmp_path, 'dcmanager-all', '--config-file', conf) as site:
        procs._wait_serving(site, port)
        slow = _SlowClients(port, 10)
        try:
            conn = http.client.HTTPConnection('127.0.0.1', port, timeout=10)
            try:
                first = None
                for _ in range(3):
                    conn.request('GET', '/')
                    resp = conn.getresponse()
                    assert (resp.status, resp.read()[:1]) == (200, b'{')
                    first = first or conn.sock
                    assert conn.sock is first  # the same connection all along
                    time.sleep(HEADER_TIMEOUT + 1)  # idle between requests: not a late header
            finally:
                conn.close()
        finally:
            slow.close()


def test_descriptors_beyond_1024_are_served(tmp_path):
    """The loop watches its connections with poll(): with more than 1,024 descriptors open
    (1,100 idle client connections here) the site still answers, and its loop is still up
    (select() cannot watch a descriptor numbered 1,024 or more: the loop ended with ValueError
    and the process stopped answering)."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 1400:
        pytest.fail('the hard open-file limit (%d) is below what the test needs' % hard)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, 1400), hard))
    conf, port = procs._config(tmp_path, api__connection_limit=1200, api__header_timeout=120,
                               api__idle_timeout=120)
    idle = []
    try:
        with procs.running(tmp_path, 'dcmanager-all', '--config-file', conf) as site:
            procs._wait_serving(site, port)
            for _ in range(1100):
                idle.append(socket.create_connection(('127.0.0.1', port), timeout=10))
            for _ in range(3):  # the loop wakes every second: a select() loop had ended
                _time_to_answer(port)
                time.sleep(1)
            assert site.popen.poll() is None
    finally:
        for sock in idle:
            sock.close()
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


# ---------------------------------------------------------------- large bodies

def test_a_pieces_file_reads_seeks_and_tells_like_a_file_of_the_joined_pieces():
    pieces = [b'{"items": [', b'', b'0123456789' * 10, b'abc', b']}']
    joined = b''.join(pieces)
    f = server._PiecesFile(pieces)
    assert f.seekable() and f.tell() == 0
    assert f.seek(0, 2) == len(joined) and f.tell() == len(joined)
    assert f.read(5) == b''
    for size in (1, 7, 64, 1000, -1, None):
        f.seek(0)
        got = b''
        while True:
            chunk = f.read(size)
            if not chunk:
                break
            assert size in (-1, None) or len(chunk) <= size
            got += bytes(chunk)
        assert got == joined, size
    f.seek(20)
    assert bytes(f.read(3)) == joined[20:23]
    f.seek(-4, 1)
    assert f.tell() == 19 and bytes(f.read(1)) == joined[19:20]
    f.seek(-2, 2)
    assert bytes(f.read(10)) == b']}'
    assert f.seek(-1000, 1) == 0 and f.seek(10 ** 9) == len(joined)


def _pieces_app(pieces):
    def app(environ, start_response):
        start_response('200 OK', [('Content-Type', 'application/json'),
                                  ('Content-Length', str(sum(map(len, pieces))))])
        return list(pieces)
    return app


@pytest.mark.parametrize('pieces', [
    # As a list answers: a head, the rows joined by the database, a tail (about 6 MB).
    [b'{"subclouds": [', b', '.join(b'{"id": %d, "name": "sc%d"}' % (i, i)
                                     for i in range(200000)), b']}'],
    # Many pieces, the small ones too, around the 64 KiB boundary.
    [bytes([65 + i % 26]) * (i * 37 % 5000) for i in range(200)],
    [b'x' * (64 * 1024 - 1)],
    [b'y' * (64 * 1024)],
])
def test_large_bodies_are_sent_whole_and_in_order_by_the_real_server(pieces):
    # dcmanager's waitress server, a real socket: the body arrives byte for byte, whatever
    # the pieces (a large one goes to waitress as one file over the pieces, _LargeBodies).
    joined = b''.join(pieces)
    with harness.served_by_waitress(_pieces_app(pieces)) as port:
        for _ in range(2):  # a kept-alive connection: the second answer follows the first
            conn = http.client.HTTPConnection('127.0.0.1', port, timeout=30)
            try:
                for _ in range(2):
                    conn.request('GET', '/')
                    resp = conn.getresponse()
                    assert resp.status == 200
                    assert int(resp.getheader('Content-Length')) == len(joined)
                    assert resp.read() == joined
            finally:
                conn.close()


def test_only_a_large_list_of_bytes_becomes_a_file():
    calls = []

    def app(result):
        def wsgi(environ, start_response):
            calls.append(1)
            return result
        return server._LargeBodies(wsgi)

    big = [b'a' * 40000, b'b' * 40000]
    assert type(app(big)({}, None)) is waitress_buffers.ReadOnlyFileBasedBuffer
    small = [b'a' * 1000]
    assert app(small)({}, None) is small
    generator = (piece for piece in big)
    assert app(generator)({}, None) is generator
    text = ['a' * 70000]
    assert app(text)({}, None) is text
    assert len(calls) == 4
