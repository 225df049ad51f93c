"""pecan hooks: the request context on the way in, the error translation on the way out."""

from pecan import hooks

from dcmanager.api import errors
from dcmanager.common import context as dc_context

# Where the client's own Accept header is kept (see dcmanager.api.app.NormalizeRequest).
ORIGINAL_ACCEPT = 'dcmanager.accept'


class ContextHook(hooks.PecanHook):
    """Builds ``request.context`` from keystonemiddleware's headers (or the noauth admin)."""

    priority = 10

    def __init__(self, noauth):
        # Decided with the middleware when the app is built, never per request.
        self.noauth = noauth

    def before(self, state):
        environ = state.request.environ
        request_id = environ.get('openstack.request_id')
        if self.noauth:
            state.request.context = dc_context.get_noauth_context(request_id=request_id)
        else:
            state.request.context = dc_context.RequestContext.from_environ(
                environ, request_id=request_id)


class ErrorHook(hooks.PecanHook):
    """Turns every exception into the HTTP status and body of ``dcmanager.api.errors``."""

    priority = 1000

    def on_error(self, state, exc):
        environ = state.request.environ
        return errors.to_response(exc, request_id=environ.get('openstack.request_id'),
                                  accept=environ.get(ORIGINAL_ACCEPT, '*/*'),
                                  method=environ.get('REQUEST_METHOD', 'GET'))
