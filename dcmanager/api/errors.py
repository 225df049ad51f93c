"""The one place where exceptions become HTTP responses.

The body follows what the real dcmanager CLI can print (README.md, its compatibility section):
webob's HTML error page for ``Accept: */*`` or HTML (the CLI prints its second line and the
detail), JSON for ``Accept: application/json``, plain text otherwise. The message is the
exception's own text and never contains a token or password.
"""

from oslo_log import log as logging
import oslo_messaging as messaging
import webob
import webob.exc

from dcmanager.common import exception, log_escape

LOG = logging.getLogger(__name__)

_INTERNAL_MESSAGE = 'The server could not complete the request because of an internal error.'


def _json_formatter(message, error_name):
    def formatter(body, status, title, environ):
        code = int(status.split(None, 1)[0])
        return {'code': code, 'title': title, 'description': message, 'error': error_name}
    return formatter


def http_error(code, message, error_name, headers=None):
    """A webob HTTP exception that renders ``message`` for the request's Accept header."""
    cls = webob.exc.status_map.get(int(code), webob.exc.HTTPInternalServerError)
    error = cls(detail=message, headers=headers)
    error.json_formatter = _json_formatter(message, error_name)
    return error


def _refused(request_id, code, message):
    """A request refused for what the client sent: one line at INFO, no traceback (the message
    may repeat client input: escaped, so that it can never forge a log line)."""
    LOG.info('Request %(req)s refused: %(code)d %(msg)s',
             {'req': request_id, 'code': code,
              'msg': log_escape.escape(message)})


# Refusals of a write whose writer no longer leads the group (an older leader term, or another
# leader in the same term): a site that lost the leadership without knowing it yet, which an
# operator must see, at WARNING (the message names the group and both terms).
_LEADERSHIP_REFUSALS = (exception.LeaderTermStale, exception.LeaderConflict)


def _translate(exc, request_id):
    if isinstance(exc, exception.DCManagerException):
        code = int(exc.code)
        if code >= 500:
            LOG.error('Request %(req)s failed: %(msg)s', {'req': request_id, 'msg': exc.message})
        elif isinstance(exc, _LEADERSHIP_REFUSALS):
            LOG.warning('Request %(req)s refused: %(code)d %(msg)s',
                        {'req': request_id, 'code': code, 'msg': log_escape.escape(exc.message)})
        else:
            _refused(request_id, code, exc.message)
        # A remote exception's class is named <Name>_Remote: report the project's own name.
        name = type(exc).__name__.removesuffix('_Remote')
        return http_error(code, exc.message, name, headers=exc.headers() or None)
    if isinstance(exc, messaging.MessagingTimeout):
        LOG.error('Request %s: the manager did not answer in time', request_id)
        return http_error(503, 'The manager did not answer in time; try again later.',
                          'ManagerUnavailable')
    if isinstance(exc, webob.exc.HTTPException):
        # Raised by the framework (no route): same body shape as ours.
        message = exc.detail or exc.explanation
        _refused(request_id, exc.code, message)
        allow = {'Allow': exc.headers['Allow']} if 'Allow' in exc.headers else None
        return http_error(exc.code, message, type(exc).__name__.removeprefix('HTTP'),
                          headers=allow)
    # exc_info=exc: the traceback is logged even when not called from inside the except block.
    LOG.exception('Unexpected error in request %s', request_id, exc_info=exc)
    return http_error(500, _INTERNAL_MESSAGE, 'InternalError')


def to_response(exc, request_id=None, accept='*/*', method='GET'):
    """The HTTP error response for any exception raised while serving a request, its body in the
    format ``accept`` (the client's original Accept header) prefers; ``method`` is the request's
    (a 405 page names it)."""
    return render(_translate(exc, request_id), accept, method)


def unlogged_response(exc, accept='*/*', method='GET'):
    """``to_response`` of a DCManagerException, without its log line: for refusals that come by
    the thousand (their caller logs a summary)."""
    error = http_error(int(exc.code), exc.message, type(exc).__name__,
                       headers=exc.headers() or None)
    return render(error, accept, method)


def render(error, accept, method):
    """The response of the webob HTTP exception ``error`` (see ``http_error``)."""
    request = webob.Request.blank('/', environ={'REQUEST_METHOD': method},
                                  headers={'Accept': accept or '*/*'})
    return request.get_response(error)
