"""Functional tests: the real WSGI stack through webtest against the session's site."""

import socket

import pytest


@pytest.fixture
def api(site):
    """The API (noauth) over a database emptied after the test."""
    yield site.app()
    site.reset_database()


@pytest.fixture
def ctx(site):
    return site.context()


@pytest.fixture(scope='session')
def hanging_peer_url():
    """A peer site's Keystone URL whose port accepts connections and never answers (the
    kernel queues them): a sync to it is under way, ``syncing``, for the [peer] timeouts, as
    with a real hung peer."""
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        sock.listen(1024)
        yield 'http://127.0.0.1:%d/v3' % sock.getsockname()[1]


@pytest.fixture
def refused_peer_url():
    """A peer site's Keystone URL on a port nothing listens on: every call is refused at once."""
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]
    return 'http://127.0.0.1:%d/v3' % port
