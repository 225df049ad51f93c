"""SystemPeer: the other site of a geo-redundant pair; LocalSystem: this site.

A system peer's ``manager_password`` is not a field: it is stored encrypted with the site key
(``encrypt_password``), travels over RPC only as that ciphertext, and no view can print it.
"""

import uuid

from dcmanager.common import crypto, exception, integers
from dcmanager.conf import CONF
from dcmanager.db import geo_api
from dcmanager.objects import base, fields

REGISTRY = base.DCManagerObjectRegistry


def is_uuid(text):
    try:
        return str(uuid.UUID(text)) == text.lower() and len(text) == 36
    except (ValueError, AttributeError, TypeError):
        return False


@REGISTRY.register
class LocalSystem(base.DCManagerObject):
    """This site: its UUID (``system_leader_id`` of the groups it leads) and its name."""

    # Version 1.0: initial version
    VERSION = '1.0'

    fields = dict(base.DCManagerObject.fields, **{
        'system_uuid': fields.StringField(),
        'system_name': fields.StringField(),
    })

    @classmethod
    def get(cls, context):
        """The local system, created from ``[DEFAULT] system_uuid``/``system_name`` by the first
        caller (any process of the site) when the database has none yet."""
        row = geo_api.local_system_get(context)
        if row is None:
            row = geo_api.local_system_create(context, CONF.system_uuid or str(uuid.uuid4()),
                                             CONF.system_name)
        return cls._from_db_object(context, cls(), row)

    @classmethod
    def ensure(cls, context):
        """At a manager's start: the stored local system agrees with the configuration.

        LocalSystemMismatch if ``system_uuid`` is set and is not the stored one; a changed
        ``system_name`` renames the site.
        """
        local = cls.get(context)
        if CONF.system_uuid and CONF.system_uuid.lower() != local.system_uuid.lower():
            raise exception.LocalSystemMismatch(configured=CONF.system_uuid,
                                                stored=local.system_uuid)
        if CONF.system_name != local.system_name:
            local = cls._from_db_object(context, cls(),
                                        geo_api.local_system_rename(context, CONF.system_name))
        return local


@REGISTRY.register
class SystemPeer(base.DCManagerObject):
    # Version 1.0: initial version
    VERSION = '1.0'

    fields = dict(base.DCManagerObject.fields, **{
        'id': fields.IntegerField(read_only=True),
        'peer_uuid': fields.StringField(),
        'peer_name': fields.StringField(),
        'manager_endpoint': fields.StringField(),
        'manager_username': fields.StringField(),
        'peer_controller_gateway_ip': fields.StringField(nullable=True),
        'administrative_state': fields.StringField(),
        'heartbeat_interval': fields.IntegerField(),
        'heartbeat_failure_threshold': fields.IntegerField(),
        'heartbeat_failure_policy': fields.StringField(),
        'heartbeat_maintenance_timeout': fields.IntegerField(),
        'availability_state': fields.StringField(),
    })

    @staticmethod
    def encrypt_password(password):
        """The stored form of ``password`` (text)."""
        return crypto.encrypt(password)

    @classmethod
    def get_by_id(cls, context, peer_id):
        return cls._from_db_object(context, cls(), geo_api.system_peer_get(context, peer_id))

    @classmethod
    def get_by_ref(cls, context, ref):
        """The peer a reference names: all ASCII digits is an id, a UUID is its peer-uuid,
        anything else its name; SystemPeerNotFound."""
        peer_id = integers.ref_id(ref)
        if peer_id is not None:
            return cls.get_by_id(context, peer_id)
        ref = str(ref)
        if is_uuid(ref):
            return cls._from_db_object(context, cls(),
                                       geo_api.system_peer_get_by_uuid(context, ref.lower()))
        return cls._from_db_object(context, cls(), geo_api.system_peer_get_by_name(context, ref))

    @staticmethod
    def get_password(context, peer_id):
        """The clear password of the peer's user (``manager-username``): for the call to the
        peer site only, never to be logged or returned."""
        return crypto.decrypt(geo_api.system_peer_get(context, peer_id).manager_password)

    # The heartbeat watch (manager/peer_monitor.py): the state is in the row, not a field.

    @staticmethod
    def watched(context):
        """(id, heartbeat_interval) of the peers that have an association."""
        return geo_api.system_peer_watched(context)

    @staticmethod
    def claim_heartbeat(context, peer_id, interval, owner, now, lease_until):
        return geo_api.system_peer_claim_heartbeat(context, peer_id, interval, owner, now,
                                                  lease_until)

    @staticmethod
    def record_heartbeat(context, peer_id, owner, success):
        return geo_api.system_peer_record_heartbeat(context, peer_id, owner, success)

    @staticmethod
    def set_availability(context, peer_id, owner, availability, message=None):
        return geo_api.system_peer_set_availability(context, peer_id, owner, availability,
                                                   message)

    @staticmethod
    def release_watch(context, peer_id, owner):
        geo_api.system_peer_release_watch(context, peer_id, owner)

    @classmethod
    def list(cls, context):
        """Every system peer, ordered by id."""
        return cls._from_db_objects(context, geo_api.system_peer_get_all(context))

    def create(self, context=None, password=None):
        """Insert this peer with ``password`` (the ciphertext of ``encrypt_password``);
        SystemPeerExists if its UUID or name is taken."""
        if self.obj_attr_is_set('id'):
            raise exception.DCManagerException('System peer already created')
        context = context or self._context
        values = dict(self._changed_values(), manager_password=password)
        self._from_db_object(context, self, geo_api.system_peer_create(context, values))

    def save(self, context=None, password=None):
        """Write the changed fields (and ``password``, a ciphertext, if given). A changed
        gateway address marks the peer's associations out-of-sync in the same transaction;
        returns their ids."""
        context = context or self._context
        values = self._changed_values()
        if password is not None:
            values['manager_password'] = password
        if not values:
            return []
        db_obj, marked = geo_api.system_peer_update(
            context, self.id, values, out_of_sync='peer_controller_gateway_ip' in values)
        self._from_db_object(context, self, db_obj)
        return marked

    def destroy(self, context=None):
        """Delete this peer; SystemPeerAssociated while an association uses it."""
        geo_api.system_peer_destroy(context or self._context, self.id)

    def peer_groups(self, context=None):
        """The rows of the peer groups associated with this peer."""
        return geo_api.system_peer_peer_groups(context or self._context, self.id)
