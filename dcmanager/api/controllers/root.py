"""GET / (the version document, no authentication) and the /v1.0 mount."""

import pecan

from dcmanager.api import openapi
from dcmanager.api.controllers import base
from dcmanager.api.controllers.v1 import root as v1_root
from dcmanager.api.schemas import responses
from dcmanager.conf import CONF

API_VERSION = 'v1.0'
API_UPDATED = '2017-10-2'


class RootController(base.RestController):

    @openapi.operation('The API versions (no authentication)', response=responses.VERSIONS)
    @pecan.expose('json')
    def get_all(self):
        url = (CONF.api.public_url or pecan.request.application_url).rstrip('/')
        return {'versions': [{
            'status': 'CURRENT',
            'links': [{'rel': 'self', 'href': '%s/%s/' % (url, API_VERSION)}],
            'id': API_VERSION,
            'updated': API_UPDATED,
        }]}


pecan.route(RootController, API_VERSION, v1_root.V1Controller())
