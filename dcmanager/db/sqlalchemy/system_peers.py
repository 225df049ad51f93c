"""The local system and the system peers (SQLAlchemy implementation).

The local system is one row (id 1): created by the first process that needs it, with an insert
that two processes starting together cannot both make (the primary key decides), then read.

A system peer's uniqueness (UUID, name) is the database's; its deletion is refused, in the same
statement, while a peer group association uses it.
"""

from oslo_db import exception as db_exc
import sqlalchemy as sa

from dcmanager.common import exception, states
from dcmanager.db.sqlalchemy import models
from dcmanager.db.sqlalchemy.core import main_context_manager, one_or_raise, save, writer

_LOCAL_ID = 1
_PEER = models.SystemPeer
_ASSOC = models.PeerGroupAssociation


# ---------------------------------------------------------------- the local system

@main_context_manager.reader
def local_system_get(context):
    """The local system's row, or None before the first start."""
    return context.session.get(models.LocalSystem, _LOCAL_ID)


@writer
def local_system_create(context, system_uuid, system_name):
    """Create the local system's row unless another process did; returns the stored row."""
    try:
        with context.session.begin_nested():
            context.session.add(models.LocalSystem(id=_LOCAL_ID, system_uuid=system_uuid,
                                                   system_name=system_name))
    except db_exc.DBDuplicateEntry:
        pass  # created meanwhile: the stored one holds
    return context.session.get(models.LocalSystem, _LOCAL_ID)


@writer
def local_system_rename(context, system_name):
    row = context.session.get(models.LocalSystem, _LOCAL_ID)
    row.system_name = system_name
    context.session.flush()
    return row


# ---------------------------------------------------------------- system peers

def _peer_query(context):
    return context.session.query(_PEER)


@main_context_manager.reader
def system_peer_get(context, peer_id):
    return one_or_raise(_peer_query(context).filter_by(id=peer_id),
                        exception.SystemPeerNotFound())


@main_context_manager.reader
def system_peer_get_by_uuid(context, peer_uuid):
    return one_or_raise(_peer_query(context).filter_by(peer_uuid=peer_uuid),
                        exception.SystemPeerNotFound())


@main_context_manager.reader
def system_peer_get_by_name(context, name):
    return one_or_raise(_peer_query(context).filter_by(peer_name=name),
                        exception.SystemPeerNotFound())


@main_context_manager.reader
def system_peer_get_all(context):
    return _peer_query(context).order_by(_PEER.id).all()


@writer
def system_peer_create(context, values):
    peer = _PEER()
    peer.update(values)
    return save(context.session, peer, exception.SystemPeerExists())


@writer
def system_peer_update(context, peer_id, values, out_of_sync=False):
    """Apply ``values``; with ``out_of_sync``, mark every association of the peer
    ``out-of-sync`` in the same transaction. Returns (peer, ids of those associations)."""
    peer = one_or_raise(_peer_query(context).filter_by(id=peer_id),
                        exception.SystemPeerNotFound())
    peer.update(values)
    save(context.session, peer, exception.SystemPeerExists())
    marked = []
    if out_of_sync:
        marked = [row.id for row in context.session.execute(
            sa.update(_ASSOC).where(_ASSOC.system_peer_id == peer_id)
            .values(sync_status=states.SYNC_OUT_OF_SYNC)
            .returning(_ASSOC.id))]
    return peer, sorted(marked)


@writer
def system_peer_destroy(context, peer_id):
    """Delete the peer unless an association uses it (SystemPeerAssociated)."""
    used = sa.select(_ASSOC.id).where(_ASSOC.system_peer_id == peer_id)
    deleted = (_peer_query(context).filter(_PEER.id == peer_id, ~used.exists())
               .delete(synchronize_session=False))
    if deleted:
        return
    one_or_raise(_peer_query(context).filter_by(id=peer_id), exception.SystemPeerNotFound())
    raise exception.SystemPeerAssociated()


@main_context_manager.reader
def system_peer_peer_groups(context, peer_id):
    """The peer groups associated with the peer, ordered by id."""
    return (context.session.query(models.SubcloudPeerGroup)
            .join(_ASSOC, _ASSOC.peer_group_id == models.SubcloudPeerGroup.id)
            .filter(_ASSOC.system_peer_id == peer_id)
            .order_by(models.SubcloudPeerGroup.id).all())
