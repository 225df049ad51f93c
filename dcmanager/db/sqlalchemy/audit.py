"""The subcloud audit's claims and results, and the alarm summary (SQLAlchemy implementation).

A claim is ``subclouds.audit_owner`` (a token) with ``audit_lease_until``: taken by compare-and-set
(only where no live lease is held), checked (and, if need be, renewed) when a worker starts the
audit, and given up by the write of the result. Every write of a worker is conditional on its
token still being the owner, so a worker whose claim lapsed and was taken over cannot overwrite
newer results. Times are naive UTC.

The audit's bookkeeping writes (claim, renewal, release, an unchanged result) keep ``updated_at``:
the API shows it as the subcloud's last change, which an audit every 30 s must not churn.
"""

import uuid

from oslo_db import api as oslo_db_api
from oslo_db import exception as db_exc
import sqlalchemy as sa

from dcmanager.common import exception, states
from dcmanager.db.sqlalchemy import models
from dcmanager.db.sqlalchemy.core import main_context_manager, writer

_SC = models.Subcloud
_ALARM_FIELDS = ('critical_alarms', 'major_alarms', 'minor_alarms', 'warnings', 'cloud_status')


def _lease_free(now):
    return sa.or_(_SC.audit_lease_until.is_(None), _SC.audit_lease_until < now)


def _auditable():
    """Deploy status allows an audit, and an offline subcloud is not in an expected outage."""
    return sa.and_(
        _SC.deploy_status.in_(sorted(states.AUDITABLE_DEPLOY_STATES)),
        sa.not_(sa.and_(_SC.availability_status == states.OFFLINE,
                        _SC.deploy_status.in_(sorted(states.NOT_AUDITED_WHEN_OFFLINE)))))


def _due(now, due_before):
    return sa.and_(_auditable(),
                   sa.or_(_SC.last_audit_at.is_(None), _SC.last_audit_at <= due_before),
                   _lease_free(now))


def _update(model):
    # Nothing of these rows is held in the session: no need to synchronize it.
    return sa.update(model).execution_options(synchronize_session=False)


def _keep_updated_at(values):
    # A column given a value in the SET clause does not get its onupdate default.
    return dict(values, updated_at=_SC.updated_at)


@main_context_manager.reader
def subcloud_audit_due(context, now, due_before, limit):
    never_first = sa.case((_SC.last_audit_at.is_(None), 0), else_=1)
    return list(context.session.execute(
        sa.select(_SC.id).where(_due(now, due_before))
        .order_by(never_first, _SC.last_audit_at, _SC.id).limit(limit)).scalars())


@writer
def subcloud_audit_claim(context, subcloud_ids, owner, now, until, due_before):
    if not subcloud_ids:
        return []
    # Compare-and-set: a row another claimer took in the meantime no longer matches _due (its
    # lease is live), and the database serializes concurrent updates of one row.
    context.session.execute(
        _update(_SC).where(_SC.id.in_(subcloud_ids), _due(now, due_before))
        .values(_keep_updated_at({'audit_owner': owner, 'audit_lease_until': until})))
    return list(context.session.execute(
        sa.select(_SC.id).where(_SC.id.in_(subcloud_ids), _SC.audit_owner == owner)
        .order_by(_SC.id)).scalars())


def _release(context, owner, subcloud_ids=None):
    stmt = _update(_SC).where(_SC.audit_owner == owner)
    if subcloud_ids is not None:
        stmt = stmt.where(_SC.id.in_(subcloud_ids))
    return context.session.execute(
        stmt.values(_keep_updated_at({'audit_owner': None, 'audit_lease_until': None}))).rowcount


@writer
def subcloud_audit_release(context, owner, subcloud_ids=None):
    return _release(context, owner, subcloud_ids)


# The columns a worker reads to audit a subcloud (not the whole row: this runs per batch).
_TARGET_COLUMNS = (_SC.id, _SC.name, _SC.bootstrap_address, _SC.management_state,
                   _SC.deploy_status, _SC.availability_status, _SC.audit_fail_count,
                   _SC.audit_lease_until, _SC.secrets)


@main_context_manager.reader
def subcloud_audit_get_claimed(context, subcloud_ids, owner, now):
    if not subcloud_ids:
        return []
    return list(context.session.execute(
        sa.select(*_TARGET_COLUMNS).where(_SC.id.in_(subcloud_ids), _SC.audit_owner == owner,
                                          _SC.audit_lease_until >= now, _auditable())
        .order_by(_SC.id)))


@writer
def subcloud_audit_renew(context, subcloud_ids, owner, now, until):
    if not subcloud_ids:
        return []
    context.session.execute(
        _update(_SC).where(_SC.id.in_(subcloud_ids), _SC.audit_owner == owner,
                           _SC.audit_lease_until >= now)
        .values(_keep_updated_at({'audit_lease_until': until})))
    return list(context.session.execute(
        sa.select(_SC.id).where(_SC.id.in_(subcloud_ids), _SC.audit_owner == owner,
                                _SC.audit_lease_until == until).order_by(_SC.id)).scalars())


# The result writes are executemany statements over the table (Core, not ORM bulk updates): one
# round trip for a whole group of results, whatever their values. Bound names differ from the
# column names, as Core requires of an UPDATE's own parameters.
_T = _SC.__table__


def _result_update(touch):
    values = {'availability_status': sa.bindparam('b_availability'),
              'audit_fail_count': sa.bindparam('b_fail_count'),
              'last_audit_at': sa.bindparam('b_now'),
              'audit_owner': None, 'audit_lease_until': None}
    if not touch:
        values['updated_at'] = _T.c.updated_at
    return sa.update(_T).where(_T.c.id == sa.bindparam('b_id')).values(values)


_RESULT_UPDATE = {True: _result_update(True), False: _result_update(False)}
_RELEASE_ONE = (sa.update(_T)
                .where(_T.c.id == sa.bindparam('b_id'), _T.c.audit_owner == sa.bindparam('b_owner'))
                .values(audit_owner=None, audit_lease_until=None, updated_at=_T.c.updated_at))


# Groups of two workers lock disjoint claims, but a stale claim can overlap: should PostgreSQL
# pick a group as a deadlock victim, it is run again (its transaction was rolled back).
@oslo_db_api.wrap_db_retry(max_retries=3, retry_on_deadlock=True)
@writer
def subcloud_audit_finish(context, now, results):
    if not results:
        return set()
    session = context.session
    ids = sorted({r['id'] for r in results})
    # Which of the (subcloud, owner) pairs still hold their claim on an auditable subcloud; the
    # rows are locked (SQLite: the writer holds the database lock already) so that no claim
    # changes hands between this look and the writes.
    query = sa.select(_SC.id, _SC.audit_owner).where(
        _SC.id.in_(ids), _SC.audit_owner.in_(sorted({r['owner'] for r in results})),
        _auditable())
    if session.get_bind().dialect.name != 'sqlite':
        query = query.with_for_update()
    held = {tuple(row) for row in session.execute(query)}
    written = [r for r in results if (r['id'], r['owner']) in held]
    dropped = [r for r in results if (r['id'], r['owner']) not in held]
    for touch in (False, True):
        params = [{'b_id': r['id'], 'b_availability': r['availability_status'],
                   'b_fail_count': r['audit_fail_count'],
                   'b_now': r.get('audited_at') or now}
                  for r in written if bool(r['touch']) is touch]
        if params:
            session.execute(_RESULT_UPDATE[touch], params)
    unknown = sorted(r['id'] for r in written if r['endpoints_unknown'])
    if unknown:
        session.execute(_update(_SC).where(_SC.id.in_(unknown))
                        .values(_keep_updated_at({'sync_status': states.SYNC_UNKNOWN})))
        session.execute(
            _update(models.SubcloudStatus)
            .where(models.SubcloudStatus.subcloud_id.in_(unknown),
                   models.SubcloudStatus.sync_status != states.SYNC_UNKNOWN)
            .values(sync_status=states.SYNC_UNKNOWN))
    alarms = {r['id']: r['alarms'] for r in written if r['alarms'] is not None}
    if alarms:
        _alarm_summaries_set(context, alarms)
    if dropped:
        # Not ours any more (nothing to do), or ours on a subcloud that left the auditable
        # states: give that claim up, the state its new owner gives it stays.
        session.execute(_RELEASE_ONE, [{'b_id': r['id'], 'b_owner': r['owner']}
                                       for r in dropped])
    return {(r['id'], r['owner']) for r in written}


# ---------------------------------------------------------------- alarm summary

_ALARM = models.SubcloudAlarmSummary


_ALARM_T = _ALARM.__table__
_ALARM_UPDATE = (sa.update(_ALARM_T).where(_ALARM_T.c.subcloud_id == sa.bindparam('b_id'))
                 .values({name: sa.bindparam('b_' + name) for name in _ALARM_FIELDS}))


def _alarm_summaries_set(context, summaries):
    """Store ``summaries`` ({subcloud id: values}); rows already holding them are not written."""
    session = context.session
    current = {row[0]: tuple(row[1:]) for row in session.execute(
        sa.select(_ALARM.subcloud_id, *(getattr(_ALARM, name) for name in _ALARM_FIELDS))
        .where(_ALARM.subcloud_id.in_(sorted(summaries))))}
    changed = []
    for subcloud_id, values in sorted(summaries.items()):
        values = {name: values[name] for name in _ALARM_FIELDS}
        if subcloud_id not in current:
            _alarm_summary_create(context, subcloud_id, values)
        elif current[subcloud_id] != tuple(values.values()):
            changed.append(dict({'b_' + name: value for name, value in values.items()},
                                b_id=subcloud_id))
    if changed:
        session.execute(_ALARM_UPDATE, changed)


def _alarm_summary_create(context, subcloud_id, values):
    session = context.session
    try:
        with session.begin_nested():
            session.execute(sa.insert(_ALARM).values(uuid=str(uuid.uuid4()),
                                                     subcloud_id=subcloud_id, **values))
    except db_exc.DBDuplicateEntry:
        # Created by a concurrent writer since our look: write over it.
        session.execute(_update(_ALARM).where(_ALARM.subcloud_id == subcloud_id)
                        .values(values))
    except db_exc.DBReferenceError:
        raise exception.SubcloudNotFound() from None


@writer
def alarm_summary_create(context, subcloud_id, values):
    context.session.execute(sa.insert(_ALARM).values(
        uuid=str(uuid.uuid4()), subcloud_id=subcloud_id,
        **{name: values[name] for name in _ALARM_FIELDS}))


@writer
def alarm_summary_set(context, subcloud_id, values):
    _alarm_summaries_set(context, {subcloud_id: values})


@main_context_manager.reader
def alarm_summary_get_all(context, columns=None):
    if columns is None:
        return (context.session.query(_ALARM, _SC.name)
                .join(_SC, _SC.id == _ALARM.subcloud_id)
                .order_by(_ALARM.id.desc()).all())
    stmt = (sa.select(_SC.name, *(getattr(_ALARM, name) for name in columns))
            .join_from(_ALARM, _SC, _SC.id == _ALARM.subcloud_id)
            .order_by(_ALARM.id.desc()))
    # Core rows: the ORM's per-row result machinery is not needed for plain columns.
    return context.session.connection().execute(stmt).all()
