"""Client side of the manager's RPC API.

API version history:

    1.0 - Initial version: create_subcloud_group, update_subcloud_group, delete_subcloud_group.
    1.1 - add_subcloud, update_subcloud, delete_subcloud.
    1.2 - redeploy_subcloud.
    1.3 - create_system_peer, update_system_peer, delete_system_peer,
          create_subcloud_peer_group, update_subcloud_peer_group, delete_subcloud_peer_group,
          create_peer_group_association, update_peer_group_association,
          sync_peer_group_association, delete_peer_group_association.
    1.4 - The peer site's writes: add_secondary_subcloud, set_peer_group_association_sync_status;
          as_peer (the caller holds the peer role) on update_subcloud, delete_subcloud,
          create/update/delete_subcloud_peer_group, create/delete_peer_group_association;
          force on delete_peer_group_association; audit_peer_group_copy.
    1.5 - migrate_subcloud_peer_group.
"""

from dcmanager.common import rpc
from dcmanager.conf import CONF
from dcmanager.objects import base as objects_base


class ManagerAPI:
    """What the API and the audit ask of the manager.

    Operations are ``call``s: the manager checks the semantic rules synchronously, so the caller
    gets the real error (a ``dcmanager.common.exception`` class, rebuilt on this side) and not a
    bare 500.
    """

    RPC_API_VERSION = '1.5'

    def __init__(self, topic=None):
        self._client = rpc.get_client(topic or CONF.manager.topic, self.RPC_API_VERSION,
                                      objects_base.DCManagerObjectSerializer())

    def _call(self, context, method, version='1.0', **kwargs):
        return self._client.prepare(version=version).call(context, method, **kwargs)

    def _call_as(self, context, method, version, as_peer, **kwargs):
        """``method`` at ``version``, or at 1.4 with ``as_peer`` when it is the peer writing (a
        manager that predates 1.4 still serves the operators' requests)."""
        if as_peer:
            return self._call(context, method, version='1.4', as_peer=True, **kwargs)
        return self._call(context, method, version=version, **kwargs)

    def create_subcloud_group(self, context, group):
        """Create ``group`` (an unsaved SubcloudGroup); returns the stored SubcloudGroup."""
        return self._call(context, 'create_subcloud_group', group=group)

    def update_subcloud_group(self, context, group):
        """Apply the changed fields of ``group``; returns the stored SubcloudGroup."""
        return self._call(context, 'update_subcloud_group', group=group)

    def delete_subcloud_group(self, context, group_id):
        """Delete the group with ``group_id``; it must not be Default and must be empty."""
        return self._call(context, 'delete_subcloud_group', group_id=group_id)

    def add_subcloud(self, context, subcloud, secrets):
        """Create ``subcloud`` (an unsaved Subcloud) and start its enrollment; returns the stored
        Subcloud (deploy status ``pre-enroll``).

        ``secrets`` is the encrypted secrets column (``Subcloud.encrypt_secrets``): passwords
        never cross the bus in clear. The enrollment runs in the manager after the answer.
        """
        return self._call(context, 'add_subcloud', version='1.1', subcloud=subcloud,
                          secrets=secrets)

    def add_secondary_subcloud(self, context, subcloud, secrets):
        """Create ``subcloud`` (an unsaved Subcloud) as the secondary copy of a subcloud the peer
        site leads (deploy status ``secondary``: never enrolled, audited or managed); returns
        the stored Subcloud. ``secrets`` as for add_subcloud."""
        return self._call(context, 'add_secondary_subcloud', version='1.4', subcloud=subcloud,
                          secrets=secrets)

    def update_subcloud(self, context, subcloud, force=False, secrets=None, as_peer=False):
        """Apply the changed fields of ``subcloud`` all at once, or none of them; returns the
        stored Subcloud.

        ``force`` manages an offline subcloud; ``secrets`` (encrypted, as for add_subcloud) are
        merged into the stored ones. ``as_peer``: the peer site writes its secondary copy, or
        the management state of a peer group's member.
        """
        return self._call_as(context, 'update_subcloud', '1.1', as_peer, subcloud=subcloud,
                             force=force, secrets=secrets)

    def delete_subcloud(self, context, subcloud_id, as_peer=False):
        """Delete the subcloud with ``subcloud_id`` unless it is managed, in a peer group or
        busy; ``as_peer``: the peer site deletes its secondary copy."""
        return self._call_as(context, 'delete_subcloud', '1.1', as_peer, subcloud_id=subcloud_id)

    def redeploy_subcloud(self, context, subcloud, secrets=None):
        """Run the failed enrollment of ``subcloud`` again with its changed fields (new
        bootstrap values, address, description, location, release); returns the stored
        Subcloud (deploy status ``pre-enroll``).

        ``secrets`` (encrypted, as for add_subcloud) replace the stored ones they name.
        """
        return self._call(context, 'redeploy_subcloud', version='1.2', subcloud=subcloud,
                          secrets=secrets)

    def create_system_peer(self, context, peer, password):
        """Create ``peer`` (an unsaved SystemPeer) with ``password``, the ciphertext of
        ``SystemPeer.encrypt_password``; returns the stored SystemPeer."""
        return self._call(context, 'create_system_peer', version='1.3', peer=peer,
                          password=password)

    def update_system_peer(self, context, peer, password=None):
        """Apply the changed fields of ``peer`` (and ``password``, a ciphertext); returns
        ``[peer, ids]``: the stored SystemPeer and the associations marked out-of-sync."""
        return self._call(context, 'update_system_peer', version='1.3', peer=peer,
                          password=password)

    def delete_system_peer(self, context, peer_id):
        """Delete the system peer unless an association uses it."""
        return self._call(context, 'delete_system_peer', version='1.3', peer_id=peer_id)

    def create_subcloud_peer_group(self, context, group, as_peer=False):
        """Create ``group`` (an unsaved SubcloudPeerGroup) as a primary group led by this site,
        or (``as_peer``) as the peer site's non-primary copy; returns the stored group."""
        return self._call_as(context, 'create_subcloud_peer_group', '1.3', as_peer, group=group)

    def update_subcloud_peer_group(self, context, group, as_peer=False):
        """Apply the changed fields of ``group``, which this site must lead (or, ``as_peer``,
        which must be the peer site's copy)."""
        return self._call_as(context, 'update_subcloud_peer_group', '1.3', as_peer, group=group)

    def delete_subcloud_peer_group(self, context, group_id, as_peer=False):
        """Delete the group (its members leave it) unless an association uses it."""
        return self._call_as(context, 'delete_subcloud_peer_group', '1.3', as_peer,
                             group_id=group_id)

    def create_peer_group_association(self, context, association, as_peer=False):
        """Create ``association`` (an unsaved PeerGroupAssociation) for a group this site leads,
        with its sync to the peer site requested, or (``as_peer``) the non-primary association
        of the peer site's copy; returns the stored association."""
        return self._call_as(context, 'create_peer_group_association', '1.3', as_peer,
                             association=association)

    def audit_peer_group_copy(self, context, group_id, view):
        """The leader site's ``view`` of a group (the body of PATCH .../audit), for its copy
        here; returns ``{"message": None}`` or LeaderTermStale."""
        return self._call(context, 'audit_peer_group_copy', version='1.4', group_id=group_id,
                          view=view)

    def migrate_subcloud_peer_group(self, context, group_id):
        """Fence and start the migration of the group to this site; the subclouds it migrates
        (409 while a migration runs, 400 with nothing to migrate)."""
        return self._call(context, 'migrate_subcloud_peer_group', version='1.5',
                          group_id=group_id)

    def set_peer_group_association_sync_status(self, context, association_id, sync_status):
        """The peer site's word on the sync of its copy (a non-primary association)."""
        return self._call(context, 'set_peer_group_association_sync_status', version='1.4',
                          association_id=association_id, sync_status=sync_status)

    def update_peer_group_association(self, context, association_id, peer_group_priority):
        """A new priority for the peer's copy of the group, with a sync requested."""
        return self._call(context, 'update_peer_group_association', version='1.3',
                          association_id=association_id,
                          peer_group_priority=peer_group_priority)

    def sync_peer_group_association(self, context, association_id):
        """Request the sync of a primary association (409 while one runs)."""
        return self._call(context, 'sync_peer_group_association', version='1.3',
                          association_id=association_id)

    def delete_peer_group_association(self, context, association_id, as_peer=False,
                                      force=False):
        """Delete a primary association and its copies on the peer site (``force``: even when
        they cannot be deleted now; they are later), or (``as_peer``) a non-primary one."""
        if force:
            return self._call(context, 'delete_peer_group_association', version='1.4',
                              association_id=association_id, as_peer=as_peer, force=True)
        return self._call_as(context, 'delete_peer_group_association', '1.3', as_peer,
                             association_id=association_id)
