"""Subcloud: a remote cloud managed by this site."""

import json

from dcmanager.common import crypto, exception, integers, states
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
    # in clear and no view can print them. Read them with ``get_secrets`` where they are used.
    #
    # Nor is the owner of a transitory deploy status (the host of the manager running the
    # operation): the database layer writes it with the deploy status, from the ``owner`` given
    # to ``create`` and ``transition``, and ``recover_transitory`` reads it.

    # The columns of a list row (``list_rows_with_statuses``) and the filters it takes.
    LIST_COLUMNS = db_api.LIST_COLUMNS
    LIST_FILTERS = db_api.LIST_FILTERS

    @staticmethod
    def encrypt_secrets(secrets):
        """The column value for ``secrets`` (a dict of str)."""
        return crypto.encrypt(json.dumps(secrets, sort_keys=True))

    @staticmethod
    def decrypt_secrets(ciphertext):
        """The dict ``encrypt_secrets`` made ``ciphertext`` of ({} for None)."""
        return json.loads(crypto.decrypt(ciphertext)) if ciphertext else {}

    @staticmethod
    def make_rehome_data(saved_payload, bootstrap_address):
        """The ``rehome_data`` text: ``{"saved_payload": {<bootstrap values without secrets>,
        "bootstrap-address": <address>}}``, the reference's format (dates become strings)."""
        payload = dict(saved_payload or {})
        payload['bootstrap-address'] = bootstrap_address
        return json.dumps({'saved_payload': payload}, sort_keys=True, default=str)

    def saved_payload(self):
        """The saved bootstrap values of ``rehome_data`` ({} if none)."""
        if not self.obj_attr_is_set('rehome_data') or not self.rehome_data:
            return {}
        return json.loads(self.rehome_data).get('saved_payload') or {}

    @classmethod
    def get_secrets(cls, context, subcloud_id):
        """The decrypted secrets of a subcloud ({} if none were given)."""
        return cls.decrypt_secrets(db_api.subcloud_get_secrets(context, subcloud_id))

    @staticmethod
    def get_secrets_ciphertext(context, subcloud_id):
        """The secrets column as stored (for a compare-and-set of it)."""
        return db_api.subcloud_get_secrets(context, subcloud_id)

    @classmethod
    def get_by_id(cls, context, subcloud_id):
        """The subcloud with this id, or SubcloudNotFound."""
        return cls._from_db_object(context, cls(), db_api.subcloud_get(context, subcloud_id))

    @classmethod
    def get_by_name(cls, context, name):
        """The subcloud with this name, or SubcloudNotFound."""
        return cls._from_db_object(context, cls(), db_api.subcloud_get_by_name(context, name))

    @classmethod
    def get_by_region_name(cls, context, region_name):
        """The subcloud with this region name, or SubcloudNotFound."""
        return cls._from_db_object(context, cls(),
                                   db_api.subcloud_get_by_region(context, region_name))

    @classmethod
    def get_by_ref(cls, context, ref):
        """The subcloud a reference names: all ASCII digits is an id, anything else a name or,
        if no subcloud has that name, a region name (the peer site's stable reference: a name
        may change, a region never does)."""
        subcloud_id = integers.ref_id(ref)
        if subcloud_id is None:
            try:
                return cls.get_by_name(context, str(ref))
            except exception.SubcloudNotFound:
                return cls.get_by_region_name(context, str(ref))
        return cls.get_by_id(context, subcloud_id)

    @classmethod
    def list(cls, context, group_id=None, peer_group_id=None):
        """Every subcloud ordered by id, optionally only one group's or one peer group's."""
        return cls._from_db_objects(context, db_api.subcloud_get_all(
            context, group_id=group_id, peer_group_id=peer_group_id))

    @classmethod
    def get_with_statuses(cls, context, ref):
        """(Subcloud, [{"endpoint_type", "sync_status"}]) of the subcloud ``ref`` names (as for
        get_by_ref), read in one transaction; SubcloudNotFound."""
        subcloud_id = integers.ref_id(ref)
        if subcloud_id is None:
            try:
                db_obj, statuses = db_api.subcloud_get_with_statuses(context, name=str(ref))
            except exception.SubcloudNotFound:
                return cls.get_with_statuses(
                    context, str(db_api.subcloud_get_by_region(context, str(ref)).id))
        else:
            db_obj, statuses = db_api.subcloud_get_with_statuses(context,
                                                                 subcloud_id=subcloud_id)
        return (cls._from_db_object(context, cls(), db_obj),
                [{'endpoint_type': endpoint, 'sync_status': status}
                 for endpoint, status in statuses])

    @staticmethod
    def list_rows_with_statuses(context, filters=None, limit=None, marker=None):
        """(rows, statuses) without building an object per subcloud: what a list of thousands
        of subclouds needs. Read in one transaction.

        ``rows``: read-only tuples of ``LIST_COLUMNS`` (in that order, also readable by
        attribute) ordered by id; ``statuses``: for each row, its endpoint statuses as
        ((endpoint_type, ...), (sync_status, ...)) ordered by endpoint type.
        ``filters`` maps a name of ``LIST_FILTERS`` to the value it must equal; ``marker``: only
        ids above it; ``limit``: at most that many rows.
        """
        return db_api.subcloud_list_rows_with_statuses(context, filters, limit, marker)

    @staticmethod
    def list_texts(context, filters=None, limit=None, marker=None):
        """(ids, texts): each listed subcloud's list row as JSON text, kept up to date by the
        database (``db.api.subcloud_list_texts``): what a list of thousands of subclouds
        serves by concatenation. Arguments as for list_rows_with_statuses; None when the
        database does not keep the rows (then use list_rows_with_statuses)."""
        return db_api.subcloud_list_texts(context, filters, limit, marker)

    @staticmethod
    def show_text(context, ref):
        """The list row text (see list_texts) of the subcloud ``ref`` names (as for
        get_by_ref), which is also its show body; SubcloudNotFound. None when the database
        does not keep the rows."""
        subcloud_id = integers.ref_id(ref)
        if subcloud_id is not None:
            return db_api.subcloud_show_text(context, subcloud_id=subcloud_id)
        try:
            return db_api.subcloud_show_text(context, name=str(ref))
        except exception.SubcloudNotFound:
            return db_api.subcloud_show_text(context, region_name=str(ref))

    @staticmethod
    def subnet_clash(context, text, exclude_id=None):
        """(name, management_subnet) of a subcloud (but ``exclude_id``) whose management subnet
        overlaps the subnet ``text``, or None."""
        return db_api.subcloud_subnet_clash(context, text, exclude_id)

    @staticmethod
    def endpoint_statuses(context, subcloud_id):
        """[{"endpoint_type", "sync_status"}] of a subcloud, ordered by endpoint type."""
        return [{'endpoint_type': endpoint, 'sync_status': status}
                for endpoint, status in db_api.subcloud_endpoint_status_get(context, subcloud_id)]

    @staticmethod
    def set_endpoint_statuses(context, subcloud_id, statuses):
        """Set endpoint statuses ({type: status}; key None = all others) and the aggregate."""
        db_api.subcloud_endpoint_status_update(context, subcloud_id, statuses)

    @staticmethod
    def transition(context, subcloud_id, from_status, to_status, owner=None, **values):
        """Compare-and-set the deploy status ``from_status`` -> ``to_status`` (with ``values``);
        True if this caller made the change.

        ``owner``: the host of the manager running the operation. Given, a transition out of a
        transitory status happens only while the subcloud is still that manager's (or nobody's),
        and a transitory ``to_status`` is recorded as its; any other ``to_status`` leaves the
        subcloud without an owner. A move ``states.DEPLOY`` does not allow is refused
        (InvalidStateTransition) before anything is written.
        """
        states.DEPLOY.check(from_status, to_status)
        return db_api.subcloud_transition(context, subcloud_id, from_status,
                                          dict(values, deploy_status=to_status), owner=owner)

    @staticmethod
    def transition_members(context, peer_group_id, from_statuses, to_status, **values):
        """Move the peer group's members in one of ``from_statuses`` to ``to_status`` (with
        ``values``), in one statement (no owner: ``to_status`` is not transitory); how many.
        A move ``states.DEPLOY`` does not allow is refused before anything is written."""
        for status in from_statuses:
            states.DEPLOY.check(status, to_status)
        return db_api.subcloud_update_members(context, peer_group_id, sorted(from_statuses),
                                              dict(values, deploy_status=to_status))

    @staticmethod
    def recover_transitory(context, recoveries, host, binary, down_time, at_start=False):
        """Move the subclouds in a transitory deploy status whose manager is gone to their
        recovery target, with its error description; returns how many. ``recoveries``: the
        ``statetable.Recovery`` of each deploy status to recover (``states.DEPLOY``).

        Gone: the owner is not ``host`` and has had no ``binary`` heartbeat for ``down_time``
        seconds. With ``at_start`` (``host``'s manager is starting), also those ``host`` owns
        and those without an owner. One compare-and-set statement (see db.api).
        """
        return db_api.subcloud_recover_transitory(context, recoveries, host, binary, down_time,
                                                  at_start=at_start)

    def create(self, context=None, secrets=None, owner=None):
        """Insert this subcloud with its endpoint status rows; ``secrets`` is the encrypted
        column value (``encrypt_secrets``); ``owner``, the host of the manager that runs the
        operation of its deploy status if that is a transitory one."""
        if self.obj_attr_is_set('id'):
            raise exception.DCManagerException('Subcloud already created')
        context = context or self._context
        values = self._changed_values()
        if secrets is not None:
            values['secrets'] = secrets
        self._from_db_object(context, self, db_api.subcloud_create(context, values, owner=owner))

    def save(self, context=None, expected=None, secrets=None, endpoint_status=None,
             owner=None, out_of_sync_groups=(), out_of_sync_copies=()):
        """Write the changed fields (and ``secrets``, the encrypted column value) if the row still
        matches ``expected`` ({field: value or collection of values}); SubcloudChanged if not.

        ``endpoint_status`` ({endpoint type: status}, key None = all others) is written in the
        same transaction, and so are the primary associations of the peer groups
        ``out_of_sync_groups`` marked out-of-sync, and the non-primary associations of the
        copies ``out_of_sync_copies`` (a member's rehome data corrected here). ``owner``: the
        host of the manager that runs the operation of the transitory deploy status written (as
        for ``create``).
        """
        context = context or self._context
        values = self._changed_values()
        values.pop('id', None)
        if secrets is not None:
            values['secrets'] = secrets
        if owner is not None:
            values['deploy_owner'] = owner
        if not values and not endpoint_status:
            return
        db_obj = db_api.subcloud_update(context, self.id, values, expected=expected,
                                        endpoint_status=endpoint_status,
                                        out_of_sync_groups=out_of_sync_groups,
                                        out_of_sync_copies=out_of_sync_copies)
        self._from_db_object(context, self, db_obj)

    def delete_if_allowed(self, context=None, secondary=False):
        """Delete this subcloud unless it is managed, in a peer group or busy (one statement);
        ``secondary``: only if it is a secondary copy (which may be in a peer group)."""
        db_api.subcloud_delete_if_allowed(context or self._context, self.id, secondary=secondary)

    def destroy(self, context=None):
        """Delete this subcloud, whatever its state."""
        db_api.subcloud_destroy(context or self._context, self.id)
