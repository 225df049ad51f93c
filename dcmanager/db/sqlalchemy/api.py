"""SQLAlchemy implementation of ``dcmanager.db.api``.

Transactions come from oslo.db's enginefacade: each public function is one reader or writer
transaction bound to the request context. Races are settled by the database (unique constraints,
compare-and-set updates), never by process-local locks. (On SQLite the writers of a process also
queue on one mutex before asking the database for its write lock: see ``writer``. That orders
them; it decides nothing.)
"""

import contextlib
import functools
import os
import threading

from oslo_db import api as oslo_db_api
from oslo_db import exception as db_exc
from oslo_db.sqlalchemy import enginefacade
from oslo_log import log as logging
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from dcmanager.common import exception, states
from dcmanager.db.sqlalchemy import models

LOG = logging.getLogger(__name__)

main_context_manager = enginefacade.transaction_context()


def _on_connect_sqlite(dbapi_connection, connection_record):
    cursor = dbapi_connection.cursor()
    # WAL lets the API read while the manager writes; the busy timeout makes writers queue
    # instead of failing at once when two threads or processes write together.
    cursor.execute('PRAGMA journal_mode=WAL')
    cursor.execute('PRAGMA busy_timeout=30000')
    cursor.execute('PRAGMA foreign_keys=ON')
    cursor.close()


# Idle SQLite connections kept for reuse (see _pool_sqlite_file).
SQLITE_POOL_SIZE = 8


def _pool_sqlite_file(engine):
    """Give a SQLite file database a pool of reused connections.

    oslo.db puts a NullPool on SQLite files: a new connection, with its PRAGMAs, for every
    transaction, which costs about 1 ms, more than most of our reads. Here connections are kept
    (``SQLITE_POOL_SIZE`` idle ones, the last returned used first; more are opened when needed
    and closed on return, so nobody ever waits for a slot). A pooled connection serves one
    thread at a time, so it may be opened with ``check_same_thread=False``. The events oslo.db
    and we registered on the pool are carried over, as ``Pool.recreate()`` does.
    ``dispose_engine`` (after fork) keeps the pool's class and leaves the parent's connections
    alone.
    """
    if not isinstance(engine.pool, sa.pool.NullPool):
        return
    cargs, cparams = engine.dialect.create_connect_args(engine.url)
    cparams = dict(cparams, check_same_thread=False)
    old = engine.pool
    engine.pool = sa.pool.QueuePool(
        lambda: engine.dialect.connect(*cargs, **cparams), pool_size=SQLITE_POOL_SIZE,
        max_overflow=-1, use_lifo=True, reset_on_return='rollback', dialect=engine.dialect,
        _dispatch=old.dispatch)
    old.dispose()


# The process whose connections the engine's pool holds (see dispose_engine).
_pool_owner_pid = None


def _on_engine_create(engine):
    global _pool_owner_pid
    _pool_owner_pid = os.getpid()
    if engine.dialect.name == 'sqlite':
        sa.event.listen(engine, 'connect', _on_connect_sqlite)
        _pool_sqlite_file(engine)


main_context_manager.append_on_engine_create(_on_engine_create)


def get_engine():
    return main_context_manager.writer.get_engine()


def dispose_engine():
    """Drop pooled connections (after fork, at stop).

    In a forked child the pooled connections are the parent's: they are forgotten, not closed
    (closing them would end the parent's PostgreSQL sessions, and an SQLite handle must not be
    used across fork()); the child opens its own.
    """
    global _pool_owner_pid
    engine = main_context_manager.writer.get_engine()
    inherited = _pool_owner_pid is not None and _pool_owner_pid != os.getpid()
    engine.dispose(close=not inherited)
    _pool_owner_pid = os.getpid()
    if inherited:
        global _sqlite_writers
        _sqlite_writers = threading.RLock()  # the parent's may have been held at fork()


_SQLITE_WRITE_LOCK = sa.text('UPDATE subcloud_group SET id = id WHERE 0')

# The SQLite writers of this process, one at a time (see writer).
_sqlite_writers = threading.RLock()


def writer(fn):
    """``main_context_manager.writer``, plus, on SQLite: queue, then take the write lock first.

    An SQLite transaction that reads and then writes cannot wait for another writer: its
    upgrade fails at once with "database is locked" (waiting could deadlock). A zero-row update
    as the first statement makes every write transaction a writer from its start, so it queues
    on the busy timeout like any other.

    And the busy timeout is a poor queue: a writer that finds the lock taken sleeps in steps
    that grow to 100 ms, so under load the lock is idle most of the time while dozens of threads
    sleep (an audit cycle's token writes took 0.7 s each). The writers of one process therefore
    wait on a mutex first and reach the database one at a time; only writers of other processes
    meet on the busy timeout. The mutex is re-entrant: a writer called inside another joins its
    transaction. Other databases need none of this.
    """
    @functools.wraps(fn)
    def wrapper(context, *args, **kwargs):
        with transaction(context):
            return fn(context, *args, **kwargs)
    return wrapper


@contextlib.contextmanager
def transaction(context):
    """One write transaction for the whole block, with ``writer``'s SQLite queueing.

    The writers called inside join it (enginefacade nests them in the outer transaction, and the
    SQLite mutex is re-entrant): an exception out of the block rolls back every write made in
    it, and nothing is committed before the block ends.
    """
    if get_engine().dialect.name != 'sqlite':
        with main_context_manager.writer.using(context):
            yield
        return
    with _sqlite_writers, main_context_manager.writer.using(context) as session:
        session.execute(_SQLITE_WRITE_LOCK)
        yield


def _one_or_raise(query, exc):
    row = query.first()
    if row is None:
        raise exc
    return row


# ---------------------------------------------------------------- subcloud groups

def _group_query(context):
    return context.session.query(models.SubcloudGroup)


@main_context_manager.reader
def subcloud_group_get(context, group_id):
    return _one_or_raise(_group_query(context).filter_by(id=group_id),
                         exception.SubcloudGroupNotFound())


@main_context_manager.reader
def subcloud_group_get_by_name(context, name):
    return _one_or_raise(_group_query(context).filter_by(name=name),
                         exception.SubcloudGroupNotFound())


@main_context_manager.reader
def subcloud_group_get_all(context):
    return _group_query(context).order_by(models.SubcloudGroup.id).all()


@main_context_manager.reader
def subcloud_group_subcloud_counts(context):
    rows = (context.session.query(models.Subcloud.group_id, sa.func.count(models.Subcloud.id))
            .group_by(models.Subcloud.group_id).all())
    return dict(rows)


@writer
def subcloud_group_create(context, values):
    group = models.SubcloudGroup()
    group.update(values)
    try:
        context.session.add(group)
        context.session.flush()
    except db_exc.DBDuplicateEntry:
        raise exception.SubcloudGroupNameTaken() from None
    return group


@writer
def subcloud_group_update(context, group_id, values):
    group = _one_or_raise(_group_query(context).filter_by(id=group_id),
                          exception.SubcloudGroupNotFound())
    group.update(values)
    try:
        context.session.flush()
    except db_exc.DBDuplicateEntry:
        raise exception.SubcloudGroupNameTaken() from None
    return group


@writer
def subcloud_group_destroy(context, group_id):
    members = sa.select(models.Subcloud.id).where(models.Subcloud.group_id == group_id)
    try:
        deleted = (_group_query(context)
                   .filter(models.SubcloudGroup.id == group_id, ~members.exists())
                   .delete(synchronize_session=False))
    except db_exc.DBReferenceError:
        raise exception.SubcloudGroupNotEmpty() from None
    if deleted:
        return
    # Nothing deleted: tell the caller why, from the same transaction.
    _one_or_raise(_group_query(context).filter_by(id=group_id),
                  exception.SubcloudGroupNotFound())
    raise exception.SubcloudGroupNotEmpty()


@writer
def subcloud_group_ensure_default(context):
    """Create the Default group (id 1) if it is missing; the migrations seed it too."""
    if _group_query(context).filter_by(id=states.DEFAULT_GROUP_ID).first() is None:
        context.session.add(models.SubcloudGroup(
            id=states.DEFAULT_GROUP_ID, name=states.DEFAULT_GROUP_NAME,
            description=states.DEFAULT_GROUP_DESCRIPTION,
            update_apply_type=states.APPLY_PARALLEL,
            max_parallel_subclouds=states.DEFAULT_GROUP_MAX_PARALLEL))
        context.session.flush()
        if context.session.get_bind().dialect.name == 'postgresql':
            # An explicit id does not advance PostgreSQL's sequence: without this the next group
            # would be given id 1 too (a primary-key clash reported as "name taken"). Never moves
            # the sequence back, so ids of deleted groups are not handed out again.
            context.session.execute(sa.text(
                "SELECT setval(seq, GREATEST((SELECT max(id) FROM subcloud_group),"
                " COALESCE(pg_sequence_last_value(seq::regclass), 1)))"
                " FROM (SELECT pg_get_serial_sequence('subcloud_group', 'id') AS seq) AS s"))


# ---------------------------------------------------------------- token cache
#
# Core statements on the table: these run once or twice per token request of a whole fleet,
# where the ORM's per-statement work was most of their cost.

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


# ---------------------------------------------------------------- services (heartbeats)
#
# Heartbeats are written and compared by the database's clock: the managers of a site run on
# several hosts, whose own clocks may disagree. (SQLite is one host's file: its clock is that
# host's.)

_SVC = models.Service.__table__


def database_now(session):
    """The current time by the database's clock, naive UTC."""
    dialect = session.get_bind().dialect.name
    if dialect == 'postgresql':
        now = sa.func.timezone('UTC', sa.func.now(), type_=sa.DateTime)
    elif dialect in ('mysql', 'mariadb'):
        now = sa.func.utc_timestamp(6, type_=sa.DateTime)
    else:
        now = sa.func.strftime('%Y-%m-%d %H:%M:%f', 'now', type_=sa.DateTime)
    return session.execute(sa.select(now)).scalar_one()


@writer
def service_heartbeat(context, host, binary, now=None):
    session = context.session
    now = database_now(session) if now is None else now
    where = sa.and_(_SVC.c.host == host, _SVC.c.binary == binary)
    update = sa.update(_SVC).where(where).values(updated_at=now)
    if session.execute(update).rowcount:
        return
    try:
        with session.begin_nested():
            session.execute(sa.insert(_SVC).values(host=host, binary=binary, created_at=now,
                                                   updated_at=now))
    except db_exc.DBDuplicateEntry:
        session.execute(update)  # a concurrent first heartbeat of the same service


@main_context_manager.reader
def service_get_all(context, binary=None):
    stmt = sa.select(_SVC.c.host, _SVC.c.binary, _SVC.c.created_at, _SVC.c.updated_at)
    if binary is not None:
        stmt = stmt.where(_SVC.c.binary == binary)
    return context.session.execute(stmt.order_by(_SVC.c.host, _SVC.c.binary)).all()
