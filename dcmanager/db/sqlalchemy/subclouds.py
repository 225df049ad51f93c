"""Subclouds and their endpoint statuses (SQLAlchemy implementation).

State changes are compare-and-set updates (``expected`` columns in the WHERE clause:
``core.where_expected``). The rules the
schema cannot express — a management address range must not overlap another subcloud's, two
subclouds must not share a bootstrap address — are checked inside the writing transaction, after
the write: SQLite has the database write lock by then and PostgreSQL takes a transaction-scoped
advisory lock first, so two concurrent writers cannot both pass the check.

A transitory deploy status (``states.DEPLOY.transitory``) has an owner, ``deploy_owner``:
the manager that runs the operation. Every write of ``deploy_status`` writes the owner in the same
statement (the one given for a transitory status, NULL for any other), and the recovery of the
operations of a dead manager is one compare-and-set UPDATE on both
(``subcloud_recover_transitory``).
"""

import functools

from oslo_db import api as oslo_db_api
from oslo_db import exception as db_exc
import sqlalchemy as sa

from dcmanager.common import exception, network, states, subcloud_json
from dcmanager.db.sqlalchemy import models
from dcmanager.db.sqlalchemy.core import (
    main_context_manager,
    one_or_raise,
    recoverable,
    save,
    where_expected,
    writer,
)

_SC = models.Subcloud
_STATUS = models.SubcloudStatus

# Arbitrary constant naming the advisory lock that serialises address allocations (PostgreSQL).
_ADDRESS_LOCK = 0x5C0AD0

# The columns a list row carries (the list view formats them; see dcmanager.api.views).
LIST_COLUMNS = subcloud_json.COLUMNS
LIST_FILTERS = ('availability_status', 'management_state', 'deploy_status', 'group_id',
                'peer_group_id')


def _raw(column):
    """``column`` without result processing: the driver's own value (a list of thousands of rows
    must not parse every timestamp; the API view formats them)."""
    return sa.type_coerce(column, sa.types.NullType()).label(column.key)


_LIST_SELECT = sa.select(*(_raw(getattr(_SC, name)) for name in LIST_COLUMNS))

_ADDRESS_COLUMNS = ('management_start_ip', 'management_end_ip', 'bootstrap_address')
# What the key columns are derived from (see _write_address_keys), and the key columns.
_KEYED_COLUMNS = ('management_start_ip', 'management_end_ip', 'management_subnet')
_KEY_COLUMNS = ('management_first_key', 'management_last_key', 'management_subnet_first_key',
                'management_subnet_last_key')


def _subcloud_query(context):
    return context.session.query(_SC)


@main_context_manager.reader
def subcloud_get(context, subcloud_id):
    return one_or_raise(_subcloud_query(context).filter_by(id=subcloud_id),
                        exception.SubcloudNotFound())


@main_context_manager.reader
def subcloud_get_by_name(context, name):
    return one_or_raise(_subcloud_query(context).filter_by(name=name),
                        exception.SubcloudNotFound())


@main_context_manager.reader
def subcloud_get_by_region(context, region_name):
    return one_or_raise(_subcloud_query(context).filter_by(region_name=region_name),
                        exception.SubcloudNotFound())


# A subcloud read for display: a Core row (attributes named like the columns) of every column
# but the secrets. Built once, with bind parameters: a show is a couple of milliseconds, and
# building and keying statements anew for each would be a good part of it.
_SHOW_SELECT = sa.select(*(column for column in _SC.__table__.columns if column.key != 'secrets'))
_SHOW_BY_ID = _SHOW_SELECT.where(_SC.id == sa.bindparam('ref'))
_SHOW_BY_NAME = _SHOW_SELECT.where(_SC.name == sa.bindparam('ref'))
_STATUSES = (sa.select(_STATUS.endpoint_type, _STATUS.sync_status)
             .where(_STATUS.subcloud_id == sa.bindparam('subcloud_id'))
             .order_by(_STATUS.endpoint_type))


@main_context_manager.reader
def subcloud_get_with_statuses(context, subcloud_id=None, name=None):
    connection = context.session.connection()
    if name is None:
        subcloud = connection.execute(_SHOW_BY_ID, {'ref': subcloud_id}).first()
    else:
        subcloud = connection.execute(_SHOW_BY_NAME, {'ref': name}).first()
    if subcloud is None:
        raise exception.SubcloudNotFound()
    return subcloud, connection.execute(_STATUSES, {'subcloud_id': subcloud.id}).all()


@main_context_manager.reader
def subcloud_get_all(context, group_id=None, peer_group_id=None):
    query = _subcloud_query(context)
    if group_id is not None:
        query = query.filter_by(group_id=group_id)
    if peer_group_id is not None:
        query = query.filter_by(peer_group_id=peer_group_id)
    return query.order_by(_SC.id).all()


def filtered(stmt, filters):
    """``stmt`` (selecting from ``subclouds``) narrowed to the list ``filters``."""
    for name, value in (filters or {}).items():
        if name not in LIST_FILTERS:
            raise exception.InvalidInput(reason='Unknown filter: %s' % name)
        column = getattr(_SC, name)
        stmt = stmt.where(column.is_(None) if value is None else column == value)
    return stmt


def _list_rows(connection, filters, limit, marker):
    stmt = filtered(_LIST_SELECT, filters)
    if marker is not None:
        stmt = stmt.where(_SC.id > marker)
    stmt = stmt.order_by(_SC.id)
    if limit is not None:
        stmt = stmt.limit(limit)
    # Core rows: the ORM's per-row result machinery is not needed for plain columns.
    return connection.execute(stmt).all()


# The statuses of a list: one row per subcloud, its "<type>\x1f<status>" entries joined by
# "\x1e" (aggregate_strings: group_concat, string_agg...), instead of one row per endpoint (seven
# times as many rows to fetch for a list of thousands). The entries come in no set order (an
# ORDER BY inside the aggregate needs SQLite 3.44): they are sorted here. The separators are
# control characters, which no endpoint type or sync status (the names of states.py) has.
_FIELD_SEP, _ENTRY_SEP = '\x1f', '\x1e'
_LIST_STATUSES = sa.select(
    _STATUS.subcloud_id,
    sa.func.aggregate_strings(_STATUS.endpoint_type + _FIELD_SEP + _STATUS.sync_status,
                              _ENTRY_SEP)).group_by(_STATUS.subcloud_id)
_NO_STATUSES = ((), ())


def _statuses_by_row(rows, aggregated):
    """For each of ``rows``, ((endpoint_type, ...), (sync_status, ...)) by endpoint type, from
    the (subcloud id, joined entries) rows of ``_LIST_STATUSES``. Each distinct joined text is
    parsed once: a fleet has few distinct ones (all unknown, all in-sync...)."""
    parsed = {None: _NO_STATUSES}

    def parse(text):
        try:
            return parsed[text]
        except KeyError:
            pairs = sorted(entry.split(_FIELD_SEP, 1) for entry in text.split(_ENTRY_SEP))
            value = parsed[text] = (tuple(p[0] for p in pairs), tuple(p[1] for p in pairs))
            return value

    texts = dict(aggregated)
    return [parse(texts.get(row.id)) for row in rows]


def rows_and_statuses_of(connection, ids):
    """(rows, statuses) as ``subcloud_list_rows_with_statuses`` gives them, of the subclouds
    ``ids`` (those that exist), in the caller's transaction."""
    rows = connection.execute(_LIST_SELECT.where(_SC.id.in_(ids)).order_by(_SC.id)).all()
    aggregated = connection.execute(_LIST_STATUSES.where(_STATUS.subcloud_id.in_(ids))).all()
    return rows, _statuses_by_row(rows, aggregated)


@main_context_manager.reader
def subcloud_list_rows_with_statuses(context, filters=None, limit=None, marker=None):
    connection = context.session.connection()
    rows = _list_rows(connection, filters, limit, marker)
    if not rows:
        return rows, []
    # The statuses of the listed subclouds: those in the id range of the list (and, filtered,
    # of a subcloud that passes the filters), in one more SELECT and the same transaction.
    stmt = _LIST_STATUSES.where(_STATUS.subcloud_id >= rows[0].id,
                                _STATUS.subcloud_id <= rows[-1].id)
    if filters:
        stmt = filtered(stmt.join(_SC, _SC.id == _STATUS.subcloud_id), filters)
    return rows, _statuses_by_row(rows, connection.execute(stmt).all())


def _subnet_clash(session, text, exclude_id=None):
    keys = network.subnet_keys(text)
    if keys is None:
        return None
    first, last = keys
    others = _SC.id != exclude_id if exclude_id is not None else sa.true()
    row = session.execute(
        sa.select(_SC.name, _SC.management_subnet)
        .where(others, _SC.management_subnet_first_key <= last,
               _SC.management_subnet_last_key >= first).limit(1)).first()
    if row is not None:
        return tuple(row)
    # Rows without keys (written by hand, outside these writers): parsed one by one.
    unkeyed = session.execute(
        sa.select(_SC.name, _SC.management_subnet)
        .where(others, _SC.management_subnet_first_key.is_(None),
               _SC.management_subnet.isnot(None))).all()
    return network.subnet_overlapping(text, [tuple(r) for r in unkeyed])


@main_context_manager.reader
def subcloud_subnet_clash(context, text, exclude_id=None):
    return _subnet_clash(context.session, text, exclude_id)


def _address_keys(start, end, subnet):
    """The key columns of a management range and subnet (None where one does not parse)."""
    range_keys = (network.range_keys(start, end) if start and end else None) or (None, None)
    subnet_keys = (network.subnet_keys(subnet) if subnet else None) or (None, None)
    return dict(zip(_KEY_COLUMNS, range_keys + subnet_keys, strict=True))


def _write_address_keys(session, subcloud_id):
    """Bring the subcloud's key columns up to date with its addresses (its updated-at
    unchanged: the keys are derived data, not a change of the subcloud)."""
    start, end, subnet = session.execute(
        sa.select(_SC.management_start_ip, _SC.management_end_ip, _SC.management_subnet)
        .where(_SC.id == subcloud_id)).one()
    session.execute(sa.update(_SC).where(_SC.id == subcloud_id).values(
        updated_at=_SC.updated_at, **_address_keys(start, end, subnet))
        .execution_options(synchronize_session=False))


def _lock_addresses(session):
    if session.get_bind().dialect.name == 'postgresql':
        session.execute(sa.text('SELECT pg_advisory_xact_lock(:key)'), {'key': _ADDRESS_LOCK})


def _check_addresses(session, subcloud_id):
    """Refuse (InvalidInput) a management range or bootstrap address another subcloud has:
    index lookups (the key columns, the bootstrap address), and the rows without keys one by
    one."""
    start, end, address, first, last = session.execute(
        sa.select(_SC.management_start_ip, _SC.management_end_ip, _SC.bootstrap_address,
                  _SC.management_first_key, _SC.management_last_key)
        .where(_SC.id == subcloud_id)).one()
    others = _SC.id != subcloud_id
    if address:
        other = session.execute(sa.select(_SC.name).where(
            others, _SC.bootstrap_address == address).limit(1)).scalar()
        if other is not None:
            raise exception.InvalidInput(
                reason='bootstrap-address %s is already used by subcloud %s' % (address, other))
    if not (start and end):
        return
    clash = None
    if first is not None and last is not None:
        clash = session.execute(
            sa.select(_SC.name, _SC.management_start_ip, _SC.management_end_ip)
            .where(others, _SC.management_first_key <= last,
                   _SC.management_last_key >= first).limit(1)).first()
    if clash is None:
        unkeyed = session.execute(
            sa.select(_SC.name, _SC.management_start_ip, _SC.management_end_ip)
            .where(others, _SC.management_first_key.is_(None),
                   _SC.management_start_ip.isnot(None))).all()
        clash = network.overlapping(start, end, [tuple(row) for row in unkeyed])
    if clash is not None:
        raise exception.InvalidInput(
            reason='management address range %s-%s overlaps the range %s-%s of subcloud %s'
            % (start, end, clash[1], clash[2], clash[0]))


def _translate_write_error(error, values):
    if isinstance(error, db_exc.DBDuplicateEntry):
        columns = error.columns or []
        if 'name' in columns:
            return exception.SubcloudNameTaken(name=values.get('name'))
        if 'region_name' in columns:
            return exception.Conflict(reason='region %s is already used by another subcloud'
                                      % values.get('region_name'))
        return exception.InvalidInput(reason='another subcloud already uses this %s'
                                      % ', '.join(columns or ['value']))
    return exception.InvalidInput(reason='Invalid group_id')


def _with_owner(values, owner):
    """``values`` with ``deploy_owner`` as the deploy status they write requires: ``owner`` for
    a transitory status, NULL for any other. Values that write no deploy status are unchanged."""
    if 'deploy_status' not in values:
        return values
    transitory = states.DEPLOY.is_transitory(values['deploy_status'])
    return dict(values, deploy_owner=owner if transitory else None)


@writer
def subcloud_create(context, values, owner=None):
    session = context.session
    _lock_addresses(session)
    # No deploy status given is the column's default, not-deployed: a transitory one too.
    values = _with_owner(dict(values, deploy_status=values.get(
        'deploy_status', states.DEPLOY_NOT_DEPLOYED)), owner)
    values = dict(values, **_address_keys(*(values.get(c) for c in _KEYED_COLUMNS)))
    subcloud = _SC()
    subcloud.update(values)
    translated = functools.partial(_translate_write_error, values=values)
    save(session, subcloud, taken=translated, invalid=translated)
    _check_addresses(session, subcloud.id)
    for endpoint in states.ENDPOINT_TYPES:
        session.add(_STATUS(subcloud_id=subcloud.id, endpoint_type=endpoint,
                            sync_status=states.SYNC_UNKNOWN))
    return subcloud


@writer
def subcloud_update(context, subcloud_id, values, expected=None, endpoint_status=None,
                    out_of_sync_groups=(), out_of_sync_copies=()):
    session = context.session
    checks_addresses = any(column in values for column in _ADDRESS_COLUMNS)
    if checks_addresses:
        _lock_addresses(session)
    if 'deploy_status' in values:
        values = _with_owner(values, values.get('deploy_owner'))
    if values:
        stmt = where_expected(sa.update(_SC).where(_SC.id == subcloud_id), _SC, expected)
        try:
            updated = session.execute(stmt.values(**values)).rowcount
        except (db_exc.DBDuplicateEntry, db_exc.DBReferenceError) as e:
            raise _translate_write_error(e, values) from None
        if not updated:
            one_or_raise(_subcloud_query(context).filter_by(id=subcloud_id),
                         exception.SubcloudNotFound())
            raise exception.SubcloudChanged()
    if any(column in values for column in _KEYED_COLUMNS):
        _write_address_keys(session, subcloud_id)
    if checks_addresses:
        _check_addresses(session, subcloud_id)
    if endpoint_status:
        _set_endpoint_status(session, subcloud_id, endpoint_status)
    if out_of_sync_groups:
        _mark_associations_out_of_sync(session, out_of_sync_groups)
    if out_of_sync_copies:
        _mark_associations_out_of_sync(session, out_of_sync_copies,
                                       states.ASSOCIATION_NON_PRIMARY)
    session.expire_all()
    return one_or_raise(_subcloud_query(context).filter_by(id=subcloud_id),
                        exception.SubcloudNotFound())


def _mark_associations_out_of_sync(session, peer_group_ids,
                                   association_type=states.ASSOCIATION_PRIMARY):
    """The primary associations of these peer groups no longer match the peer site's copy (a
    running sync's own compare-and-set then fails: it synced what changed since); or, with
    ``association_type`` non-primary, this site's copies hold data the primary site has not."""
    assoc = models.PeerGroupAssociation
    session.execute(sa.update(assoc).where(
        assoc.peer_group_id.in_(sorted(peer_group_ids)),
        assoc.association_type == association_type).values(
        sync_status=states.ASSOCIATION_SYNC_OUT_OF_SYNC, sync_owner=None))


@writer
def subcloud_transition(context, subcloud_id, from_status, values, owner=None):
    values = _with_owner(values, owner)
    stmt = sa.update(_SC).where(_SC.id == subcloud_id, _SC.deploy_status == from_status)
    if owner is not None and states.DEPLOY.is_transitory(from_status):
        # Only the owner moves its operation on (NULL: a row written without one).
        stmt = stmt.where(sa.or_(_SC.deploy_owner == owner, _SC.deploy_owner.is_(None)))
    try:
        return context.session.execute(stmt.values(**values)).rowcount == 1
    except db_exc.DBDuplicateEntry as e:
        raise _translate_write_error(e, values) from None


# Two managers may recover at once: on PostgreSQL the second UPDATE waits for the first's row
# locks and then skips the rows no longer transitory; should the database still pick it as a
# deadlock victim, the whole (idempotent) statement is run again.
@oslo_db_api.wrap_db_retry(max_retries=3, retry_on_deadlock=True)
@writer
def subcloud_recover_transitory(context, recoveries, host, binary, down_time, at_start=False):
    session = context.session
    status = _SC.deploy_status
    recoveries = sorted(recoveries, key=lambda recovery: recovery.state)
    stmt = (sa.update(_SC)
            .where(status.in_([recovery.state for recovery in recoveries]),
                   recoverable(session, _SC.deploy_owner, host, binary, down_time, at_start))
            .values(deploy_status=sa.case({r.state: r.target for r in recoveries}, value=status),
                    error_description=sa.case({r.state: r.description for r in recoveries},
                                              value=status),
                    deploy_owner=None))
    return session.execute(stmt.execution_options(synchronize_session=False)).rowcount


@writer
def subcloud_delete_if_allowed(context, subcloud_id, secondary=False):
    if secondary:
        allowed = (_SC.deploy_status.in_(sorted(states.SECONDARY_DEPLOY_STATES)),)
    else:
        allowed = (_SC.management_state != states.MANAGED, _SC.peer_group_id.is_(None),
                   _SC.deploy_status.not_in(sorted(states.DELETE_BLOCKING_DEPLOY_STATES)))
    deleted = context.session.execute(
        sa.delete(_SC).where(_SC.id == subcloud_id, *allowed)).rowcount
    if deleted:
        return
    # Nothing deleted: say why, from the same transaction.
    row = one_or_raise(_subcloud_query(context).filter_by(id=subcloud_id),
                       exception.SubcloudNotFound())
    if secondary:
        raise exception.SubcloudNotSecondary(name=row.name, state=row.deploy_status)
    if row.management_state == states.MANAGED:
        raise exception.SubcloudNotDeletableManaged()
    if row.peer_group_id is not None:
        raise exception.SubcloudNotDeletablePeerGroup()
    raise exception.SubcloudNotDeletableBusy()


@writer
def subcloud_destroy(context, subcloud_id):
    deleted = _subcloud_query(context).filter_by(id=subcloud_id).delete(synchronize_session=False)
    if not deleted:
        raise exception.SubcloudNotFound()


@main_context_manager.reader
def subcloud_get_secrets(context, subcloud_id):
    row = one_or_raise(context.session.query(_SC.secrets).filter_by(id=subcloud_id),
                       exception.SubcloudNotFound())
    return row.secrets


# ---------------------------------------------------------------- endpoint statuses

def _endpoint_statuses(session, subcloud_id):
    return session.connection().execute(_STATUSES, {'subcloud_id': subcloud_id}).all()


@main_context_manager.reader
def subcloud_endpoint_status_get(context, subcloud_id):
    return _endpoint_statuses(context.session, subcloud_id)


@writer
def subcloud_endpoint_status_update(context, subcloud_id, statuses):
    one_or_raise(context.session.query(_SC.id).filter_by(id=subcloud_id),
                 exception.SubcloudNotFound())
    _set_endpoint_status(context.session, subcloud_id, statuses)


def _set_endpoint_status(session, subcloud_id, statuses):
    """Write ``statuses`` ({endpoint type: status}; key None = every endpoint not named; status
    None = leave that endpoint as it is) and the aggregate, in the caller's transaction.

    The subcloud's row is locked first (PostgreSQL): every writer of a subcloud and its
    statuses takes the subcloud row, then the status rows, then (their triggers) the stored
    list row, in that order, so that two of them cannot deadlock."""
    if session.get_bind().dialect.name != 'sqlite':
        session.execute(sa.select(_SC.id).where(_SC.id == subcloud_id).with_for_update())
    others = statuses.get(None)
    named = {k: v for k, v in statuses.items() if k is not None}
    for endpoint, status in named.items():
        if status is None:
            continue
        updated = session.execute(
            sa.update(_STATUS).where(_STATUS.subcloud_id == subcloud_id,
                                     _STATUS.endpoint_type == endpoint)
            .values(sync_status=status)).rowcount
        if not updated:
            session.add(_STATUS(subcloud_id=subcloud_id, endpoint_type=endpoint,
                                sync_status=status))
    if others is not None:
        session.execute(sa.update(_STATUS).where(_STATUS.subcloud_id == subcloud_id,
                                                 _STATUS.endpoint_type.not_in(list(named)))
                        .values(sync_status=others))
    session.flush()
    recompute_sync_status(session, [subcloud_id])


def recompute_sync_status(session, subcloud_ids):
    """Set ``subclouds.sync_status`` of ``subcloud_ids`` from their endpoint statuses, in one
    statement: every endpoint in-sync -> in-sync; any out-of-sync -> out-of-sync; otherwise (an
    unknown endpoint, or none at all) unknown."""
    status = _STATUS
    mine = status.subcloud_id == _SC.id
    any_out = sa.exists().where(mine, status.sync_status == states.SYNC_OUT_OF_SYNC)
    any_not_in = sa.exists().where(mine, status.sync_status != states.SYNC_IN_SYNC)
    any_row = sa.exists().where(mine)
    aggregate = sa.case(
        (any_out, states.SYNC_OUT_OF_SYNC),
        (sa.or_(any_not_in, ~any_row), states.SYNC_UNKNOWN),
        else_=states.SYNC_IN_SYNC)
    # updated_at is left alone: the aggregate is derived data, not a change of the subcloud.
    session.execute(sa.update(_SC).where(_SC.id.in_(list(subcloud_ids)))
                    .values(sync_status=aggregate, updated_at=_SC.updated_at))


@writer
def subcloud_update_members(context, peer_group_id, from_statuses, values):
    """Write ``values`` on every member of the peer group whose deploy status is one of
    ``from_statuses``, in one statement; how many were written."""
    stmt = (sa.update(_SC)
            .where(_SC.peer_group_id == peer_group_id, _SC.deploy_status.in_(from_statuses))
            .values(**_with_owner(values, None)))
    return context.session.execute(stmt.execution_options(synchronize_session=False)).rowcount
