"""The audit's thin HTTP path: one subcloud's calls over a kept HTTP/1.1 connection.

Why not keystoneauth and requests, as every other call: an audit is one small request per
subcloud per interval, to thousands of subclouds. Through a keystoneauth session each subcloud
holds a requests session, a urllib3 pool manager and a connection pool (tens of KB: about 300 MB
for 10,000 subclouds), and each call walks the layers' header merging, proxy and retry logic,
which cost more CPU than the request itself. Here a subcloud holds a ``Channel``: its token's
cache key, its credentials and at most one idle connection (``http.client``), to its agent.

The identity layer's rules hold unchanged, because they live in the token cache, which the
channel shares with keystoneauth's plugin (``identity.CachedPassword``):

* the token comes from the pool's ``TokenCache`` under the same ``CacheKey``, so one fetched by an
  enrollment serves the audits and the other way round (one token per subcloud per lifetime);
* a 401 from the agent drops the token that failed (compare-and-delete), renews it (single-flight
  per key: concurrent callers wait for the one request) and retries once;
* every request, the token request included, waits at most the connect timeout to connect (the
  TLS handshake included) and the read timeout for each read, both cut to the thread's deadline
  (``transport.deadline``); a timeout is never retried; a connection that failed (refused, or a
  kept one the server closed) is tried once more for a request that is safe to repeat.

Failures are raised as the exceptions ``transport.classify`` knows (socket and TLS errors,
``transport.ConnectTimedOut``/``ReadTimedOut``/``DeadlineExceeded``, keystoneauth's ``HttpError``
for a status); the token request's become ``identity.failure`` in the cache, the caller types the
agent's (``OutboundError``).
"""

import contextlib
import functools
import http.client
import json
import os
import select
import socket
import ssl
from urllib import parse

from keystoneauth1 import exceptions as ks_exc

from dcmanager.drivers import identity, transport

# Answers larger than this are refused (an audit answer is a few hundred bytes).
MAX_ANSWER = 1024 * 1024


def _tls_context(verify):
    """The TLS context of ``verify`` (True: the system CAs, a CA bundle path, or False), one
    shared by every channel (a context holds the CA store: far too big to have one each), made
    again when the CA bundle file changes (a rotated CA is used from the next connection)."""
    version = None
    if isinstance(verify, str):
        with contextlib.suppress(OSError):
            version = os.stat(verify).st_mtime_ns
    return _tls_context_of(verify, version)


@functools.lru_cache(maxsize=8)
def _tls_context_of(verify, version):
    if verify is False:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    return ssl.create_default_context(cafile=None if verify is True else verify)


class _Origin:
    """Scheme, host and port of a URL, and its path prefix."""

    __slots__ = ('tls', 'host', 'port', 'prefix')

    def __init__(self, url):
        parts = parse.urlsplit(url)
        self.tls = parts.scheme == 'https'
        self.host = parts.hostname
        self.port = parts.port or (443 if self.tls else 80)
        self.prefix = parts.path.rstrip('/')

    @property
    def key(self):
        return (self.tls, self.host, self.port)


class _Connection(http.client.HTTPConnection):
    """An HTTP connection whose connect waits at most ``connect`` seconds (the TLS handshake
    included) and whose reads each wait at most ``read`` seconds."""

    def __init__(self, origin, tls_context):
        super().__init__(origin.host, origin.port)
        self._tls_context = tls_context  # None: plain HTTP
        self.reused = False  # taken idle from the channel (the server may have closed it)

    def open(self, connect, read):
        self.timeout = connect
        try:
            self.sock = socket.create_connection((self.host, self.port), connect)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self._tls_context is not None:
                self.sock = self._tls_context.wrap_socket(self.sock, server_hostname=self.host)
        except TimeoutError:
            self.close()
            raise transport.ConnectTimedOut('no connection within %g s' % connect) from None
        except OSError:
            self.close()
            raise
        self.sock.settimeout(read)

    def dropped(self):
        """Whether the server closed this idle connection (readable: EOF, or bytes nobody asked
        for); one poll, no wait."""
        if self.sock is None:
            return True
        poller = select.poll()
        poller.register(self.sock, select.POLLIN)
        return bool(poller.poll(0))


class _Stale(ConnectionResetError):
    """A kept connection failed before any answer: the server had closed it (idle)."""


class Answer:
    """A response: status, lower-case headers, body bytes."""

    __slots__ = ('status', 'headers', 'body')

    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        """The body as JSON (ValueError when it is not)."""
        return json.loads(self.body)


class Channel:
    """A subcloud's token and kept connection. Safe for concurrent callers (each takes the idle
    connection or opens its own; only one is kept)."""

    __slots__ = ('pool', 'key', '_password', '_identity', '_agent', '_idle')

    def __init__(self, pool, identity_url, agent_url, username, password, project_name,
                 user_domain_name, project_domain_name):
        self.pool = pool
        credential = pool.fingerprint(password) if pool.fingerprint else ''
        self.key = identity.CacheKey(identity_url.rstrip('/'), username, user_domain_name,
                                     project_name, project_domain_name, credential)
        self._password = password
        self._identity = _Origin(identity_url)
        self._agent = _Origin(agent_url)
        self._idle = {}  # origin key -> an idle _Connection (the agent's only, at rest)

    def call(self, method, path, body, retry_connection):
        """``method`` the agent's ``path`` with the ``body`` (JSON) and the cached token: the
        ``Answer`` of a 2xx. A 401 renews the token (once, single-flight) and retries once;
        any other status raises keystoneauth's ``HttpError``; a failure to connect, or a kept
        connection the server closed, is tried once more when ``retry_connection``."""
        payload = json.dumps(body).encode() if body is not None else None
        cache = self.pool.cache
        token = cache.get(self.key, self._fetch)
        answer = self._send(self._agent, method, path, payload, token.token_id, retry_connection)
        if answer.status == 401:
            cache.invalidate(self.key, token.token_id)
            token = cache.get(self.key, self._fetch)
            answer = self._send(self._agent, method, path, payload, token.token_id,
                                retry_connection)
        if answer.status >= 300:
            raise ks_exc.http.HttpError(http_status=answer.status, method=method,
                                        url=self._url(self._agent, path))
        return answer

    def close(self):
        """Close the idle connection (the channel stays usable: the next call opens one)."""
        for key in list(self._idle):
            conn = self._idle.pop(key, None)
            if conn is not None:
                conn.close()

    # the token

    def _fetch(self):
        """A new token (Keystone v3 password authentication, project scope): a CachedToken."""
        key = self.key
        body = {'auth': {'identity': {'methods': ['password'], 'password': {'user': {
            'name': key.username, 'password': self._password,
            'domain': {'name': key.user_domain}}}},
            'scope': {'project': {'name': key.project_name,
                                  'domain': {'name': key.project_domain}}}}}
        # Not sent again after a failed connection (as keystoneauth's token request), unless
        # it failed on a kept connection the identity API had closed (a shared port's).
        answer = self._send(self._identity, 'POST', '/auth/tokens', json.dumps(body).encode(),
                            None, retry_connection=False)
        if answer.status >= 300:
            raise ks_exc.http.HttpError(http_status=answer.status, method='POST',
                                        url=self._url(self._identity, '/auth/tokens'))
        token_id = answer.headers.get('x-subject-token')
        if not token_id:
            raise ValueError('the identity service answered without a token')
        try:
            return identity.CachedToken.from_body(token_id, answer.body.decode())
        except (KeyError, TypeError, UnicodeDecodeError):
            raise ValueError('the identity service answered without a token') from None

    # the wire

    @staticmethod
    def _url(origin, path):
        return '%s://%s:%d%s%s' % ('https' if origin.tls else 'http', origin.host, origin.port,
                                   origin.prefix, path)

    def _timeouts(self):
        connect, read = self.pool.connect_timeout, self.pool.read_timeout
        left = transport.remaining()
        if left is not None:
            if left <= 0:
                raise transport.DeadlineExceeded('no time left for the request')
            connect, read = min(connect, left), min(read, left)
        return connect, read

    def _take(self, origin):
        """The idle connection to ``origin`` if it is still open, else a new one (not yet
        connected)."""
        conn = self._idle.pop(origin.key, None)
        if conn is not None:
            if not conn.dropped():
                conn.reused = True
                return conn
            conn.close()
        return _Connection(origin, _tls_context(self.pool.verify) if origin.tls else None)

    def _give_back(self, origin, conn):
        # Only a connection to the agent is kept (the identity API's too when it is on the
        # same port): a token request comes once a token lifetime.
        if origin.key != self._agent.key or self._idle.setdefault(origin.key, conn) is not conn:
            conn.close()

    def _send(self, origin, method, path, payload, token_id, retry_connection):
        try:
            return self._send_once(origin, method, path, payload, token_id)
        except _Stale:
            pass  # a kept connection the server had closed: any request goes once more
        except ConnectionError:
            # Refused or reset (not a timeout, and not a TLS failure: trying again would only
            # fail the same way, later).
            if not retry_connection:
                raise
        return self._send_once(origin, method, path, payload, token_id)

    def _send_once(self, origin, method, path, payload, token_id):
        connect, read = self._timeouts()
        conn = self._take(origin)
        headers = {'Accept': 'application/json', 'User-Agent': 'dcmanager'}
        if payload is not None:
            headers['Content-Type'] = 'application/json'
        if token_id is not None:
            headers['X-Auth-Token'] = token_id
        try:
            if conn.sock is None:
                conn.open(connect, read)
            else:
                conn.sock.settimeout(read)
            conn.request(method, origin.prefix + path, payload, headers)
            resp = conn.getresponse()
            body = resp.read(MAX_ANSWER + 1)
            if len(body) > MAX_ANSWER:
                raise ValueError('an answer of more than %d bytes' % MAX_ANSWER)
            answer = Answer(resp.status, {k.lower(): v for k, v in resp.getheaders()}, body)
        except transport.ConnectTimedOut:
            raise
        except TimeoutError:
            conn.close()
            raise transport.ReadTimedOut('no answer within %g s' % read) from None
        except (ConnectionError, http.client.RemoteDisconnected) as e:
            conn.close()
            if conn.reused:
                raise _Stale(str(e)) from e
            raise
        except BaseException:
            conn.close()
            raise
        if resp.will_close:
            conn.close()
        else:
            self._give_back(origin, conn)
        return answer


def get(pool, identity_url, agent_url, username, password, project_name='admin',
        user_domain_name='Default', project_domain_name='Default'):
    """The Channel of this identity and agent, kept by ``pool`` (an ``identity.SessionPool``:
    made on first use, closed by ``pool.close()``)."""
    key = (identity_url.rstrip('/'), agent_url.rstrip('/'), username, user_domain_name,
           project_name, project_domain_name, identity.password_digest(password))
    return pool.channel(key, lambda: Channel(pool, identity_url, agent_url, username, password,
                                             project_name, user_domain_name,
                                             project_domain_name))
