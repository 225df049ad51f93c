"""The rendered list row of every subcloud (``subcloud_list_rows``) and of every alarm summary
(``subcloud_alarms.body``), never stale.

``GET /v1.0/subclouds`` answers with thousands of rows; encoding them anew at each request was
most of its cost. Each subcloud's row is kept here as its JSON text
(``dcmanager.common.subcloud_json.row_text``), and a list is the concatenation of the stored
texts, one query per page.

Why it cannot go stale, whoever writes:

- The database invalidates. Triggers (migration 0010) give every new subcloud its row (``body``
  NULL), and set ``body`` to NULL in the statement that changes a column of the list row
  (``subcloud_json.COLUMNS``) or inserts, changes or deletes one of its endpoint statuses; a
  deleted subcloud's row goes with it (foreign key, cascade). No writer can forget: the trigger
  is part of its own statement.
- Writers render before they commit. A write transaction that wrote ``subclouds`` or
  ``subcloud_status`` renders every row it left NULL just before its commit (session
  ``before_commit``), in the same transaction: readers never see it NULL. On PostgreSQL the
  trigger's UPDATE holds the list row's lock until the commit, so two writers of one subcloud
  render one after the other, the second seeing the first's changes; rows another transaction
  holds are skipped (``SKIP LOCKED``: that one renders them).
- Readers render what is NULL anyway (a write made outside a session, a row left by a version
  without this table): in their own transaction, from the same columns, written nowhere.

An alarm summary's row (``GET /v1.0/alarms``) is kept the same way, in the summary's own
``body``: NULL when inserted, set back to NULL when the summary or its subcloud's name changes.

Only SQLite and PostgreSQL have the triggers; on another database every read renders (the
straightforward path of ``subclouds.subcloud_list_rows_with_statuses``).
"""

import threading

import sqlalchemy as sa
from sqlalchemy import orm

from dcmanager.common import exception, subcloud_json
from dcmanager.db.sqlalchemy import core, models
from dcmanager.db.sqlalchemy import subclouds as subclouds_db

_SC = models.Subcloud
_ROWS = models.SubcloudListRow
_ALARM = models.SubcloudAlarmSummary
DIALECTS = ('sqlite', 'postgresql')

# Statements that may leave list rows NULL (the triggers' tables); what SQLAlchemy compiles
# starts so on every dialect.
_WRITES = ('UPDATE subclouds ', 'INSERT INTO subclouds ', 'UPDATE subcloud_status ',
           'INSERT INTO subcloud_status ', 'DELETE FROM subcloud_status ',
           'UPDATE subcloud_alarms ', 'INSERT INTO subcloud_alarms ')
_RENDER_CHUNK = 500

# Whether the transaction of this thread's session wrote one of the triggers' tables.
_pending = threading.local()


def cached(connection):
    """Whether this database keeps the list rows up to date (it has the triggers)."""
    return connection.dialect.name in DIALECTS


def _render(connection, ids):
    """{id: row text} of the subclouds ``ids`` (sorted; those that exist), from their columns."""
    texts = {}
    for start in range(0, len(ids), _RENDER_CHUNK):
        chunk = ids[start:start + _RENDER_CHUNK]
        rows, statuses = subclouds_db.rows_and_statuses_of(connection, chunk)
        for row, row_statuses in zip(rows, statuses, strict=True):
            texts[row.id] = subcloud_json.row_text(row._mapping, row_statuses)
    return texts


_STALE = sa.select(_ROWS.subcloud_id).where(_ROWS.body.is_(None)).order_by(_ROWS.subcloud_id)
_STORE = (sa.update(_ROWS.__table__)
          .where(_ROWS.__table__.c.subcloud_id == sa.bindparam('b_id'))
          .values(body=sa.bindparam('b_body')))


# An alarm summary's row: its id, then the values of subcloud_json.ALARM_KEYS.
_ALARM_VALUES = sa.select(_ALARM.id, _SC.name, _ALARM.uuid, _ALARM.critical_alarms,
                          _ALARM.major_alarms, _ALARM.minor_alarms, _ALARM.warnings,
                          _ALARM.cloud_status).join_from(_ALARM, _SC, _SC.id == _ALARM.subcloud_id)
_ALARM_STALE = sa.select(_ALARM.id).where(_ALARM.body.is_(None)).order_by(_ALARM.id)
_ALARM_STORE = (sa.update(_ALARM.__table__)
                .where(_ALARM.__table__.c.id == sa.bindparam('b_id'))
                .values(body=sa.bindparam('b_body')))


def _render_alarms(connection, ids):
    """{summary id: row text} of the alarm summaries ``ids`` (those that exist)."""
    texts = {}
    for start in range(0, len(ids), _RENDER_CHUNK):
        chunk = ids[start:start + _RENDER_CHUNK]
        for row in connection.execute(_ALARM_VALUES.where(_ALARM.id.in_(chunk))):
            texts[row[0]] = subcloud_json.alarm_text(row[1:])
    return texts


def _stale_ids(connection, stmt):
    if connection.dialect.name == 'postgresql':
        stmt = stmt.with_for_update(skip_locked=True)
    return connection.execute(stmt).scalars().all()


def refresh(connection):
    """Render and store every NULL list row and alarm summary row, in the caller's
    transaction; how many."""
    if not cached(connection):
        return 0
    count = 0
    for stale, render, store in ((_STALE, _render, _STORE),
                                 (_ALARM_STALE, _render_alarms, _ALARM_STORE)):
        ids = _stale_ids(connection, stale)
        texts = render(connection, ids) if ids else {}
        if texts:
            connection.execute(store, [{'b_id': i, 'b_body': t} for i, t in texts.items()])
        count += len(texts)
    return count


@core.writer
def subcloud_list_rows_refresh(context):
    return refresh(context.session.connection())


# ---------------------------------------------------------------- the writers' side

def _after_cursor_execute(conn, cursor, statement, parameters, context, executemany):
    if statement.startswith(_WRITES):
        _pending.wrote = True


def _after_begin(session, transaction, connection):
    _pending.wrote = False


def _before_commit(session):
    if getattr(_pending, 'wrote', False):
        _pending.wrote = False
        refresh(session.connection())


def _on_engine_create(engine):
    sa.event.listen(engine, 'after_cursor_execute', _after_cursor_execute)


core.main_context_manager.append_on_engine_create(_on_engine_create)
sa.event.listen(orm.Session, 'after_begin', _after_begin)
sa.event.listen(orm.Session, 'before_commit', _before_commit)


# ---------------------------------------------------------------- the readers' side

def _texts(connection, rows, render=_render):
    """The texts (ASCII bytes) of (id, body) ``rows``, NULL bodies rendered (and left NULL)."""
    missing = [row[0] for row in rows if row[1] is None]
    if not missing:
        return [row[1] for row in rows]
    rendered = render(connection, sorted(missing))
    return [row[1] if row[1] is not None else rendered[row[0]].encode('ascii') for row in rows
            if row[1] is not None or row[0] in rendered]


def _list_select(dialect, key, body):
    """SELECT key, body: on SQLite the body as a BLOB, which the driver hands over as the bytes
    it stores (no decoding of megabytes of text into a str to be encoded again)."""
    if dialect == 'sqlite':
        return sa.select(key, sa.cast(body, sa.LargeBinary))
    return sa.select(key, body)


_LISTS = {dialect: _list_select(dialect, _ROWS.subcloud_id, _ROWS.body) for dialect in DIALECTS}
_ALARM_LIST = sa.select(_ALARM.id, _ALARM.body).order_by(_ALARM.id.desc())


def _as_bytes(rows):
    return [(i, None if body is None else body.encode('ascii')) for i, body in rows]


# The unfiltered list (by (marker given, limit given)) and the alarm list on SQLite: through the
# driver's own cursor, its rows as the plain tuples it makes (the result rows of SQLAlchemy cost
# a tenth of a full list of thousands).
_SQLITE_LISTS = {
    (marker, limit): 'SELECT subcloud_id, CAST(body AS BLOB) FROM subcloud_list_rows%s '
                     'ORDER BY subcloud_id%s' % (' WHERE subcloud_id > ?' if marker else '',
                                                 ' LIMIT ?' if limit else '')
    for marker in (False, True) for limit in (False, True)}


_SQLITE_ALARMS = 'SELECT id, CAST(body AS BLOB) FROM subcloud_alarms ORDER BY id DESC'


def _sqlite_rows(connection, sql, params=()):
    cursor = connection.connection.cursor()
    try:
        return cursor.execute(sql, params).fetchall()
    finally:
        cursor.close()


def _sqlite_list(connection, limit, marker):
    params = tuple(value for value in (marker, limit) if value is not None)
    return _sqlite_rows(connection, _SQLITE_LISTS[marker is not None, limit is not None], params)


# The whole list as one text, joined by the database: (joined, rows, rendered rows), ordered as
# the list. A list of thousands then costs one step of the driver instead of one per row (the
# SQLite driver lets go of Python's lock at each row: with several requests at once, that was
# tens of thousands of lock handovers per list), and no join in Python. SQLite joins in the order
# of the subquery (which it keeps: an aggregate over an ordered subquery is not flattened).
_JOINED = {
    ('sqlite', 'subclouds'):
        "SELECT CAST(group_concat(body, ', ') AS BLOB), count(*), count(body) FROM "
        '(SELECT body FROM subcloud_list_rows ORDER BY subcloud_id)',
    ('sqlite', 'alarms'):
        "SELECT CAST(group_concat(body, ', ') AS BLOB), count(*), count(body) FROM "
        '(SELECT body FROM subcloud_alarms ORDER BY id DESC)',
    ('postgresql', 'subclouds'):
        "SELECT string_agg(body, ', ' ORDER BY subcloud_id), count(*), count(body) "
        'FROM subcloud_list_rows',
    ('postgresql', 'alarms'):
        "SELECT string_agg(body, ', ' ORDER BY id DESC), count(*), count(body) "
        'FROM subcloud_alarms',
}


def _joined(connection, which):
    """[the texts of the whole list ``which`` joined by ', '] ([] when empty), or None when a
    row is not rendered (then read row by row, which renders it)."""
    joined, total, rendered = connection.execute(
        sa.text(_JOINED[connection.dialect.name, which])).one()
    if total != rendered:
        return None
    if not total:
        return []
    return [joined.encode('ascii') if isinstance(joined, str) else bytes(joined)]


@core.main_context_manager.reader
def subcloud_list_texts(context, filters=None, limit=None, marker=None):
    connection = context.session.connection()
    if not cached(connection):
        return None
    dialect = connection.dialect.name
    if not filters and limit is None and marker is None:
        joined = _joined(connection, 'subclouds')
        if joined is not None:
            return None, joined
    if dialect == 'sqlite' and not filters:
        rows = _sqlite_list(connection, limit, marker)
        return [row[0] for row in rows], _texts(connection, rows)
    stmt = _LISTS[dialect]
    if filters:
        stmt = subclouds_db.filtered(stmt.join(_SC, _SC.id == _ROWS.subcloud_id), filters)
    if marker is not None:
        stmt = stmt.where(_ROWS.subcloud_id > marker)
    stmt = stmt.order_by(_ROWS.subcloud_id)
    if limit is not None:
        stmt = stmt.limit(limit)
    rows = connection.execute(stmt).all()
    if dialect != 'sqlite':
        rows = _as_bytes(rows)
    return [row[0] for row in rows], _texts(connection, rows)



def _show_select(stmt, column):
    if column == 'id':
        return stmt.where(_ROWS.subcloud_id == sa.bindparam('ref'))
    return (stmt.join(_SC, _SC.id == _ROWS.subcloud_id)
            .where(getattr(_SC, column) == sa.bindparam('ref')))


# (dialect, column) -> SELECT id, body of the subcloud whose column is :ref.
_SHOW = {(dialect, column): _show_select(stmt, column)
         for dialect, stmt in _LISTS.items() for column in ('id', 'name', 'region_name')}


@core.main_context_manager.reader
def subcloud_show_text(context, subcloud_id=None, name=None, region_name=None):
    connection = context.session.connection()
    if not cached(connection):
        return None
    column, ref = (('id', subcloud_id) if subcloud_id is not None else
                   ('name', name) if name is not None else ('region_name', region_name))
    dialect = connection.dialect.name
    rows = connection.execute(_SHOW[dialect, column], {'ref': ref}).all()
    if dialect != 'sqlite':
        rows = _as_bytes(rows)
    texts = _texts(connection, rows[:1])
    if not texts:
        raise exception.SubcloudNotFound()
    return texts[0]


@core.main_context_manager.reader
def alarm_summary_list_texts(context):
    connection = context.session.connection()
    if not cached(connection):
        return None
    joined = _joined(connection, 'alarms')
    if joined is not None:
        return joined
    if connection.dialect.name == 'sqlite':
        rows = _sqlite_rows(connection, _SQLITE_ALARMS)
    else:
        rows = _as_bytes(connection.execute(_ALARM_LIST).all())
    return _texts(connection, rows, _render_alarms)
