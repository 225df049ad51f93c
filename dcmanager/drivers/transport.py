"""The HTTP transport under every outbound session: connect and read timeouts, and a deadline.

Every request to another system goes through a ``BoundedSession`` (a ``requests.Session``): it
waits at most ``connect_timeout`` seconds for a connection (the TLS handshake included: urllib3
runs it under the connect timeout) and ``read_timeout`` seconds for each read of the answer.

A caller that must finish within a total time (an audit: a token request, when one is needed, and
the audit agent's answer) runs its calls under ``deadline(seconds)``: every request the thread
sends meanwhile, through any session and in any layer (keystoneauth's token request and its
re-authentication after a 401 included), gets at most the time left, and fails at once as a
timeout when none is left. The deadline is per thread, because keystoneauth gives its plugins no
way to pass a timeout to the token request it sends for them.

``answers_plain_http`` tells, for an https URL whose TLS connection failed or timed out, whether
its port answers plain HTTP instead (the usual mistake: ``[subcloud] scheme`` against an
http-only service), with a short, bounded probe.

``classify`` tells what a failed request's exception (keystoneauth's, or requests') means: the
``dcmanager.common.exception.OutboundError`` class a driver raises for it and its ``kind``,
found from the exception's causes (the socket error under urllib3's), never from its message.
"""

import contextlib
import errno
import functools
import os
import socket
import ssl
import threading
import time
from urllib import parse

from keystoneauth1 import exceptions as ks_exc
from keystoneauth1 import session as ks_session
import requests

from dcmanager.common import exception

_local = threading.local()

# At most this long for the plain-HTTP probe of a port (connecting and the first bytes).
PROBE_SECONDS = 2.0


@contextlib.contextmanager
def deadline(seconds):
    """Within the block, this thread's requests end at most ``seconds`` from now (an outer,
    earlier deadline stays in force)."""
    outer = getattr(_local, 'until', None)
    until = time.monotonic() + seconds
    _local.until = until if outer is None else min(until, outer)
    try:
        yield
    finally:
        _local.until = outer


def remaining():
    """Seconds left before this thread's deadline (may be <= 0); None without a deadline."""
    until = getattr(_local, 'until', None)
    return None if until is None else until - time.monotonic()


class DeadlineExceeded(requests.exceptions.ConnectTimeout):
    """No time was left for a request (a timeout to every layer above, keystoneauth's too)."""


class ConnectTimedOut(TimeoutError):
    """No connection (TLS handshake included) within the connect timeout (the thin path's,
    ``drivers.channel``)."""


class ReadTimedOut(TimeoutError):
    """No answer within the read timeout (the thin path's, ``drivers.channel``)."""


def timeouts(timeout):
    """``(connect, read)`` seconds from a number (both) or a pair."""
    if isinstance(timeout, tuple | list):
        return float(timeout[0]), float(timeout[1])
    return float(timeout), float(timeout)


class BoundedSession(requests.Session):
    """A requests session whose every request has a connect and a read timeout, cut to the
    thread's deadline."""

    def __init__(self, timeout):
        super().__init__()
        self.connect_timeout, self.read_timeout = timeouts(timeout)

    def request(self, method, url, **kwargs):
        given = kwargs.get('timeout')
        connect, read = (self.connect_timeout, self.read_timeout) if given is None \
            else timeouts(given)
        left = remaining()
        if left is not None:
            if left <= 0:
                raise DeadlineExceeded('%s %s: no time left for the request' % (method, url))
            connect, read = min(connect, left), min(read, left)
        kwargs['timeout'] = (connect, read)
        return super().request(method, url, **kwargs)


def session(url, timeout):
    """The requests session under a keystoneauth session to the host of ``url``, with the
    ``timeout`` (seconds, or a (connect, read) pair) of ``BoundedSession``.

    What keystoneauth would make (TCP keep-alive, no Nagle), except that the environment's proxy
    settings are read once here instead of at every request: ``requests`` walks the whole
    environment per request to find them, which cost more than the rest of an audit call. The CA
    bundle is ours to give (``verify``), never taken from the environment.
    """
    http_session = BoundedSession(timeout)
    adapter = ks_session.TCPKeepAliveAdapter()
    for scheme in list(http_session.adapters):
        http_session.mount(scheme, adapter)
    if _environment_has_proxies():
        http_session.proxies = requests.utils.get_environ_proxies(url)
    http_session.trust_env = False
    return http_session


def proxied(url):
    """Whether the environment's proxy settings send requests to ``url`` through a proxy (the
    variables are looked at once; ``no_proxy`` is honoured)."""
    return _environment_has_proxies() and bool(requests.utils.get_environ_proxies(url))


@functools.cache
def _environment_has_proxies():
    """Any ``*_proxy`` variable in this process's environment (looked at once)."""
    return any(name.lower().endswith('_proxy') for name in os.environ)


def answers_plain_http(url, seconds=PROBE_SECONDS):
    """Whether the host and port of ``url`` answer a plain-HTTP request with an HTTP status line,
    within ``seconds`` in all (and the thread's deadline). Never raises: False when unsure."""
    left = remaining()
    if left is not None:
        seconds = min(seconds, left)
    if seconds <= 0:
        return False
    until = time.monotonic() + seconds
    try:
        parts = parse.urlsplit(url)
        address = (parts.hostname, parts.port or 443)
        with socket.create_connection(address, timeout=seconds) as conn:
            conn.sendall(b'HEAD / HTTP/1.0\r\n\r\n')
            head = b''
            while len(head) < 5:
                conn.settimeout(max(until - time.monotonic(), 0.001))
                chunk = conn.recv(5 - len(head))
                if not chunk:
                    break
                head += chunk
    except (OSError, ValueError):
        return False
    return head == b'HTTP/'


def _causes(error):
    """``error`` and what it wraps, outermost first: explicit causes and contexts, urllib3's
    ``reason`` and requests' wrapped exception."""
    seen = []
    while isinstance(error, BaseException) and not any(error is e for e in seen):
        seen.append(error)
        wrapped = error.__cause__ or error.__context__ or getattr(error, 'reason', None)
        if not isinstance(wrapped, BaseException) and error.args:
            wrapped = error.args[0]
        error = wrapped
    return seen


def _unreachable_kind(causes):
    for cause in causes:
        if isinstance(cause, socket.gaierror):
            return 'dns'
        if isinstance(cause, ConnectionRefusedError):
            return 'refused'
        if isinstance(cause, OSError) and cause.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH):
            return 'no-route'
    return 'connection'


def _timeout_kind(causes):
    for cause in causes:
        if isinstance(cause, DeadlineExceeded):
            return 'deadline'
        if isinstance(cause, requests.exceptions.ConnectTimeout | ConnectTimedOut):
            return 'connect'
        if isinstance(cause, requests.exceptions.ReadTimeout | ReadTimedOut):
            return 'read'
    return 'timeout'


# What an operator reads of a kind, after what failed ("identity service unreachable (...)").
_DETAILS = {'refused': 'connection refused', 'no-route': 'no route to the host',
            'dns': 'its host name does not resolve', 'connect': 'no connection in time',
            'read': 'no answer in time', 'deadline': 'no time was left for the request'}


def detailed(text, kind):
    """``text`` followed by what ``kind`` says in parentheses, when it says more."""
    detail = _DETAILS.get(kind)
    return '%s (%s)' % (text, detail) if detail else text


def classify(error):
    """``(class, kind, status)`` of the ``OutboundError`` that a failed request's ``error``
    (a keystoneauth or requests exception, or the thin path's: a socket, TLS or ``http.client``
    error, ``ConnectTimedOut``, ``ReadTimedOut``) is; ``status`` the HTTP status answered, or
    None."""
    causes = _causes(error)
    if isinstance(error, ks_exc.http.HttpError):
        status = error.http_status
        if status in (401, 403):
            return (exception.AuthenticationRefused,
                    'unauthorized' if status == 401 else 'forbidden', status)
        if status in (408, 504):
            return exception.TargetTimedOut, 'timeout', status
        return exception.AnswerRejected, 'status', status
    if isinstance(error, ks_exc.SSLError | requests.exceptions.SSLError | ssl.SSLError):
        return exception.AnswerRejected, 'tls', None
    if isinstance(error, ks_exc.ConnectTimeout | requests.exceptions.Timeout):
        return exception.TargetTimedOut, _timeout_kind(causes), None
    if isinstance(error, ks_exc.ConnectFailure | requests.exceptions.ConnectionError):
        return exception.TargetUnreachable, _unreachable_kind(causes), None
    if isinstance(error, TimeoutError):
        return exception.TargetTimedOut, _timeout_kind(causes), None
    if isinstance(error, OSError):  # a socket error not wrapped by requests
        return exception.TargetUnreachable, _unreachable_kind(causes), None
    if isinstance(error, ValueError):  # a body that is not JSON (requests' JSONDecodeError)
        return exception.AnswerRejected, 'malformed', None
    # Anything else keystoneauth raises (a failed version discovery, an unknown connection
    # error): the target gave nothing this site can use.
    return exception.AnswerRejected, 'malformed', None
