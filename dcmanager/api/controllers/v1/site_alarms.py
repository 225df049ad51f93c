"""/v1.0/site-alarms: the alarms of the site itself, not of a subcloud (those are the alarm
summary of /v1.0/alarms): a peer site that stopped answering its heartbeat (280.004, entity
``peer=<uuid>``). An alarm is listed while it is raised."""

import pecan

from dcmanager import objects
from dcmanager.api import openapi, policy, views
from dcmanager.api.controllers import base
from dcmanager.api.schemas import responses
from dcmanager.policies import site_alarms as rules


class SiteAlarmsController(base.RestController):
    """GET /v1.0/site-alarms"""

    @openapi.operation('The alarms of the site itself', response=responses.SITE_ALARM_LIST)
    @pecan.expose('json')
    def get_all(self):
        ctx = base.context()
        policy.authorize(rules.GET, ctx)
        return {'site_alarms': [views.site_alarm(a) for a in objects.SiteAlarm.list(ctx)]}
