"""PeerGroupAssociation: a subcloud peer group paired with a system peer, and its sync state.

``primary`` when the group is primary on this site (this site drives the sync to the peer),
``non-primary`` for the copy of a peer site's group. ``syncing`` is an operation with an owner
(the manager running it), recovered like a subcloud's transitory deploy status.
"""

from dcmanager.common import exception, integers
from dcmanager.db import geo_api
from dcmanager.objects import base, fields

REGISTRY = base.DCManagerObjectRegistry


@REGISTRY.register
class PeerGroupAssociation(base.DCManagerObject):
    # Version 1.0: initial version
    VERSION = '1.0'

    fields = dict(base.DCManagerObject.fields, **{
        'id': fields.IntegerField(read_only=True),
        'peer_group_id': fields.IntegerField(),
        'system_peer_id': fields.IntegerField(),
        'peer_group_priority': fields.IntegerField(nullable=True),
        'association_type': fields.StringField(),
        'sync_status': fields.StringField(),
        'sync_message': fields.StringField(nullable=True),
    })

    @classmethod
    def get_by_id(cls, context, association_id):
        return cls._from_db_object(context, cls(),
                                   geo_api.association_get(context, association_id))

    @classmethod
    def get_by_ref(cls, context, ref):
        """The association a path names: its id, ASCII digits only (InvalidInput otherwise, as
        the reference answers); PeerGroupAssociationNotFound."""
        association_id = integers.ref_id(ref)
        if association_id is None:
            raise exception.InvalidInput(reason='Peer Group Association ID must be an integer')
        return cls.get_by_id(context, association_id)

    @classmethod
    def list(cls, context, peer_group_id=None):
        return cls._from_db_objects(context, geo_api.association_get_all(
            context, peer_group_id=peer_group_id))

    def is_primary(self):
        return self.association_type == 'primary'

    def create(self, context=None, owner=None):
        """Insert it; a ``syncing`` one is owned by the manager ``owner``."""
        context = context or self._context
        self._from_db_object(context, self, geo_api.association_create(
            context, self._changed_values(), owner=owner))

    def save(self, context=None, owner=None, not_syncing=False):
        """Write the changed fields; with ``not_syncing``, only while no sync runs
        (PeerGroupAssociationBusy)."""
        context = context or self._context
        changes = self._changed_values()
        if changes:
            self._from_db_object(context, self, geo_api.association_update(
                context, self.id, changes, owner=owner, not_syncing=not_syncing))

    def destroy(self, context=None):
        geo_api.association_destroy(context or self._context, self.id)

    def destroy_leaving_cleanup(self, context, group):
        """Delete it (forced: its peer site could not be reached) and record that the peer
        still holds the copies of ``group``, for the peer-group audit to remove there."""
        geo_api.association_destroy_leaving_cleanup(context or self._context, self.id,
                                                   group.peer_group_uuid, group.peer_group_name)

    @staticmethod
    def pending_cleanups(context, system_peer_id=None):
        """The rows of the copies left on peer sites by forced deletes."""
        return geo_api.peer_cleanup_get_all(context, system_peer_id=system_peer_id)

    @staticmethod
    def cleanup_done(context, cleanup_id):
        geo_api.peer_cleanup_done(context, cleanup_id)

    def is_owned_by(self, context, host):
        """Whether this association's sync is ``syncing`` and run by the manager ``host``."""
        row = geo_api.association_get(context or self._context, self.id)
        return row.sync_status == 'syncing' and row.sync_owner == host

    def write_owned(self, context, host, **values):
        """Write ``values`` only while this association (this very row: ids may be reused
        after a delete) is ``syncing`` and owned by ``host`` (compare-and-set); a
        ``sync_status`` other than ``syncing`` ends the ownership. True if written."""
        # The column is naive UTC; the field is aware.
        created_at = self.created_at.replace(tzinfo=None)
        return geo_api.association_update_owned(context or self._context, self.id, host,
                                               created_at, values)

    @staticmethod
    def recover_syncing(context, recoveries, host, binary, down_time, at_start=False):
        return geo_api.association_recover_syncing(context, recoveries, host, binary, down_time,
                                                  at_start=at_start)
