"""The transport under outbound sessions: connect/read timeouts, a per-thread deadline, and the
plain-HTTP probe, against real sockets on 127.0.0.1."""

import http.server
import socket
import threading
import time

import pytest
import requests

from dcmanager.drivers import transport


@pytest.fixture
def silent_port():
    """A listening socket that never accepts: connections complete (the kernel's backlog) and
    are never answered."""
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        s.listen(16)
        yield s.getsockname()[1]


@pytest.fixture
def plain_http_port():
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), http.server.BaseHTTPRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def test_the_deadline_cuts_the_read_timeout_and_then_refuses_at_once(silent_port):
    session = transport.BoundedSession((5.0, 30.0))
    url = 'http://127.0.0.1:%d/' % silent_port
    with transport.deadline(0.5):
        started = time.monotonic()
        with pytest.raises(requests.exceptions.Timeout):
            session.get(url)
        assert time.monotonic() - started < 5.0  # not the 30 s read timeout
        with pytest.raises(transport.DeadlineExceeded):
            session.get(url)
    assert transport.remaining() is None


def test_an_inner_deadline_never_outlives_the_outer_one():
    with transport.deadline(1.0):
        with transport.deadline(60.0):
            assert transport.remaining() <= 1.0
        assert transport.remaining() <= 1.0
    assert transport.remaining() is None


def test_the_probe_tells_a_plain_http_port_from_a_silent_one(plain_http_port, silent_port):
    assert transport.answers_plain_http('https://127.0.0.1:%d/v3' % plain_http_port)
    started = time.monotonic()
    assert not transport.answers_plain_http('https://127.0.0.1:%d/v3' % silent_port, 0.5)
    assert time.monotonic() - started < 5.0
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        closed = s.getsockname()[1]
    assert not transport.answers_plain_http('https://127.0.0.1:%d/v3' % closed)
