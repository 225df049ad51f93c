"""The engine, its transactions and the helpers every table family shares.

``dcmanager.db.api`` is implemented by one module per table family (``subclouds``, ``groups``,
``audit``, ``token_cache``, ``services``, ``system_peers``, ``peer_groups``, ``associations``);
they all stand on this one.

Transactions come from oslo.db's enginefacade: each public function of a family is one reader or
writer transaction bound to the request context (``main_context_manager.reader``, ``writer``),
or joins the caller's (``transaction``). Races are settled by the database (unique constraints,
compare-and-set updates: ``where_expected``), never by process-local locks. (On SQLite the
writers of a process also queue on one mutex before asking the database for its write lock: see
``writer``. That orders them; it decides nothing.)
"""

import contextlib
import datetime
import functools
import os
import threading

from oslo_db import exception as db_exc
from oslo_db.sqlalchemy import enginefacade
from oslo_log import log as logging
import sqlalchemy as sa

from dcmanager.db.sqlalchemy import models

LOG = logging.getLogger(__name__)

main_context_manager = enginefacade.transaction_context()
# Real threads, not eventlet: no sleep(0) at every connection check-in (it only handed the GIL
# round at each transaction).
main_context_manager.configure(thread_checkin=False)


def _on_connect_sqlite(dbapi_connection, connection_record):
    cursor = dbapi_connection.cursor()
    # WAL lets the API read while the manager writes; the busy timeout makes writers queue
    # instead of failing at once when two threads or processes write together.
    cursor.execute('PRAGMA journal_mode=WAL')
    cursor.execute('PRAGMA busy_timeout=30000')
    cursor.execute('PRAGMA foreign_keys=ON')
    # SQLite's default page cache is 2 MB: the stored list rows of thousands of subclouds (7 MB
    # at 5,000) were read again from the file at every list. The cache grows only as pages are
    # read, up to this bound (KiB), per connection.
    cursor.execute('PRAGMA cache_size=-%d' % SQLITE_CACHE_KIB)
    cursor.close()


SQLITE_CACHE_KIB = 32 * 1024

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
    """The engine of ``[database] connection`` (created at first use)."""
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


# ---------------------------------------------------------------- shared helpers

def one_or_raise(query, exc):
    """The first row of ``query``, or raise ``exc`` (the family's NotFound) if there is none."""
    row = query.first()
    if row is None:
        raise exc
    return row


def save(session, row, taken, invalid=None):
    """Add ``row`` (a no-op for a loaded one) and flush it, the constraints deciding: returns it.

    A unique constraint violated (DBDuplicateEntry) raises ``taken`` instead, the family's 409
    (its ``...NameTaken``/``...Exists``); with ``invalid``, a foreign key naming no row
    (DBReferenceError) raises ``invalid``, a 400. Each is an exception, or a function of the
    driver's error that returns one (when which column clashed decides).
    """
    try:
        session.add(row)
        session.flush()
    except db_exc.DBDuplicateEntry as error:
        raise _translated(taken, error) from None
    except db_exc.DBReferenceError as error:
        if invalid is None:
            raise
        raise _translated(invalid, error) from None
    return row


def _translated(exc, error):
    return exc if isinstance(exc, BaseException) else exc(error)


def where_expected(stmt, model, expected):
    """``stmt`` (an UPDATE or DELETE of ``model``) narrowed to rows that still hold
    ``expected``: {column name: value, a collection of values (any of them), or None (NULL)}.

    The compare-and-set of every state change: the statement's rowcount says whether the row
    still matched, and a concurrent change in between makes it match nothing.
    """
    for name, value in (expected or {}).items():
        column = getattr(model, name)
        if isinstance(value, (set, frozenset, tuple, list)):
            stmt = stmt.where(column.in_(list(value)))
        elif value is None:
            stmt = stmt.where(column.is_(None))
        else:
            stmt = stmt.where(column == value)
    return stmt


def database_now(session):
    """The current time by the database's clock, naive UTC.

    Heartbeats are written and compared by it: the managers of a site run on several hosts,
    whose own clocks may disagree. (SQLite is one host's file: its clock is that host's.)
    """
    dialect = session.get_bind().dialect.name
    if dialect == 'postgresql':
        now = sa.func.timezone('UTC', sa.func.now(), type_=sa.DateTime)
    elif dialect in ('mysql', 'mariadb'):
        now = sa.func.utc_timestamp(6, type_=sa.DateTime)
    else:
        now = sa.func.strftime('%Y-%m-%d %H:%M:%f', 'now', type_=sa.DateTime)
    return session.execute(sa.select(now)).scalar_one()


_SVC = models.Service


def recoverable(session, owner, host, binary, down_time, at_start):
    """Which rows ``host`` recovers, by their ``owner`` column: those whose owner has no
    heartbeat of ``binary`` newer than ``down_time`` seconds (never its own), and at start its
    own and those without an owner.

    A condition for the WHERE clause of a recovery's compare-and-set UPDATE, shared by every
    family with a transitory state that a manager owns (subclouds, association syncs...).
    """
    cutoff = database_now(session) - datetime.timedelta(seconds=down_time)
    alive = sa.exists().where(_SVC.host == owner, _SVC.binary == binary,
                              _SVC.updated_at >= cutoff)
    if at_start:
        return sa.or_(owner.is_(None), owner == host, ~alive)
    return sa.and_(owner.is_not(None), owner != host, ~alive)
