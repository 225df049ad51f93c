"""AlarmSummary: the alarm counts of a subcloud, as its last audit found them.

A summary is written by the audit (``objects.subcloud_audit.finish``) and read by
``GET /v1.0/alarms``. Counts of -1 with ``cloud_status`` ``disabled`` mean "not known": the values
the reference gives a subcloud at creation and puts back when it goes offline or is unmanaged.
"""

from dcmanager.common import states
from dcmanager.db import api as db_api
from dcmanager.objects import base, fields

REGISTRY = base.DCManagerObjectRegistry

# The summary of a subcloud whose alarms are not known (reference: clear_subcloud_alarm_summary).
CLEARED = {
    'critical_alarms': -1,
    'major_alarms': -1,
    'minor_alarms': -1,
    'warnings': -1,
    'cloud_status': states.CLOUD_STATUS_DISABLED,
}
COUNTS = ('critical_alarms', 'major_alarms', 'minor_alarms', 'warnings')


@REGISTRY.register
class AlarmSummary(base.DCManagerObject):
    # Version 1.0: initial version
    VERSION = '1.0'

    fields = dict(base.DCManagerObject.fields, **{
        'id': fields.IntegerField(read_only=True),
        'uuid': fields.UUIDField(),
        'subcloud_id': fields.IntegerField(),
        'subcloud_name': fields.StringField(),
        'critical_alarms': fields.IntegerField(),
        'major_alarms': fields.IntegerField(),
        'minor_alarms': fields.IntegerField(),
        'warnings': fields.IntegerField(),
        'cloud_status': fields.StringField(),
    })

    # A row of ``list_rows``: the subcloud's name, then the summary's columns.
    LIST_COLUMNS = ('subcloud_name', 'uuid') + COUNTS + ('cloud_status',)

    @classmethod
    def _from_row(cls, context, row, subcloud_name):
        obj = cls()
        for name in obj.fields:
            if name != 'subcloud_name':
                setattr(obj, name, getattr(row, name))
        obj.subcloud_name = subcloud_name
        obj._context = context
        obj.obj_reset_changes()
        return obj

    @classmethod
    def list(cls, context):
        """Every subcloud's summary with the subcloud's name, newest summary (highest id) first."""
        return [cls._from_row(context, row, name)
                for row, name in db_api.alarm_summary_get_all(context)]

    @staticmethod
    def list_rows(context):
        """What ``GET /v1.0/alarms`` lists, without an object per summary (thousands of
        subclouds): read-only tuples of ``LIST_COLUMNS``, in that order, newest summary first."""
        return db_api.alarm_summary_list_rows(context)

    @staticmethod
    def list_texts(context):
        """What ``GET /v1.0/alarms`` lists as the JSON texts of its rows, kept up to date by the
        database (``db.api.alarm_summary_list_texts``), newest summary first; None when the
        database does not keep them (then use list_rows)."""
        return db_api.alarm_summary_list_texts(context)

    @staticmethod
    def set_for(context, subcloud_id, values):
        """Create or replace the summary of a subcloud from ``values`` (the counts and
        ``cloud_status``); SubcloudNotFound if it does not exist."""
        db_api.alarm_summary_set(context, subcloud_id, values)

    @staticmethod
    def create_cleared(context, subcloud_id):
        """The summary of a subcloud just created (in the same transaction): not known."""
        db_api.alarm_summary_create(context, subcloud_id, CLEARED)

    @staticmethod
    def clear(context, subcloud_id):
        """Mark a subcloud's alarms as not known (e.g. when it is unmanaged)."""
        db_api.alarm_summary_set(context, subcloud_id, CLEARED)
