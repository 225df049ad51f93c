"""/v1.0: the resources of API version 1.0."""

import pecan

from dcmanager.api import openapi
from dcmanager.api.controllers import base
from dcmanager.api.controllers.v1 import (
    alarms,
    openapi_document,
    peer_group_associations,
    site_alarms,
    subcloud_groups,
    subcloud_peer_groups,
    subclouds,
    system_peers,
)
from dcmanager.api.schemas import responses


class V1Controller(base.RestController):

    @openapi.operation('API version 1.0', response=responses.VERSION)
    @pecan.expose('json')
    def get_all(self):
        return {'id': 'v1.0', 'status': 'CURRENT'}


pecan.route(V1Controller, 'subcloud-groups', subcloud_groups.SubcloudGroupsController())
pecan.route(V1Controller, 'subclouds', subclouds.SubcloudsController())
pecan.route(V1Controller, 'alarms', alarms.AlarmsController())
pecan.route(V1Controller, 'system-peers', system_peers.SystemPeersController())
pecan.route(V1Controller, 'peer-group-associations',
            peer_group_associations.PeerGroupAssociationsController())
pecan.route(V1Controller, 'subcloud-peer-groups',
            subcloud_peer_groups.SubcloudPeerGroupsController())
pecan.route(V1Controller, 'site-alarms', site_alarms.SiteAlarmsController())
pecan.route(V1Controller, 'openapi.json', openapi_document.OpenAPIController())
