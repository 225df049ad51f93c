"""/v1.0/peer-group-associations: list, show, create, update, sync, delete.

An association pairs a subcloud peer group with a system peer. This site's operators associate
the groups it leads (``primary``); the manager records the sync to the peer site as an operation
it owns (``syncing``) before answering (``dcmanager.manager.associations``). A path's id must be
digits. ``PATCH .../sync`` takes an empty body, as the CLI sends it. A non-primary association
(of the peer site's copy of a group) is the peer role's alone: it creates it, sets its
``sync_status`` and deletes it (policy ``dc_api:peer_group_associations:non_primary``).
"""

import pecan

from dcmanager import objects
from dcmanager.api import forms, openapi, policy, schemas, views
from dcmanager.api.controllers import base
from dcmanager.api.schemas import peer_group_associations as schema
from dcmanager.api.schemas import responses
from dcmanager.common import exception
from dcmanager.policies import peer_group_associations as rules


def _leader_term(body, as_peer):
    """The peer site's ``leader_term`` of the group, taken out of ``body`` (None if not sent);
    an operator does not send one."""
    term = body.pop('leader_term', None)
    if term is not None and not as_peer:
        raise exception.InvalidInput(reason='leader_term is sent by the peer site that leads '
                                            'the group, with its writes to its copies')
    return term


def _update_body(request, as_peer):
    body = schemas.validate(schema.UPDATE, forms.json_object(request), schema.MESSAGES)
    term = _leader_term(body, as_peer)
    if not body:
        raise exception.InvalidInput(reason='peer_group_priority or sync_status is required')
    if len(body) > 1:
        raise exception.InvalidInput(
            reason='peer_group_priority and sync_status cannot be updated at the same time.')
    if as_peer and 'peer_group_priority' in body:
        raise exception.InvalidInput(
            reason='The priority of a non-primary association is its group\'s: the peer site '
                   'changes the group (PATCH /subcloud-peer-groups)')
    if 'sync_status' in body and not as_peer:
        raise exception.InvalidInput(
            reason='sync_status is written by the site that leads the group, on its peer\'s '
                   'copy; here, sync the association (PATCH .../sync)')
    return body, term


def _as_peer(ctx, association, operator_rule):
    """True when the peer site writes the non-primary ``association``; else ``operator_rule``
    is checked."""
    return policy.as_peer(ctx, not association.is_primary(), [operator_rule], rules.NON_PRIMARY,
                          exception.PeerGroupAssociationIsPrimary(id=association.id))


def _new_association(ctx, body):
    """(PeerGroupAssociation, as_peer) of a create: non-primary when its group is."""
    try:
        group = objects.SubcloudPeerGroup.get_by_id(ctx, body['peer_group_id'])
    except exception.SubcloudPeerGroupNotFound:
        raise exception.InvalidInput(reason='Invalid peer_group_id') from None
    as_peer = policy.as_peer(ctx, not group.is_primary(), [rules.CREATE], rules.NON_PRIMARY,
                             exception.SubcloudPeerGroupIsPrimary(name=group.peer_group_name))
    if as_peer and 'peer_group_priority' in body:
        raise exception.InvalidInput(
            reason='peer_group_priority is set on a primary association only (its group\'s '
                   'priority is 0); peer group %s is non-primary here' % group.peer_group_name)
    group.check_term(_leader_term(body, as_peer))
    if not as_peer:
        schemas.validate(schema.CREATE, body, schema.MESSAGES)
    return objects.PeerGroupAssociation(**body), as_peer


class AssociationSyncController(base.RestController):
    """PATCH /v1.0/peer-group-associations/<id>/sync"""

    @openapi.operation('Sync a primary association to its peer site',
                       response=responses.ASSOCIATION)
    @pecan.expose('json')
    def patch(self, association_ref):
        ctx = base.context()
        policy.authorize(rules.MODIFY, ctx)
        association = objects.PeerGroupAssociation.get_by_ref(ctx, association_ref)
        return views.association(base.manager().sync_peer_group_association(ctx, association.id))


class PeerGroupAssociationsController(base.RestController):

    sync = AssociationSyncController()

    @openapi.operation('List the peer group associations', response=responses.ASSOCIATION_LIST)
    @pecan.expose('json')
    def get_all(self):
        ctx = base.context()
        policy.authorize(rules.GET, ctx)
        return {'peer_group_associations': [
            views.association(a, with_message=False)
            for a in objects.PeerGroupAssociation.list(ctx)]}

    @openapi.operation('Show a peer group association', response=responses.ASSOCIATION)
    @pecan.expose('json')
    def get_one(self, association_ref):
        ctx = base.context()
        policy.authorize(rules.GET, ctx)
        return views.association(objects.PeerGroupAssociation.get_by_ref(ctx, association_ref))

    @openapi.operation('Associate a peer group this site leads with a system peer',
                       body=schema.CREATE, response=responses.ASSOCIATION)
    @pecan.expose('json')
    def post(self):
        ctx = base.context()
        policy.authorize_any(ctx, rules.CREATE, rules.NON_PRIMARY)
        body = schemas.validate(schema.CREATE_NON_PRIMARY, forms.json_object(pecan.request),
                                schema.MESSAGES)
        association, as_peer = _new_association(ctx, body)
        return views.association(base.manager().create_peer_group_association(
            ctx, association, as_peer=as_peer))

    @openapi.operation('Change the priority of the peer site\'s copy of the group',
                       body=schema.UPDATE, response=responses.ASSOCIATION)
    @pecan.expose('json')
    def patch(self, association_ref):
        ctx = base.context()
        policy.authorize_any(ctx, rules.MODIFY, rules.NON_PRIMARY)
        association = objects.PeerGroupAssociation.get_by_ref(ctx, association_ref)
        as_peer = _as_peer(ctx, association, rules.MODIFY)
        body, term = _update_body(pecan.request, as_peer)
        if as_peer:
            objects.SubcloudPeerGroup.get_by_id(ctx, association.peer_group_id).check_term(term)
            return views.association(base.manager().set_peer_group_association_sync_status(
                ctx, association.id, body['sync_status']))
        return views.association(base.manager().update_peer_group_association(
            ctx, association.id, body['peer_group_priority']))

    @openapi.operation('Delete a primary association',
                       response=responses.DELETED)
    @pecan.expose('json')
    def delete(self, association_ref):
        ctx = base.context()
        policy.authorize_any(ctx, rules.DELETE, rules.NON_PRIMARY)
        association = objects.PeerGroupAssociation.get_by_ref(ctx, association_ref)
        as_peer = _as_peer(ctx, association, rules.DELETE)
        force = schemas.validate(schema.DELETE_QUERY, pecan.request.GET.mixed(),
                                 schema.MESSAGES).get('force') == 'true'
        base.manager().delete_peer_group_association(ctx, association.id, as_peer=as_peer,
                                                     force=force)
        return base.deleted()
