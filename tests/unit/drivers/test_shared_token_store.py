"""The database backend of the token cache on the test site's real database."""

import concurrent.futures
import datetime
import threading
import time

import pytest
import sqlalchemy as sa

from dcmanager.common import exception
from dcmanager.db import api as db_api
from dcmanager.drivers import identity
from dcmanager.objects import token_store

KEY = identity.CacheKey('http://127.0.1.9:5001/v3', 'admin', 'Default', 'admin', 'Default')


@pytest.fixture
def store(database):
    yield identity.SharedTokenStore(token_store.DatabaseTokenRecords())
    database.reset_database()


def _token(n, lifetime=3600.0):
    now = datetime.datetime.now(datetime.timezone.utc)
    return identity.CachedToken(token_id='secret-token-%d' % n, body={'token': {'n': n}},
                                expires_at=now + datetime.timedelta(seconds=lifetime),
                                issued_at=now)


def _rows():
    with db_api.get_engine().connect() as conn:
        return conn.execute(sa.text('SELECT * FROM token_cache')).mappings().all()


def test_put_get_across_store_instances(store):
    store.put(KEY.digest, _token(1))
    other_process = identity.SharedTokenStore(token_store.DatabaseTokenRecords())
    token = other_process.get(KEY.digest)
    assert token.token_id == 'secret-token-1' and token.answer == {'token': {'n': 1}}


def test_token_is_encrypted_at_rest_and_keyed_by_hash(store):
    store.put(KEY.digest, _token(1))
    rows = _rows()
    assert len(rows) == 1
    row = dict(rows[0])
    assert row['key_hash'] == KEY.digest
    dump = repr(row)
    assert 'secret-token-1' not in dump
    assert 'admin' not in dump and '127.0.1.9' not in dump


def test_delete_compares_the_token(store):
    store.put(KEY.digest, _token(2))
    other = identity.SharedTokenStore(token_store.DatabaseTokenRecords())
    other.delete(KEY.digest, 'secret-token-1')  # a late 401 for an older token
    assert other.get(KEY.digest, fresh=True).token_id == 'secret-token-2'
    other.delete(KEY.digest, 'secret-token-2')
    assert other.get(KEY.digest, fresh=True) is None
    # the first store still has its local copy until it sees a 401 or asks fresh
    assert store.get(KEY.digest, fresh=True) is None


def test_lease_is_exclusive_until_released_or_lapsed(store):
    records = token_store.DatabaseTokenRecords()
    assert records.acquire_lease(KEY.digest, 30)
    assert not records.acquire_lease(KEY.digest, 30)
    records.release_lease(KEY.digest)
    assert records.acquire_lease(KEY.digest, 0.01)
    time.sleep(0.05)
    assert records.acquire_lease(KEY.digest, 30)  # the earlier lease lapsed


def test_lease_race_has_one_winner(store):
    records = token_store.DatabaseTokenRecords()
    digest = identity.CacheKey('http://127.0.1.10:5001/v3', 'a', 'b', 'c', 'd').digest
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        grants = list(pool.map(lambda _: records.acquire_lease(digest, 30), range(8)))
    assert grants.count(True) == 1


def test_expired_tokens_are_not_served_and_are_purged(store):
    store.put(KEY.digest, _token(1, lifetime=-10))
    assert store.get(KEY.digest, fresh=True) is None
    other = identity.CacheKey('http://127.0.1.11:5001/v3', 'a', 'b', 'c', 'd')
    store.put(other.digest, _token(2))
    assert store.purge_expired() == 1
    assert [r['key_hash'] for r in _rows()] == [other.digest]


def test_token_cache_over_database_store(store):
    cache = identity.TokenCache(store, early_renewal_seconds=0, jitter_seconds=0,
                                renewal_timeout=5)
    calls = []

    def fetch():
        calls.append(1)
        return _token(len(calls))

    assert cache.get(KEY, fetch).token_id == 'secret-token-1'
    second_process = identity.TokenCache(
        identity.SharedTokenStore(token_store.DatabaseTokenRecords()),
        early_renewal_seconds=0, jitter_seconds=0, renewal_timeout=5)
    assert second_process.get(KEY, fetch).token_id == 'secret-token-1'
    assert len(calls) == 1


def test_a_renewal_leaves_the_lease_free_in_the_same_write(store):
    cache = identity.TokenCache(store, early_renewal_seconds=0, jitter_seconds=0,
                                renewal_timeout=30)
    assert cache.get(KEY, lambda: _token(1)).token_id == 'secret-token-1'
    row = _rows()[0]
    assert row['lease_until'] is None and row['token_ciphertext']
    # a renewal that fails gives the lease up too
    records = store.records
    with pytest.raises(exception.OutboundError):
        cache.get(identity.CacheKey('http://127.0.1.10:5001/v3', 'a', 'b', 'c', 'd'),
                  lambda: 1 / 0)
    assert all(r['lease_until'] is None for r in _rows())
    assert records.acquire_lease(KEY.digest, 30)


def test_concurrent_renewals_of_many_keys_all_land_and_free_their_leases(store):
    # 32 threads renewing 32 keys at once, each renewal two write transactions (on SQLite
    # queued on the process's writer mutex): all get through, none fails "database is
    # locked", and each key ends with its token and a free lease.
    cache = identity.TokenCache(store, early_renewal_seconds=0, jitter_seconds=0,
                                renewal_timeout=30)
    keys = [identity.CacheKey('http://127.0.1.%d:5001/v3' % (i + 1), 'admin', 'Default',
                              'admin', 'Default') for i in range(32)]
    with concurrent.futures.ThreadPoolExecutor(32) as pool:
        tokens = list(pool.map(lambda ik: cache.get(ik[1], lambda: _token(ik[0])),
                               enumerate(keys)))
    assert [t.token_id for t in tokens] == ['secret-token-%d' % i for i in range(32)]
    rows = _rows()
    assert len(rows) == 32 and all(r['lease_until'] is None for r in rows)


def test_leases_asked_for_together_are_written_in_one_transaction(store, monkeypatch):
    # While one write is in progress, the leases seven other threads ask for wait and then go
    # to the database together: two transactions for eight leases, each caller its own answer.
    records = store.records
    real = db_api.token_cache_write_many
    groups = []
    first_started, release_first = threading.Event(), threading.Event()

    def write_many(context, operations):
        groups.append([name for name, _ in operations])
        if len(groups) == 1:
            first_started.set()
            release_first.wait(10)
        return real(context, operations)

    monkeypatch.setattr(db_api, 'token_cache_write_many', write_many)
    digests = ['%064d' % i for i in range(8)]
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        first = pool.submit(records.acquire_lease_and_get, digests[0], 30)
        assert first_started.wait(10)
        rest = [pool.submit(records.acquire_lease_and_get, digest, 30) for digest in digests[1:]]
        deadline = time.monotonic() + 10
        while len(records._writes._pending) < 7 and time.monotonic() < deadline:
            time.sleep(0.01)
        release_first.set()
        answers = [first.result(10)] + [future.result(10) for future in rest]
    assert groups == [['acquire_lease'], ['acquire_lease'] * 7]
    assert answers == [(True, None)] * 8
    # and each lease is really held: a second try is refused
    assert all(not records.acquire_lease(digest, 30) for digest in digests)


def test_a_group_of_writes_gives_each_its_own_answer(store):
    # Set-based in one transaction, each operation answers as it would alone.
    ctx = store.records._ctx
    now = datetime.datetime.utcnow()
    soon, later = now + datetime.timedelta(seconds=30), now + datetime.timedelta(hours=1)
    db_api.token_cache_put(ctx, 'b' * 64, 'cipher-b', 'digest-b', later)     # lease free
    db_api.token_cache_acquire_lease(ctx, 'c' * 64, now, soon)               # lease held
    db_api.token_cache_acquire_lease(ctx, 'd' * 64, now, soon)               # ours, to put
    results = db_api.token_cache_write_many(ctx, [
        ('acquire_lease', ('a' * 64, now, soon)),
        ('acquire_lease', ('b' * 64, now, soon)),
        ('acquire_lease', ('c' * 64, now, soon)),
        ('put', ('d' * 64, 'cipher-d', 'digest-d', later, True)),
        ('put', ('e' * 64, 'cipher-e', 'digest-e', later, False)),
    ])
    assert results[0] == (True, None)
    granted, current = results[1]
    assert granted and current.token_ciphertext == 'cipher-b'
    assert results[2] == (False, None)
    assert results[3:] == [None, None]
    rows = {row['key_hash'][0]: row for row in _rows()}
    # (raw rows: SQLite gives timestamps as text, in str(datetime)'s format)
    assert {str(rows[key]['lease_until']) for key in 'abc'} == {str(soon)}
    assert (rows['d']['token_ciphertext'], rows['d']['lease_until']) == ('cipher-d', None)
    assert rows['e']['token_ciphertext'] == 'cipher-e'
    # a key twice in one group: in order, the second lease is refused
    again = db_api.token_cache_write_many(ctx, [('acquire_lease', ('f' * 64, now, soon)),
                                                ('acquire_lease', ('f' * 64, now, soon))])
    assert again == [(True, None), (False, None)]
