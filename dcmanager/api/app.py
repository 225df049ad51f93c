"""The WSGI application: middleware, pecan, hooks.

From the outside in: request normalisation (``//`` collapses to ``/``, see NormalizeRequest),
request id (``x-openstack-request-id``), the body size limit (``dcmanager.api.body_limit``, before
authentication: an anonymous client cannot make the API read a huge body), keystonemiddleware
``auth_token`` for every path but ``/`` when ``auth_strategy = keystone`` (behind a bound on the
requests waiting for Keystone, ``dcmanager.api.auth``), then pecan with the context and error
hooks.
"""

import re

from oslo_middleware import request_id

from dcmanager import objects
from dcmanager.api import auth, body_limit, hooks, pecan_argspec, routing
from dcmanager.api.controllers import root
from dcmanager.conf import CONF

_SLASHES = re.compile('/{2,}')


class NormalizeRequest:
    """Collapses repeated slashes (the CLI builds URLs such as ``/v1.0//subclouds``), and keeps
    the client's Accept header aside: every successful answer is JSON whatever it asks for (pecan
    would answer 406 to ``Accept: text/html``); only error bodies follow it."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        path = environ.get('PATH_INFO', '')
        if '//' in path:
            environ['PATH_INFO'] = _SLASHES.sub('/', path)
        environ[hooks.ORIGINAL_ACCEPT] = environ.get('HTTP_ACCEPT') or '*/*'
        environ['HTTP_ACCEPT'] = 'application/json'
        return self.app(environ, start_response)


class VersionDocumentBypass:
    """Serves ``GET /`` without authentication and everything else through ``authenticated``."""

    def __init__(self, app, authenticated):
        self.app = app
        self.authenticated = authenticated

    def __call__(self, environ, start_response):
        if environ.get('PATH_INFO', '') in ('', '/'):
            return self.app(environ, start_response)
        return self.authenticated(environ, start_response)


def setup_app(conf=CONF):
    """Build the API's WSGI application from the configuration."""
    objects.register_all()
    pecan_argspec.install()
    app = routing.make_app(root.RootController(), hooks=[
        hooks.ContextHook(noauth=conf.auth_strategy == 'noauth'), hooks.ErrorHook()])
    if conf.auth_strategy == 'keystone':
        gate = auth.KeystoneGate(app, conf, auth.default_slots(conf.api.threads))
        app = VersionDocumentBypass(app, gate)
    app = body_limit.BodySizeLimit(app, conf.api.max_request_body_size)
    app = request_id.RequestId(app)
    return NormalizeRequest(app)
