"""/v1.0/system-peers: list, show, create, update, delete, and a peer's subcloud peer groups.

A peer is named by id (digits), UUID or name. ``manager_password`` arrives base64-encoded (as the
CLI sends it); it is decoded and encrypted here, before the RPC call, and never leaves this
process in clear nor comes back in an answer.
"""

import base64
import binascii
import ipaddress

import pecan

from dcmanager import objects
from dcmanager.api import forms, openapi, policy, schemas, views
from dcmanager.api.controllers import base
from dcmanager.api.schemas import responses
from dcmanager.api.schemas import system_peers as schema
from dcmanager.common import exception
from dcmanager.policies import system_peers as rules

# Request key -> SystemPeer field, where they differ.
_FIELDS = {'peer_controller_gateway_address': 'peer_controller_gateway_ip'}


def _body(schema_, request):
    """The validated body, keys spelt with underscores (hyphens are accepted too)."""
    raw = forms.json_object(request)
    body = {}
    for key, value in raw.items():
        name = key.replace('-', '_') if isinstance(key, str) else key
        if name in body:
            raise exception.InvalidInput(reason='Field given twice: %s' % name)
        body[name] = value
    return schemas.validate(schema_, body, schema.MESSAGES)


def _gateway(text):
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        raise exception.InvalidInput(
            reason=schema.MESSAGES['peer_controller_gateway_address']) from None


def _password(text):
    """The ciphertext of the password whose base64 is ``text``."""
    try:
        password = base64.b64decode(text.encode('ascii'), validate=True).decode('utf-8')
    except (UnicodeError, binascii.Error):
        password = ''
    if not password or len(password) > 255:
        raise exception.InvalidInput(reason='Invalid peer manager_password: the base64 of a '
                                            'password of 1 to 255 characters')
    return objects.SystemPeer.encrypt_password(password)


def _split(body):
    """(SystemPeer fields, password ciphertext or None) of a validated body."""
    password = body.pop('manager_password', None)
    if 'peer_controller_gateway_address' in body:
        body['peer_controller_gateway_address'] = _gateway(body['peer_controller_gateway_address'])
    if 'peer_uuid' in body:
        body['peer_uuid'] = body['peer_uuid'].lower()
    fields = {_FIELDS.get(name, name): value for name, value in body.items()}
    return fields, (_password(password) if password is not None else None)


def _info_message(association_ids):
    commands = ', '.join('dcmanager peer-group-association sync %d' % i
                         for i in association_ids)
    return ('The peer controller gateway address changed: peer group associations %s are '
            'out-of-sync; sync them with: %s'
            % (', '.join(str(i) for i in association_ids), commands))


class PeerGroupsOfPeerController(base.RestController):
    """GET /v1.0/system-peers/<ref>/subcloud-peer-groups"""

    @openapi.operation('The subcloud peer groups associated with a system peer',
                       response=responses.PEER_GROUP_LIST)
    @pecan.expose('json')
    def get_all(self, peer_ref):
        ctx = base.context()
        policy.authorize(rules.GET, ctx)
        peer = objects.SystemPeer.get_by_ref(ctx, peer_ref)
        return {'subcloud_peer_groups': [views.subcloud_peer_group(group)
                                         for group in peer.peer_groups(ctx)]}


class SystemPeersController(base.RestController):

    @openapi.operation('List the system peers', response=responses.SYSTEM_PEER_LIST)
    @pecan.expose('json')
    def get_all(self):
        ctx = base.context()
        policy.authorize(rules.GET, ctx)
        return {'system_peers': [views.system_peer(p) for p in objects.SystemPeer.list(ctx)]}

    @openapi.operation('Show a system peer', response=responses.SYSTEM_PEER)
    @pecan.expose('json')
    def get_one(self, peer_ref):
        ctx = base.context()
        policy.authorize(rules.GET, ctx)
        return views.system_peer(objects.SystemPeer.get_by_ref(ctx, peer_ref))

    @openapi.operation('Create a system peer', body=schema.CREATE,
                       response=responses.SYSTEM_PEER)
    @pecan.expose('json')
    def post(self):
        ctx = base.context()
        policy.authorize(rules.CREATE, ctx)
        fields, password = _split(_body(schema.CREATE, pecan.request))
        peer = objects.SystemPeer(**dict(schema.DEFAULTS, **fields))
        return views.system_peer(base.manager().create_system_peer(ctx, peer, password))

    @openapi.operation('Update a system peer', body=schema.UPDATE,
                       response=responses.SYSTEM_PEER_UPDATED)
    @pecan.expose('json')
    def patch(self, peer_ref):
        ctx = base.context()
        policy.authorize(rules.MODIFY, ctx)
        fields, password = _split(_body(schema.UPDATE, pecan.request))
        peer = objects.SystemPeer.get_by_ref(ctx, peer_ref)
        for name, value in fields.items():
            if getattr(peer, name) != value:
                setattr(peer, name, value)
        peer, marked = base.manager().update_system_peer(ctx, peer, password)
        body = views.system_peer(peer)
        if marked:
            body['info_message'] = _info_message(marked)
        return body

    @openapi.operation('Delete a system peer that no association uses',
                       response=responses.DELETED)
    @pecan.expose('json')
    def delete(self, peer_ref):
        ctx = base.context()
        policy.authorize(rules.DELETE, ctx)
        peer = objects.SystemPeer.get_by_ref(ctx, peer_ref)
        base.manager().delete_system_peer(ctx, peer.id)
        return base.deleted()


pecan.route(SystemPeersController, 'subcloud-peer-groups', PeerGroupsOfPeerController())
