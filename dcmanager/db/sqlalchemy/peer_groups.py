"""Subcloud peer groups (SQLAlchemy implementation).

A group's name is unique by the database; its deletion is refused, in the same statement, while
an association uses it, and detaches its member subclouds in the same transaction. Its status
(the counters of ``GET .../status``) is one aggregate query.
"""

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

_PG = models.SubcloudPeerGroup
_SC = models.Subcloud
_ASSOC = models.PeerGroupAssociation


def _query(context):
    return context.session.query(_PG)


@main_context_manager.reader
def peer_group_get(context, group_id):
    return one_or_raise(_query(context).filter_by(id=group_id),
                        exception.SubcloudPeerGroupNotFound())


@main_context_manager.reader
def peer_group_get_by_uuid(context, peer_group_uuid):
    return one_or_raise(_query(context).filter_by(peer_group_uuid=peer_group_uuid),
                        exception.SubcloudPeerGroupNotFound())


@main_context_manager.reader
def peer_group_get_by_name(context, name):
    return one_or_raise(_query(context).filter_by(peer_group_name=name),
                        exception.SubcloudPeerGroupNotFound())


@main_context_manager.reader
def peer_group_get_all(context):
    return _query(context).order_by(_PG.id).all()


def _taken(error):
    """The 409 of a duplicate: the UUID (a copy the peer site already made) or the name."""
    # SQLite names the column; PostgreSQL the constraint (subcloud_peer_group_peer_group_uuid_key).
    if any('peer_group_uuid' in column for column in error.columns or ()):
        return exception.SubcloudPeerGroupUUIDTaken()
    return exception.SubcloudPeerGroupNameTaken()


@writer
def peer_group_create(context, values):
    group = _PG()
    group.update(values)
    return save(context.session, group, _taken)


@writer
def peer_group_update(context, group_id, values):
    group = one_or_raise(_query(context).filter_by(id=group_id),
                         exception.SubcloudPeerGroupNotFound())
    group.update(values)
    return save(context.session, group, exception.SubcloudPeerGroupNameTaken())


@writer
def peer_group_destroy(context, group_id):
    """Delete the group and detach its members, unless an association uses it."""
    used = sa.select(_ASSOC.id).where(_ASSOC.peer_group_id == group_id)
    context.session.execute(sa.update(_SC).where(
        _SC.peer_group_id == group_id, ~used.exists()).values(peer_group_id=None))
    deleted = (_query(context).filter(_PG.id == group_id, ~used.exists())
               .delete(synchronize_session=False))
    if deleted:
        return
    one_or_raise(_query(context).filter_by(id=group_id), exception.SubcloudPeerGroupNotFound())
    raise exception.SubcloudPeerGroupAssociated()


# The counters of GET /subcloud-peer-groups/<ref>/status: (name, condition on a member).
_COUNTERS = (
    ('total_subclouds', sa.true()),
    ('complete', _SC.deploy_status == states.DEPLOY_COMPLETE),
    ('waiting_for_migrate', _SC.deploy_status == 'secondary'),
    ('rehoming', _SC.deploy_status == 'rehoming'),
    ('rehome_failed', _SC.deploy_status.in_(('rehome-failed', 'rehome-prep-failed'))),
    ('managed', _SC.management_state == states.MANAGED),
    ('unmanaged', _SC.management_state != states.MANAGED),
)
_STATUS = sa.select(*(sa.func.coalesce(sa.func.sum(sa.case((cond, 1), else_=0)), 0).label(name)
                      for name, cond in _COUNTERS)).where(_SC.peer_group_id == sa.bindparam('g'))


@main_context_manager.reader
def peer_group_status(context, group_id):
    """{counter: number} of the group's members, in one query."""
    row = context.session.execute(_STATUS, {'g': group_id}).one()
    return {name: int(row[i]) for i, (name, _cond) in enumerate(_COUNTERS)}


@main_context_manager.reader
def peer_group_has_associations(context, group_id):
    return context.session.query(sa.select(_ASSOC.id).where(
        _ASSOC.peer_group_id == group_id).exists()).scalar()


@writer
def peer_group_claim_audit(context, group_id, owner, now, until):
    """Take the lease of the group's audit for ``owner`` (a token of one claim) until
    ``until``, unless another claim's lease is current at ``now``: True if taken."""
    stmt = (sa.update(_PG)
            .where(_PG.id == group_id,
                   sa.or_(_PG.audit_owner.is_(None), _PG.audit_lease_until.is_(None),
                          _PG.audit_lease_until < now))
            # A lease is not a change of the group: its updated-at stays.
            .values(audit_owner=owner, audit_lease_until=until, updated_at=_PG.updated_at))
    return bool(context.session.execute(
        stmt.execution_options(synchronize_session=False)).rowcount)


@writer
def peer_group_release_audit(context, group_id, owner):
    """End the lease of ``owner``'s claim (nothing if it is no longer its)."""
    context.session.execute(
        sa.update(_PG).where(_PG.id == group_id, _PG.audit_owner == owner)
        .values(audit_owner=None, audit_lease_until=None, updated_at=_PG.updated_at)
        .execution_options(synchronize_session=False))


@writer
def peer_group_follow(context, group_id, term, values):
    """Write the leadership of a newer ``term`` (``values``: the leader, the term, the
    migration status) unless the group already has that term or a newer one: True if
    written."""
    stmt = (sa.update(_PG).where(_PG.id == group_id, _PG.leader_term < term)
            .values(**values))
    return bool(context.session.execute(
        stmt.execution_options(synchronize_session=False)).rowcount)


@writer
def peer_group_followed_migration_complete(context, group_id, term, leader_id):
    """The migration this site follows (led by ``leader_id`` in ``term``, run by the peer, not
    by a manager here) is ``complete``: True if the group's ``migrating`` was cleared."""
    stmt = (sa.update(_PG)
            .where(_PG.id == group_id, _PG.leader_term == term,
                   sa.func.lower(_PG.system_leader_id) == leader_id.lower(),
                   _PG.migration_owner.is_(None),
                   _PG.migration_status == states.MIGRATION_MIGRATING)
            .values(migration_status=states.MIGRATION_COMPLETE))
    return bool(context.session.execute(
        stmt.execution_options(synchronize_session=False)).rowcount)


@writer
def peer_group_start_migration(context, group_id, owner, term, values):
    """Record the migration (``migrating``, owned by ``owner``) and its fence: the group's
    leadership ``values`` in leader term ``term``, the group's term being ``term - 1`` and no
    migration under way. True if this caller started it."""
    stmt = (sa.update(_PG)
            .where(_PG.id == group_id, _PG.leader_term == term - 1,
                   sa.or_(_PG.migration_status.is_(None),
                          _PG.migration_status != states.MIGRATION_MIGRATING))
            .values(migration_status=states.MIGRATION_MIGRATING, migration_owner=owner,
                    leader_term=term, **values))
    return bool(context.session.execute(
        stmt.execution_options(synchronize_session=False)).rowcount)


@writer
def peer_group_end_migration(context, group_id, owner):
    """``complete`` the migration ``owner`` runs; False if it is no longer its."""
    stmt = (sa.update(_PG)
            .where(_PG.id == group_id, _PG.migration_owner == owner,
                   _PG.migration_status == states.MIGRATION_MIGRATING)
            .values(migration_status=states.MIGRATION_COMPLETE, migration_owner=None))
    return bool(context.session.execute(
        stmt.execution_options(synchronize_session=False)).rowcount)


@writer
def peer_group_recover_migrations(context, recoveries, host, binary, down_time, at_start=False):
    """Move the migrations of dead managers to their recovery target (see subcloud recovery),
    and their members still ``secondary`` (their rehome never began) to ``rehome-prep-failed``
    with ``states.MIGRATION_CUT_SHORT``, in the same transaction; how many migrations moved.
    A migration run by the peer site, which this site follows, is never moved."""
    session = context.session
    moved = 0
    # A migration this site only follows (the peer's, taken with its leadership: no owner, led
    # by another site) is the peer's to end; its end reaches here by the audit.
    ours = sa.or_(_PG.migration_owner.is_not(None), sa.exists().where(
        sa.func.lower(models.LocalSystem.system_uuid) == sa.func.lower(_PG.system_leader_id)))
    for recovery in recoveries:
        cut_short = sa.select(_PG.id).where(
            _PG.migration_status == recovery.state, ours,
            recoverable(session, _PG.migration_owner, host, binary, down_time, at_start))
        ids = session.execute(cut_short).scalars().all()
        if not ids:
            continue
        session.execute(
            sa.update(_SC)
            .where(_SC.peer_group_id.in_(ids), _SC.deploy_status == states.DEPLOY_SECONDARY)
            .values(deploy_status=states.DEPLOY_REHOME_PREP_FAILED, deploy_owner=None,
                    error_description=states.MIGRATION_CUT_SHORT)
            .execution_options(synchronize_session=False))
        stmt = (sa.update(_PG)
                .where(_PG.id.in_(ids), _PG.migration_status == recovery.state)
                .values(migration_status=recovery.target, migration_owner=None))
        moved += session.execute(stmt.execution_options(synchronize_session=False)).rowcount
    return moved
