"""Watching the peer sites (SQLAlchemy implementation): the heartbeat state of each system peer,
the lease of the manager that watches it, the associations' status on a heartbeat transition,
and the site's own alarms.

A peer is watched by one manager at a time: the one whose lease (``monitor_owner``,
``monitor_lease_until``) is current. Claims and results are compare-and-sets on that lease,
so two managers never count the same heartbeat, and a manager that died is taken over when its
lease ends.
"""

import datetime

import sqlalchemy as sa

from dcmanager.common import states
from dcmanager.db.sqlalchemy import models
from dcmanager.db.sqlalchemy.core import main_context_manager, writer

_PEER = models.SystemPeer
_ASSOC = models.PeerGroupAssociation
_ALARM = models.SiteAlarm


def _lease_free(owner, now):
    return sa.or_(_PEER.monitor_owner.is_(None), _PEER.monitor_owner == owner,
                  _PEER.monitor_lease_until.is_(None), _PEER.monitor_lease_until < now)


@main_context_manager.reader
def watched_peers(context):
    """(id, heartbeat_interval) of the system peers that have an association of either type."""
    used = sa.select(_ASSOC.id).where(_ASSOC.system_peer_id == _PEER.id).exists()
    return [tuple(row) for row in context.session.execute(
        sa.select(_PEER.id, _PEER.heartbeat_interval).where(used).order_by(_PEER.id))]


@writer
def claim_heartbeat(context, peer_id, interval, owner, now, lease_until):
    """Take (or keep) the watch of the peer when its heartbeat is due at ``now``; the next one
    is then due ``interval`` seconds later. True if this manager is to run it."""
    stmt = (sa.update(_PEER)
            .where(_PEER.id == peer_id, _lease_free(owner, now),
                   sa.or_(_PEER.next_heartbeat_at.is_(None), _PEER.next_heartbeat_at <= now))
            .values(monitor_owner=owner, monitor_lease_until=lease_until,
                    next_heartbeat_at=now + datetime.timedelta(seconds=interval)))
    return bool(context.session.execute(
        stmt.execution_options(synchronize_session=False)).rowcount)


@writer
def record_heartbeat(context, peer_id, owner, success):
    """Count the heartbeat's result (the watcher's only): None if this manager no longer
    watches the peer, else (consecutive failures, availability state)."""
    failures = 0 if success else _PEER.heartbeat_failures + 1
    updated = context.session.execute(
        sa.update(_PEER).where(_PEER.id == peer_id, _PEER.monitor_owner == owner)
        .values(heartbeat_failures=failures).execution_options(synchronize_session=False))
    if not updated.rowcount:
        return None
    row = context.session.execute(
        sa.select(_PEER.heartbeat_failures, _PEER.availability_state)
        .where(_PEER.id == peer_id)).one()
    return row.heartbeat_failures, row.availability_state


# A primary association's status when its peer site stops answering, and when it is back.
_ON_UNAVAILABLE = {states.ASSOCIATION_SYNC_IN_SYNC: states.ASSOCIATION_SYNC_UNKNOWN,
                   states.ASSOCIATION_SYNC_UNKNOWN: states.ASSOCIATION_SYNC_UNKNOWN}
_ON_AVAILABLE = {states.ASSOCIATION_SYNC_UNKNOWN: states.ASSOCIATION_SYNC_IN_SYNC,
                 states.ASSOCIATION_SYNC_FAILED: states.ASSOCIATION_SYNC_OUT_OF_SYNC}


@writer
def set_peer_availability(context, peer_id, owner, availability, message=None):
    """Move the watched peer to ``availability`` and its primary associations with it, in one
    transaction: True if moved (the watcher's, and not there already)."""
    moved = context.session.execute(
        sa.update(_PEER).where(_PEER.id == peer_id, _PEER.monitor_owner == owner,
                               _PEER.availability_state != availability)
        .values(availability_state=availability)
        .execution_options(synchronize_session=False)).rowcount
    if not moved:
        return False
    primary = sa.and_(_ASSOC.system_peer_id == peer_id,
                      _ASSOC.association_type == states.ASSOCIATION_PRIMARY)
    status = _ASSOC.sync_status
    if availability == states.PEER_UNAVAILABLE:
        # Anything but in-sync or unknown is failed: a sync under way fails with it.
        values = {'sync_status': sa.case(_ON_UNAVAILABLE, value=status,
                                         else_=states.ASSOCIATION_SYNC_FAILED),
                  'sync_message': message, 'sync_owner': None}
    else:
        values = {'sync_status': sa.case(_ON_AVAILABLE, value=status, else_=status),
                  'sync_message': sa.case(
                      (status.in_(sorted(_ON_AVAILABLE)), None), else_=_ASSOC.sync_message)}
    context.session.execute(sa.update(_ASSOC).where(primary).values(**values)
                            .execution_options(synchronize_session=False))
    return True


@writer
def release_watch(context, peer_id, owner):
    """Give up the watch of the peer (a stopping manager): another takes it at once."""
    context.session.execute(
        sa.update(_PEER).where(_PEER.id == peer_id, _PEER.monitor_owner == owner)
        .values(monitor_owner=None, monitor_lease_until=None)
        .execution_options(synchronize_session=False))


# ---------------------------------------------------------------- site alarms

@writer
def alarm_raise(context, alarm_id, entity, severity, reason, repair):
    """Raise the alarm (or update it): True if it was not raised before."""
    row = context.session.execute(
        sa.select(_ALARM).where(_ALARM.alarm_id == alarm_id, _ALARM.entity == entity)
        .with_for_update()).scalar_one_or_none()
    if row is None:
        context.session.add(_ALARM(alarm_id=alarm_id, entity=entity, severity=severity,
                                   reason=reason, repair=repair))
        context.session.flush()
        return True
    row.update({'severity': severity, 'reason': reason, 'repair': repair})
    return False


@writer
def alarm_clear(context, alarm_id, entity):
    """Clear the alarm: True if it was raised."""
    return bool(context.session.execute(
        sa.delete(_ALARM).where(_ALARM.alarm_id == alarm_id, _ALARM.entity == entity)
        .execution_options(synchronize_session=False)).rowcount)


@main_context_manager.reader
def alarm_get_all(context):
    """Every raised site alarm, oldest first."""
    return context.session.query(_ALARM).order_by(_ALARM.id).all()
