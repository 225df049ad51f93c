"""/v1.0/peer-group-associations: list, show, create, update, sync, delete.

An association pairs a subcloud peer group with a system peer. This site's operators associate
the groups it leads (``primary``); the manager records the sync to the peer site as an operation
it owns (``syncing``) before answering (``dcmanager.manager.associations``). A path's id must be
digits. ``PATCH .../sync`` takes an empty body, as the CLI sends it.
"""

import pecan

from dcmanager import objects
from dcmanager.api import forms, openapi, policy, schemas, views
from dcmanager.api.controllers import base
from dcmanager.api.schemas import peer_group_associations as schema
from dcmanager.api.schemas import responses
from dcmanager.common import exception
from dcmanager.policies import peer_group_associations as rules


def _update_body(request):
    body = schemas.validate(schema.UPDATE, forms.json_object(request), schema.MESSAGES)
    if len(body) > 1:
        raise exception.InvalidInput(
            reason='peer_group_priority and sync_status cannot be updated at the same time.')
    if 'sync_status' in body:
        raise exception.InvalidInput(
            reason='sync_status is written by the site that leads the group, on its peer\'s '
                   'copy; here, sync the association (PATCH .../sync)')
    return body


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
        policy.authorize(rules.CREATE, ctx)
        body = schemas.validate(schema.CREATE, forms.json_object(pecan.request), schema.MESSAGES)
        association = objects.PeerGroupAssociation(**body)
        return views.association(base.manager().create_peer_group_association(ctx, association))

    @openapi.operation('Change the priority of the peer site\'s copy of the group',
                       body=schema.UPDATE, response=responses.ASSOCIATION)
    @pecan.expose('json')
    def patch(self, association_ref):
        ctx = base.context()
        policy.authorize(rules.MODIFY, ctx)
        body = _update_body(pecan.request)
        association = objects.PeerGroupAssociation.get_by_ref(ctx, association_ref)
        return views.association(base.manager().update_peer_group_association(
            ctx, association.id, body['peer_group_priority']))

    @openapi.operation('Delete a primary association',
                       response=responses.DELETED)
    @pecan.expose('json')
    def delete(self, association_ref):
        ctx = base.context()
        policy.authorize(rules.DELETE, ctx)
        association = objects.PeerGroupAssociation.get_by_ref(ctx, association_ref)
        base.manager().delete_peer_group_association(ctx, association.id)
        return base.deleted()
