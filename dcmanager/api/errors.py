"""The one place where exceptions become HTTP responses.

The body follows what the real dcmanager CLI can print (spec/client-contract.md section 3):
webob's HTML error page for ``Accept: */*`` or HTML (the CLI prints its second line and the
detail), JSON for ``Accept: application/json``, plain text otherwise. The message is the
exception's own text and never contains a token or password.
"""

from oslo_log import log as logging
import webob.exc

from dcmanager.common import exception

LOG = logging.getLogger(__name__)

_INTERNAL_MESSAGE = 'The server could not complete the request because of an internal error.'


def _json_formatter(message, error_name):
    def formatter(body, status, title, environ):
        code = int(status.split(None, 1)[0])
        return {'code': code, 'title': title, 'description': message, 'error': error_name}
    return formatter


def http_error(code, message, error_name):
    """A webob HTTP exception that renders ``message`` for the request's Accept header."""
    cls = webob.exc.status_map.get(int(code), webob.exc.HTTPInternalServerError)
    error = cls(detail=message)
    error.json_formatter = _json_formatter(message, error_name)
    return error


def to_response(exc, request_id=None):
    """Translate any exception raised while serving a request into an HTTP error response."""
    if isinstance(exc, exception.DCManagerException):
        code = int(exc.code)
        if code >= 500:
            LOG.error('Request %(req)s failed: %(msg)s', {'req': request_id, 'msg': exc.message})
        # A remote exception's class is named <Name>_Remote: report the project's own name.
        name = type(exc).__name__.removesuffix('_Remote')
        return http_error(code, exc.message, name)
    if isinstance(exc, webob.exc.HTTPException):
        return exc
    # exc_info=exc: the traceback is logged even when not called from inside the except block.
    LOG.exception('Unexpected error in request %s', request_id, exc_info=exc)
    return http_error(500, _INTERNAL_MESSAGE, 'InternalError')
