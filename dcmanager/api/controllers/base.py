"""Helpers shared by the controllers."""

import pecan

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
