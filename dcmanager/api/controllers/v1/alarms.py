"""/v1.0/alarms: the alarm summary of every subcloud, as the audit last found it.

The list joins the summaries' rows as the database keeps them rendered
(``AlarmSummary.list_texts``), or where it keeps none, reads plain rows (no object per summary)
and writes their JSON column by column (``views.alarm_rows_json``): it must stay fast with
thousands of subclouds.
"""

import pecan

from dcmanager.api import openapi, policy, views
from dcmanager.api.controllers import base
from dcmanager.api.schemas import responses
from dcmanager.common import subcloud_json
from dcmanager.objects import alarm_summary as alarm_summary_obj
from dcmanager.policies import alarms as rules


class AlarmsController(base.RestController):
    """GET /v1.0/alarms (any deeper path is 404, any other method 405)."""

    @openapi.operation('The alarm summary of every subcloud', response=responses.ALARM_LIST)
    @pecan.expose('json')
    def get_all(self):
        ctx = base.context()
        policy.authorize(rules.GET, ctx)
        texts = alarm_summary_obj.AlarmSummary.list_texts(ctx)
        if texts is not None:
            return base.json_chunks_response(subcloud_json.list_body('alarm_summary', texts))
        return base.json_text_response(
            views.alarm_rows_json(alarm_summary_obj.AlarmSummary.list_rows(ctx)))
