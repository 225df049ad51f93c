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

from oslo_db import exception as db_exc
import sqlalchemy as sa

from dcmanager.common import exception, states
from dcmanager.db.sqlalchemy import models
from dcmanager.db.sqlalchemy.api import main_context_manager, writer

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


# The columns a worker reads to audit a subcloud (not the whole row: this runs per audit).
_TARGET_COLUMNS = (_SC.id, _SC.name, _SC.bootstrap_address, _SC.management_state,
                   _SC.deploy_status, _SC.availability_status, _SC.audit_fail_count,
                   _SC.audit_lease_until, _SC.secrets)


@main_context_manager.reader
def subcloud_audit_get_claimed(context, subcloud_id, owner, now):
    return context.session.execute(
        sa.select(*_TARGET_COLUMNS).where(_SC.id == subcloud_id, _SC.audit_owner == owner,
                                          _SC.audit_lease_until >= now, _auditable())).first()


@writer
def subcloud_audit_renew(context, subcloud_id, owner, now, until):
    return bool(context.session.execute(
        _update(_SC).where(_SC.id == subcloud_id, _SC.audit_owner == owner,
                             _SC.audit_lease_until >= now)
        .values(_keep_updated_at({'audit_lease_until': until}))).rowcount)


@writer
def subcloud_audit_finish(context, subcloud_id, owner, now, values, endpoints_unknown,
                          alarms, touch):
    changes = dict(values, last_audit_at=now, audit_owner=None, audit_lease_until=None)
    if endpoints_unknown:
        changes['sync_status'] = states.SYNC_UNKNOWN
    if not touch:
        changes = _keep_updated_at(changes)
    # Still ours, and still auditable: a subcloud that became secondary or started a rehome
    # while it was being audited keeps the state its new owner gives it.
    written = context.session.execute(
        _update(_SC).where(_SC.id == subcloud_id, _SC.audit_owner == owner, _auditable())
        .values(changes)).rowcount
    if not written:
        _release(context, owner, [subcloud_id])
        return False
    if endpoints_unknown:
        context.session.execute(
            _update(models.SubcloudStatus)
            .where(models.SubcloudStatus.subcloud_id == subcloud_id,
                   models.SubcloudStatus.sync_status != states.SYNC_UNKNOWN)
            .values(sync_status=states.SYNC_UNKNOWN))
    if alarms is not None:
        _alarm_summary_set(context, subcloud_id, alarms)
    return True


# ---------------------------------------------------------------- alarm summary

_ALARM = models.SubcloudAlarmSummary


def _alarm_summary_set(context, subcloud_id, values):
    values = {name: values[name] for name in _ALARM_FIELDS}
    session = context.session
    current = session.execute(
        sa.select(*(getattr(_ALARM, name) for name in _ALARM_FIELDS))
        .where(_ALARM.subcloud_id == subcloud_id)).first()
    if current is not None:
        if tuple(current) != tuple(values.values()):
            session.execute(_update(_ALARM).where(_ALARM.subcloud_id == subcloud_id)
                            .values(values))
        return
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
def alarm_summary_set(context, subcloud_id, values):
    _alarm_summary_set(context, subcloud_id, values)


@main_context_manager.reader
def alarm_summary_get_all(context):
    return (context.session.query(_ALARM, _SC.name)
            .join(_SC, _SC.id == _ALARM.subcloud_id)
            .order_by(_ALARM.id.desc()).all())
