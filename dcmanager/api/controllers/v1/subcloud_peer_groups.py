"""/v1.0/subcloud-peer-groups: list, show, create, update, delete, a group's subclouds and status.

Request keys are hyphenated (``peer-group-name``), as the CLI sends them; answers use the
reference's underscore keys. A group created here by an operator is primary and led by this site;
only then may this site's operators change it (``dcmanager.manager.peer_groups``). A non-primary
group (priority above 0) is the peer site's copy of a group it leads: the peer role alone
creates, changes and deletes it (policy ``dc_api:subcloud_peer_groups:non_primary``).
"""

import pecan

from dcmanager import objects
from dcmanager.api import forms, openapi, policy, schemas, views
from dcmanager.api.controllers import base
from dcmanager.api.schemas import responses, subcloud_values
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
    given = sorted(set(body) & set(schema.PEER_KEYS))
    if given:
        raise exception.InvalidInput(
            reason='%s: set by the peer site only, on its copy of a group it leads'
                   % ', '.join(given))


def _check_copy(ctx, body):
    """The peer site's copy is led by the peer site, never by this one."""
    body = schemas.validate(schema.CREATE_COPY, body, schema.MESSAGES)
    local = objects.LocalSystem.get(ctx)
    if body['system-leader-id'].lower() == local.system_uuid.lower():
        raise exception.InvalidInput(
            reason='Invalid system-leader-id [%s]: a non-primary group is led by the peer site, '
                   'not by this site' % body['system-leader-id'])
    body['peer-group-uuid'] = body['peer-group-uuid'].lower()
    return body


def _update_body(request, as_peer):
    raw = forms.json_object(request)
    if as_peer:
        return schemas.validate(schema.UPDATE_COPY, raw, schema.MESSAGES)
    leadership = sorted(set(raw) & set(schema.LEADERSHIP_KEYS))
    if leadership:
        raise exception.InvalidInput(
            reason='%s cannot be changed here: it follows the group\'s leadership (the peer '
                   'site and migrations set it)' % ', '.join(leadership))
    return schemas.validate(schema.UPDATE, raw, schema.MESSAGES)


def _as_peer(ctx, group, operator_rule):
    """True when the peer site writes its copy ``group``; else the operator ``operator_rule``
    is checked."""
    return policy.as_peer(ctx, not group.is_primary(), [operator_rule], rules.NON_PRIMARY,
                          exception.SubcloudPeerGroupIsPrimary(name=group.peer_group_name))


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


class PeerGroupAuditController(base.RestController):
    """PATCH /v1.0/subcloud-peer-groups/<ref>/audit: the leader site's view of a group, sent to
    its copy here (the peer role only): the copy takes its leader, term and migration status,
    unless the term is older than the copy's (409 LeaderTermStale)."""

    @openapi.operation('The leader\'s view of a group, for its copy here',
                       body=schema.AUDIT, response=responses.PEER_GROUP_AUDIT)
    @pecan.expose('json')
    def patch(self, peer_group_ref):
        ctx = base.context()
        policy.authorize(rules.NON_PRIMARY, ctx)
        body = schemas.validate(schema.AUDIT, forms.json_object(pecan.request), schema.MESSAGES)
        group = objects.SubcloudPeerGroup.get_by_ref(ctx, peer_group_ref)
        return base.manager().audit_peer_group_copy(ctx, group.id, body)


class PeerGroupMigrateController(base.RestController):
    """PATCH /v1.0/subcloud-peer-groups/<ref>/migrate: migrate the group's secondary (and
    failed) subclouds to this site; the answer lists them at once, the rehomes go on in the
    manager (``GET .../status`` shows how far)."""

    @openapi.operation('Migrate a peer group\'s subclouds to this site', body=schema.MIGRATE,
                       response=responses.SUBCLOUD_LIST)
    @pecan.expose('json')
    def patch(self, peer_group_ref):
        ctx = base.context()
        policy.authorize(rules.MODIFY, ctx)
        body = schemas.validate(schema.MIGRATE, forms.json_object(pecan.request),
                                schema.MESSAGES)
        # Checked as the reference checks it; neither kept nor sent (the rehome entry point
        # authenticates with the subcloud's admin identity).
        subcloud_values.decode_password(body['sysadmin_password'], 'sysadmin_password')
        group = objects.SubcloudPeerGroup.get_by_ref(ctx, peer_group_ref)
        migrated = base.manager().migrate_subcloud_peer_group(ctx, group.id)
        return {'subclouds': [views.subcloud(sc) for sc in migrated]}


class SubcloudPeerGroupsController(base.RestController):

    subclouds = PeerGroupSubcloudsController()
    status = PeerGroupStatusController()
    audit = PeerGroupAuditController()
    migrate = PeerGroupMigrateController()

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
        policy.authorize_any(ctx, rules.CREATE, rules.NON_PRIMARY)
        raw = forms.json_object(pecan.request)
        body = schemas.validate(schema.CREATE, raw, schema.MESSAGES)
        copy = body.get('group-priority', 0) != 0
        as_peer = policy.as_peer(ctx, copy, [rules.CREATE], rules.NON_PRIMARY,
                                 exception.InvalidInput(
                                     reason='The peer site creates only its copies of the groups '
                                            'it leads (group-priority above 0) here'))
        if as_peer:
            body = _check_copy(ctx, body)
        else:
            _check_created_here(ctx, body)
        group = objects.SubcloudPeerGroup(**_fields(dict(schema.DEFAULTS, **body)))
        return views.subcloud_peer_group(
            base.manager().create_subcloud_peer_group(ctx, group, as_peer=as_peer))

    @openapi.operation('Update a subcloud peer group this site leads', body=schema.UPDATE,
                       response=responses.PEER_GROUP)
    @pecan.expose('json')
    def patch(self, peer_group_ref):
        ctx = base.context()
        policy.authorize_any(ctx, rules.MODIFY, rules.NON_PRIMARY)
        group = objects.SubcloudPeerGroup.get_by_ref(ctx, peer_group_ref)
        as_peer = _as_peer(ctx, group, rules.MODIFY)
        body = _update_body(pecan.request, as_peer)
        for name, value in _fields(body).items():
            if getattr(group, name) != value:
                setattr(group, name, value)
        return views.subcloud_peer_group(
            base.manager().update_subcloud_peer_group(ctx, group, as_peer=as_peer))

    @openapi.operation('Delete a subcloud peer group that no association uses',
                       response=responses.DELETED)
    @pecan.expose('json')
    def delete(self, peer_group_ref):
        ctx = base.context()
        policy.authorize_any(ctx, rules.DELETE, rules.NON_PRIMARY)
        group = objects.SubcloudPeerGroup.get_by_ref(ctx, peer_group_ref)
        as_peer = _as_peer(ctx, group, rules.DELETE)
        base.manager().delete_subcloud_peer_group(ctx, group.id, as_peer=as_peer)
        return base.deleted()
