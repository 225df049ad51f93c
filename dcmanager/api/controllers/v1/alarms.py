"""/v1.0/alarms: the alarm summary of every subcloud, as the audit last found it."""

import pecan

from dcmanager import objects
from dcmanager.api import policy
from dcmanager.api.controllers import base
from dcmanager.policies import alarms as rules


def _summary(summary):
    """One row of ``alarm_summary``: the reference's keys; ``region_name`` holds the subcloud's
    name (a reference quirk the ``dcmanager alarm summary`` command prints as NAME)."""
    return {
        'region_name': summary.subcloud_name,
        'uuid': summary.uuid,
        'critical_alarms': summary.critical_alarms,
        'major_alarms': summary.major_alarms,
        'minor_alarms': summary.minor_alarms,
        'warnings': summary.warnings,
        'cloud_status': summary.cloud_status,
    }


class AlarmsController(base.CollectionRoot):
    """GET /v1.0/alarms (any deeper path is 404, any other method 405)."""

    @pecan.expose('json')
    def get_all(self):
        ctx = base.context()
        policy.authorize(rules.GET, ctx)
        return {'alarm_summary': [_summary(s) for s in objects.AlarmSummary.list(ctx)]}
