"""Field types of dcmanager's objects."""

import datetime

from oslo_versionedobjects import fields

BooleanField = fields.BooleanField
IntegerField = fields.IntegerField
StringField = fields.StringField
UUIDField = fields.UUIDField


class _NaiveDateTime(fields.DateTime):
    """A naive UTC timestamp that keeps its microseconds across RPC (the API prints them)."""

    def coerce(self, obj, attr, value):
        if isinstance(value, str):
            value = datetime.datetime.fromisoformat(value)
        if isinstance(value, datetime.datetime) and value.tzinfo is not None:
            value = value.astimezone(datetime.timezone.utc).replace(tzinfo=None)
        return super().coerce(obj, attr, value)

    def to_primitive(self, obj, attr, value):
        return value.isoformat()

    def from_primitive(self, obj, attr, value):
        return self.coerce(obj, attr, value)


class DateTimeField(fields.AutoTypedField):
    AUTO_TYPE = _NaiveDateTime(tzinfo_aware=False)
