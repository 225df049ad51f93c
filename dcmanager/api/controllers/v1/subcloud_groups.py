"""/v1.0/subcloud-groups: list, show, create, update, delete, and a group's subclouds."""

import pecan

from dcmanager import objects
from dcmanager.api import forms, openapi, policy, schemas, views
from dcmanager.api.controllers import base
from dcmanager.api.schemas import responses
from dcmanager.api.schemas import subcloud_groups as schema
from dcmanager.policies import subcloud_groups as rules


class GroupSubcloudsController(base.RestController):
    """GET /v1.0/subcloud-groups/<ref>/subclouds"""

    @openapi.operation('The subclouds of a group', response=responses.SUBCLOUD_LIST)
    @pecan.expose('json')
    def get_all(self, group_ref):
        ctx = base.context()
        policy.authorize(rules.GET, ctx)
        group = objects.SubcloudGroup.get_by_ref(ctx, group_ref)
        return {'subclouds': [views.subcloud(sc)
                              for sc in objects.Subcloud.list(ctx, group_id=group.id)]}


class SubcloudGroupsController(base.RestController):

    subclouds = GroupSubcloudsController()

    @openapi.operation('List the subcloud groups', response=responses.GROUP_LIST)
    @pecan.expose('json')
    def get_all(self):
        ctx = base.context()
        policy.authorize(rules.GET, ctx)
        counts = objects.SubcloudGroup.subcloud_counts(ctx)
        return {'subcloud_groups': [views.subcloud_group(g, counts.get(g.id, 0))
                                    for g in objects.SubcloudGroup.list(ctx)]}

    @openapi.operation('Show a subcloud group', response=responses.GROUP)
    @pecan.expose('json')
    def get_one(self, group_ref):
        ctx = base.context()
        policy.authorize(rules.GET, ctx)
        return views.subcloud_group(objects.SubcloudGroup.get_by_ref(ctx, group_ref))

    @openapi.operation('Create a subcloud group', body=schema.CREATE, response=responses.GROUP)
    @pecan.expose('json')
    def post(self):
        ctx = base.context()
        policy.authorize(rules.CREATE, ctx)
        body = schemas.validate(schema.CREATE, forms.json_object(pecan.request),
                                schema.MESSAGES)
        group = base.manager().create_subcloud_group(ctx, objects.SubcloudGroup(**body))
        return views.subcloud_group(group)

    @openapi.operation('Update a subcloud group', body=schema.UPDATE, response=responses.GROUP)
    @pecan.expose('json')
    def patch(self, group_ref):
        ctx = base.context()
        policy.authorize(rules.MODIFY, ctx)
        body = schemas.validate(schema.UPDATE, forms.json_object(pecan.request),
                                schema.MESSAGES)
        group = objects.SubcloudGroup.get_by_ref(ctx, group_ref)
        for name, value in body.items():
            setattr(group, name, value)
        return views.subcloud_group(base.manager().update_subcloud_group(ctx, group))

    @openapi.operation('Delete an empty subcloud group', response=responses.DELETED)
    @pecan.expose('json')
    def delete(self, group_ref):
        ctx = base.context()
        policy.authorize(rules.DELETE, ctx)
        group = objects.SubcloudGroup.get_by_ref(ctx, group_ref)
        base.manager().delete_subcloud_group(ctx, group.id)
        return base.deleted()
