"""Base classes for dcmanager's versioned objects."""

from oslo_versionedobjects import base as ovo_base

from dcmanager.objects import fields


class DCManagerObjectRegistry(ovo_base.VersionedObjectRegistry):
    def registration_hook(self, cls, index):
        # Make the newest version reachable as dcmanager.objects.<Name>.
        import dcmanager.objects as objects_pkg

        current = getattr(objects_pkg, cls.obj_name(), None)
        if current is None or cls.VERSION >= current.VERSION:
            setattr(objects_pkg, cls.obj_name(), cls)


class DCManagerObject(ovo_base.VersionedObject):
    """Base of every dcmanager object: a namespace, timestamps, and loading from a DB row."""

    OBJ_PROJECT_NAMESPACE = 'dcmanager'

    fields = {
        'created_at': fields.DateTimeField(nullable=True),
        'updated_at': fields.DateTimeField(nullable=True),
    }

    @classmethod
    def _from_db_object(cls, context, obj, db_obj):
        for name in obj.fields:
            setattr(obj, name, getattr(db_obj, name))
        obj._context = context
        obj.obj_reset_changes()
        return obj

    @classmethod
    def _from_db_objects(cls, context, db_objs):
        return [cls._from_db_object(context, cls(), db_obj) for db_obj in db_objs]

    def _changed_values(self):
        return {name: getattr(self, name) for name in self.obj_what_changed()}


class DCManagerObjectSerializer(ovo_base.VersionedObjectSerializer):
    """Turns dcmanager objects into primitives for RPC and back."""

    OBJ_BASE_CLASS = DCManagerObject
