"""How a request finds its controller: from its method and its path, nothing else.

pecan, left to itself, also routes on what the client sends beside them, and that changed state
through unexpected paths:

- it fills a controller's missing positional arguments from the query string or the body, so
  ``DELETE /v1.0/subcloud-groups?group_ref=edge`` deleted the group ``edge``;
- it parses the body while routing (JSON, forms) to find those arguments: a body nested too deeply
  or a form in another charset failed there as a 500, even on a DELETE that has no use for a body;
- its ``_method`` override is in the REST controllers (``dcmanager.api.controllers.base`` turns
  it off);
- it logs a full traceback at ERROR for a URL or query string that is not UTF-8 and answers a
  generic 400.

Here a controller's arguments come only from the path; the body is read only by the controller
that needs it (``dcmanager.api.forms``), where each fault gets its own message.
"""

import pecan
from pecan import core, util
import webob

from dcmanager.common import exception

# What a UnicodeDecodeError raised while reading a request attribute is about.
_URL_ATTRIBUTES = frozenset(('path_info', 'path', 'path_qs', 'path_url', 'url', 'script_name',
                             'application_url', 'host_url'))
_QUERY_ATTRIBUTES = frozenset(('GET', 'query_string', 'params'))


def _undecodable(name):
    if name in _URL_ATTRIBUTES:
        return 'The URL path is not valid UTF-8'
    if name in _QUERY_ATTRIBUTES:
        return 'The query string is not valid UTF-8'
    return 'The request body is not valid UTF-8'


class Request(pecan.Request):
    """pecan's request, but text that is not UTF-8 is the client's fault: InvalidInput (a 400
    saying which part of the request), with no traceback in the log."""

    def __getattribute__(self, name):
        try:
            # webob's own lookup, skipping pecan's, which logs the error with its traceback.
            return webob.Request.__getattribute__(self, name)
        except UnicodeDecodeError:
            raise exception.InvalidInput(reason=_undecodable(name)) from None


class _PathRouting(core.PecanBase):
    """Replaces pecan's ``PecanBase.find_controller``; ``pecan.Pecan`` (below it in the
    ``Pecan`` class) keeps binding the request to its thread-local state around it."""

    def find_controller(self, state):
        """The controller for the request, its arguments (from the path only), after running
        the ``on_route`` and ``before`` hooks as pecan does."""
        request = state.request
        request.pecan['routing_path'] = path = request.path_info
        self.handle_hooks(self.hooks, 'on_route', state)
        request.pecan['extension'] = None
        controller, remainder = self.route(request, self.root, path)
        cfg = util._cfg(controller)
        if cfg.get('generic') or cfg.get('generic_handler'):
            # pecan's generic controllers are not used; they would route on more than the path.
            raise exception.NotFound()
        state.controller = controller
        # Every answer is JSON (dcmanager.api.app.NormalizeRequest): pecan's negotiation against
        # the Accept header would always pick it.
        request.pecan['content_type'] = cfg.get('content_type') or 'application/json'
        args, varargs, kwargs = self.get_args(state, {}, remainder, cfg['argspec'], None)
        state.arguments = core.Arguments(args, varargs, kwargs)
        self.handle_hooks(self.determine_hooks(controller), 'before', state)
        return controller, args + varargs, kwargs


class Pecan(pecan.Pecan, _PathRouting):
    """The pecan application with the routing described in the module docstring."""

    def _handle_empty_response_body(self, state):
        """pecan answers 204 for a 200 without a body, and to know, it reads the body: the
        pieces of a large list joined into one more copy and decoded to text, megabytes at every
        request, and the body handed to the server as that one joined piece. A response that
        declares a length other than 0 has a body: nothing to check."""
        if state.response.content_length:
            return
        super()._handle_empty_response_body(state)


def make_app(root, hooks):
    """The pecan WSGI application of ``root`` with ``hooks``."""
    return Pecan(root, hooks=hooks, request_cls=Request, force_canonical=False,
                 guess_content_type_from_ext=False)
