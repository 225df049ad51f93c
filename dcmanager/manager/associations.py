"""Peer group association operations, as this site's operators ask for them.

An association is created for a group this site leads (primary); its cross-site sync is recorded
as an operation this manager owns (``syncing``, ``sync_owner``): it is written before the
answer, never after a cast, and a manager that dies leaves it to the recovery
(``manager/recovery.py``), which marks it ``failed``. Non-primary associations belong to the
peer site that leads their group: operators here neither create, change nor sync them; the peer
site (``as_peer``: the API checked its role) creates one for its copy of a group, sets its
sync status while it syncs the copy, and deletes it.
"""

from oslo_log import log as logging

from dcmanager import objects
from dcmanager.common import exception, states
from dcmanager.manager import peer_groups

LOG = logging.getLogger(__name__)


def _led_group(context, peer_group_id):
    try:
        group = objects.SubcloudPeerGroup.get_by_id(context, peer_group_id)
    except exception.SubcloudPeerGroupNotFound:
        raise exception.InvalidInput(reason='Invalid peer_group_id') from None
    peer_groups.check_led_here(context, group)
    return group


def create(context, association, syncer):
    """Store ``association`` (primary, syncing, owned by ``syncer``'s manager) and hand its sync
    to ``syncer``."""
    _led_group(context, association.peer_group_id)
    try:
        objects.SystemPeer.get_by_id(context, association.system_peer_id)
    except exception.SystemPeerNotFound:
        raise exception.InvalidInput(reason='Invalid system_peer_id') from None
    association.association_type = states.ASSOCIATION_PRIMARY
    association.sync_status = states.ASSOCIATION_SYNC_SYNCING
    association.sync_message = None
    association.create(context, owner=syncer.host)
    LOG.info('Created peer group association %(id)s (peer group %(pg)s, system peer %(sp)s): '
             'sync to the peer site requested', {'id': association.id,
                                                 'pg': association.peer_group_id,
                                                 'sp': association.system_peer_id})
    return syncer.submit(context, association)


def create_non_primary(context, association):
    """Store the non-primary association of the peer site's copy of a group, with the system
    peer that leads the group (``syncing``: the peer site is syncing the copy; it says when
    that is done)."""
    try:
        group = objects.SubcloudPeerGroup.get_by_id(context, association.peer_group_id)
    except exception.SubcloudPeerGroupNotFound:
        raise exception.InvalidInput(reason='Invalid peer_group_id') from None
    peer_groups.check_writer(context, group, as_peer=True)
    try:
        peer = objects.SystemPeer.get_by_id(context, association.system_peer_id)
    except exception.SystemPeerNotFound:
        raise exception.InvalidInput(reason='Invalid system_peer_id') from None
    if peer.peer_uuid.lower() != (group.system_leader_id or '').lower():
        raise exception.InvalidInput(
            reason='Invalid system_peer_id: peer group %s is led by %s, not by system peer %s'
                   % (group.peer_group_name, group.system_leader_name or group.system_leader_id,
                      peer.peer_name))
    association.association_type = states.ASSOCIATION_NON_PRIMARY
    # The priority of the copy: its group's (the reference leaves it empty).
    association.peer_group_priority = group.group_priority
    association.sync_status = states.ASSOCIATION_SYNC_SYNCING
    association.sync_message = None
    association.create(context)
    LOG.info('Created the non-primary peer group association %(id)s (peer group %(pg)s, '
             'system peer %(sp)s)', {'id': association.id, 'pg': association.peer_group_id,
                                     'sp': association.system_peer_id})
    return association


# What a non-primary association says for a failed sync of its copy.
SYNC_FAILED_MESSAGE = 'Primary association sync to current site failed.'


def set_sync_status(context, association_id, sync_status):
    """The peer site's word on the sync of its copy (a non-primary association)."""
    association = objects.PeerGroupAssociation.get_by_id(context, association_id)
    if association.is_primary():
        raise exception.PeerGroupAssociationIsPrimary(id=association_id)
    if sync_status == association.sync_status:
        return association
    states.ASSOCIATION_SYNC.check(association.sync_status, sync_status)
    association.sync_status = sync_status
    association.sync_message = (SYNC_FAILED_MESSAGE
                                if sync_status == states.ASSOCIATION_SYNC_FAILED else None)
    association.save(context)
    LOG.info('Peer group association %s (non-primary): %s', association_id, sync_status)
    return association


def _primary(context, association_id):
    association = objects.PeerGroupAssociation.get_by_id(context, association_id)
    if not association.is_primary():
        raise exception.PeerGroupAssociationNotPrimary(id=association_id)
    return association


def update_priority(context, association_id, priority, syncer):
    """A new priority for the peer's copy of the group: stored with a sync request, in one
    compare-and-set (never while a sync runs)."""
    association = _primary(context, association_id)
    _led_group(context, association.peer_group_id)
    association.peer_group_priority = priority
    association.sync_status = states.ASSOCIATION_SYNC_SYNCING
    association.sync_message = None
    association.save(context, owner=syncer.host, not_syncing=True)
    LOG.info('Peer group association %s: priority %s, sync requested', association_id, priority)
    return syncer.submit(context, association)


def sync(context, association_id, syncer):
    """Request the sync; one already requested or running is the answer as it is."""
    association = _primary(context, association_id)
    _led_group(context, association.peer_group_id)
    if association.sync_status == states.ASSOCIATION_SYNC_SYNCING:
        return association
    association.sync_status = states.ASSOCIATION_SYNC_SYNCING
    association.sync_message = None
    association.save(context, owner=syncer.host, not_syncing=True)
    LOG.info('Peer group association %s: sync requested', association_id)
    return syncer.submit(context, association)


def delete(context, association_id, syncer, as_peer=False, force=False):
    """Delete an association; a primary one's copies on the peer site first (``syncer``), or
    nothing (PeerCleanupFailed), unless ``force``: then the association goes and a record of
    the copies left there is kept for the peer-group audit to remove."""
    association = objects.PeerGroupAssociation.get_by_id(context, association_id)
    if as_peer and association.is_primary():
        raise exception.PeerGroupAssociationIsPrimary(id=association_id)
    if not as_peer and not association.is_primary():
        raise exception.PeerGroupAssociationNotPrimary(id=association_id)
    if association.is_primary():
        try:
            syncer.remove_copies(context, association)
        except exception.PeerCleanupFailed as e:
            if not force:
                raise
            group = objects.SubcloudPeerGroup.get_by_id(context, association.peer_group_id)
            association.destroy_leaving_cleanup(context, group)
            LOG.warning('Deleted peer group association %(id)s by force; its copies stay on the '
                        'peer site until it is back: %(why)s', {'id': association_id, 'why': e})
            return
    association.destroy(context)
    LOG.info('Deleted peer group association %s', association_id)
