"""Helpers shared by the controllers."""

import pecan
from pecan import rest

from dcmanager.common import exception
from dcmanager.manager import rpcapi

_MANAGER = None


def context():
    """The request context the ContextHook built."""
    return pecan.request.context


def manager():
    """The manager's RPC client (one per API process)."""
    global _MANAGER
    if _MANAGER is None:
        _MANAGER = rpcapi.ManagerAPI()
    return _MANAGER


def reset():
    """Forget the RPC client (after the transport changed)."""
    global _MANAGER
    _MANAGER = None


def deleted():
    """The answer to a successful DELETE: 200 with JSON ``null``, as the CLI requires."""
    pecan.response.status = 200
    pecan.response.content_type = 'application/json'
    pecan.response.text = 'null'
    return pecan.response


def json_text_response(text):
    """A 200 response with ``text``, JSON already encoded (ASCII): what a list that writes its
    own JSON (``views.list_json``) returns instead of a dict for pecan to encode."""
    pecan.response.status = 200
    pecan.response.content_type = 'application/json'
    pecan.response.body = text.encode('ascii')
    return pecan.response


class CollectionRoot(rest.RestController):
    """A controller whose children are resources: an unknown child is 404 (pecan would say 405),
    the controller itself answers 405 to the methods it does not serve."""

    def _unknown(self, parts):
        if any(parts):
            raise exception.NotFound()
        raise exception.MethodNotAllowed(method=pecan.request.method)

    # pecan routes to a known child before any of these; they only see what matched nothing.
    @pecan.expose('json')
    def get_one(self, *parts):
        self._unknown(parts)

    @pecan.expose('json')
    def post(self, *parts):
        self._unknown(parts)

    @pecan.expose('json')
    def put(self, *parts):
        self._unknown(parts)

    @pecan.expose('json')
    def patch(self, *parts):
        self._unknown(parts)

    @pecan.expose('json')
    def delete(self, *parts):
        self._unknown(parts)
