"""The WSGI application: middleware, pecan, hooks.

From the outside in: path normalisation (``//`` collapses to ``/``), request id
(``x-openstack-request-id``), keystonemiddleware ``auth_token`` for every path but ``/`` when
``auth_strategy = keystone``, then pecan with the context and error hooks.
"""

import re

from keystonemiddleware import auth_token
from oslo_middleware import request_id
import pecan

from dcmanager.api.controllers import root
from dcmanager.api import hooks
from dcmanager.conf import CONF
from dcmanager import objects

_SLASHES = re.compile('/{2,}')


class NormalizePath:
    """Collapses repeated slashes: the CLI builds URLs such as ``/v1.0//subclouds``."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        path = environ.get('PATH_INFO', '')
        if '//' in path:
            environ['PATH_INFO'] = _SLASHES.sub('/', path)
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
    app = pecan.make_app(
        root.RootController(),
        hooks=[hooks.ContextHook(), hooks.ErrorHook()],
        force_canonical=False,
        guess_content_type_from_ext=False,
        logging=False,
    )
    if conf.auth_strategy == 'keystone':
        app = VersionDocumentBypass(app, auth_token.AuthProtocol(app, {'oslo_config_config': conf}))
    app = request_id.RequestId(app)
    return NormalizePath(app)
