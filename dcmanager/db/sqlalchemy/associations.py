"""Peer group associations (SQLAlchemy implementation).

A (peer group, system peer) pair is unique by the database. An association's sync is an
operation: ``syncing`` has an owner, the manager that runs it (``sync_owner``), written with the
status in one compare-and-set; a dead owner's ``syncing`` is recovered like a subcloud's
transitory deploy status (``association_recover_syncing``).
"""

from oslo_db import api as oslo_db_api
import sqlalchemy as sa

from dcmanager.common import exception, states
from dcmanager.db.sqlalchemy import models
from dcmanager.db.sqlalchemy.core import (
    main_context_manager,
    one_or_raise,
    recoverable,
    save,
    writer,
)

_A = models.PeerGroupAssociation
_SYNCING = states.ASSOCIATION_SYNC_SYNCING


def _query(context):
    return context.session.query(_A)


@main_context_manager.reader
def association_get(context, association_id):
    return one_or_raise(_query(context).filter_by(id=association_id),
                        exception.PeerGroupAssociationNotFound())


@main_context_manager.reader
def association_get_all(context, peer_group_id=None):
    query = _query(context)
    if peer_group_id is not None:
        query = query.filter_by(peer_group_id=peer_group_id)
    return query.order_by(_A.id).all()


@writer
def association_create(context, values, owner=None):
    """Insert the association; with ``syncing``, ``owner`` runs its sync."""
    row = _A()
    row.update(dict(values, sync_owner=owner if values.get('sync_status') == _SYNCING else None))
    return save(context.session, row, exception.PeerGroupAssociationExists(),
                invalid=exception.InvalidInput(
                    reason='Invalid peer_group_id or system_peer_id'))


@writer
def association_update(context, association_id, values, owner=None, not_syncing=False):
    """Apply ``values`` (a ``sync_status`` of ``syncing`` takes ``owner``, any other clears
    it); with ``not_syncing``, only while no sync runs (PeerGroupAssociationBusy otherwise)."""
    values = dict(values)
    if 'sync_status' in values:
        values['sync_owner'] = owner if values['sync_status'] == _SYNCING else None
    stmt = sa.update(_A).where(_A.id == association_id)
    if not_syncing:
        stmt = stmt.where(_A.sync_status != _SYNCING)
    if context.session.execute(stmt.values(**values)).rowcount:
        return _query(context).filter_by(id=association_id).populate_existing().one()
    row = one_or_raise(_query(context).filter_by(id=association_id),
                       exception.PeerGroupAssociationNotFound())
    raise exception.PeerGroupAssociationBusy(id=row.id)


@writer
def association_update_owned(context, association_id, owner, created_at, values):
    values = dict(values)
    if values.get('sync_status', _SYNCING) != _SYNCING:
        values['sync_owner'] = None
    stmt = sa.update(_A).where(_A.id == association_id, _A.created_at == created_at,
                               _A.sync_status == _SYNCING, _A.sync_owner == owner)
    return bool(context.session.execute(stmt.values(**values)).rowcount)


@writer
def association_destroy_leaving_cleanup(context, association_id, peer_group_uuid,
                                        peer_group_name):
    """Delete the association and record, in the same transaction, the copies it leaves on its
    peer site (once per group and peer)."""
    row = one_or_raise(_query(context).filter_by(id=association_id),
                       exception.PeerGroupAssociationNotFound())
    exists = context.session.query(sa.select(models.PeerCleanup.id).where(
        models.PeerCleanup.system_peer_id == row.system_peer_id,
        models.PeerCleanup.peer_group_uuid == peer_group_uuid).exists()).scalar()
    if not exists:
        context.session.add(models.PeerCleanup(system_peer_id=row.system_peer_id,
                                               peer_group_uuid=peer_group_uuid,
                                               peer_group_name=peer_group_name))
    context.session.delete(row)
    context.session.flush()


@main_context_manager.reader
def peer_cleanup_get_all(context, system_peer_id=None):
    query = context.session.query(models.PeerCleanup)
    if system_peer_id is not None:
        query = query.filter_by(system_peer_id=system_peer_id)
    return query.order_by(models.PeerCleanup.id).all()


@writer
def peer_cleanup_done(context, cleanup_id):
    context.session.query(models.PeerCleanup).filter_by(id=cleanup_id).delete(
        synchronize_session=False)


@writer
def association_destroy(context, association_id):
    """Delete the association, syncing or not: a sync that runs finds it gone at its next
    compare-and-set and stops."""
    deleted = (_query(context).filter(_A.id == association_id)
               .delete(synchronize_session=False))
    if not deleted:
        raise exception.PeerGroupAssociationNotFound()


@oslo_db_api.wrap_db_retry(max_retries=3, retry_on_deadlock=True)
@writer
def association_recover_syncing(context, recoveries, host, binary, down_time, at_start=False):
    """Move the syncs of dead managers to their recovery target (see subcloud recovery). Only
    a primary association's sync is a manager's; a non-primary one's is the peer site's."""
    session = context.session
    moved = 0
    for recovery in recoveries:
        stmt = (sa.update(_A)
                .where(_A.sync_status == recovery.state,
                       _A.association_type == states.ASSOCIATION_PRIMARY,
                       recoverable(session, _A.sync_owner, host, binary, down_time, at_start))
                .values(sync_status=recovery.target, sync_message=recovery.description,
                        sync_owner=None))
        moved += session.execute(stmt.execution_options(synchronize_session=False)).rowcount
    return moved
