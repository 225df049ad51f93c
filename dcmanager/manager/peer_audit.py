"""The peer-group audit of this site's side: what the heartbeat alone does not repair.

Every ``[peer] audit_interval`` seconds, and at once when a peer site answers again, for each
peer site that is ``available``:

- a primary association left ``out-of-sync`` (a member or the group changed, or the peer came
  back after a failure) is synced again: the request is the same compare-and-set as an
  operator's ``sync`` (``syncing``, owned by this manager), so one manager of the site runs it
  and an association already syncing is left to its sync;
- the copies a forced delete left on the peer (``peer_cleanup``) are removed there; the record
  goes only once they are gone.

Nothing is deleted on an empty or unreadable answer: the cleanup deletes only the copies the
peer lists in its copy of the group, and the record stays when anything failed.
"""

from oslo_log import log as logging

from dcmanager import objects
from dcmanager.common import context as dc_context
from dcmanager.common import exception, states
from dcmanager.manager import peer_sync

LOG = logging.getLogger(__name__)


class PeerAudit:
    """This manager's audit of its associations and of the cleanups left on peer sites."""

    def __init__(self, syncer):
        self.syncer = syncer

    def run(self, peer_id=None):
        """Audit every available peer (the periodic task), or only ``peer_id``."""
        context = dc_context.get_admin_context()
        for peer in objects.SystemPeer.list(context):
            if peer_id is not None and peer.id != peer_id:
                continue
            if peer.availability_state != states.PEER_AVAILABLE:
                continue
            try:
                self._resync(context, peer)
                self._cleanup(context, peer)
            except Exception:
                LOG.exception('The audit of system peer %s failed', peer.peer_name)

    def _resync(self, context, peer):
        for association in objects.PeerGroupAssociation.list(context):
            if association.system_peer_id != peer.id or not association.is_primary() or \
                    association.sync_status != states.ASSOCIATION_SYNC_OUT_OF_SYNC:
                continue
            association.sync_status = states.ASSOCIATION_SYNC_SYNCING
            association.sync_message = None
            try:
                association.save(context, owner=self.syncer.host, not_syncing=True)
            except (exception.PeerGroupAssociationBusy,
                    exception.PeerGroupAssociationNotFound):
                continue  # another manager's sync, or deleted meanwhile
            LOG.info('Peer group association %s is out-of-sync: synced again by the audit',
                     association.id)
            self.syncer.submit(context, association)

    def _cleanup(self, context, peer):
        for row in objects.PeerGroupAssociation.pending_cleanups(context, peer.id):
            group = objects.SubcloudPeerGroup(peer_group_uuid=row.peer_group_uuid,
                                              peer_group_name=row.peer_group_name)
            try:
                peer_sync.remove_copies_of(context, self.syncer.pool, peer, group)
            except exception.PeerCleanupFailed as e:
                LOG.warning('The copies of peer group %s on %s are still there: %s',
                            row.peer_group_name, peer.peer_name, e)
                continue
            objects.PeerGroupAssociation.cleanup_done(context, row.id)
            LOG.info('The copies of peer group %s left on %s by a forced delete are gone',
                     row.peer_group_name, peer.peer_name)
