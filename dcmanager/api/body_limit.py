"""The bound on request bodies (``[api] max_request_body_size``), for any WSGI server.

A body whose declared length (Content-Length) is beyond the limit is answered 413 at once,
before anything reads it. A body of unknown length (chunked, from a server that streams it, such
as gunicorn or uwsgi) is read through a counter: the read that would pass the limit raises
RequestBodyTooLarge, which the error hook answers 413 in the same shape, so the application
never holds more than the limit. Waitress de-chunks and buffers a body itself (to a temporary
file beyond 512 KiB, bounded by its own ``max_request_body_size``) and declares its length
before calling the application: there, every body is checked by its length.
"""

from dcmanager.api import errors, hooks
from dcmanager.common import exception


class _BoundedInput:
    """``wsgi.input`` that refuses to give more than ``limit`` bytes in all."""

    def __init__(self, stream, limit):
        self._stream = stream
        self._left = limit
        self._limit = limit

    def _count(self, data):
        self._left -= len(data)
        if self._left < 0:
            raise exception.RequestBodyTooLarge(limit=self._limit)
        return data

    def _size(self, size):
        # One byte more than what is left: enough to tell the limit was passed.
        wanted = self._left + 1
        return wanted if size is None or size < 0 else min(size, wanted)

    def read(self, size=-1):
        return self._count(self._stream.read(self._size(size)))

    def readline(self, size=-1):
        return self._count(self._stream.readline(self._size(size)))

    def readlines(self, hint=-1):
        return list(iter(self.readline, b''))

    def __iter__(self):
        return iter(self.readline, b'')


class BodySizeLimit:
    """WSGI middleware: 413 for a body beyond ``limit`` bytes (see the module docstring)."""

    def __init__(self, app, limit):
        self.app = app
        self.limit = limit

    def _refuse(self, environ, start_response, error):
        response = errors.to_response(error, request_id=environ.get('openstack.request_id'),
                                      accept=environ.get(hooks.ORIGINAL_ACCEPT, '*/*'),
                                      method=environ.get('REQUEST_METHOD', 'GET'))
        return response(environ, start_response)

    def __call__(self, environ, start_response):
        declared = environ.get('CONTENT_LENGTH') or ''
        if not declared.strip():
            if 'wsgi.input' in environ:
                environ['wsgi.input'] = _BoundedInput(environ['wsgi.input'], self.limit)
            return self.app(environ, start_response)
        try:
            length = int(declared)
        except ValueError:
            length = -1
        if length < 0:
            return self._refuse(environ, start_response, exception.InvalidInput(
                reason='The Content-Length header is not a length'))
        if length > self.limit:
            return self._refuse(environ, start_response,
                                exception.RequestBodyTooLarge(limit=self.limit))
        return self.app(environ, start_response)
