"""/v1.0/subcloud-peer-groups: list, show, create, update, delete, a group's subclouds and status.

Request keys are hyphenated (``peer-group-name``), as the CLI sends them; answers use the
reference's underscore keys. A group created here is primary and led by this site; only then may
this site's operators change it (``dcmanager.manager.peer_groups``).
"""

import pecan

from dcmanager import objects
from dcmanager.api import forms, openapi, policy, schemas, views
from dcmanager.api.controllers import base
from dcmanager.api.schemas import responses
from dcmanager.api.schemas import subcloud_peer_groups as schema
from dcmanager.common import exception
from dcmanager.policies import subcloud_peer_groups as rules


def _fields(body):
    return {name.replace('-', '_'): value for name, value in body.items()}


def _check_created_here(ctx, body):
    """A group created by an operator is primary and led by this site."""
    if body.get('group-priority', 0) != 0:
        raise exception.InvalidInput(
            reason='Invalid group-priority: a peer group created on this site is its primary '
                   '(priority 0); its non-primary copies are made by the peer sites')
    local = objects.LocalSystem.get(ctx)
    if body.get('system-leader-id', local.system_uuid).lower() != local.system_uuid.lower():
        raise exception.InvalidInput(
            reason='Invalid system-leader-id [%s]: a peer group created on this site is led by '
                   'it (%s)' % (body['system-leader-id'], local.system_uuid))
    if body.get('system-leader-name', local.system_name) != local.system_name:
        raise exception.InvalidInput(
            reason='Invalid system-leader-name: a peer group created on this site is led by it '
                   '(%s)' % local.system_name)
    for name in ('group-priority', 'system-leader-id', 'system-leader-name'):
        body.pop(name, None)


def _update_body(request):
    raw = forms.json_object(request)
    leadership = sorted(set(raw) & set(schema.LEADERSHIP_KEYS))
    if leadership:
        raise exception.InvalidInput(
            reason='%s cannot be changed here: it follows the group\'s leadership (the peer '
                   'site and migrations set it)' % ', '.join(leadership))
    return schemas.validate(schema.UPDATE, raw, schema.MESSAGES)


class PeerGroupSubcloudsController(base.RestController):
    """GET /v1.0/subcloud-peer-groups/<ref>/subclouds"""

    @openapi.operation('The subclouds of a peer group', response=responses.SUBCLOUD_LIST)
    @pecan.expose('json')
    def get_all(self, peer_group_ref):
        ctx = base.context()
        policy.authorize(rules.GET, ctx)
        group = objects.SubcloudPeerGroup.get_by_ref(ctx, peer_group_ref)
        return {'subclouds': [views.subcloud(sc)
                              for sc in objects.Subcloud.list(ctx, peer_group_id=group.id)]}


class PeerGroupStatusController(base.RestController):
    """GET /v1.0/subcloud-peer-groups/<ref>/status"""

    @openapi.operation('The counters of a peer group\'s subclouds',
                       response=responses.PEER_GROUP_STATUS)
    @pecan.expose('json')
    def get_all(self, peer_group_ref):
        ctx = base.context()
        policy.authorize(rules.GET, ctx)
        return objects.SubcloudPeerGroup.get_by_ref(ctx, peer_group_ref).status(ctx)


class SubcloudPeerGroupsController(base.RestController):

    subclouds = PeerGroupSubcloudsController()
    status = PeerGroupStatusController()

    @openapi.operation('List the subcloud peer groups', response=responses.PEER_GROUP_LIST)
    @pecan.expose('json')
    def get_all(self):
        ctx = base.context()
        policy.authorize(rules.GET, ctx)
        return {'subcloud_peer_groups': [views.subcloud_peer_group(g)
                                         for g in objects.SubcloudPeerGroup.list(ctx)]}

    @openapi.operation('Show a subcloud peer group', response=responses.PEER_GROUP)
    @pecan.expose('json')
    def get_one(self, peer_group_ref):
        ctx = base.context()
        policy.authorize(rules.GET, ctx)
        return views.subcloud_peer_group(objects.SubcloudPeerGroup.get_by_ref(ctx, peer_group_ref))

    @openapi.operation('Create a subcloud peer group', body=schema.CREATE,
                       response=responses.PEER_GROUP)
    @pecan.expose('json')
    def post(self):
        ctx = base.context()
        policy.authorize(rules.CREATE, ctx)
        body = schemas.validate(schema.CREATE, forms.json_object(pecan.request), schema.MESSAGES)
        _check_created_here(ctx, body)
        group = objects.SubcloudPeerGroup(**_fields(dict(schema.DEFAULTS, **body)))
        return views.subcloud_peer_group(base.manager().create_subcloud_peer_group(ctx, group))

    @openapi.operation('Update a subcloud peer group this site leads', body=schema.UPDATE,
                       response=responses.PEER_GROUP)
    @pecan.expose('json')
    def patch(self, peer_group_ref):
        ctx = base.context()
        policy.authorize(rules.MODIFY, ctx)
        body = _update_body(pecan.request)
        group = objects.SubcloudPeerGroup.get_by_ref(ctx, peer_group_ref)
        for name, value in _fields(body).items():
            if getattr(group, name) != value:
                setattr(group, name, value)
        return views.subcloud_peer_group(base.manager().update_subcloud_peer_group(ctx, group))

    @openapi.operation('Delete a subcloud peer group that no association uses',
                       response=responses.DELETED)
    @pecan.expose('json')
    def delete(self, peer_group_ref):
        ctx = base.context()
        policy.authorize(rules.DELETE, ctx)
        group = objects.SubcloudPeerGroup.get_by_ref(ctx, peer_group_ref)
        base.manager().delete_subcloud_peer_group(ctx, group.id)
        return base.deleted()
