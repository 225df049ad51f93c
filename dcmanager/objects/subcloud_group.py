"""SubcloudGroup: a named set of subclouds that share orchestration settings."""

from dcmanager.common import exception, integers
from dcmanager.db import api as db_api
from dcmanager.objects import base, fields

REGISTRY = base.DCManagerObjectRegistry


@REGISTRY.register
class SubcloudGroup(base.DCManagerObject):
    # Version 1.0: initial version
    VERSION = '1.0'

    fields = dict(base.DCManagerObject.fields, **{
        'id': fields.IntegerField(read_only=True),
        'name': fields.StringField(),
        'description': fields.StringField(nullable=True),
        'update_apply_type': fields.StringField(),
        'max_parallel_subclouds': fields.IntegerField(),
    })

    @classmethod
    def get_by_id(cls, context, group_id):
        """The group with this id, or SubcloudGroupNotFound."""
        return cls._from_db_object(context, cls(), db_api.subcloud_group_get(context, group_id))

    @classmethod
    def get_by_name(cls, context, name):
        """The group with this name, or SubcloudGroupNotFound."""
        return cls._from_db_object(context, cls(),
                                   db_api.subcloud_group_get_by_name(context, name))

    @classmethod
    def get_by_ref(cls, context, ref):
        """The group a reference names: all ASCII digits is an id, anything else a name."""
        group_id = integers.ref_id(ref)
        if group_id is None:
            return cls.get_by_name(context, str(ref))
        return cls.get_by_id(context, group_id)

    @classmethod
    def list(cls, context):
        """Every group, ordered by id."""
        return cls._from_db_objects(context, db_api.subcloud_group_get_all(context))

    @staticmethod
    def subcloud_counts(context):
        """{group id: number of subclouds}, for the groups that have any."""
        return db_api.subcloud_group_subcloud_counts(context)

    def create(self, context=None):
        """Insert this group; SubcloudGroupNameTaken if the name is in use."""
        if self.obj_attr_is_set('id'):
            raise exception.DCManagerException('Subcloud group already created')
        context = context or self._context
        db_obj = db_api.subcloud_group_create(context, self._changed_values())
        self._from_db_object(context, self, db_obj)

    def save(self, context=None):
        """Write the changed fields; SubcloudGroupNotFound or SubcloudGroupNameTaken."""
        context = context or self._context
        changes = self._changed_values()
        if not changes:
            return
        db_obj = db_api.subcloud_group_update(context, self.id, changes)
        self._from_db_object(context, self, db_obj)

    def destroy(self, context=None):
        """Delete this group if it has no subclouds (SubcloudGroupNotEmpty otherwise)."""
        db_api.subcloud_group_destroy(context or self._context, self.id)
