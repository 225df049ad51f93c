"""TokenCache: reuse, early renewal, single flight, abandoned renewals, failures, invalidation.

The fetch function here stands in for the token POST; the same behaviour over real sockets is in
tests/integration/test_identity_layer.py.
"""

import concurrent.futures
import datetime
import threading
import time

import pytest

from dcmanager.common import exception
from dcmanager.drivers import identity

KEY = identity.CacheKey('http://127.0.1.1:5001/v3', 'admin', 'Default', 'admin', 'Default')


def _token(n, lifetime=3600.0, issued=None):
    issued = issued or datetime.datetime.now(datetime.timezone.utc)
    return identity.CachedToken(token_id='tok-%d' % n, body={'token': {}},
                                expires_at=issued + datetime.timedelta(seconds=lifetime),
                                issued_at=issued)


class Fetcher:
    """Counts token requests; can be slowed down or made to fail."""

    def __init__(self, lifetime=3600.0, delay=0.0, error=None):
        self.calls = 0
        self.lifetime = lifetime
        self.delay = delay
        self.error = error
        self._lock = threading.Lock()

    def __call__(self):
        with self._lock:
            self.calls += 1
            n = self.calls
        if self.delay:
            time.sleep(self.delay)
        if self.error:
            raise self.error
        return _token(n, self.lifetime)


def _cache(**kw):
    kw.setdefault('early_renewal_seconds', 300)
    kw.setdefault('jitter_seconds', 0)
    kw.setdefault('renewal_timeout', 5)
    return identity.TokenCache(identity.MemoryTokenStore(max_entries=100), **kw)


def test_cached_token_is_reused(site):
    cache, fetch = _cache(), Fetcher()
    first = cache.get(KEY, fetch)
    assert [cache.get(KEY, fetch) for _ in range(10)] == [first] * 10
    assert fetch.calls == 1


def test_keys_are_not_shared_between_identities(site):
    cache, fetch = _cache(), Fetcher()
    other_user = identity.CacheKey(KEY.auth_url, 'sysinv', 'Default', 'services', 'Default')
    other_project = identity.CacheKey(KEY.auth_url, 'admin', 'Default', 'services', 'Default')
    tokens = {cache.get(k, fetch).token_id for k in (KEY, other_user, other_project)}
    assert len(tokens) == 3 and fetch.calls == 3
    assert len({KEY.digest, other_user.digest, other_project.digest}) == 3


def test_renews_inside_the_early_window(site):
    # A 100 s token: the window is capped at a quarter of its life (25 s), so it is still good.
    cache, fetch = _cache(), Fetcher(lifetime=100)
    cache.get(KEY, fetch)
    cache.get(KEY, fetch)
    assert fetch.calls == 1
    # A token already inside its window is renewed on the next use.
    issued = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=80)
    cache.store.put(KEY.digest, _token(99, lifetime=100, issued=issued))
    assert cache.get(KEY, fetch).token_id == 'tok-2'
    assert fetch.calls == 2


def test_jitter_spreads_renewal_points(site):
    cache = _cache(early_renewal_seconds=300, jitter_seconds=160)
    offsets = set()
    for n in range(40):
        token = _token(n)
        cache._usable('d%d' % n, token)
        offsets.add(round(cache._renew_offsets[('d%d' % n, token.token_id)]))
    assert min(offsets) >= 300 and max(offsets) <= 460
    assert len(offsets) > 10


def test_concurrent_first_requests_make_one_token_request(site):
    cache, fetch = _cache(), Fetcher(delay=0.2)
    with concurrent.futures.ThreadPoolExecutor(100) as pool:
        tokens = list(pool.map(lambda _: cache.get(KEY, fetch).token_id, range(100)))
    assert fetch.calls == 1
    assert set(tokens) == {'tok-1'}


def test_concurrent_invalidations_make_one_renewal(site):
    cache, fetch = _cache(), Fetcher(delay=0.1)
    stale = cache.get(KEY, fetch)
    barrier = threading.Barrier(100)

    def on_401(_):
        barrier.wait()
        cache.invalidate(KEY, stale.token_id)
        return cache.get(KEY, fetch).token_id

    with concurrent.futures.ThreadPoolExecutor(100) as pool:
        tokens = list(pool.map(on_401, range(100)))
    assert fetch.calls == 2
    assert set(tokens) == {'tok-2'}


def test_invalidating_an_old_token_keeps_the_new_one(site):
    cache, fetch = _cache(), Fetcher()
    old = cache.get(KEY, fetch)
    cache.invalidate(KEY, old.token_id)
    new = cache.get(KEY, fetch)
    cache.invalidate(KEY, old.token_id)  # a late 401 for the old token
    assert cache.get(KEY, fetch) == new
    assert fetch.calls == 2


def test_hung_renewal_is_abandoned_and_retried(site):
    cache = _cache(renewal_timeout=0.5)
    hung = threading.Event()
    calls = []

    def fetch():
        calls.append(1)
        if len(calls) == 1:
            hung.wait(10)  # the first renewal never comes back in time
        return _token(len(calls))

    first = threading.Thread(target=lambda: cache.get(KEY, fetch), daemon=True)
    first.start()
    time.sleep(0.1)
    started = time.monotonic()
    token = cache.get(KEY, fetch)
    waited = time.monotonic() - started
    hung.set()
    first.join(5)
    assert token.token_id == 'tok-2'
    assert 0.3 < waited < 3
    assert not cache._flights


def test_failed_renewal_raises_for_every_waiter_and_is_not_cached(site):
    cache = _cache()
    fetch = Fetcher(delay=0.2, error=ConnectionError('refused'))
    with concurrent.futures.ThreadPoolExecutor(20) as pool:
        futures = [pool.submit(cache.get, KEY, fetch) for _ in range(20)]
        errors = [f.exception(timeout=10) for f in futures]
    assert all(isinstance(e, exception.TargetUnreachable) for e in errors)
    assert 'Could not authenticate to http://127.0.1.1:5001/v3' in str(errors[0])
    assert fetch.calls == 1
    fetch.error = None
    assert cache.get(KEY, fetch).token_id == 'tok-2'


def test_memory_store_is_bounded(site):
    store = identity.MemoryTokenStore(max_entries=3)
    for n in range(5):
        store.put('d%d' % n, _token(n, lifetime=100 + n))
    assert store.get('d0') is None and store.get('d1') is None
    assert store.get('d4').token_id == 'tok-4'


def test_purge_expired(site):
    store = identity.MemoryTokenStore(max_entries=10)
    past = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=2)
    store.put('old', _token(1, issued=past))
    store.put('new', _token(2))
    assert store.purge_expired() == 1
    assert store.get('old') is None and store.get('new') is not None


def test_token_json_round_trip():
    token = _token(7)
    assert identity.CachedToken.from_json(token.to_json()) == token
    pytest.importorskip('keystoneauth1')


class _BrokenStore(identity.MemoryTokenStore):
    """A store whose database is gone."""

    def acquire_lease_and_get(self, digest, seconds):
        raise RuntimeError('database unreachable')


def test_a_failing_store_is_not_an_identity_error(site):
    cache = identity.TokenCache(_BrokenStore(10), early_renewal_seconds=0, jitter_seconds=0,
                                renewal_timeout=5)
    fetch = Fetcher()
    with pytest.raises(RuntimeError, match='database unreachable'):
        cache.get(KEY, fetch)
    assert fetch.calls == 0  # nobody asked the identity service, nobody blames it
