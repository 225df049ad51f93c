"""Subcloud: a remote cloud managed by this site."""

import json

from dcmanager.common import crypto, exception
from dcmanager.db import api as db_api
from dcmanager.objects import base, fields

REGISTRY = base.DCManagerObjectRegistry


@REGISTRY.register
class Subcloud(base.DCManagerObject):
    # Version 1.0: initial version
    # Version 1.1: bootstrap_address, sync_status, rehome_data, last_audit_at; secrets kept apart
    VERSION = '1.1'

    fields = dict(base.DCManagerObject.fields, **{
        'id': fields.IntegerField(read_only=True),
        'name': fields.StringField(),
        'description': fields.StringField(nullable=True),
        'location': fields.StringField(nullable=True),
        'software_version': fields.StringField(nullable=True),
        'management_state': fields.StringField(),
        'availability_status': fields.StringField(),
        'deploy_status': fields.StringField(),
        'backup_status': fields.StringField(nullable=True),
        'backup_datetime': fields.DateTimeField(nullable=True),
        'error_description': fields.StringField(),
        'region_name': fields.StringField(nullable=True),
        'management_subnet': fields.StringField(nullable=True),
        'management_gateway_ip': fields.StringField(nullable=True),
        'management_start_ip': fields.StringField(nullable=True),
        'management_end_ip': fields.StringField(nullable=True),
        'systemcontroller_gateway_ip': fields.StringField(nullable=True),
        'external_oam_subnet_ip_family': fields.StringField(nullable=True),
        'openstack_installed': fields.BooleanField(),
        'audit_fail_count': fields.IntegerField(),
        'first_identity_sync_complete': fields.BooleanField(),
        'group_id': fields.IntegerField(),
        'peer_group_id': fields.IntegerField(nullable=True),
        'prestage_status': fields.StringField(nullable=True),
        'prestage_versions': fields.StringField(nullable=True),
        'rehomed': fields.BooleanField(),
        'enrolled_with_vcsr': fields.BooleanField(),
        'bootstrap_address': fields.StringField(nullable=True),
        'sync_status': fields.StringField(),
        # JSON text with no secret in it (saved bootstrap values and address).
        'rehome_data': fields.StringField(nullable=True),
        'last_audit_at': fields.DateTimeField(nullable=True),
    })

    # Secrets given at add time (admin/sysadmin/bmc passwords) live in the ``secrets`` column,
    # encrypted with the site key. They are not a field: they never travel in an RPC payload
    # and no view can print them. Read them with ``get_secrets`` where they are used.

    @staticmethod
    def encrypt_secrets(secrets):
        """The column value for ``secrets`` (a dict of str)."""
        return crypto.encrypt(json.dumps(secrets, sort_keys=True))

    @classmethod
    def get_secrets(cls, context, subcloud_id):
        """The decrypted secrets of a subcloud ({} if none were given)."""
        ciphertext = db_api.subcloud_get_secrets(context, subcloud_id)
        return json.loads(crypto.decrypt(ciphertext)) if ciphertext else {}

    @classmethod
    def get_by_id(cls, context, subcloud_id):
        """The subcloud with this id, or SubcloudNotFound."""
        return cls._from_db_object(context, cls(), db_api.subcloud_get(context, subcloud_id))

    @classmethod
    def get_by_name(cls, context, name):
        """The subcloud with this name, or SubcloudNotFound."""
        return cls._from_db_object(context, cls(), db_api.subcloud_get_by_name(context, name))

    @classmethod
    def get_by_ref(cls, context, ref):
        """The subcloud a path reference names: all digits is an id, anything else a name."""
        ref = str(ref)
        if ref.isdigit():
            return cls.get_by_id(context, int(ref))
        return cls.get_by_name(context, ref)

    @classmethod
    def list(cls, context, group_id=None):
        """Every subcloud ordered by id, optionally only one group's."""
        return cls._from_db_objects(context, db_api.subcloud_get_all(context, group_id=group_id))

    def create(self, context=None):
        """Insert this subcloud with its endpoint status rows."""
        if self.obj_attr_is_set('id'):
            raise exception.DCManagerException('Subcloud already created')
        context = context or self._context
        self._from_db_object(context, self, db_api.subcloud_create(context, self._changed_values()))

    def destroy(self, context=None):
        """Delete this subcloud."""
        db_api.subcloud_destroy(context or self._context, self.id)
