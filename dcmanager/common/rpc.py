"""oslo.messaging plumbing: transport, serializer, clients and servers.

``[DEFAULT] transport_url`` picks the transport: ``kombu+memory:////`` (the default) is
in-process, for the single-process site and the tests; ``rabbit://...`` is RabbitMQ, for several
processes and hosts.
Work runs on the threading executor; nothing here uses eventlet.
"""

import oslo_messaging as messaging
from oslo_messaging import opts as messaging_opts
from oslo_messaging.rpc import dispatcher

from dcmanager.common import context as dc_context
from dcmanager.common import memory_transport
from dcmanager.conf import CONF

# The exceptions a manager may raise and the API may receive as themselves.
ALLOWED_EXMODS = ['dcmanager.common.exception']

_TRANSPORT = None

memory_transport.install()


def get_transport():
    """The process's RPC transport, created on first use from ``CONF.transport_url``."""
    global _TRANSPORT
    if _TRANSPORT is None:
        if CONF.transport_url.startswith('kombu+memory'):
            # The in-process broker has no heartbeats; asking for them only logs a warning per
            # connection.
            for group, opts in messaging_opts.list_opts():
                if group == 'oslo_messaging_rabbit':
                    CONF.register_opts(opts, group=group)
            CONF.set_default('heartbeat_timeout_threshold', 0, group='oslo_messaging_rabbit')
        _TRANSPORT = messaging.get_rpc_transport(
            CONF, url=memory_transport.rpc_url(CONF.transport_url),
            allowed_remote_exmods=ALLOWED_EXMODS)
    return _TRANSPORT


def cleanup():
    """Close the transport (at service stop, and between tests that change it)."""
    global _TRANSPORT
    if _TRANSPORT is not None:
        _TRANSPORT.cleanup()
        _TRANSPORT = None


class RequestContextSerializer(messaging.Serializer):
    """Sends the request context as a dict, and entities through ``base`` (objects)."""

    def __init__(self, base):
        self._base = base

    def serialize_entity(self, ctxt, entity):
        return self._base.serialize_entity(ctxt, entity)

    def deserialize_entity(self, ctxt, entity):
        return self._base.deserialize_entity(ctxt, entity)

    def serialize_context(self, ctxt):
        values = ctxt.to_dict()
        # The manager acts with its own credentials: the caller's token never crosses the bus.
        values.pop('auth_token', None)
        return values

    def deserialize_context(self, ctxt):
        return dc_context.RequestContext.from_dict(ctxt)


def get_client(topic, version, serializer, timeout=None):
    """An RPC client for ``topic`` capped at ``version``; ``serializer`` handles the objects."""
    target = messaging.Target(topic=topic, version=version)
    return messaging.get_rpc_client(get_transport(), target,
                                    serializer=RequestContextSerializer(serializer),
                                    timeout=timeout or CONF.manager.rpc_timeout)


def get_server(topic, server, version, endpoints, serializer):
    """An RPC server (threading executor) for ``topic`` dispatching to ``endpoints``."""
    target = messaging.Target(topic=topic, server=server, version=version)
    return messaging.get_rpc_server(get_transport(), target, endpoints,
                                    serializer=RequestContextSerializer(serializer),
                                    access_policy=dispatcher.DefaultRPCAccessPolicy)
