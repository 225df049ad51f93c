"""The SQLite file database keeps a pool of connections (dcmanager.db.sqlalchemy.core), and every
pooled connection is set up as a new one would be (WAL, busy timeout, foreign keys)."""

import concurrent.futures
import subprocess
import sys
import textwrap

import pytest
import sqlalchemy as sa

from dcmanager.db import api as db_api
from dcmanager.db.sqlalchemy import core as db_core


@pytest.fixture
def engine(site):
    engine = db_api.get_engine()
    if engine.dialect.name != 'sqlite':
        pytest.skip('SQLite only')
    return engine


def _pragmas(engine):
    with engine.connect() as conn:
        return tuple(conn.execute(sa.text('PRAGMA %s' % name)).scalar()
                     for name in ('journal_mode', 'busy_timeout', 'foreign_keys'))


def test_connections_are_pooled_and_reused(engine):
    assert isinstance(engine.pool, sa.pool.QueuePool)
    seen = set()
    for _ in range(50):
        with engine.connect() as conn:
            seen.add(id(conn.connection.dbapi_connection))
    # other threads of the site may hold some: still a handful, not one per transaction
    assert len(seen) <= db_core.SQLITE_POOL_SIZE


FORK_SCRIPT = textwrap.dedent('''
    import os, sys
    from dcmanager.conf import CONF
    from dcmanager.db import api as db_api, migration
    from dcmanager.common import context
    CONF([], project='dcmanager', default_config_files=[])
    CONF.set_override('connection', sys.argv[1], group='database')
    migration.upgrade()
    ctx = context.get_admin_context()
    engine = db_api.get_engine()
    assert db_api.subcloud_group_get(ctx, 1).name == 'Default'
    with engine.connect() as conn:
        inherited = conn.connection.dbapi_connection
    pid = os.fork()
    if pid == 0:
        db_api.dispose_engine()  # what every forked service does first
        with engine.connect() as conn:
            fresh = conn.connection.dbapi_connection
        ok = fresh is not inherited and db_api.subcloud_group_get(ctx, 1).name == 'Default'
        try:
            inherited.total_changes  # a closed handle raises; an open one is left to the parent
        except Exception:
            os._exit(4)
        os._exit(0 if ok else 3)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, status
    # the parent's pooled connection was left alone by the child
    with engine.connect() as conn:
        assert conn.connection.dbapi_connection is inherited
        conn.exec_driver_sql('SELECT 1').scalar()
    db_api.dispose_engine()  # at stop, in the owner: closed
    print('ok')
''')


def test_a_forked_child_leaves_the_parents_connections_alone(engine, tmp_path):
    db = tmp_path / 'fork.sqlite'
    result = subprocess.run([sys.executable, '-c', FORK_SCRIPT, 'sqlite:///%s' % db],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and result.stdout.strip() == 'ok', result.stderr[-2000:]


def test_pooled_connections_are_set_up(engine):
    assert _pragmas(engine) == ('wal', 30000, 1)


def test_many_threads_share_the_pool(engine, site):
    ctx = site.context()

    def read(_):
        return db_api.subcloud_group_get(ctx, 1).name, _pragmas(engine)

    with concurrent.futures.ThreadPoolExecutor(32) as pool:
        results = list(pool.map(read, range(200)))
    assert set(results) == {('Default', ('wal', 30000, 1))}


def test_dispose_keeps_the_pool(engine):
    db_api.dispose_engine()
    assert isinstance(engine.pool, sa.pool.QueuePool)
    assert _pragmas(engine) == ('wal', 30000, 1)
