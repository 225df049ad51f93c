"""Helpers shared by the controllers."""

import pecan
from pecan import rest, util
import webob.exc

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


def json_chunks_response(chunks):
    """A 200 response whose body is ``chunks`` (bytes, JSON already encoded) one after the
    other: a large list is answered without joining its pieces into one more copy."""
    pecan.response.status = 200
    pecan.response.content_type = 'application/json'
    pecan.response.app_iter = chunks
    pecan.response.content_length = sum(len(chunk) for chunk in chunks)
    return pecan.response


# For each method pecan's REST routing serves: the handler of the controller's own URL and the
# handler of a URL with more path segments (ids) after it. Nothing else is ever routed.
_HANDLERS = (('DELETE', 'delete', 'delete'), ('GET', 'get_all', 'get_one'),
             ('PATCH', 'patch', 'patch'), ('POST', 'post', 'post'), ('PUT', 'put', 'put'))


def _path_arguments(request, remainder):
    """How many path segments the handler would be given (the ids of the parents too)."""
    return len(request.pecan.get('routing_args', [])) + sum(1 for part in remainder if part)


def _accepts(handler, count):
    """Whether ``handler`` takes ``count`` positional arguments (besides ``self``)."""
    spec = util.getargspec(handler)
    names = spec.args[1:]
    required = len(names) - len(spec.defaults or ())
    return required <= count and (spec.varargs is not None or count <= len(names))


class RestController(rest.RestController):
    """The base of every controller: REST routing on the method and the path only.

    - The HTTP method is the request's own: pecan's ``_method`` override (in the query string or
      a form body) is never read, so a GET never runs a handler that changes anything.
    - A handler runs only when the path gives it every positional argument it takes, and no
      more (``dcmanager.api.routing`` never fills one from the query string or the body).
    - A URL that some handler serves answers any other method 405 with an ``Allow`` header
      listing exactly the methods it serves, derived from the handlers' signatures; a URL that
      no handler serves is 404.
    - A path segment only ever names a sub-controller or a handler, never another attribute.
    """

    def _lookup_child(self, name):
        if name.startswith('_'):
            return None
        child = super()._lookup_child(name)
        if isinstance(child, rest.RestController) or util.iscontroller(child):
            return child
        return None

    def allowed_methods(self, request, remainder):
        """The methods this controller serves at its URL followed by ``remainder``, sorted."""
        count = _path_arguments(request, remainder)
        item = any(remainder)
        allowed = []
        for method, own, deeper in _HANDLERS:
            handler = self._find_controller(deeper if item else own)
            if handler is not None and _accepts(handler, count):
                allowed.append(method)
        return allowed

    def _not_served(self, request, remainder):
        allowed = self.allowed_methods(request, remainder)
        if not allowed:
            return exception.NotFound()
        return exception.MethodNotAllowed(method=request.method, allowed=', '.join(allowed))

    @pecan.expose()
    def _route(self, args, request=None):
        request = request or pecan.request
        method = request.method.lower()
        found = self._find_sub_controllers(args, request)
        if found:
            return found
        handle = getattr(self, '_handle_%s' % method, self._handle_unknown_method)
        try:
            controller, remainder = handle(method, args, request)
        except webob.exc.HTTPMethodNotAllowed:
            raise self._not_served(request, args) from None
        # A handler of a sub-controller was checked by that controller's own _route.
        if getattr(controller, '__self__', None) is self and not _accepts(
                controller, _path_arguments(request, remainder)):
            raise self._not_served(request, remainder)
        return controller, remainder
