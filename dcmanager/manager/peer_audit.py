"""The peer-group audit of this site's side: what the heartbeat alone does not repair.

Every ``[peer] audit_interval`` seconds, and at once when a peer site answers again, for each
peer site that is ``available``:

- a primary association left ``out-of-sync`` (a member or the group changed, or the peer came
  back after a failure) is synced again: the request is the same compare-and-set as an
  operator's ``sync`` (``syncing``, owned by this manager), so one manager of the site runs it
  and an association already syncing is left to its sync;
- the copies a forced delete left on the peer (``peer_cleanup``) are removed there; the record
  goes only once they are gone;
- each group this site leads tells its copy there its leader, leader term, migration status and
  state (``PATCH .../audit``): a copy gone there makes the association ``out-of-sync`` (the
  next sync makes it again); a copy with a newer term (the peer leads the group now) makes it
  ``failed``, saying so, and nothing more is written there.

Nothing is deleted on an empty or unreadable answer: the cleanup deletes only the copies the
peer lists in its copy of the group, and the record stays when anything failed.
"""

from oslo_log import log as logging

from dcmanager import objects
from dcmanager.common import context as dc_context
from dcmanager.common import exception, states
from dcmanager.drivers import peer as peer_driver
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
                self._leadership(context, peer)
                self._resync(context, peer)
                self._cleanup(context, peer)
            except Exception:
                LOG.exception('The audit of system peer %s failed', peer.peer_name)

    def _leadership(self, context, peer):
        associations = [a for a in objects.PeerGroupAssociation.list(context)
                        if a.system_peer_id == peer.id and a.is_primary()
                        and a.sync_status != states.ASSOCIATION_SYNC_SYNCING]
        if not associations:
            return
        local = objects.LocalSystem.get(context)
        client = peer_driver.PeerClient(self.syncer.pool, peer.manager_endpoint,
                                        peer.manager_username,
                                        objects.SystemPeer.get_password(context, peer.id))
        for association in associations:
            group = objects.SubcloudPeerGroup.get_by_id(context, association.peer_group_id)
            view = {'peer_uuid': local.system_uuid, 'peer_group_name': group.peer_group_name,
                    'group_priority': group.group_priority, 'group_state': group.group_state,
                    'system_leader_id': group.system_leader_id,
                    'system_leader_name': group.system_leader_name,
                    'migration_status': group.migration_status or 'none',
                    'leader_term': group.leader_term}
            try:
                client.patch('subcloud-peer-groups/%s/audit' % group.peer_group_uuid, view)
            except exception.TargetNotFound:
                self._mark(context, association, states.ASSOCIATION_SYNC_OUT_OF_SYNC,
                           'The copy of peer group %s is not on %s: the next sync makes it '
                           'again.' % (group.peer_group_name, peer.peer_name))
            except exception.StaleLeaderTerm as e:
                self._mark(context, association, states.ASSOCIATION_SYNC_FAILED,
                           'Site %s holds peer group %s with a newer leader term: this site no '
                           'longer leads it (%s).' % (peer.peer_name, group.peer_group_name,
                                                      e.reason))
            except exception.OutboundError as e:
                LOG.warning('The audit of peer group %s on %s failed: %s',
                            group.peer_group_name, peer.peer_name, e)
                return

    @staticmethod
    def _mark(context, association, status, message):
        if (association.sync_status, association.sync_message) == (status, message):
            return  # said already
        association.sync_status = status
        association.sync_message = message
        try:
            association.save(context, not_syncing=True)
        except (exception.PeerGroupAssociationBusy, exception.PeerGroupAssociationNotFound):
            return
        LOG.warning('Peer group association %s: %s: %s', association.id, status, message)

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
