"""SubcloudPeerGroup: subclouds protected together by a pair of sites.

Each group has an immutable UUID (``peer_group_uuid``) by which the two sites pair their copies,
and a leadership term (``leader_term``, from 1): the site that leads the group
(``system_leader_id``) is the only one whose operators may change it.
"""

import uuid

from dcmanager.common import exception, integers
from dcmanager.db import api as db_api
from dcmanager.objects import base, fields, system_peer

REGISTRY = base.DCManagerObjectRegistry
FIRST_TERM = 1


@REGISTRY.register
class SubcloudPeerGroup(base.DCManagerObject):
    # Version 1.0: initial version
    VERSION = '1.0'

    fields = dict(base.DCManagerObject.fields, **{
        'id': fields.IntegerField(read_only=True),
        'peer_group_uuid': fields.StringField(),
        'peer_group_name': fields.StringField(),
        'group_priority': fields.IntegerField(),
        'group_state': fields.StringField(),
        'max_subcloud_rehoming': fields.IntegerField(),
        'system_leader_id': fields.StringField(nullable=True),
        'system_leader_name': fields.StringField(nullable=True),
        'leader_term': fields.IntegerField(),
        'migration_status': fields.StringField(nullable=True),
    })

    @classmethod
    def get_by_id(cls, context, group_id):
        return cls._from_db_object(context, cls(), db_api.peer_group_get(context, group_id))

    @classmethod
    def get_by_ref(cls, context, ref):
        """The group a reference names: all ASCII digits is an id, a UUID its peer_group_uuid
        (how the peer site names it) or else its name, anything else a name;
        SubcloudPeerGroupNotFound."""
        group_id = integers.ref_id(ref)
        if group_id is not None:
            return cls.get_by_id(context, group_id)
        ref = str(ref)
        if system_peer.is_uuid(ref):
            try:
                return cls._from_db_object(context, cls(),
                                           db_api.peer_group_get_by_uuid(context, ref.lower()))
            except exception.SubcloudPeerGroupNotFound:
                pass
        return cls._from_db_object(context, cls(), db_api.peer_group_get_by_name(context, ref))

    @classmethod
    def list(cls, context):
        return cls._from_db_objects(context, db_api.peer_group_get_all(context))

    def is_primary(self):
        return self.group_priority == 0

    def create(self, context=None):
        """Insert this group with a new UUID and the first leadership term;
        SubcloudPeerGroupNameTaken if the name is in use."""
        if self.obj_attr_is_set('id'):
            raise exception.DCManagerException('Subcloud peer group already created')
        context = context or self._context
        if not self.obj_attr_is_set('peer_group_uuid'):
            self.peer_group_uuid = str(uuid.uuid4())
        if not self.obj_attr_is_set('leader_term'):
            self.leader_term = FIRST_TERM
        self._from_db_object(context, self, db_api.peer_group_create(context,
                                                                     self._changed_values()))

    def save(self, context=None):
        context = context or self._context
        changes = self._changed_values()
        if 'peer_group_uuid' in changes:
            raise exception.DCManagerException('A peer group UUID is immutable')
        if changes:
            self._from_db_object(context, self,
                                 db_api.peer_group_update(context, self.id, changes))

    def destroy(self, context=None):
        """Delete this group (its members leave it); SubcloudPeerGroupAssociated while an
        association uses it."""
        db_api.peer_group_destroy(context or self._context, self.id)

    def status(self, context=None):
        """The counters of its members, with the group's id and name."""
        counters = db_api.peer_group_status(context or self._context, self.id)
        return dict({'peer_group_id': self.id, 'peer_group_name': self.peer_group_name},
                    **counters)

    def has_associations(self, context=None):
        return db_api.peer_group_has_associations(context or self._context, self.id)
