"""The identity client layer: keystoneauth1 sessions over a shared, single-flight token cache.

Every call from a site to a subcloud or to the peer site authenticates through here:

* Tokens are cached under ``CacheKey`` (auth URL, user, user domain, project, project domain) —
  never under the URL alone, so two identities on one Keystone never share a token.
* A cached token is used until it enters its early-renewal window: a jittered number of seconds
  before expiry (``[token_cache] early_renewal_seconds`` + up to ``early_renewal_jitter_seconds``,
  at most a quarter of the token's lifetime), so a fleet's tokens do not all renew in the same
  second.
* On HTTP 401 keystoneauth calls ``invalidate()``: the token that failed is dropped from the cache
  (compare-and-delete, so a token another caller already renewed survives) and the request is
  retried once with a fresh one.
* Renewal is single-flight per key: concurrent callers that need the same token wait for the one
  request in flight. A renewal that hangs past ``[token_cache] renewal_timeout`` is abandoned and
  the next caller starts a new one; nothing can stay stuck. A renewal the identity service
  fails raises the same ``OutboundError`` (``TargetUnreachable``, ``TargetTimedOut``,
  ``AuthenticationRefused`` or ``AnswerRejected``) for every caller waiting on it; a failure of
  the store itself (the site's database) is raised as it is, never blamed on the subcloud.
* The store behind the cache is pluggable (``TokenStore``): ``MemoryTokenStore`` per process, or the
  database store (``dcmanager.objects.token_store``) shared by every process of the site, which
  adds a lease so that the whole site makes one token request per key at a time.
"""

import dataclasses
import datetime
import hashlib
import json
import random
import threading
import time

from keystoneauth1 import access
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3
from oslo_log import log as logging

from dcmanager.common import exception
from dcmanager.conf import CONF
from dcmanager.drivers import transport

LOG = logging.getLogger(__name__)


def _utcnow():
    return datetime.datetime.now(datetime.timezone.utc)


def _aware(moment):
    """``moment`` with UTC as its zone when it has none (Keystone's times are UTC)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.timezone.utc)


def password_digest(password):
    """sha256 of ``password``: tells sessions (and channels) of new credentials apart without
    keeping the password as a key."""
    return hashlib.sha256(password.encode()).hexdigest()


@dataclasses.dataclass(frozen=True)
class CacheKey:
    """Who a token belongs to; ``digest`` is what stores index it by (no secret in it)."""

    auth_url: str
    username: str
    user_domain: str
    project_name: str
    project_domain: str
    # A fingerprint of the credentials (``SessionPool(fingerprint=...)``): new credentials are
    # a new key, so they are used from the next call, not once the old token expires.
    credential: str = ''

    @property
    def digest(self):
        raw = '\0'.join((self.auth_url.rstrip('/'), self.username, self.user_domain,
                         self.project_name, self.project_domain) +
                        ((self.credential,) if self.credential else ()))
        return hashlib.sha256(raw.encode()).hexdigest()


@dataclasses.dataclass(frozen=True, eq=False)
class CachedToken:
    """A token id with the body Keystone returned (for the catalog) and its expiry (aware UTC).

    ``body`` is the answer as a dict, or as its JSON text: the form a cache holds (the thin
    path's tokens, a shared store's local copies), because a parsed catalog takes several times
    the memory of its text, a few KB for each of thousands of subclouds, and is read only by
    the rare calls that need it (``answer``, ``to_access``).
    """

    token_id: str
    body: dict | str
    expires_at: datetime.datetime
    issued_at: datetime.datetime

    @classmethod
    def from_body(cls, token_id, text):
        """The token ``token_id`` of a Keystone v3 answer ``text`` (the JSON of
        ``{"token": {...}}``), as keystoneauth would read it (the thin path's token request,
        ``drivers.channel``). ValueError (or KeyError, TypeError) when it is not one."""
        token = json.loads(text)['token']
        expires = _aware(datetime.datetime.fromisoformat(token['expires_at']))
        issued = token.get('issued_at')
        issued = _aware(datetime.datetime.fromisoformat(issued)) if issued else _utcnow()
        return cls(token_id=token_id, body=text, expires_at=expires, issued_at=issued)

    @classmethod
    def from_access(cls, auth_ref):
        issued = auth_ref.issued or _utcnow()
        return cls(token_id=auth_ref.auth_token, body=auth_ref._data,
                   expires_at=auth_ref.expires, issued_at=issued)

    @property
    def answer(self):
        """The body as a dict."""
        return json.loads(self.body) if isinstance(self.body, str) else self.body

    def __eq__(self, other):
        # The same token whichever form its body is held in.
        if not isinstance(other, CachedToken):
            return NotImplemented
        return (self.token_id, self.expires_at, self.issued_at, self.answer) == \
            (other.token_id, other.expires_at, other.issued_at, other.answer)

    __hash__ = None  # mutable-looking body: tokens are compared, never set members

    def to_access(self):
        return access.create(body=self.answer, auth_token=self.token_id)

    def to_json(self):
        return json.dumps({'token_id': self.token_id, 'body': self.answer,
                           'expires_at': self.expires_at.isoformat(),
                           'issued_at': self.issued_at.isoformat()})

    @classmethod
    def from_json(cls, text):
        data = json.loads(text)
        return cls(token_id=data['token_id'],
                   body=json.dumps(data['body'], separators=(',', ':')),
                   expires_at=datetime.datetime.fromisoformat(data['expires_at']),
                   issued_at=datetime.datetime.fromisoformat(data['issued_at']))

    @property
    def digest(self):
        """sha256 of the token id: lets a shared store compare tokens without holding them."""
        return hashlib.sha256(self.token_id.encode()).hexdigest()

    def renew_at(self, early_seconds):
        """When a holder should stop using this token, ``early_seconds`` before expiry at most a
        quarter of the token's life."""
        lifetime = (self.expires_at - self.issued_at).total_seconds()
        early = min(early_seconds, max(lifetime, 0) / 4.0)
        return self.expires_at - datetime.timedelta(seconds=early)


class TokenStore:
    """Where tokens live. Implementations must be safe to call from many threads."""

    def get(self, digest, fresh=False):
        """The CachedToken stored under ``digest``, or None; ``fresh`` skips any local copy."""
        raise NotImplementedError

    def put(self, digest, token, release_lease=False):
        """Store ``token`` under ``digest`` (replacing any other); ``release_lease``: and give up
        the renewal lease of ``digest`` (one write where a store has to write both)."""
        raise NotImplementedError

    def delete(self, digest, token_id):
        """Remove the entry only if it still holds ``token_id``."""
        raise NotImplementedError

    def acquire_lease(self, digest, seconds):
        """Try to become the one caller renewing ``digest`` for ``seconds``; True if granted."""
        return True

    def acquire_lease_and_get(self, digest, seconds):
        """``acquire_lease``, and the token stored under ``digest`` when it was tried (as
        ``get(fresh=True)``): ``(granted, token or None)``. A store that can do both in one
        round trip does."""
        return self.acquire_lease(digest, seconds), self.get(digest, fresh=True)

    def release_lease(self, digest):
        """Give up the renewal lease of ``digest``."""

    def purge_expired(self):
        """Drop expired entries; returns how many."""
        return 0

    def forget(self):
        """Drop every token this process holds (a shared store's records stay)."""


class MemoryTokenStore(TokenStore):
    """Per-process store: a dict under a lock, bounded (oldest expiry evicted first)."""

    def __init__(self, max_entries=None):
        self._entries = {}
        self._lock = threading.Lock()
        self._max = max_entries or CONF.token_cache.max_entries

    def get(self, digest, fresh=False):
        with self._lock:
            return self._entries.get(digest)

    def put(self, digest, token, release_lease=False):
        with self._lock:
            self._entries[digest] = token
            if len(self._entries) > self._max:
                oldest = min(self._entries, key=lambda d: self._entries[d].expires_at)
                del self._entries[oldest]

    def delete(self, digest, token_id):
        with self._lock:
            current = self._entries.get(digest)
            if current is not None and current.token_id == token_id:
                del self._entries[digest]

    def forget(self):
        with self._lock:
            self._entries.clear()

    def purge_expired(self):
        now = _utcnow()
        with self._lock:
            expired = [d for d, t in self._entries.items() if t.expires_at <= now]
            for digest in expired:
                del self._entries[digest]
        return len(expired)


class SharedTokenStore(TokenStore):
    """A store shared by the processes of a site, over ``records`` (e.g. the database).

    ``records`` keeps text (it encrypts it at rest) and offers the lease: ``get(digest)`` -> text or
    None, ``put(digest, text, token_digest, expires_at, release_lease=False)``,
    ``delete(digest, token_digest)``, ``acquire_lease(digest, seconds)``,
    ``acquire_lease_and_get(digest, seconds)`` -> (granted, text or None),
    ``release_lease(digest)``, ``purge_expired()``.
    A local copy of each token saves a round trip per request; it is dropped on a 401
    (``delete``), and renewals always read the shared copy (``fresh``).
    """

    def __init__(self, records):
        self.records = records
        self._local = {}
        self._lock = threading.Lock()

    def get(self, digest, fresh=False):
        if not fresh:
            with self._lock:
                token = self._local.get(digest)
            if token is not None:
                return token
        return self._keep(digest, self.records.get(digest))

    def _keep(self, digest, text):
        """The token in ``text`` (None if none), now also the local copy of ``digest``."""
        token = CachedToken.from_json(text) if text else None
        with self._lock:
            if token is None:
                self._local.pop(digest, None)
            else:
                self._local[digest] = token
        return token

    def put(self, digest, token, release_lease=False):
        self.records.put(digest, token.to_json(), token.digest, token.expires_at,
                         release_lease=release_lease)
        with self._lock:
            self._local[digest] = token

    def delete(self, digest, token_id):
        with self._lock:
            current = self._local.get(digest)
            if current is not None and current.token_id == token_id:
                del self._local[digest]
        self.records.delete(digest, hashlib.sha256(token_id.encode()).hexdigest())

    def forget(self):
        with self._lock:
            self._local.clear()

    def acquire_lease(self, digest, seconds):
        return self.records.acquire_lease(digest, seconds)

    def acquire_lease_and_get(self, digest, seconds):
        granted, text = self.records.acquire_lease_and_get(digest, seconds)
        return granted, self._keep(digest, text)

    def release_lease(self, digest):
        self.records.release_lease(digest)

    def purge_expired(self):
        now = _utcnow()
        with self._lock:
            for digest in [d for d, t in self._local.items() if t.expires_at <= now]:
                del self._local[digest]
        return self.records.purge_expired()


class _Flight:
    """One renewal in progress: the waiters block on ``done``."""

    def __init__(self):
        self.done = threading.Event()
        self.token = None
        self.error = None
        self.started = time.monotonic()


class TokenCache:
    """Single-flight token cache over a TokenStore."""

    # How long a caller waits between looks at a shared store while another process renews.
    LEASE_POLL_SECONDS = 0.05

    def __init__(self, store=None, early_renewal_seconds=None, jitter_seconds=None,
                 renewal_timeout=None):
        self.store = store if store is not None else MemoryTokenStore()
        tc = CONF.token_cache
        self.early = tc.early_renewal_seconds if early_renewal_seconds is None \
            else early_renewal_seconds
        self.jitter = tc.early_renewal_jitter_seconds if jitter_seconds is None else jitter_seconds
        self.renewal_timeout = tc.renewal_timeout if renewal_timeout is None else renewal_timeout
        self._flights = {}
        self._lock = threading.Lock()
        # Per process and key: the jittered early-renewal offset, drawn once per token.
        self._renew_offsets = {}

    def _usable(self, digest, token):
        if token is None:
            return False
        offset = self._renew_offsets.get((digest, token.token_id))
        if offset is None:
            offset = self.early + random.uniform(0, self.jitter)  # noqa: S311 - jitter, not crypto
            self._renew_offsets[(digest, token.token_id)] = offset
        return _utcnow() < token.renew_at(offset)

    def get(self, key, fetch):
        """A usable token for ``key``; ``fetch()`` returns a new CachedToken when one is needed."""
        digest = key.digest
        token = self.store.get(digest)
        if self._usable(digest, token):
            return token
        # A caller waits for renewals at most twice the renewal timeout in all: once for the
        # flight it found and, if that one hung, once more for the next; and never past its
        # own deadline (an audit's), if it has one.
        deadline = time.monotonic() + 2 * self.renewal_timeout
        left = transport.remaining()
        if left is not None:
            deadline = min(deadline, time.monotonic() + left)
        while True:
            with self._lock:
                flight = self._flights.get(digest)
                leader = flight is None
                if leader:
                    flight = self._flights[digest] = _Flight()
            if leader:
                return self._lead(key, digest, flight, fetch)
            wait = min(self.renewal_timeout - (time.monotonic() - flight.started),
                       deadline - time.monotonic())
            if flight.done.wait(max(wait, 0)):
                if flight.error is not None:
                    raise flight.error
                return flight.token
            if time.monotonic() >= deadline:
                raise _renewal_timed_out(key)
            # The renewal hung: abandon it (if nobody did already) and try again ourselves.
            with self._lock:
                if self._flights.get(digest) is flight:
                    LOG.warning('Token renewal for %s abandoned after %s s', key.auth_url,
                                self.renewal_timeout)
                    del self._flights[digest]

    def _lead(self, key, digest, flight, fetch):
        try:
            flight.token = self._renew(key, digest, fetch)
        except Exception as e:  # noqa: BLE001 - handed to every waiter, then raised
            flight.error = e
        finally:
            with self._lock:
                if self._flights.get(digest) is flight:
                    del self._flights[digest]
            flight.done.set()
        if flight.error is not None:
            raise flight.error
        return flight.token

    def _renew(self, key, digest, fetch):
        deadline = time.monotonic() + self.renewal_timeout
        while True:
            # One round trip: try the lease and see the stored token (another process may have
            # renewed it since our first look).
            granted, token = self.store.acquire_lease_and_get(digest, self.renewal_timeout)
            if self._usable(digest, token):
                if granted:
                    self.store.release_lease(digest)
                return token
            if granted:
                break
            if time.monotonic() > deadline:
                break  # its lease is about to lapse; ours is the next renewal
            left = transport.remaining()
            if left is not None and left <= self.LEASE_POLL_SECONDS:
                raise _renewal_timed_out(key)
            # Another process of the site is renewing: use its token when it lands.
            time.sleep(self.LEASE_POLL_SECONDS)
        released = False
        try:
            try:
                token = fetch()
            except exception.OutboundError:
                raise
            except Exception as e:
                # The identity service's failure: the caller's subcloud (or peer) is at fault.
                # A failure of the store (the site's own database) is not: it goes up as it is,
                # so that nobody counts it against the subcloud.
                raise failure(e, key.auth_url) from None
            self.store.put(digest, token, release_lease=granted)
            released = True
            LOG.debug('New token for %s (expires %s)', key.auth_url, token.expires_at)
            return token
        finally:
            if granted and not released:
                self.store.release_lease(digest)

    def invalidate(self, key, token_id):
        """Forget ``token_id`` for ``key`` if it is still the cached one (after a 401)."""
        self.store.delete(key.digest, token_id)
        self._renew_offsets.pop((key.digest, token_id), None)

    def forget(self):
        """Drop every token held in this process (a test's fresh start)."""
        self.store.forget()
        self._renew_offsets = {}

    def purge_expired(self):
        """Drop expired tokens from the store; returns how many."""
        self._renew_offsets = {k: v for k, v in self._renew_offsets.items()
                               if self.store.get(k[0]) is not None}
        return self.store.purge_expired()


def failure(error, auth_url):
    """The typed ``OutboundError`` (``service='identity'``) for the failed token request's
    ``error`` to the identity service at ``auth_url``."""
    cls, kind, status = transport.classify(error)
    if status is not None:
        reason = 'HTTP %s from the identity service' % status
    elif kind == 'tls':
        reason = 'TLS handshake with the identity service failed'
    elif kind == 'malformed':
        reason = 'the identity service gave an answer this site cannot use'
    else:
        what = 'timed out' if cls is exception.TargetTimedOut else 'unreachable'
        reason = transport.detailed('identity service %s' % what, kind)
    return cls(target=auth_url, reason=reason, kind=kind, status=status, service='identity')


def _renewal_timed_out(key):
    return exception.TargetTimedOut(target=key.auth_url, reason='token renewal timed out',
                                    kind='renewal', service='identity')


class CachedPassword(v3.Password):
    """keystoneauth1's v3 password plugin with its token kept in a TokenCache."""

    def __init__(self, cache, auth_url, username, password, project_name='admin',
                 user_domain_name='Default', project_domain_name='Default', credential=''):
        super().__init__(auth_url=auth_url, username=username, password=password,
                         project_name=project_name, user_domain_name=user_domain_name,
                         project_domain_name=project_domain_name)
        self.cache_key = CacheKey(auth_url.rstrip('/'), username, user_domain_name,
                                  project_name, project_domain_name, credential)
        self._cache = cache
        self._handed_out = threading.local()

    def _fetch(self, session):
        return CachedToken.from_access(v3.Password.get_auth_ref(self, session))

    def get_access(self, session, **kwargs):
        token = self._cache.get(self.cache_key, lambda: self._fetch(session))
        self._handed_out.token_id = token.token_id
        return token.to_access()

    def invalidate(self):
        token_id = getattr(self._handed_out, 'token_id', None)
        if token_id is None:
            return False
        self._cache.invalidate(self.cache_key, token_id)
        self._handed_out.token_id = None
        return True


class SessionPool:
    """One keystoneauth session per (identity, service address): connections are reused.

    ``timeout``: seconds, or a (connect, read) pair, for each request (default ``[identity]
    request_timeout``); keystoneauth's own timeout is left unset, so the transport's pair applies
    to every request, token requests included.
    """

    def __init__(self, cache, timeout=None, verify=True, fingerprint=None):
        self.cache = cache
        # fingerprint(password): put in the tokens' keys, so that new credentials count from
        # the next call (None: tokens are keyed by the identity alone).
        self.fingerprint = fingerprint
        self.connect_timeout, self.read_timeout = transport.timeouts(
            timeout or CONF.identity.request_timeout)
        # True (system CAs), a CA bundle path, or False (tests against plain-HTTP simulators).
        self.verify = verify
        self._sessions = {}
        # The thin path's channels (``drivers.channel.get``), keyed by identity and agent.
        self.channels = {}
        self._lock = threading.Lock()

    def get(self, auth_url, username, password, project_name='admin',
            user_domain_name='Default', project_domain_name='Default'):
        """The session for this identity; its plugin authenticates through the cache."""
        key = (auth_url.rstrip('/'), username, user_domain_name, project_name,
               project_domain_name, password_digest(password))
        with self._lock:
            session = self._sessions.get(key)
            if session is None:
                credential = self.fingerprint(password) if self.fingerprint else ''
                auth = CachedPassword(self.cache, auth_url, username, password, project_name,
                                      user_domain_name, project_domain_name, credential)
                session = ks_session.Session(
                    auth=auth, verify=self.verify,
                    session=transport.session(auth_url, (self.connect_timeout, self.read_timeout)))
                self._sessions[key] = session
            return session

    def channel(self, key, make):
        """The thin path's channel kept under ``key`` (``drivers.channel``), made by ``make()``
        on first use; closed with the sessions."""
        found = self.channels.get(key)
        if found is None:
            with self._lock:
                found = self.channels.get(key)
                if found is None:
                    found = self.channels[key] = make()
        return found

    def close(self):
        with self._lock:
            sessions, self._sessions = list(self._sessions.values()), {}
            channels, self.channels = list(self.channels.values()), {}
        for session in sessions:
            session.session.close()
        for channel in channels:
            channel.close()


def make_token_cache(database_records=None):
    """The TokenCache ``[token_cache] backend`` asks for; ``database_records`` builds the records
    of the database backend (``dcmanager.objects.token_store.DatabaseTokenRecords``)."""
    if CONF.token_cache.backend == 'database':
        if database_records is None:
            raise exception.DCManagerException('the database token cache needs its records')
        return TokenCache(SharedTokenStore(database_records()))
    return TokenCache(MemoryTokenStore())
