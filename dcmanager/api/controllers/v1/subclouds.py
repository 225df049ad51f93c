"""/v1.0/subclouds: list (filters, pages), show (and detail), add, update, delete.

Add and update take ``multipart/form-data`` as the CLI sends it, or JSON with the same keys
(``dcmanager.api.forms``). Passwords are encrypted here, before the RPC call, and never leave this
process in clear. The list reads plain rows (no object per subcloud): it must stay fast with
thousands of subclouds.

A secondary subcloud is the peer site's copy of a subcloud it leads: the peer role alone adds
(``secondary=true``), changes and deletes it (policy ``dc_api:subclouds:secondary``), and alone
changes the management state of a peer group's member
(``dc_api:subclouds:manage_peer_group_member``).
"""

import urllib.parse

import pecan

from dcmanager import objects
from dcmanager.api import forms, openapi, policy, schemas, views
from dcmanager.api.controllers import base
from dcmanager.api.controllers.v1 import subcloud_redeploy
from dcmanager.api.schemas import responses, subcloud_values
from dcmanager.api.schemas import subclouds as schema
from dcmanager.common import exception, states, subcloud_json
from dcmanager.conf import CONF
from dcmanager.policies import subclouds as rules


def _group_id(ctx, ref, message):
    """The id of the group ``ref`` (id or name, as typed) names; InvalidInput(message) if none."""
    try:
        return objects.SubcloudGroup.get_by_ref(ctx, ref).id
    except exception.SubcloudGroupNotFound:
        raise exception.InvalidInput(reason=message) from None


def _peer_group_id(ctx, ref):
    """The id of the peer group ``ref`` (id or name) names, None for "none" (any case);
    InvalidInput if there is no such group."""
    if ref.lower() == 'none':
        return None
    try:
        return objects.SubcloudPeerGroup.get_by_ref(ctx, ref).id
    except exception.SubcloudPeerGroupNotFound:
        raise exception.InvalidInput(reason='Invalid peer group') from None


def _show(ctx, ref, detail):
    subcloud, statuses = objects.Subcloud.get_with_statuses(ctx, ref)
    return views.subcloud_show(subcloud, statuses, detail=detail)


def _list(query, filters, limit):
    """The list's response: the stored row texts joined (``objects.Subcloud.list_texts``), or
    where the database keeps none, the rows encoded column by column."""
    # One row more than the page tells whether there is a next page.
    fetch = None if limit is None else limit + 1
    extra = {}
    listed = objects.Subcloud.list_texts(base.context(), filters, fetch, query.get('marker'))
    if listed is not None:
        ids, texts = listed
        if limit is not None and len(texts) > limit:
            texts = texts[:limit]
            extra['next'] = _next_url(query, ids[limit - 1])
        return base.json_chunks_response(subcloud_json.list_body('subclouds', texts, extra))
    rows, statuses = objects.Subcloud.list_rows_with_statuses(
        base.context(), filters, fetch, query.get('marker'))
    if limit is not None and len(rows) > limit:
        rows, statuses = rows[:limit], statuses[:limit]
        extra['next'] = _next_url(query, rows[-1].id)
    return base.json_text_response(views.subcloud_rows_json(rows, statuses, **extra))


def _answer(ctx, subcloud):
    """The body of an add or update: the subcloud as the manager returned it (its enrollment
    may have moved on since; GET shows that) with its endpoint statuses."""
    return views.subcloud_show(subcloud, objects.Subcloud.endpoint_statuses(ctx, subcloud.id),
                               detail=True)


def _next_url(query, last_id):
    url = (CONF.api.public_url or pecan.request.application_url).rstrip('/')
    params = dict(query, marker=last_id)
    return '%s/v1.0/subclouds?%s' % (url, urllib.parse.urlencode(sorted(params.items())))


def _is_secondary(subcloud):
    return subcloud.deploy_status in states.SECONDARY_DEPLOY_STATES


def _update_as_peer(ctx, subcloud, form):
    """Authorize a PATCH; True when the peer site writes: its secondary copy, or (a form of
    management fields only) the management state of a peer group's member."""
    needed = rules.update_rules(form)
    if _is_secondary(subcloud):
        return policy.as_peer(ctx, True, needed, rules.SECONDARY, None)
    if (subcloud.peer_group_id is not None and form and set(form) <= rules.MANAGE_FIELDS
            and policy.allowed(rules.MANAGE_PEER_GROUP_MEMBER, ctx)):
        return True
    return policy.as_peer(ctx, False, needed, rules.SECONDARY,
                          exception.SubcloudNotSecondary(name=subcloud.name,
                                                         state=subcloud.deploy_status))


def _new_subcloud(ctx, request):
    """The unsaved Subcloud of an add's checked ``request``."""
    fields = request.fields
    payload = fields.pop('saved_payload')
    group_id = (states.DEFAULT_GROUP_ID if request.group_ref is None
                else _group_id(ctx, request.group_ref, 'Invalid group_id'))
    if 'peer_group' in fields:
        fields['peer_group_id'] = _peer_group_id(ctx, fields.pop('peer_group'))
    return objects.Subcloud(
        group_id=group_id,
        rehome_data=objects.Subcloud.make_rehome_data(payload, fields['bootstrap_address']),
        **fields)


def _check_term(ctx, peer_group_id, term):
    """LeaderTermStale when the peer site's ``term`` of the copy of the group a secondary copy
    is written into is older than the copy's here (its sender no longer leads the group)."""
    if term is not None and peer_group_id is not None:
        objects.SubcloudPeerGroup.get_by_id(ctx, peer_group_id).check_term(term)


def _add_secondary(ctx, form):
    policy.authorize(rules.SECONDARY, ctx)
    request = subcloud_values.secondary_create_request(form)
    subcloud = _new_subcloud(ctx, request)
    _check_term(ctx, subcloud.peer_group_id if subcloud.obj_attr_is_set('peer_group_id')
                else None, request.leader_term)
    return base.manager().add_secondary_subcloud(
        ctx, subcloud, objects.Subcloud.encrypt_secrets(request.secrets))


class SubcloudDetailController(base.RestController):
    """GET /v1.0/subclouds/<ref>/detail (anything below it is 404)."""

    @openapi.operation('Show a subcloud with its details', response=responses.SUBCLOUD_DETAIL)
    @pecan.expose('json')
    def get_all(self, ref):
        ctx = base.context()
        policy.authorize(rules.GET, ctx)
        return _show(ctx, ref, detail=True)


class SubcloudsController(base.RestController):

    detail = SubcloudDetailController()
    redeploy = subcloud_redeploy.SubcloudRedeployController()

    @openapi.operation('List subclouds (filters, pages)', query=schema.LIST_QUERY,
                       response=responses.SUBCLOUD_LIST)
    @pecan.expose('json')
    def get_all(self):
        ctx = base.context()
        policy.authorize(rules.GET, ctx)
        query = schemas.validate(schema.LIST_QUERY, pecan.request.GET.mixed(),
                                 schema.LIST_MESSAGES)
        filters = {schema.LIST_FILTERS[k]: v for k, v in query.items() if k in schema.LIST_FILTERS}
        return _list(query, filters, query.get('limit'))

    @openapi.operation('Show a subcloud', response=responses.SUBCLOUD_SHOW)
    @pecan.expose('json')
    def get_one(self, ref):
        ctx = base.context()
        policy.authorize(rules.GET, ctx)
        # The show body is the subcloud's list row: the stored text where there is one.
        text = objects.Subcloud.show_text(ctx, ref)
        if text is not None:
            return base.json_chunks_response([text])
        return _show(ctx, ref, detail=False)

    @openapi.operation('Add a subcloud and enroll it', body=schema.CREATE,
                       forms=schema.YAML_FILES, response=responses.SUBCLOUD_DETAIL)
    @pecan.expose('json')
    def post(self):
        ctx = base.context()
        policy.authorize_any(ctx, rules.CREATE, rules.SECONDARY)
        form = forms.read(pecan.request, schema.YAML_FILES)
        if form.get('secondary') in ('true', True):
            return _answer(ctx, _add_secondary(ctx, form))
        policy.authorize(rules.CREATE, ctx)
        request = subcloud_values.create_request(form)
        added = base.manager().add_subcloud(ctx, _new_subcloud(ctx, request),
                                            objects.Subcloud.encrypt_secrets(request.secrets))
        return _answer(ctx, added)

    @openapi.operation('Update a subcloud', body=schema.UPDATE, forms=schema.YAML_FILES,
                       response=responses.SUBCLOUD_DETAIL)
    @pecan.expose('json')
    def patch(self, ref):
        ctx = base.context()
        form = forms.read(pecan.request, schema.YAML_FILES)
        policy.authorize_any(ctx, *rules.update_rules(form), rules.SECONDARY,
                             rules.MANAGE_PEER_GROUP_MEMBER)
        subcloud = objects.Subcloud.get_by_ref(ctx, ref)
        as_peer = _update_as_peer(ctx, subcloud, form)
        request = subcloud_values.update_request(
            form, subcloud.name, subcloud.saved_payload().get('system_mode'),
            secondary_region=subcloud.region_name if as_peer and _is_secondary(subcloud)
            else None)
        if request.group_ref is not None:
            subcloud.group_id = _group_id(ctx, request.group_ref, 'Invalid group')
        if 'peer_group' in request.fields:
            subcloud.peer_group_id = _peer_group_id(ctx, request.fields.pop('peer_group'))
        _check_term(ctx, subcloud.peer_group_id, request.leader_term)
        payload = request.fields.pop('saved_payload', None)
        if payload is not None:
            subcloud.rehome_data = objects.Subcloud.make_rehome_data(
                payload, request.fields.get('bootstrap_address', subcloud.bootstrap_address))
        for name, value in request.fields.items():
            setattr(subcloud, name, value)
        secrets = (objects.Subcloud.encrypt_secrets(request.secrets) if request.secrets
                   else None)
        updated = base.manager().update_subcloud(ctx, subcloud, force=request.force,
                                                 secrets=secrets, as_peer=as_peer)
        return _answer(ctx, updated)

    @openapi.operation('Delete an unmanaged subcloud', response=responses.DELETED)
    @pecan.expose('json')
    def delete(self, ref):
        ctx = base.context()
        policy.authorize_any(ctx, rules.DELETE, rules.SECONDARY)
        subcloud = objects.Subcloud.get_by_ref(ctx, ref)
        as_peer = policy.as_peer(ctx, _is_secondary(subcloud), [rules.DELETE], rules.SECONDARY,
                                 exception.SubcloudNotSecondary(name=subcloud.name,
                                                                state=subcloud.deploy_status))
        base.manager().delete_subcloud(ctx, subcloud.id, as_peer=as_peer)
        return base.deleted()
