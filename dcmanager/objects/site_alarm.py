"""SiteAlarm: an alarm of the site itself (not of a subcloud), such as a peer site that stopped
answering its heartbeat. Raised and cleared by the manager (once per transition), listed by
``GET /v1.0/site-alarms``."""

from dcmanager.db import geo_api
from dcmanager.objects import base, fields

REGISTRY = base.DCManagerObjectRegistry

# A peer site does not answer its heartbeat (the reference's DC_SYSTEM_PEER_HEARTBEAT_FAILED).
PEER_HEARTBEAT_FAILED = '280.004'
# A peer group this site is the preferred site of (priority 0 here) is led by another site
# (the reference's DC_SUBCLOUD_PEER_GROUP_NOT_MANAGED).
PEER_GROUP_NOT_LED = '280.005'
CRITICAL = 'critical'
MAJOR = 'major'


def peer_entity(peer_uuid):
    return 'peer=%s' % peer_uuid


def peer_group_entity(peer_group_uuid):
    """The entity of a group's alarm: its UUID, which both sites share and a rename keeps."""
    return 'peer_group=%s' % peer_group_uuid


@REGISTRY.register
class SiteAlarm(base.DCManagerObject):
    # Version 1.0: initial version
    VERSION = '1.0'

    fields = dict(base.DCManagerObject.fields, **{
        'id': fields.IntegerField(read_only=True),
        'alarm_id': fields.StringField(),
        'entity': fields.StringField(),
        'severity': fields.StringField(),
        'reason': fields.StringField(),
        'repair': fields.StringField(),
    })

    @classmethod
    def list(cls, context):
        """Every raised site alarm, oldest first."""
        return cls._from_db_objects(context, geo_api.site_alarm_get_all(context))

    @staticmethod
    def raise_alarm(context, alarm_id, entity, severity, reason, repair):
        """Raise (or update) the alarm; True if it was not raised before."""
        return geo_api.site_alarm_raise(context, alarm_id, entity, severity, reason, repair)

    @staticmethod
    def clear(context, alarm_id, entity):
        """Clear the alarm; True if it was raised."""
        return geo_api.site_alarm_clear(context, alarm_id, entity)
