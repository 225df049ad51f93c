"""The token cache of the identity layer (SQLAlchemy implementation).

Core statements on the table: these run once or twice per token request of a whole fleet, where
the ORM's per-statement work was most of their cost. A row holds a key's encrypted token and its
renewal lease; the lease is taken by compare-and-set, and a group of writes of many keys
(``token_cache_write_many``) is a few set-based statements in one transaction.
"""

from oslo_db import api as oslo_db_api
from oslo_db import exception as db_exc
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from dcmanager.db.sqlalchemy import models
from dcmanager.db.sqlalchemy.core import main_context_manager, writer

_TC = models.TokenCache.__table__


def _tc_key(key_hash):
    return _TC.c.key_hash == key_hash


def _tc_insert(context, values):
    """Insert a row; False if a concurrent writer created it first.

    PostgreSQL and SQLite say so with ``ON CONFLICT DO NOTHING`` (no savepoint: two round
    trips fewer); other databases get a savepoint around a plain insert.
    """
    session = context.session
    dialect = session.get_bind().dialect.name
    if dialect in _ON_CONFLICT_INSERT:
        stmt = (_ON_CONFLICT_INSERT[dialect](_TC).values(values).on_conflict_do_nothing()
                .returning(_TC.c.key_hash))  # (the rowcount of an insert is not reliable)
        return session.execute(stmt).first() is not None
    try:
        with session.begin_nested():
            session.execute(sa.insert(_TC).values(values))
    except db_exc.DBDuplicateEntry:
        return False
    return True


_ON_CONFLICT_INSERT = {'postgresql': postgresql.insert, 'sqlite': sqlite.insert}


@main_context_manager.reader
def token_cache_get(context, key_hash):
    return token_cache_get_many(context, [key_hash])[key_hash]


@main_context_manager.reader
def token_cache_get_many(context, key_hashes):
    found = {row.key_hash: row for row in context.session.execute(
        sa.select(_TC.c.key_hash, _TC.c.token_ciphertext, _TC.c.expires_at)
        .where(_TC.c.key_hash.in_(sorted(set(key_hashes))),
               _TC.c.token_ciphertext.is_not(None)))}
    return {key_hash: found.get(key_hash) for key_hash in key_hashes}


@writer
def token_cache_put(context, key_hash, ciphertext, token_digest, expires_at, release_lease=False):
    _tc_put(context, key_hash, ciphertext, token_digest, expires_at, release_lease)


def _tc_put(context, key_hash, ciphertext, token_digest, expires_at, release_lease):
    values = {'token_ciphertext': ciphertext, 'token_digest': token_digest,
              'expires_at': expires_at}
    if release_lease:
        values['lease_until'] = None
    update = sa.update(_TC).where(_tc_key(key_hash)).values(values)
    if context.session.execute(update).rowcount:
        return
    if not _tc_insert(context, dict(values, key_hash=key_hash)):
        context.session.execute(update)


@writer
def token_cache_delete(context, key_hash, token_digest):
    return context.session.execute(
        sa.update(_TC).where(_tc_key(key_hash), _TC.c.token_digest == token_digest)
        .values(token_ciphertext=None, token_digest=None, expires_at=None)).rowcount


@writer
def token_cache_acquire_lease(context, key_hash, now, until):
    return _tc_acquire_lease(context, key_hash, now, until)


def _tc_acquire_lease(context, key_hash, now, until):
    session = context.session
    query = sa.select(_TC.c.lease_until, _TC.c.token_ciphertext, _TC.c.expires_at).where(
        _tc_key(key_hash))
    if session.get_bind().dialect.name != 'sqlite':
        query = query.with_for_update()  # SQLite: the writer holds the database lock already
    row = session.execute(query).first()
    if row is None:
        return _tc_insert(context, {'key_hash': key_hash, 'lease_until': until}), None
    current = row if row.token_ciphertext is not None else None
    if row.lease_until is not None and row.lease_until >= now:
        return False, current
    session.execute(sa.update(_TC).where(_tc_key(key_hash)).values(lease_until=until))
    return True, current


_TC_WRITES = {'acquire_lease': _tc_acquire_lease, 'put': _tc_put}


# Two processes' groups may lock overlapping keys in different orders (PostgreSQL): should the
# database pick one as a deadlock victim, the whole group is run again (its transaction was
# rolled back: nothing of it was written).
@oslo_db_api.wrap_db_retry(max_retries=3, retry_on_deadlock=True)
@writer
def token_cache_write_many(context, operations):
    keys = [args[0] for _, args in operations]
    if len(set(keys)) < len(keys) or context.session.get_bind().dialect.name \
            not in _ON_CONFLICT_INSERT:
        # One key twice (the order between them matters), or no multi-row upsert: one by one.
        return [_TC_WRITES[name](context, *args) for name, args in operations]
    results = [None] * len(operations)
    leases = [(index, args) for index, (name, args) in enumerate(operations)
              if name == 'acquire_lease']
    puts = [args for name, args in operations if name == 'put']
    if leases:
        acquired = _tc_acquire_leases(context, [args for _, args in leases])
        for (index, _), result in zip(leases, acquired, strict=True):
            results[index] = result
    if puts:
        _tc_put_many(context, puts)
    return results


# The set-based forms of _tc_acquire_lease and _tc_put for a group of distinct keys: a few
# statements for the whole group instead of two or three per key.

_TC_LEASE_UPDATE = (sa.update(_TC).where(_TC.c.key_hash == sa.bindparam('b_key'))
                    .values(lease_until=sa.bindparam('b_until')))


def _tc_put_update(release_lease):
    values = {'token_ciphertext': sa.bindparam('b_ciphertext'),
              'token_digest': sa.bindparam('b_digest'),
              'expires_at': sa.bindparam('b_expires_at')}
    if release_lease:
        values['lease_until'] = None
    return sa.update(_TC).where(_TC.c.key_hash == sa.bindparam('b_key')).values(values)


_TC_PUT_UPDATE = {True: _tc_put_update(True), False: _tc_put_update(False)}


def _tc_acquire_leases(context, many):
    """``many``: the arguments of _tc_acquire_lease for distinct keys; the result of each."""
    session = context.session
    query = sa.select(_TC.c.key_hash, _TC.c.lease_until, _TC.c.token_ciphertext,
                      _TC.c.expires_at).where(_TC.c.key_hash.in_(sorted(k for k, _, _ in many)))
    if session.get_bind().dialect.name != 'sqlite':
        query = query.with_for_update()
    rows = {row.key_hash: row for row in session.execute(query)}
    missing = [(key, until) for key, _, until in many if key not in rows]
    inserted = set()
    if missing:
        insert = _ON_CONFLICT_INSERT[session.get_bind().dialect.name](_TC)
        inserted = set(session.execute(
            insert.values([{'key_hash': key, 'lease_until': until} for key, until in missing])
            .on_conflict_do_nothing().returning(_TC.c.key_hash)).scalars())
    results, granted = [], []
    for key, now, until in many:
        row = rows.get(key)
        if row is None:  # created now, or by a concurrent writer (its lease, then)
            results.append((key in inserted, None))
            continue
        current = row if row.token_ciphertext is not None else None
        free = row.lease_until is None or row.lease_until < now
        if free:
            granted.append({'b_key': key, 'b_until': until})
        results.append((free, current))
    if granted:
        session.execute(_TC_LEASE_UPDATE, granted)
    return results


def _tc_put_many(context, puts):
    """``puts``: the arguments of _tc_put for distinct keys."""
    session = context.session
    existing = set(session.execute(
        sa.select(_TC.c.key_hash).where(_TC.c.key_hash.in_(sorted(args[0] for args in puts))))
        .scalars())
    for release_lease in (False, True):
        params = [{'b_key': key, 'b_ciphertext': ciphertext, 'b_digest': digest,
                   'b_expires_at': expires_at}
                  for key, ciphertext, digest, expires_at, release in puts
                  if key in existing and bool(release) is release_lease]
        if params:
            session.execute(_TC_PUT_UPDATE[release_lease], params)
    for args in puts:
        if args[0] not in existing:  # purged meanwhile (rare): the upsert of one
            _tc_put(context, *args)


@writer
def token_cache_release_lease(context, key_hash):
    context.session.execute(sa.update(_TC).where(_tc_key(key_hash)).values(lease_until=None))


@writer
def token_cache_purge(context, now):
    row = models.TokenCache
    return context.session.query(row).filter(
        sa.or_(row.expires_at.is_(None), row.expires_at < now),
        sa.or_(row.lease_until.is_(None), row.lease_until < now),
    ).delete(synchronize_session=False)
